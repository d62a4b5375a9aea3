#pragma once
// A decoder-only transformer (gpt2 or llama family, see model_config.h) with
// explicit forward and backward passes over one flat parameter array and one
// flat gradient array (layout: parameter_layout.h). Activations for a batch
// shape are allocated on first use and kept for backward.
//
//   Transformer model(config);
//   model.init_weights(seed);
//   double loss = model.forward(tokens, targets, B, T);   // [B, T] each
//   model.zero_grad();  model.backward();                  // gradients()
//
// Threads: OpenMP (OMP_NUM_THREADS), OpenBLAS shares its pool.

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "borealis/model/layers.h"
#include "borealis/model/model_config.h"
#include "borealis/model/parameter_layout.h"

namespace borealis::model {

class Transformer {
 public:
  explicit Transformer(const ModelConfig& config);

  const ModelConfig& config() const { return config_; }
  const ParameterLayout& layout() const { return layout_; }
  std::span<float> parameters() { return params_; }
  std::span<const float> parameters() const { return params_; }
  std::span<float> gradients() { return grads_; }
  std::span<const float> gradients() const { return grads_; }
  const RopeTable& rope() const { return rope_; }  // llama only

  // GPT-2's initialisation: weights N(0, 0.02), the two projections that
  // feed the residual stream N(0, 0.02/sqrt(2·layers)), biases 0, norm
  // weights 1, padded vocabulary rows 0. Deterministic given the seed.
  void init_weights(std::uint64_t seed);

  // tokens and targets are [B, T], row-major; targets may be empty (then the
  // result is NaN and backward() may not be called). Tokens must be below
  // vocab_size and T at most max_seq_len (checked; borealis::Error).
  // Pass::training says backward() follows: the cross-entropy then leaves
  // d loss/d logits in place of the logits as it computes the loss (one pass
  // over them instead of two), and logits() holds those.
  enum class Pass { inference, training };
  double forward(std::span<const std::int32_t> tokens, std::span<const std::int32_t> targets, int B,
                 int T, Pass pass = Pass::inference);
  // [B·T, padded_vocab] logits of the last forward(); backward() and a
  // training forward() overwrite them.
  std::span<const float> logits() const;
  int batch() const { return B_; }
  int seq_len() const { return T_; }

  void zero_grad();
  // Adds d(loss_scale · loss)/dθ of the last forward() to gradients().
  // on_ready(offset, count), when given, hears each range of the flat
  // gradient array as soon as backward is done with it (the final norm and
  // untied head first, then the layers from the last, then the embeddings):
  // data parallel training starts exchanging those while backward goes on.
  using GradientsReady = std::function<void(std::size_t offset, std::size_t count)>;
  void backward(float loss_scale = 1.0f, const GradientsReady& on_ready = {});

  // Attention keeps its probabilities from forward for backward while all
  // layers' fit in this many bytes (B·heads·T²/2 floats a layer: 69 MB for
  // the benchmark model); past it, backward recomputes them from the
  // log-sum-exp. Both give the same gradients up to rounding.
  static constexpr std::size_t kDefaultAttentionStoreLimit = std::size_t{512} << 20;
  void set_attention_store_limit(std::size_t bytes);

 private:
  void allocate(int B, int T);
  float* probs(int layer);  // null when attention recomputes

  ModelConfig config_;
  ParameterLayout layout_;
  RopeTable rope_;
  std::vector<float> params_, grads_;

  int B_ = 0, T_ = 0, allocated_rows_ = 0, allocated_T_ = 0;
  std::size_t attention_store_limit_ = kDefaultAttentionStoreLimit;
  std::size_t att_probs_per_layer_ = 0;
  std::vector<float> att_probs_;  // L × attention_probability_floats(B, T, heads), or empty
  bool have_targets_ = false;
  bool logits_are_gradient_ = false;  // a training forward() left d loss/d logits (mean over rows)
  std::vector<std::int32_t> tokens_, targets_;
  // Activations, per layer where indexed by layer (sizes in allocate()).
  std::vector<float>
      resid_;  // (L+1) × N × C: the residual stream entering each layer, and the last
  std::vector<float> n1_, n2_;                                // L × N × C: norm outputs
  std::vector<float> n1_mean_, n1_rstd_, n2_mean_, n2_rstd_;  // L × N
  std::vector<float> qkv_;                                    // L × N × QKV (after RoPE)
  std::vector<float> att_, att_lse_;                          // L × N × C, L × B × NH × T
  std::vector<float> mid_;                     // L × N × C: residual after attention
  std::vector<float> fc_, act_;                // L × N × (F or 2F), L × N × F
  std::vector<float> nf_, nf_mean_, nf_rstd_;  // N × C, N, N
  std::vector<float> logits_, ce_lse_;         // N × Vp, N
  // Backward scratch.
  std::vector<float> d_resid_, d_norm_, d_att_, d_qkv_, d_fc_, d_act_;
};

}  // namespace borealis::model
