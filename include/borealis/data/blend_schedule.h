#pragma once
// Megatron's blending schedule (helpers.cpp build_blending_indices): sample k
// of a blend goes to the dataset furthest behind its share,
//   argmax_i  w_i * max(k, 1) - count_i   (ties: the lowest i),
// evaluated in double exactly as the C++ helper does (each product and
// difference rounded on its own; the library is built with
// -ffp-contract=off, so no fused multiply-add changes a bit).
// dataset_index[k] is that i, dataset_sample_index[k] its count before k.
//
// Like Megatron's loop, this looks at every dataset for every sample. Two
// faster designs were measured and dropped: a kinetic tournament tree
// (O(log datasets) per sample in theory) did 71 node updates per sample at
// 2,419 datasets and was slower than this scan at every size, because the
// leading datasets' error lines cross nearly every sample; an AVX2 branch-free
// scan was no faster at 14 datasets, where the loop-carried chain through the
// counts, not the arithmetic, sets the pace (about 25 ns per sample).
//
// The schedule is sequential but needs only one count per dataset, so
// BlendScheduler hands it out in chunks: a blend of billions of samples is
// written to disk without ever being held in memory.

#include <cstdint>
#include <span>
#include <vector>

namespace borealis::data {

class BlendScheduler {
 public:
  // `weights` as Megatron passes them (already normalised by the caller's rule).
  explicit BlendScheduler(std::span<const double> weights);

  // The next dataset_index.size() decisions (both spans the same size).
  template <typename Index, typename Count>
  void next(std::span<Index> dataset_index, std::span<Count> dataset_sample_index) {
    for (std::size_t j = 0; j < dataset_index.size(); ++j) {
      const std::size_t best = pick();
      dataset_index[j] = static_cast<Index>(best);
      dataset_sample_index[j] = static_cast<Count>(counts_[best]);
      ++counts_[best];
      count_[best] += 1.0;
      ++k_;
    }
  }
  // Samples taken from each dataset so far.
  const std::vector<std::uint64_t>& counts() const { return counts_; }

 private:
  std::size_t pick() const {
    const double kk = k_ > 1 ? static_cast<double>(k_) : 1.0;
    std::size_t best = 0;
    double best_error = weights_[0] * kk - count_[0];
    for (std::size_t i = 1; i < weights_.size(); ++i) {
      const double error = weights_[i] * kk - count_[i];
      if (error > best_error) {
        best = i;
        best_error = error;
      }
    }
    return best;
  }

  std::vector<double> weights_;
  std::vector<double> count_;  // (double)current_samples[i], as in the helper
  std::vector<std::uint64_t> counts_;
  std::uint64_t k_ = 0;
};

struct BlendSchedule {
  std::vector<std::uint32_t> dataset_index;
  std::vector<std::int64_t> dataset_sample_index;
  std::vector<std::uint64_t> counts;  // samples taken from each dataset
};

// The whole schedule in memory (tests, small blends).
BlendSchedule build_blend_schedule(std::span<const double> weights, std::uint64_t size);

}  // namespace borealis::data
