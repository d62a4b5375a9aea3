// Softmax cross-entropy over the real vocabulary columns of padded logits.

#include <algorithm>
#include <cmath>
#include <limits>

#include "borealis/model/layers.h"

namespace borealis::model {

double cross_entropy_forward(float* lse, const float* logits, const std::int32_t* targets,
                             std::int64_t N, std::int64_t V, std::int64_t Vp) {
  double total = 0;
#pragma omp parallel for schedule(static) reduction(+ : total)
  for (std::int64_t n = 0; n < N; ++n) {
    const float* row = logits + n * Vp;
    float mx = -std::numeric_limits<float>::infinity();
    for (std::int64_t v = 0; v < V; ++v) mx = std::max(mx, row[v]);
    double sum = 0;
    for (std::int64_t v = 0; v < V; ++v) sum += std::exp(static_cast<double>(row[v] - mx));
    const double l = mx + std::log(sum);
    lse[n] = static_cast<float>(l);
    total += l - row[targets[n]];
  }
  return total / static_cast<double>(N);
}

void cross_entropy_backward(float* logits, const float* lse, const std::int32_t* targets,
                            std::int64_t N, std::int64_t V, std::int64_t Vp, float scale) {
#pragma omp parallel for schedule(static)
  for (std::int64_t n = 0; n < N; ++n) {
    float* row = logits + n * Vp;
    const float l = lse[n];
    for (std::int64_t v = 0; v < V; ++v) row[v] = std::exp(row[v] - l) * scale;
    row[targets[n]] -= scale;
    for (std::int64_t v = V; v < Vp; ++v) row[v] = 0.0f;
  }
}

}  // namespace borealis::model
