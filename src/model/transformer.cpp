#include "borealis/model/transformer.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include <fmt/format.h>

#include "borealis/util/error.h"
#include "column_blocks.h"

namespace borealis::model {

namespace {
using i64 = std::int64_t;
constexpr std::size_t kNone = LayerOffsets::kNone;
}  // namespace

Transformer::Transformer(const ModelConfig& config) : config_(config), layout_(config) {
  config_.validate();
  if (config_.family == Family::llama)
    rope_ = RopeTable(config_.max_seq_len, config_.head_dim(), config_.rope_theta);
  params_.assign(layout_.total(), 0.0f);
  grads_.assign(layout_.total(), 0.0f);
}

void Transformer::init_weights(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  // Box-Muller on 53-bit uniforms: the same numbers on every platform
  // (std::normal_distribution is implementation-defined).
  auto uniform = [&] { return (static_cast<double>(rng() >> 11) + 0.5) * 0x1.0p-53; };
  auto normal = [&](float* p, std::size_t n, double std) {
    for (std::size_t i = 0; i < n; i += 2) {
      const double r = std::sqrt(-2.0 * std::log(uniform())), a = 2.0 * M_PI * uniform();
      p[i] = static_cast<float>(std * r * std::cos(a));
      if (i + 1 < n) p[i + 1] = static_cast<float>(std * r * std::sin(a));
    }
  };
  std::fill(params_.begin(), params_.end(), 0.0f);
  const double residual_std = 0.02 / std::sqrt(2.0 * config_.n_layers);
  const std::size_t real_rows =
      static_cast<std::size_t>(config_.vocab_size) * static_cast<std::size_t>(config_.d_model);
  for (const auto& t : layout_.tensors()) {
    float* p = params_.data() + t.offset;
    const bool is_norm = t.name.find("norm") != std::string::npos;
    const bool is_bias = t.name.ends_with(".bias");
    if (is_norm && !is_bias) {
      std::fill(p, p + t.size, 1.0f);
    } else if (is_bias) {
      // zero
    } else if (t.name == "tok_embeddings.weight" || t.name == "lm_head.weight") {
      normal(p, real_rows, 0.02);  // padded rows stay 0
    } else {
      const bool residual = t.name.ends_with("attn.out.weight") ||
                            t.name.ends_with("mlp.proj.weight") ||
                            t.name.ends_with("mlp.down.weight");
      normal(p, t.size, residual ? residual_std : 0.02);
    }
  }
}

void Transformer::set_attention_store_limit(std::size_t bytes) {
  attention_store_limit_ = bytes;
  allocated_rows_ = 0;  // decide again at the next forward
}

float* Transformer::probs(int layer) {
  if (att_probs_per_layer_ == 0) return nullptr;
  return att_probs_.data() + static_cast<std::size_t>(layer) * att_probs_per_layer_;
}

void Transformer::allocate(int B, int T) {
  const i64 N = static_cast<i64>(B) * T;
  B_ = B;
  T_ = T;
  if (N <= allocated_rows_ && T == allocated_T_) return;
  const auto& c = config_;
  const std::size_t L = static_cast<std::size_t>(c.n_layers), n = static_cast<std::size_t>(N);
  const std::size_t C = static_cast<std::size_t>(c.d_model),
                    F = static_cast<std::size_t>(c.ffn_dim());
  const std::size_t QKV = static_cast<std::size_t>(c.n_heads + 2 * c.kv_heads()) *
                          static_cast<std::size_t>(c.head_dim());
  const std::size_t FC = c.family == Family::gpt2 ? F : 2 * F;
  const std::size_t Vp = static_cast<std::size_t>(c.padded_vocab());
  resid_.resize((L + 1) * n * C);
  n1_.resize(L * n * C);
  n2_.resize(L * n * C);
  n1_mean_.resize(L * n);
  n1_rstd_.resize(L * n);
  n2_mean_.resize(L * n);
  n2_rstd_.resize(L * n);
  qkv_.resize(L * n * QKV);
  att_.resize(L * n * C);
  att_lse_.resize(L * n * static_cast<std::size_t>(c.n_heads));
  att_probs_per_layer_ = 0;
  const auto probs = static_cast<std::size_t>(attention_probability_floats(B, T, c.n_heads));
  if (L * probs * sizeof(float) <= attention_store_limit_) att_probs_per_layer_ = probs;
  att_probs_.resize(L * att_probs_per_layer_);
  mid_.resize(L * n * C);
  fc_.resize(L * n * FC);
  act_.resize(L * n * F);
  nf_.resize(n * C);
  nf_mean_.resize(n);
  nf_rstd_.resize(n);
  logits_.resize(n * Vp);
  ce_lse_.resize(n);
  d_resid_.resize(n * C);
  d_norm_.resize(n * C);
  d_att_.resize(n * C);
  d_qkv_.resize(n * QKV);
  d_fc_.resize(n * FC);
  d_act_.resize(n * F);
  allocated_rows_ = static_cast<int>(N);
  allocated_T_ = T;
}

double Transformer::forward(std::span<const std::int32_t> tokens,
                            std::span<const std::int32_t> targets, int B, int T, Pass pass) {
  const auto& c = config_;
  if (B < 1 || T < 1) throw Error(fmt::format("forward: batch {} × sequence {} is empty", B, T));
  if (T > c.max_seq_len)
    throw Error(
        fmt::format("forward: sequence length {} exceeds max_seq_len {}", T, c.max_seq_len));
  const i64 N = static_cast<i64>(B) * T;
  if (static_cast<i64>(tokens.size()) != N ||
      (!targets.empty() && static_cast<i64>(targets.size()) != N))
    throw Error(
        fmt::format("forward: expected {} tokens and targets for a {} × {} batch", N, B, T));
  for (auto t : tokens)
    if (t < 0 || t >= c.vocab_size)
      throw Error(
          fmt::format("forward: token {} is outside the vocabulary (size {})", t, c.vocab_size));
  for (auto t : targets)
    if (t < 0 || t >= c.vocab_size)
      throw Error(
          fmt::format("forward: target {} is outside the vocabulary (size {})", t, c.vocab_size));
  allocate(B, T);
  tokens_.assign(tokens.begin(), tokens.end());
  targets_.assign(targets.begin(), targets.end());
  have_targets_ = !targets.empty();
  logits_are_gradient_ = false;

  const i64 C = c.d_model, F = c.ffn_dim(), NH = c.n_heads, NKV = c.kv_heads(), D = c.head_dim();
  const i64 QKV = (NH + 2 * NKV) * D, FC = c.family == Family::gpt2 ? F : 2 * F,
            Vp = c.padded_vocab();
  const float eps = static_cast<float>(c.norm_eps);
  const float* p = params_.data();
  const bool gpt2 = c.family == Family::gpt2;

  // Embedding (+ learned positions).
  float* x0 = resid_.data();
  const float* tok = p + layout_.tok_embeddings;
#pragma omp parallel for schedule(static)
  for (i64 n = 0; n < N; ++n) {
    const float* e = tok + static_cast<i64>(tokens_[static_cast<std::size_t>(n)]) * C;
    float* x = x0 + n * C;
    if (gpt2) {
      const float* pe = p + layout_.pos_embeddings + (n % T) * C;
      for (i64 i = 0; i < C; ++i) x[i] = e[i] + pe[i];
    } else {
      std::memcpy(x, e, static_cast<std::size_t>(C) * sizeof(float));
    }
  }

  for (int l = 0; l < c.n_layers; ++l) {
    const auto& o = layout_.layers[static_cast<std::size_t>(l)];
    const i64 li = l;
    const float* x = resid_.data() + li * N * C;
    float* n1 = n1_.data() + li * N * C;
    float* n2 = n2_.data() + li * N * C;
    float* qkv = qkv_.data() + li * N * QKV;
    float* att = att_.data() + li * N * C;
    float* lse = att_lse_.data() + li * N * NH;
    float* mid = mid_.data() + li * N * C;
    float* fc = fc_.data() + li * N * FC;
    float* act = act_.data() + li * N * F;
    float* next = resid_.data() + (li + 1) * N * C;
    auto bias = [&](std::size_t off) { return off == kNone ? nullptr : p + off; };

    if (gpt2)
      layer_norm_forward(n1, n1_mean_.data() + li * N, n1_rstd_.data() + li * N, x, p + o.norm1_w,
                         p + o.norm1_b, N, C, eps);
    else
      rms_norm_forward(n1, n1_rstd_.data() + li * N, x, p + o.norm1_w, N, C, eps);
    linear_forward(qkv, n1, p + o.qkv_w, bias(o.qkv_b), N, C, QKV);
    if (!gpt2)
      rope_forward(qkv, rope_, B, T, static_cast<int>(NH), static_cast<int>(NKV),
                   static_cast<int>(D));
    attention_forward(att, lse, probs(l), qkv, B, T, static_cast<int>(NH), static_cast<int>(NKV),
                      static_cast<int>(D));
    linear_forward(mid, att, p + o.out_w, bias(o.out_b), N, C, C, x);  // + the residual stream

    if (gpt2)
      layer_norm_forward(n2, n2_mean_.data() + li * N, n2_rstd_.data() + li * N, mid, p + o.norm2_w,
                         p + o.norm2_b, N, C, eps);
    else
      rms_norm_forward(n2, n2_rstd_.data() + li * N, mid, p + o.norm2_w, N, C, eps);
    if (gpt2) {
      linear_forward(fc, n2, p + o.fc_w, p + o.fc_b, N, C, F);
      gelu_forward(act, fc, N * F);
      linear_forward(next, act, p + o.proj_w, p + o.proj_b, N, F, C, mid);
    } else {
      linear_forward(fc, n2, p + o.gate_up_w, nullptr, N, C, 2 * F);
      swiglu_forward(act, fc, N, F);
      linear_forward(next, act, p + o.down_w, nullptr, N, F, C, mid);
    }
  }

  const float* last = resid_.data() + static_cast<i64>(c.n_layers) * N * C;
  if (gpt2)
    layer_norm_forward(nf_.data(), nf_mean_.data(), nf_rstd_.data(), last, p + layout_.norm_f_w,
                       p + layout_.norm_f_b, N, C, eps);
  else
    rms_norm_forward(nf_.data(), nf_rstd_.data(), last, p + layout_.norm_f_w, N, C, eps);
  linear_forward(logits_.data(), nf_.data(), p + layout_.lm_head, nullptr, N, C, Vp);
  if (!have_targets_) return std::numeric_limits<double>::quiet_NaN();
  if (pass == Pass::training) {
    logits_are_gradient_ = true;
    return cross_entropy_fused(logits_.data(), targets_.data(), N, c.vocab_size, Vp,
                               1.0f / static_cast<float>(N));
  }
  return cross_entropy_forward(ce_lse_.data(), logits_.data(), targets_.data(), N, c.vocab_size,
                               Vp);
}

std::span<const float> Transformer::logits() const {
  return {logits_.data(), static_cast<std::size_t>(B_) * T_ * config_.padded_vocab()};
}

// On every thread: 27.6 MB at bench_train's size, which one thread cleared
// while the others waited.
void Transformer::zero_grad() {
  constexpr i64 kChunk = 1 << 16;
  const auto n = static_cast<i64>(grads_.size());
  float* g = grads_.data();
#pragma omp parallel for schedule(static)
  for (i64 c = 0; c < n; c += kChunk) std::fill(g + c, g + std::min(n, c + kChunk), 0.0f);
}

void Transformer::backward(float loss_scale, const GradientsReady& on_ready) {
  if (!have_targets_) throw Error("backward: the last forward() had no targets");
  const auto& c = config_;
  const int B = B_, T = T_;
  const i64 N = static_cast<i64>(B) * T;
  const i64 C = c.d_model, F = c.ffn_dim(), NH = c.n_heads, NKV = c.kv_heads(), D = c.head_dim();
  const i64 QKV = (NH + 2 * NKV) * D, FC = c.family == Family::gpt2 ? F : 2 * F,
            Vp = c.padded_vocab();
  const bool gpt2 = c.family == Family::gpt2;
  const float* p = params_.data();
  float* g = grads_.data();
  float* d_resid = d_resid_.data();
  float* d_norm = d_norm_.data();

  // dlogits hold d(mean loss)/d logits; loss_scale enters as the sgemms' alpha.
  if (!logits_are_gradient_)
    cross_entropy_backward(logits_.data(), ce_lse_.data(), targets_.data(), N, c.vocab_size, Vp,
                           1.0f / static_cast<float>(N));
  logits_are_gradient_ = true;
  linear_backward(d_norm, g + layout_.lm_head, nullptr, logits_.data(), nf_.data(),
                  p + layout_.lm_head, N, C, Vp, loss_scale);
  std::fill(d_resid_.begin(), d_resid_.begin() + N * C, 0.0f);
  const float* last = resid_.data() + static_cast<i64>(c.n_layers) * N * C;
  if (gpt2)
    layer_norm_backward(d_resid, g + layout_.norm_f_w, g + layout_.norm_f_b, d_norm, last,
                        p + layout_.norm_f_w, nf_mean_.data(), nf_rstd_.data(), N, C);
  else
    rms_norm_backward(d_resid, g + layout_.norm_f_w, d_norm, last, p + layout_.norm_f_w,
                      nf_rstd_.data(), N, C);
  // Everything from `from` to the end of the array is final (the layout runs
  // embeddings, layers 0..L-1, final norm, untied head; backward the other way).
  std::size_t ready_end = layout_.total();
  auto ready_from = [&](std::size_t from) {
    if (on_ready && from < ready_end) on_ready(from, ready_end - from);
    ready_end = std::min(ready_end, from);
  };
  ready_from(layout_.norm_f_w);

  for (int l = c.n_layers - 1; l >= 0; --l) {
    const auto& o = layout_.layers[static_cast<std::size_t>(l)];
    const i64 li = l;
    const float* x = resid_.data() + li * N * C;
    const float* n1 = n1_.data() + li * N * C;
    const float* n2 = n2_.data() + li * N * C;
    const float* qkv = qkv_.data() + li * N * QKV;
    const float* att = att_.data() + li * N * C;
    const float* lse = att_lse_.data() + li * N * NH;
    const float* mid = mid_.data() + li * N * C;
    const float* fc = fc_.data() + li * N * FC;
    const float* act = act_.data() + li * N * F;
    auto gbias = [&](std::size_t off) { return off == kNone ? nullptr : g + off; };

    // d_resid is d(resid[l+1]); resid[l+1] = mid + mlp(norm2(mid)).
    if (gpt2) {
      linear_backward(d_act_.data(), g + o.proj_w, g + o.proj_b, d_resid, act, p + o.proj_w, N, F,
                      C);
      gelu_backward(d_fc_.data(), d_act_.data(), fc, N * F);
      linear_backward(d_norm, g + o.fc_w, g + o.fc_b, d_fc_.data(), n2, p + o.fc_w, N, C, F);
      layer_norm_backward(d_resid, g + o.norm2_w, g + o.norm2_b, d_norm, mid, p + o.norm2_w,
                          n2_mean_.data() + li * N, n2_rstd_.data() + li * N, N, C);
    } else {
      linear_backward(d_act_.data(), g + o.down_w, nullptr, d_resid, act, p + o.down_w, N, F, C);
      swiglu_backward(d_fc_.data(), d_act_.data(), fc, N, F);
      linear_backward(d_norm, g + o.gate_up_w, nullptr, d_fc_.data(), n2, p + o.gate_up_w, N, C,
                      2 * F);
      rms_norm_backward(d_resid, g + o.norm2_w, d_norm, mid, p + o.norm2_w,
                        n2_rstd_.data() + li * N, N, C);
    }
    // d_resid is now d(mid); mid = x + out(attention(rope(qkv(norm1(x))))).
    linear_backward(d_att_.data(), g + o.out_w, gbias(o.out_b), d_resid, att, p + o.out_w, N, C, C);
    attention_backward(d_qkv_.data(), d_att_.data(), att, lse, probs(l), qkv, B, T, static_cast<int>(NH),
                       static_cast<int>(NKV), static_cast<int>(D));
    if (!gpt2)
      rope_backward(d_qkv_.data(), rope_, B, T, static_cast<int>(NH), static_cast<int>(NKV),
                    static_cast<int>(D));
    linear_backward(d_norm, g + o.qkv_w, gbias(o.qkv_b), d_qkv_.data(), n1, p + o.qkv_w, N, C, QKV);
    if (gpt2)
      layer_norm_backward(d_resid, g + o.norm1_w, g + o.norm1_b, d_norm, x, p + o.norm1_w,
                          n1_mean_.data() + li * N, n1_rstd_.data() + li * N, N, C);
    else
      rms_norm_backward(d_resid, g + o.norm1_w, d_norm, x, p + o.norm1_w, n1_rstd_.data() + li * N,
                        N, C);
    ready_from(o.norm1_w);
  }

  // Embeddings: rows repeat across tokens, so threads split the columns.
  float* gtok = g + layout_.tok_embeddings;
  for_column_blocks(C, [&](i64 c0, i64 c1) {
    for (i64 n = 0; n < N; ++n) {
      float* row = gtok + static_cast<i64>(tokens_[static_cast<std::size_t>(n)]) * C;
      const float* d = d_resid + n * C;
      for (i64 i = c0; i < c1; ++i) row[i] += d[i];
    }
  });
  if (gpt2) {
    float* gpos = g + layout_.pos_embeddings;
#pragma omp parallel for schedule(static)
    for (i64 t = 0; t < T; ++t)
      for (i64 b = 0; b < B; ++b) {
        const float* d = d_resid + (b * T + t) * C;
        for (i64 i = 0; i < C; ++i) gpos[t * C + i] += d[i];
      }
  }
  ready_from(0);  // with tied embeddings the head's gradient is only final now
}

}  // namespace borealis::model
