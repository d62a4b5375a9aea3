#pragma once
// Sums down the rows of a [N, C] array (bias, norm-weight and embedding
// gradients) split by column blocks across threads: no two threads write the
// same entry, each row segment is contiguous, and every sum runs in row
// order, so the result does not depend on the thread count.

#include <algorithm>
#include <cstdint>

namespace borealis::model {

inline constexpr std::int64_t kColumnBlock = 64;

// body(c0, c1) for each block [c0, c1) of [0, C), c1 - c0 <= kColumnBlock, in parallel.
template <typename Body>
void for_column_blocks(std::int64_t C, Body&& body) {
  const std::int64_t blocks = (C + kColumnBlock - 1) / kColumnBlock;
#pragma omp parallel for schedule(static)
  for (std::int64_t blk = 0; blk < blocks; ++blk)
    body(blk * kColumnBlock, std::min(C, (blk + 1) * kColumnBlock));
}

}  // namespace borealis::model
