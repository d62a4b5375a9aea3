#include "borealis/train/adamw.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "borealis/util/lane_sum.h"

namespace borealis::train {

AdamW::AdamW(const model::ParameterLayout& layout, AdamWSettings settings, std::size_t begin,
             std::size_t end)
    : layout_(layout),
      settings_(settings),
      begin_(std::min(begin, layout.total())),
      end_(std::max(begin_, std::min(end, layout.total()))),
      m_(end_ - begin_, 0.0f),
      v_(end_ - begin_, 0.0f) {}

void AdamW::step(std::span<float> params, std::span<const float> grads, double lr, float grad_scale) {
  ++t_;
  const auto& s = settings_;
  const double t = static_cast<double>(t_);
  const float step_size = static_cast<float>(lr / (1.0 - std::pow(s.beta1, t)));
  const float bias2_sqrt = static_cast<float>(std::sqrt(1.0 - std::pow(s.beta2, t)));
  const float one_minus_b1 = static_cast<float>(1.0 - s.beta1);
  const float b2 = static_cast<float>(s.beta2), one_minus_b2 = static_cast<float>(1.0 - s.beta2);
  const float eps = static_cast<float>(s.eps);
  const float decay = static_cast<float>(1.0 - lr * s.weight_decay);
  for (const auto& tensor : layout_.tensors()) {
    const std::size_t b = std::max(begin_, tensor.offset),
                      e = std::min(end_, tensor.offset + tensor.size);
    if (b >= e) continue;  // outside the owned range
    float* p = params.data() + b;
    const float* g = grads.data() + b;
    float* m = m_.data() + (b - begin_);
    float* v = v_.data() + (b - begin_);
    const bool decays = tensor.decay && s.weight_decay != 0.0;
    const auto n = static_cast<std::int64_t>(e - b);
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < n; ++i) {
      const float gi = g[i] * grad_scale;
      if (decays) p[i] *= decay;
      m[i] += one_minus_b1 * (gi - m[i]);
      v[i] = v[i] * b2 + one_minus_b2 * (gi * gi);
      const float denom = std::sqrt(v[i]) / bias2_sqrt + eps;
      p[i] -= step_size * (m[i] / denom);
    }
  }
}

double gradient_norm(const model::ParameterLayout& layout, std::span<const float> grads) {
  // Fixed chunks summed in order, so the norm -- and through clipping, the
  // weights -- do not depend on the thread count or OpenMP's reduction order.
  constexpr std::int64_t kChunk = 1 << 14;
  double total = 0;
  std::vector<double> partial;
  for (const auto& tensor : layout.tensors()) {
    const float* g = grads.data() + tensor.offset;
    const auto n = static_cast<std::int64_t>(tensor.size);
    const std::int64_t chunks = (n + kChunk - 1) / kChunk;
    partial.assign(static_cast<std::size_t>(chunks), 0.0);
#pragma omp parallel for schedule(static)
    for (std::int64_t c = 0; c < chunks; ++c) {
      partial[static_cast<std::size_t>(c)] = util::sum_of_squares(g + c * kChunk, std::min(kChunk, n - c * kChunk));
    }
    for (double p : partial) total += p;
  }
  return std::sqrt(total);
}

float clip_factor(double norm, double max_norm) {
  return max_norm > 0 && norm > max_norm ? static_cast<float>(max_norm / (norm + 1e-6)) : 1.0f;
}

double clip_gradients(const model::ParameterLayout& layout, std::span<float> grads,
                      double max_norm) {
  const double norm = gradient_norm(layout, grads);
  if (const float scale = clip_factor(norm, max_norm); scale != 1.0f) {
    for (const auto& tensor : layout.tensors()) {
      float* g = grads.data() + tensor.offset;
      const auto n = static_cast<std::int64_t>(tensor.size);
#pragma omp parallel for schedule(static)
      for (std::int64_t i = 0; i < n; ++i) g[i] *= scale;
    }
  }
  return norm;
}

}  // namespace borealis::train
