#!/usr/bin/python3
"""The Hugging Face architectures' forward passes, written out in PyTorch
(Debian's python3-torch; no transformers package), to check
`borealis export --format hf`.

    hf_reference.py DIR

reads DIR/config.json and DIR/model.safetensors as a Hugging Face model
folder -- LlamaForCausalLM or GPT2LMHeadModel, chosen by "architectures" --
and DIR/tokens.json ([B][T] token ids), and writes DIR/hf_logits.json
([B*T][vocab_size]). The computation follows transformers' modeling_llama.py
and modeling_gpt2.py: their tensor names, GPT-2's Conv1D ([in, out]
weights), Llama's rotate_half RoPE and repeat_kv, tied embeddings when
tie_word_embeddings. safetensors is read by its specification (8-byte
little-endian header length, JSON header, raw little-endian data).
"""
import json
import math
import struct
import sys

import numpy as np
import torch

torch.set_default_dtype(torch.float64)  # the reference runs in double


def read_safetensors(path):
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    assert header.get("__metadata__", {}).get("format") == "pt", "transformers expects format pt"
    data = blob[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", name
        begin, end = info["data_offsets"]
        arr = np.frombuffer(data[begin:end], dtype="<f4").reshape(info["shape"])
        out[name] = torch.from_numpy(arr.astype(np.float64))
    return out


def causal_softmax_attention(q, k, v):
    # q, k, v: [B, heads, T, d]
    T = q.shape[2]
    scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
    mask = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
    scores = scores.masked_fill(mask, torch.finfo(scores.dtype).min)
    return torch.softmax(scores, dim=-1) @ v


def llama(cfg, w, ids):
    B, T = ids.shape
    H, nh, nkv = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd = cfg.get("head_dim", H // nh)
    eps = cfg["rms_norm_eps"]

    def rms_norm(x, weight):  # LlamaRMSNorm
        variance = x.pow(2).mean(-1, keepdim=True)
        return weight * (x * torch.rsqrt(variance + eps))

    # LlamaRotaryEmbedding (default rope_type)
    inv_freq = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, hd, 2, dtype=torch.int64).double() / hd))
    freqs = torch.arange(T).double()[:, None] * inv_freq[None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos()[None, None], emb.sin()[None, None]

    def rotate_half(x):
        x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
        return torch.cat((-x2, x1), dim=-1)

    def repeat_kv(x, n_rep):
        b, n, s, d = x.shape
        return x[:, :, None, :, :].expand(b, n, n_rep, s, d).reshape(b, n * n_rep, s, d)

    x = w["model.embed_tokens.weight"][ids]
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        h = rms_norm(x, w[p + "input_layernorm.weight"])
        q = (h @ w[p + "self_attn.q_proj.weight"].T).view(B, T, nh, hd).transpose(1, 2)
        k = (h @ w[p + "self_attn.k_proj.weight"].T).view(B, T, nkv, hd).transpose(1, 2)
        v = (h @ w[p + "self_attn.v_proj.weight"].T).view(B, T, nkv, hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        a = causal_softmax_attention(q, repeat_kv(k, nh // nkv), repeat_kv(v, nh // nkv))
        x = x + a.transpose(1, 2).reshape(B, T, nh * hd) @ w[p + "self_attn.o_proj.weight"].T
        h = rms_norm(x, w[p + "post_attention_layernorm.weight"])
        gate = h @ w[p + "mlp.gate_proj.weight"].T
        up = h @ w[p + "mlp.up_proj.weight"].T
        x = x + (torch.nn.functional.silu(gate) * up) @ w[p + "mlp.down_proj.weight"].T
    x = rms_norm(x, w["model.norm.weight"])
    head = w["model.embed_tokens.weight"] if cfg["tie_word_embeddings"] else w["lm_head.weight"]
    return x @ head.T


def gpt2(cfg, w, ids):
    B, T = ids.shape
    H, nh = cfg["n_embd"], cfg["n_head"]
    hd = H // nh
    eps = cfg["layer_norm_epsilon"]
    assert cfg["activation_function"] == "gelu_new"

    def layer_norm(x, p):
        return torch.nn.functional.layer_norm(x, (H,), w[p + ".weight"], w[p + ".bias"], eps)

    def conv1d(x, p):  # transformers.pytorch_utils.Conv1D: x @ W + b, W is [in, out]
        return x @ w[p + ".weight"] + w[p + ".bias"]

    def gelu_new(x):
        return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x.pow(3))))

    def heads(x):
        return x.view(B, T, nh, hd).transpose(1, 2)

    x = w["transformer.wte.weight"][ids] + w["transformer.wpe.weight"][torch.arange(T)][None]
    for i in range(cfg["n_layer"]):
        p = f"transformer.h.{i}."
        q, k, v = conv1d(layer_norm(x, p + "ln_1"), p + "attn.c_attn").split(H, dim=2)
        a = causal_softmax_attention(heads(q), heads(k), heads(v)).transpose(1, 2).reshape(B, T, H)
        x = x + conv1d(a, p + "attn.c_proj")
        x = x + conv1d(gelu_new(conv1d(layer_norm(x, p + "ln_2"), p + "mlp.c_fc")), p + "mlp.c_proj")
    x = layer_norm(x, "transformer.ln_f")
    head = w["transformer.wte.weight"] if cfg.get("tie_word_embeddings", True) else w["lm_head.weight"]
    return x @ head.T


def main():
    d = sys.argv[1]
    with open(f"{d}/config.json") as f:
        cfg = json.load(f)
    w = read_safetensors(f"{d}/model.safetensors")
    with open(f"{d}/tokens.json") as f:
        ids = torch.tensor(json.load(f), dtype=torch.int64)
    arch = cfg["architectures"][0]
    logits = {"LlamaForCausalLM": llama, "GPT2LMHeadModel": gpt2}[arch](cfg, w, ids)
    assert logits.shape[-1] == cfg["vocab_size"]
    with open(f"{d}/hf_logits.json", "w") as f:
        json.dump(logits.reshape(-1, cfg["vocab_size"]).tolist(), f)


if __name__ == "__main__":
    main()
