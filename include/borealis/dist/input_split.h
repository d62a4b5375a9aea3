#pragma once
// How ranks share an ordered list of input files: contiguous runs, so that
// concatenating the ranks' outputs in rank order gives exactly what one
// process would have written over the whole list.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace borealis::dist {

// Cuts inputs with the given sizes (bytes) into `parts` contiguous runs of
// roughly equal total size. Returns parts + 1 boundaries: part p is
// [bounds[p], bounds[p + 1]) and may be empty (more parts than inputs, or
// one input larger than the rest together). Deterministic: the same sizes
// always give the same cut. Each input goes to the part its middle byte
// falls in (the earlier part on a tie); when every size is 0, inputs are
// spread by count instead.
std::vector<std::size_t> split_by_size(const std::vector<std::uint64_t>& sizes, int parts);

}  // namespace borealis::dist
