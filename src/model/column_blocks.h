#pragma once
// Sums down the rows of a [N, C] array (bias, norm-weight and embedding
// gradients) split by column blocks across threads: no two threads write the
// same entry, each row segment is contiguous, and every sum runs in row
// order, so the result does not depend on the thread count.

#include <algorithm>
#include <cstdint>

namespace borealis::model {

inline constexpr std::int64_t kColumnBlock = 64;

// Number of blocks of [0, C), and block blk's end (it starts at blk · kColumnBlock).
inline std::int64_t column_block_count(std::int64_t C) { return (C + kColumnBlock - 1) / kColumnBlock; }
inline std::int64_t column_block_end(std::int64_t C, std::int64_t blk) {
  return std::min(C, (blk + 1) * kColumnBlock);
}

// body(c0, c1) for each block [c0, c1) of [0, C), c1 - c0 <= kColumnBlock, in parallel.
template <typename Body>
void for_column_blocks(std::int64_t C, Body&& body) {
  const std::int64_t blocks = column_block_count(C);
#pragma omp parallel for schedule(static)
  for (std::int64_t blk = 0; blk < blocks; ++blk) body(blk * kColumnBlock, column_block_end(C, blk));
}

// The same from inside a parallel region (every thread of it must call
// this): blocks handed out one at a time, so a thread that arrives first
// starts first.
template <typename Body>
void share_column_blocks(std::int64_t C, Body&& body) {
  const std::int64_t blocks = column_block_count(C);
#pragma omp for schedule(dynamic)
  for (std::int64_t blk = 0; blk < blocks; ++blk) body(blk * kColumnBlock, column_block_end(C, blk));
}

}  // namespace borealis::model
