#pragma once
// AdamW with decoupled weight decay, step for step as torch.optim.AdamW
// (torch 1.13, single-tensor path) computes it, in float32:
//   p *= 1 - lr·wd                       (tensors marked decay only)
//   m  = m + (1 - β1)(g - m)             (lerp)
//   v  = β2·v + (1 - β2)·g²
//   p -= lr/(1 - β1^t) · m / (sqrt(v)/sqrt(1 - β2^t) + eps)
// m and v share the parameters' flat layout, so checkpoints and ZeRO
// sharding treat all three alike: an AdamW may own one range of the flat
// array (ZeRO-1: this rank's shard), keeping m and v for that range only and
// updating only those parameters.

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
  // Owns [begin, end) of the flat array (default: all of it).
  AdamW(const model::ParameterLayout& layout, AdamWSettings settings, std::size_t begin = 0,
        std::size_t end = ~std::size_t{0});

  // One update, at learning rate `lr`, of every parameter in the owned range
  // (params and grads are the whole flat arrays), with each gradient taken
  // as grad_scale · g (clipping's factor, clip_factor: applied here rather
  // than in a pass of its own over the gradients; the same float product).
  void step(std::span<float> params, std::span<const float> grads, double lr, float grad_scale = 1.0f);
  std::size_t begin() const { return begin_; }
  std::size_t end() const { return end_; }

  std::uint64_t steps() const { return t_; }
  // m and v of the owned range: element i is flat index begin() + i.
  std::span<float> m() { return m_; }
  std::span<float> v() { return v_; }
  std::span<const float> m() const { return m_; }
  std::span<const float> v() const { return v_; }
  void set_steps(std::uint64_t t) { t_ = t; }
  const AdamWSettings& settings() const { return settings_; }

 private:
  const model::ParameterLayout& layout_;
  AdamWSettings settings_;
  std::size_t begin_, end_;
  std::vector<float> m_, v_;
  std::uint64_t t_ = 0;
};

// sqrt(Σ g²) over the layout's tensors, summed in double.
double gradient_norm(const model::ParameterLayout& layout, std::span<const float> grads);
// torch.nn.utils.clip_grad_norm_'s factor: max_norm / (norm + 1e-6) when
// norm > max_norm (and max_norm > 0), else 1.
float clip_factor(double norm, double max_norm);
// Scales every gradient by clip_factor(norm, max_norm). Returns the norm
// before clipping.
double clip_gradients(const model::ParameterLayout& layout, std::span<float> grads,
                      double max_norm);

}  // namespace borealis::train
