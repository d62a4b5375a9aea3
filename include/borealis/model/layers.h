#pragma once
// The layers of the transformer as plain forward/backward function pairs
// (llm.c's style): row-major float arrays, shapes in the comments, N = B·T
// rows. Backward functions ADD into parameter gradients (so micro-batches
// accumulate) and say for each input gradient whether they add or overwrite.
// Matmuls go to OpenBLAS (cblas_sgemm); everything else is OpenMP loops.
// Each one is checked against PyTorch by tests/model/test_torch_oracle.cpp.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace borealis::model {

// ---- linear.cpp
// out[N, O] = residual[N, O] + b[O] + in[N, I] · W[O, I]^T   (residual and b
// may be null; residual may be out itself). The residual stream's add rides
// on the pass that starts the output, instead of a pass of its own.
void linear_forward(float* out, const float* in, const float* w, const float* b, std::int64_t N,
                    std::int64_t I, std::int64_t O, const float* residual = nullptr);
// din[N, I] = alpha · dout · W (overwritten; skipped when din is null)
// dW[O, I] += alpha · dout^T · in;  db[O] += alpha · Σ_n dout[n, :]  (db may be null)
void linear_backward(float* din, float* dw, float* db, const float* dout, const float* in,
                     const float* w, std::int64_t N, std::int64_t I, std::int64_t O,
                     float alpha = 1.0f);

// ---- norm.cpp
// LayerNorm over rows of width C: y = (x - mean) · rstd · w + b, rstd = 1/sqrt(var + eps)
// (biased variance, as torch). Keeps mean and rstd per row for backward.
void layer_norm_forward(float* y, float* mean, float* rstd, const float* x, const float* w,
                        const float* b, std::int64_t N, std::int64_t C, float eps);
// With x̂ = (x - mean)·rstd and g = dy·w:  dx += rstd · (g - mean(g) - x̂ · mean(g·x̂)),
// dw += Σ_n dy·x̂,  db += Σ_n dy.
void layer_norm_backward(float* dx, float* dw, float* db, const float* dy, const float* x,
                         const float* w, const float* mean, const float* rstd, std::int64_t N,
                         std::int64_t C);
// RMSNorm: y = x · rstd · w, rstd = 1/sqrt(mean(x²) + eps).
void rms_norm_forward(float* y, float* rstd, const float* x, const float* w, std::int64_t N,
                      std::int64_t C, float eps);
// With g = dy·w:  dx += rstd · (g - x · rstd² · mean(g·x)),  dw += Σ_n dy · x · rstd.
void rms_norm_backward(float* dx, float* dw, const float* dy, const float* x, const float* w,
                       const float* rstd, std::int64_t N, std::int64_t C);

// ---- activation.cpp
// GELU, tanh form (GPT-2's; torch's approximate='tanh'):
//   gelu(x) = x/2 · (1 + tanh(u)),  u = sqrt(2/π) · (x + 0.044715 x³)
void gelu_forward(float* y, const float* x, std::int64_t n);
// dx = dy · (½(1 + t) + ½ x (1 - t²) · sqrt(2/π)(1 + 3·0.044715 x²)),  t = tanh(u)  (overwrites dx)
void gelu_backward(float* dx, const float* dy, const float* x, std::int64_t n);
// SwiGLU: gate_up rows are [gate (F) | up (F)];  y[n, f] = silu(gate) · up, silu(g) = g·σ(g).
void swiglu_forward(float* y, const float* gate_up, std::int64_t N, std::int64_t F);
// dgate = dy · up · σ(g)(1 + g(1 - σ(g))),  dup = dy · silu(g)  (overwrites dgate_up)
void swiglu_backward(float* dgate_up, const float* dy, const float* gate_up, std::int64_t N,
                     std::int64_t F);

// ---- rope.cpp
// Rotary position embedding, rotate-half layout (Hugging Face Llama): for
// head dimension D and i < D/2, angle = pos · theta^(-2i/D) (computed in
// double), (x_i, x_{i+D/2}) -> (x_i cos - x_{i+D/2} sin, x_{i+D/2} cos + x_i sin).
class RopeTable {
 public:
  RopeTable() = default;
  RopeTable(int max_seq_len, int head_dim, double theta);
  const float* cos(int pos) const { return cos_.data() + static_cast<std::size_t>(pos) * half_; }
  const float* sin(int pos) const { return sin_.data() + static_cast<std::size_t>(pos) * half_; }
  int half() const { return half_; }

 private:
  int half_ = 0;
  std::vector<float> cos_, sin_;
};
// Rotates the q and k heads of every row of qkv [B, T, (NH + 2 NKV) D] in place.
void rope_forward(float* qkv, const RopeTable& table, std::int64_t B, std::int64_t T, int NH,
                  int NKV, int D);
// The same for `rows` consecutive positions first_position, first_position + 1, ...
// (generation: new tokens after a KV cache).
void rope_forward_at(float* qkv, const RopeTable& table, std::int64_t rows, int first_position, int NH, int NKV, int D);
// The transpose (rotation by -angle) of the q and k parts of dqkv, in place.
void rope_backward(float* dqkv, const RopeTable& table, std::int64_t B, std::int64_t T, int NH,
                   int NKV, int D);

// ---- attention.cpp
// Causal self-attention. qkv [B, T, (NH + 2 NKV) D]: each row holds all q
// heads, then the k heads, then the v heads; q head h reads kv head
// h / (NH / NKV). out [B, T, NH D]; lse [B, NH, T] = log Σ_j exp(s_ij) with
// s_ij = q_i·k_j / sqrt(D), j ≤ i. Queries go in blocks of 64 against the
// keys up to the block's end (two products per block, only their causal
// part computed), so nothing of size T × T is needed. probs, when not null,
// keeps every block's probabilities (attention_probability_floats(B, T, NH)
// floats, about B·NH·T²/2) for backward; with null, the scratch is 64 × T
// per thread and backward rebuilds p_ij = exp(s_ij - lse_i) from lse (one
// more product and exp per block).
std::int64_t attention_probability_floats(std::int64_t B, std::int64_t T, int NH);
void attention_forward(float* out, float* lse, float* probs, const float* qkv, std::int64_t B,
                       std::int64_t T, int NH, int NKV, int D);
// dqkv (overwritten) from dout [B, T, NH D]:  dP = dO·Vᵀ, dS = P∘(dP - rowsum(dO∘O)),
// dQ = dS·K/sqrt(D), dK = dSᵀ·Q/sqrt(D), dV = Pᵀ·dO. probs: what forward kept, or null.
void attention_backward(float* dqkv, const float* dout, const float* out, const float* lse,
                        const float* probs, const float* qkv, std::int64_t B, std::int64_t T,
                        int NH, int NKV, int D);

// ---- cross_entropy.cpp
// loss_n = lse_n - logits[n, target_n] over the first V columns of rows of
// width Vp (the padding never enters). Keeps lse per row; returns the mean
// (summed in double).
double cross_entropy_forward(float* lse, const float* logits, const std::int32_t* targets,
                             std::int64_t N, std::int64_t V, std::int64_t Vp);
// Turns logits into dlogits in place: (softmax - onehot(target)) · scale in
// columns < V, 0 in the padding. scale = 1/N for the mean loss.
void cross_entropy_backward(float* logits, const float* lse, const std::int32_t* targets,
                            std::int64_t N, std::int64_t V, std::int64_t Vp, float scale);
// Both at once for training: returns the mean loss and leaves dlogits in
// place, reading the 4·N·Vp bytes of logits once instead of twice and
// taking each exp once (softmax as exp(x - max) / Σ, not exp(x - lse)).
double cross_entropy_fused(float* logits, const std::int32_t* targets, std::int64_t N,
                           std::int64_t V, std::int64_t Vp, float scale);

}  // namespace borealis::model
