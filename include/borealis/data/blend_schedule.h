#pragma once
// Megatron's blending schedule (helpers.cpp build_blending_indices): sample k
// of a blend goes to the dataset furthest behind its share,
//   argmax_i  w_i * max(k, 1) - count_i   (ties: the lowest i),
// evaluated in double exactly as the C++ helper does (each product and
// difference rounded on its own; this file is built with -ffp-contract=off
// like the rest of the library, so no fused multiply-add changes a bit).
// dataset_index[k] is that i, dataset_sample_index[k] its count before k.
//
// The plain loop is O(samples x datasets). For many datasets we keep the
// exact same decisions with a lazy bound: e_i <= w_i * kk - count_i is
// re-evaluated only for datasets whose bound could beat the current best
// (see blend_schedule.cpp).

#include <cstdint>
#include <span>
#include <vector>

namespace borealis::data {

struct BlendSchedule {
  std::vector<std::uint32_t> dataset_index;
  std::vector<std::int64_t> dataset_sample_index;
  std::vector<std::uint64_t> counts;  // samples taken from each dataset
};

// `weights` as Megatron passes them (already normalised by the caller's rule).
BlendSchedule build_blend_schedule(std::span<const double> weights, std::uint64_t size);

}  // namespace borealis::data
