#!/usr/bin/python3
"""The PyTorch peer of bench_train: the same model, written the way a
PyTorch user writes it (nn.Module, nn.Linear, explicit causal softmax
attention -- torch 1.13 has no fused attention), trained with
torch.optim.AdamW on the same batch shape.

    train_torch_peer.py --family gpt2|llama --layers 6 --d-model 256 --heads 8
                        --kv-heads 8 --seq 256 --vocab 8192 --batch 8 --steps 10

Prints one JSON line: median step time (forward + backward + clip + AdamW)
and its parts, over the timed steps after two warm-up steps.
"""
import argparse
import json
import math
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class RMSNorm(nn.Module):
    def __init__(self, d, eps=1e-5):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat([-x[..., h:], x[..., :h]], dim=-1)


class Block(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.a = a
        C, H, KV = a.d_model, a.heads, a.kv_heads
        self.D = C // H
        gpt2 = a.family == "gpt2"
        Norm = (lambda d: nn.LayerNorm(d)) if gpt2 else (lambda d: RMSNorm(d))
        self.norm1, self.norm2 = Norm(C), Norm(C)
        self.qkv = nn.Linear(C, (H + 2 * KV) * self.D, bias=gpt2)
        self.out = nn.Linear(C, C, bias=gpt2)
        if gpt2:
            self.fc = nn.Linear(C, 4 * C)
            self.proj = nn.Linear(4 * C, C)
        else:
            F_ = (2 * 4 * C // 3 + 63) // 64 * 64
            self.gate = nn.Linear(C, F_, bias=False)
            self.up = nn.Linear(C, F_, bias=False)
            self.down = nn.Linear(F_, C, bias=False)

    def forward(self, x, mask, cos, sin):
        a = self.a
        B, T, C = x.shape
        H, KV, D = a.heads, a.kv_heads, self.D
        q, k, v = self.qkv(self.norm1(x)).split([H * D, KV * D, KV * D], dim=-1)
        q = q.view(B, T, H, D).transpose(1, 2)
        k = k.view(B, T, KV, D).transpose(1, 2)
        v = v.view(B, T, KV, D).transpose(1, 2)
        if cos is not None:
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
        if KV != H:
            k = k.repeat_interleave(H // KV, dim=1)
            v = v.repeat_interleave(H // KV, dim=1)
        s = (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(D))
        s = s.masked_fill(mask, float("-inf"))
        y = (torch.softmax(s, dim=-1) @ v).transpose(1, 2).reshape(B, T, C)
        x = x + self.out(y)
        h = self.norm2(x)
        if a.family == "gpt2":
            return x + self.proj(F.gelu(self.fc(h), approximate="tanh"))
        return x + self.down(F.silu(self.gate(h)) * self.up(h))


class Model(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.a = a
        V = (a.vocab + 63) // 64 * 64
        self.tok = nn.Embedding(V, a.d_model)
        self.pos = nn.Embedding(a.seq, a.d_model) if a.family == "gpt2" else None
        self.blocks = nn.ModuleList([Block(a) for _ in range(a.layers)])
        self.norm_f = nn.LayerNorm(a.d_model) if a.family == "gpt2" else RMSNorm(a.d_model)
        mask = torch.ones(a.seq, a.seq, dtype=torch.bool).triu(1)
        self.register_buffer("mask", mask)
        D = a.d_model // a.heads
        if a.family == "llama":
            inv = 1.0 / (10000.0 ** (torch.arange(0, D, 2).float() / D))
            f = torch.outer(torch.arange(a.seq).float(), inv)
            emb = torch.cat([f, f], dim=-1)
            self.register_buffer("cos", emb.cos())
            self.register_buffer("sin", emb.sin())
        else:
            self.cos = self.sin = None

    def forward(self, idx, targets):
        T = idx.shape[1]
        x = self.tok(idx)
        if self.pos is not None:
            x = x + self.pos(torch.arange(T))
        for b in self.blocks:
            x = b(x, self.mask[:T, :T], self.cos, self.sin)
        logits = F.linear(self.norm_f(x), self.tok.weight)
        return F.cross_entropy(logits[..., : self.a.vocab].reshape(-1, self.a.vocab), targets.reshape(-1))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--family", default="gpt2")
    p.add_argument("--layers", type=int, default=6)
    p.add_argument("--d-model", type=int, default=256)
    p.add_argument("--heads", type=int, default=8)
    p.add_argument("--kv-heads", type=int, default=8)
    p.add_argument("--seq", type=int, default=256)
    p.add_argument("--vocab", type=int, default=8192)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(a.threads)
    model = Model(a)
    params = sum(p.numel() for p in model.parameters())
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=3e-4, betas=(0.9, 0.95))
    idx = torch.randint(0, a.vocab, (a.batch, a.seq))
    tgt = torch.randint(0, a.vocab, (a.batch, a.seq))
    steps, fwd, bwd, upd = [], [], [], []
    for s in range(a.steps + 2):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = model(idx, tgt)
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        t3 = time.perf_counter()
        if s >= 2:
            steps.append(t3 - t0)
            fwd.append(t1 - t0)
            bwd.append(t2 - t1)
            upd.append(t3 - t2)
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "parameters": params,
                      "step_s": statistics.median(steps), "forward_s": statistics.median(fwd),
                      "backward_s": statistics.median(bwd), "update_s": statistics.median(upd),
                      "loss": loss.item()}))


if __name__ == "__main__":
    main()
