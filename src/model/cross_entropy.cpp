// Softmax cross-entropy over the real vocabulary columns of padded logits.

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "borealis/model/layers.h"
#include "vector_math.h"

namespace borealis::model {

double cross_entropy_forward(float* lse, const float* logits, const std::int32_t* targets, std::int64_t N,
                             std::int64_t V, std::int64_t Vp) {
  // Per-row losses summed afterwards in row order: the mean does not depend
  // on how OpenMP split the rows (a reduction clause would).
  std::vector<double> row_loss(static_cast<std::size_t>(N));
#pragma omp parallel for schedule(static)
  for (std::int64_t n = 0; n < N; ++n) {
    const float* row = logits + n * Vp;
    const float mx = vmath::max_of(row, V);
    const double l = mx + std::log(static_cast<double>(vmath::sum_exp_sub(row, V, mx)));
    lse[n] = static_cast<float>(l);
    row_loss[static_cast<std::size_t>(n)] = l - row[targets[n]];
  }
  double total = 0;
  for (double l : row_loss) total += l;
  return total / static_cast<double>(N);
}

double cross_entropy_fused(float* logits, const std::int32_t* targets, std::int64_t N,
                           std::int64_t V, std::int64_t Vp, float scale) {
  std::vector<double> row_loss(static_cast<std::size_t>(N));
#pragma omp parallel for schedule(static)
  for (std::int64_t n = 0; n < N; ++n) {
    float* row = logits + n * Vp;
    const float target_logit = row[targets[n]];
    const float mx = vmath::max_of(row, V);
    const float sum = vmath::exp_sub_sum(row, V, mx);  // the row is now exp(x - max)
    row_loss[static_cast<std::size_t>(n)] =
        mx + std::log(static_cast<double>(sum)) - target_logit;
    vmath::scale_then_clear(row, V, scale / sum, Vp);
    row[targets[n]] -= scale;
  }
  double total = 0;
  for (double l : row_loss) total += l;
  return total / static_cast<double>(N);
}

void cross_entropy_backward(float* logits, const float* lse, const std::int32_t* targets,
                            std::int64_t N, std::int64_t V, std::int64_t Vp, float scale) {
#pragma omp parallel for schedule(static)
  for (std::int64_t n = 0; n < N; ++n) {
    float* row = logits + n * Vp;
    const float l = lse[n];
    vmath::exp_sub_scale(row, V, l, scale);
    row[targets[n]] -= scale;
    for (std::int64_t v = V; v < Vp; ++v) row[v] = 0.0f;
  }
}

}  // namespace borealis::model
