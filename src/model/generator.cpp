#include "borealis/model/generator.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include <fmt/format.h>

#include "borealis/model/layers.h"
#include "borealis/util/error.h"

namespace borealis::model {

namespace {
using i64 = std::int64_t;
}

Generator::Generator(const Transformer& model) : model_(model) {
  const auto& c = model.config();
  const std::size_t kv =
      static_cast<std::size_t>(c.kv_heads()) * static_cast<std::size_t>(c.head_dim());
  k_cache_.resize(static_cast<std::size_t>(c.n_layers) * static_cast<std::size_t>(c.max_seq_len) *
                  kv);
  v_cache_.resize(k_cache_.size());
}

std::span<const float> Generator::feed(std::span<const std::int32_t> tokens) {
  const auto& c = model_.config();
  const auto& layout = model_.layout();
  const float* p = model_.parameters().data();
  const i64 M = static_cast<i64>(tokens.size());
  if (M == 0) throw Error("generate: nothing to feed");
  if (position_ + M > c.max_seq_len)
    throw Error(fmt::format("generate: {} tokens of context exceed the model's max_seq_len {}",
                            position_ + M, c.max_seq_len));
  for (auto t : tokens)
    if (t < 0 || t >= c.vocab_size)
      throw Error(fmt::format("generate: token {} is outside the vocabulary", t));
  const i64 C = c.d_model, F = c.ffn_dim(), NH = c.n_heads, NKV = c.kv_heads(), D = c.head_dim();
  const i64 QKV = (NH + 2 * NKV) * D, KV = NKV * D, group = NH / NKV, Vp = c.padded_vocab();
  const bool gpt2 = c.family == Family::gpt2;
  const float eps = static_cast<float>(c.norm_eps);
  x_.resize(static_cast<std::size_t>(M * C));
  h_.resize(x_.size());
  att_.resize(x_.size());
  qkv_.resize(static_cast<std::size_t>(M * QKV));
  fc_.resize(static_cast<std::size_t>(M * (gpt2 ? F : 2 * F)));
  act_.resize(static_cast<std::size_t>(M * F));
  mean_.resize(static_cast<std::size_t>(M));
  rstd_.resize(static_cast<std::size_t>(M));
  scores_.resize(static_cast<std::size_t>(c.max_seq_len));
  logits_.resize(static_cast<std::size_t>(Vp));

  for (i64 n = 0; n < M; ++n) {
    const float* e =
        p + layout.tok_embeddings + static_cast<i64>(tokens[static_cast<std::size_t>(n)]) * C;
    float* x = x_.data() + n * C;
    for (i64 i = 0; i < C; ++i)
      x[i] = e[i] + (gpt2 ? p[layout.pos_embeddings + (position_ + n) * C + i] : 0.0f);
  }
  auto norm = [&](float* y, const float* x, i64 rows, std::size_t w, std::size_t b) {
    if (gpt2)
      layer_norm_forward(y, mean_.data(), rstd_.data(), x, p + w, p + b, rows, C, eps);
    else
      rms_norm_forward(y, rstd_.data(), x, p + w, rows, C, eps);
  };
  auto bias = [&](std::size_t off) { return off == LayerOffsets::kNone ? nullptr : p + off; };
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(D)));

  for (int l = 0; l < c.n_layers; ++l) {
    const auto& o = layout.layers[static_cast<std::size_t>(l)];
    float* kc = k_cache_.data() + static_cast<i64>(l) * c.max_seq_len * KV;
    float* vc = v_cache_.data() + static_cast<i64>(l) * c.max_seq_len * KV;
    norm(h_.data(), x_.data(), M, o.norm1_w, o.norm1_b);
    linear_forward(qkv_.data(), h_.data(), p + o.qkv_w, bias(o.qkv_b), M, C, QKV);
    if (!gpt2)
      rope_forward_at(qkv_.data(), model_.rope(), M, position_, static_cast<int>(NH),
                      static_cast<int>(NKV), static_cast<int>(D));
    for (i64 n = 0; n < M; ++n) {
      std::memcpy(kc + (position_ + n) * KV, qkv_.data() + n * QKV + NH * D,
                  static_cast<std::size_t>(KV) * sizeof(float));
      std::memcpy(vc + (position_ + n) * KV, qkv_.data() + n * QKV + (NH + NKV) * D,
                  static_cast<std::size_t>(KV) * sizeof(float));
    }
    // Causal attention of each new row over the cache (positions 0 .. its own).
    for (i64 n = 0; n < M; ++n) {
      const i64 visible = position_ + n + 1;
      for (i64 h = 0; h < NH; ++h) {
        const float* q = qkv_.data() + n * QKV + h * D;
        const i64 g = h / group;
        float mx = -INFINITY;
        for (i64 j = 0; j < visible; ++j) {
          const float* k = kc + j * KV + g * D;
          float s = 0;
          for (i64 d = 0; d < D; ++d) s += q[d] * k[d];
          scores_[static_cast<std::size_t>(j)] = s * scale;
          mx = std::max(mx, s * scale);
        }
        float sum = 0;
        for (i64 j = 0; j < visible; ++j)
          sum += (scores_[static_cast<std::size_t>(j)] =
                      std::exp(scores_[static_cast<std::size_t>(j)] - mx));
        float* out = att_.data() + n * C + h * D;
        std::fill(out, out + D, 0.0f);
        for (i64 j = 0; j < visible; ++j) {
          const float w = scores_[static_cast<std::size_t>(j)] / sum;
          const float* v = vc + j * KV + g * D;
          for (i64 d = 0; d < D; ++d) out[d] += w * v[d];
        }
      }
    }
    linear_forward(x_.data(), att_.data(), p + o.out_w, bias(o.out_b), M, C, C, x_.data());
    norm(h_.data(), x_.data(), M, o.norm2_w, o.norm2_b);
    if (gpt2) {
      linear_forward(fc_.data(), h_.data(), p + o.fc_w, p + o.fc_b, M, C, F);
      gelu_forward(act_.data(), fc_.data(), M * F);
      linear_forward(x_.data(), act_.data(), p + o.proj_w, p + o.proj_b, M, F, C, x_.data());
    } else {
      linear_forward(fc_.data(), h_.data(), p + o.gate_up_w, nullptr, M, C, 2 * F);
      swiglu_forward(act_.data(), fc_.data(), M, F);
      linear_forward(x_.data(), act_.data(), p + o.down_w, nullptr, M, F, C, x_.data());
    }
  }
  position_ += static_cast<int>(M);
  // Only the last row's logits are needed.
  const float* last = x_.data() + (M - 1) * C;
  norm(h_.data(), last, 1, layout.norm_f_w, layout.norm_f_b);
  linear_forward(logits_.data(), h_.data(), p + layout.lm_head, nullptr, 1, C, Vp);
  return logits_;
}

int sample_token(std::span<const float> logits, int vocab, const SamplingOptions& options,
                 std::mt19937_64& rng) {
  if (options.temperature <= 0 || options.top_k == 1)
    return static_cast<int>(std::max_element(logits.begin(), logits.begin() + vocab) -
                            logits.begin());
  std::vector<int> ids(static_cast<std::size_t>(vocab));
  std::iota(ids.begin(), ids.end(), 0);
  std::sort(ids.begin(), ids.end(), [&](int a, int b) {
    return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
  });
  std::size_t keep = ids.size();
  if (options.top_k > 0) keep = std::min(keep, static_cast<std::size_t>(options.top_k));
  std::vector<double> prob(keep);
  const double top = logits[ids[0]];
  double total = 0;
  for (std::size_t i = 0; i < keep; ++i)
    total += (prob[i] = std::exp((logits[ids[i]] - top) / options.temperature));
  if (options.top_p < 1.0) {
    double cum = 0;
    for (std::size_t i = 0; i < keep; ++i) {
      cum += prob[i] / total;
      if (cum >= options.top_p) {
        keep = i + 1;
        break;
      }
    }
    total = 0;
    for (std::size_t i = 0; i < keep; ++i) total += prob[i];
  }
  // A uniform double from 53 random bits (std::uniform_real_distribution is
  // implementation-defined).
  const double u = static_cast<double>(rng() >> 11) * 0x1.0p-53 * total;
  double cum = 0;
  for (std::size_t i = 0; i < keep; ++i) {
    cum += prob[i];
    if (u < cum) return ids[i];
  }
  return ids[keep - 1];
}

}  // namespace borealis::model
