#!/usr/bin/python3
"""PyTorch oracle for Borealis' transformer (run with Debian's /usr/bin/python3
and python3-torch).

    torch_oracle.py DIR

reads DIR/config.json (the model config plus a "train" section),
DIR/model.safetensors (Borealis' initial weights) and DIR/inputs.safetensors
(tokens and targets, int32 [B, T]), builds the same model from the same
weights with torch operations written out here, and writes
DIR/oracle.safetensors:

    logits          [B*T, padded_vocab]  at the initial weights
    loss            [1]
    grad.NAME       the gradient of every parameter at the initial weights
    losses          [steps + 1] the loss before each of `steps` AdamW steps
                    (torch.optim.AdamW, gradients clipped by
                    clip_grad_norm_) and after the last one

safetensors files are read and written here by the format's specification
(8-byte little-endian header length, JSON header, raw data), with no
library beyond torch and numpy.
"""
import json
import math
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

DTYPES = {"F32": np.float32, "I32": np.int32, "F64": np.float64, "I64": np.int64}


def read_safetensors(path):
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    data = blob[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        arr = np.frombuffer(data[begin:end], dtype=DTYPES[info["dtype"]]).reshape(info["shape"])
        out[name] = torch.from_numpy(arr.copy())
    return out


def write_safetensors(path, tensors):
    header, chunks, offset = {}, [], 0
    for name, t in tensors.items():
        a = np.ascontiguousarray(t.detach().cpu().numpy().astype(np.float32))
        b = a.tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
        chunks.append(b)
        offset += len(b)
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in chunks:
            f.write(b)


def rope_tables(T, D, theta):
    # float64 angles, as Borealis computes them, then float32
    half = D // 2
    i = torch.arange(half, dtype=torch.float64)
    freq = theta ** (-2.0 * i / D)
    angle = torch.arange(T, dtype=torch.float64)[:, None] * freq[None, :]
    return angle.cos().float(), angle.sin().float()


def rotate(x, cos, sin):
    # x [B, H, T, D]; rotate-half layout
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], dim=-1)


def forward(cfg, p, tokens):
    gpt2 = cfg["family"] == "gpt2"
    B, T = tokens.shape
    C, NH, NKV = cfg["d_model"], cfg["n_heads"], cfg["n_kv_heads"]
    D = C // NH
    F_ = cfg["d_ff"]
    eps = cfg["norm_eps"]
    tok = p["tok_embeddings.weight"]

    def norm(x, prefix):
        if gpt2:
            return F.layer_norm(x, (C,), p[prefix + ".weight"], p[prefix + ".bias"], eps)
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * p[prefix + ".weight"]

    def linear(x, name):
        return F.linear(x, p[name + ".weight"], p.get(name + ".bias"))

    x = tok[tokens.long()]
    if gpt2:
        x = x + p["pos_embeddings.weight"][:T][None]
    if not gpt2:
        cos, sin = rope_tables(T, D, cfg["rope_theta"])
    mask = torch.ones(T, T, dtype=torch.bool).tril()
    for l in range(cfg["n_layers"]):
        pre = f"layers.{l}."
        h = norm(x, pre + "norm1")
        qkv = linear(h, pre + "attn.qkv")
        q, k, v = qkv.split([NH * D, NKV * D, NKV * D], dim=-1)
        q = q.view(B, T, NH, D).transpose(1, 2)
        k = k.view(B, T, NKV, D).transpose(1, 2)
        v = v.view(B, T, NKV, D).transpose(1, 2)
        if not gpt2:
            q, k = rotate(q, cos, sin), rotate(k, cos, sin)
        rep = NH // NKV
        k = k.repeat_interleave(rep, dim=1)
        v = v.repeat_interleave(rep, dim=1)
        s = (q @ k.transpose(-1, -2)) / math.sqrt(D)
        s = s.masked_fill(~mask, float("-inf"))
        a = torch.softmax(s, dim=-1) @ v
        a = a.transpose(1, 2).reshape(B, T, C)
        x = x + linear(a, pre + "attn.out")
        h = norm(x, pre + "norm2")
        if gpt2:
            m = linear(F.gelu(linear(h, pre + "mlp.fc"), approximate="tanh"), pre + "mlp.proj")
        else:
            gu = linear(h, pre + "mlp.gate_up")
            g, u = gu.split([F_, F_], dim=-1)
            m = linear(F.silu(g) * u, pre + "mlp.down")
        x = x + m
    x = norm(x, "norm_f")
    head = tok if cfg["tied_embeddings"] else p["lm_head.weight"]
    return F.linear(x, head)


def loss_of(cfg, logits, targets):
    V = cfg["vocab_size"]
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1])[:, :V], targets.reshape(-1).long())


def main():
    d = sys.argv[1]
    torch.manual_seed(0)
    torch.set_num_threads(2)
    with open(f"{d}/config.json") as f:
        cfg = json.load(f)
    train = cfg.pop("train")
    weights = read_safetensors(f"{d}/model.safetensors")
    inputs = read_safetensors(f"{d}/inputs.safetensors")
    tokens, targets = inputs["tokens"], inputs["targets"]

    p = {k: v.clone().requires_grad_(True) for k, v in weights.items()}
    logits = forward(cfg, p, tokens)
    loss = loss_of(cfg, logits, targets)
    loss.backward()
    out = {"logits": logits.reshape(-1, logits.shape[-1]), "loss": loss.reshape(1)}
    for k, v in p.items():
        out["grad." + k] = v.grad

    # Training from the same initial weights.
    p = {k: v.clone().requires_grad_(True) for k, v in weights.items()}
    decay = [v for k, v in p.items() if v.dim() >= 2]
    no_decay = [v for k, v in p.items() if v.dim() < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": train["weight_decay"]}, {"params": no_decay, "weight_decay": 0.0}],
        lr=train["lr"], betas=(train["beta1"], train["beta2"]), eps=train["eps"], foreach=False)
    losses = []
    for _ in range(train["steps"]):
        opt.zero_grad()
        loss = loss_of(cfg, forward(cfg, p, tokens), targets)
        losses.append(loss.item())
        loss.backward()
        torch.nn.utils.clip_grad_norm_(list(p.values()), train["clip"])
        opt.step()
    with torch.no_grad():
        losses.append(loss_of(cfg, forward(cfg, p, tokens), targets).item())
    out["losses"] = torch.tensor(losses)
    write_safetensors(f"{d}/oracle.safetensors", out)


if __name__ == "__main__":
    main()
