#pragma once
// AdamW with decoupled weight decay, step for step as torch.optim.AdamW
// (torch 1.13, single-tensor path) computes it, in float32:
//   p *= 1 - lr·wd                       (tensors marked decay only)
//   m  = m + (1 - β1)(g - m)             (lerp)
//   v  = β2·v + (1 - β2)·g²
//   p -= lr/(1 - β1^t) · m / (sqrt(v)/sqrt(1 - β2^t) + eps)
// m and v share the parameters' flat layout, so checkpoints and ZeRO
// sharding treat all three alike.

#include <cstdint>
#include <span>
#include <vector>

#include "borealis/model/parameter_layout.h"

namespace borealis::train {

struct AdamWSettings {
  double beta1 = 0.9;
  double beta2 = 0.95;
  double eps = 1e-8;
  double weight_decay = 0.1;
};

class AdamW {
 public:
  AdamW(const model::ParameterLayout& layout, AdamWSettings settings);

  // One update of every tensor in the layout at learning rate `lr`.
  void step(std::span<float> params, std::span<const float> grads, double lr);

  std::uint64_t steps() const { return t_; }
  std::span<float> m() { return m_; }
  std::span<float> v() { return v_; }
  std::span<const float> m() const { return m_; }
  std::span<const float> v() const { return v_; }
  void set_steps(std::uint64_t t) { t_ = t; }
  const AdamWSettings& settings() const { return settings_; }

 private:
  const model::ParameterLayout& layout_;
  AdamWSettings settings_;
  std::vector<float> m_, v_;
  std::uint64_t t_ = 0;
};

// sqrt(Σ g²) over the layout's tensors, summed in double.
double gradient_norm(const model::ParameterLayout& layout, std::span<const float> grads);
// torch.nn.utils.clip_grad_norm_: when norm > max_norm, scales every gradient
// by max_norm / (norm + 1e-6). Returns the norm before clipping.
double clip_gradients(const model::ParameterLayout& layout, std::span<float> grads,
                      double max_norm);

}  // namespace borealis::train
