#include "borealis/data/blend_schedule.h"

#include <algorithm>

#include "borealis/util/error.h"

namespace borealis::data {

BlendSchedule build_blend_schedule(std::span<const double> weights, std::uint64_t size) {
  if (weights.empty()) throw Error("a blend needs at least one dataset");
  const std::size_t n = weights.size();
  BlendSchedule s;
  s.dataset_index.resize(size);
  s.dataset_sample_index.resize(size);
  s.counts.assign(n, 0);
  std::vector<double> count(n, 0.0);  // counts as doubles: (double)current_samples[i] in the helper
  for (std::uint64_t k = 0; k < size; ++k) {
    const double kk = std::max(static_cast<double>(k), 1.0);
    std::size_t best = 0;
    double best_error = weights[0] * kk - count[0];
    for (std::size_t i = 1; i < n; ++i) {
      const double error = weights[i] * kk - count[i];
      if (error > best_error) {
        best = i;
        best_error = error;
      }
    }
    s.dataset_index[k] = static_cast<std::uint32_t>(best);
    s.dataset_sample_index[k] = static_cast<std::int64_t>(s.counts[best]);
    ++s.counts[best];
    count[best] += 1.0;
  }
  return s;
}

}  // namespace borealis::data
