#include "borealis/dist/input_split.h"

#include <algorithm>
#include <numeric>

#include <fmt/format.h>

#include "borealis/util/error.h"

namespace borealis::dist {

std::vector<std::size_t> split_by_size(const std::vector<std::uint64_t>& sizes, int parts) {
  if (parts < 1) throw Error(fmt::format("split: {} parts (need at least 1)", parts));
  const std::size_t n = sizes.size();
  const auto p = static_cast<unsigned>(parts);
  // 128-bit so that byte offsets times the part count cannot overflow.
  using Wide = unsigned __int128;
  const Wide total = std::accumulate(sizes.begin(), sizes.end(), Wide{0});
  std::vector<std::size_t> bounds(p + 1, n);
  bounds[0] = 0;
  Wide before = 0;
  std::size_t next_part = 1;  // first part whose start is not set yet
  for (std::size_t i = 0; i < n; ++i) {
    // The part holding the input's middle byte: twice the midpoint over twice
    // the total (no halves to round), a midpoint on a boundary going to the
    // earlier part (so one input alone goes to part 0, not the last).
    Wide part;
    if (total == 0) {
      part = Wide{i} * p / n;
    } else {
      const Wide scaled = (2 * before + sizes[i]) * p;
      part = scaled == 0 ? 0 : (scaled - 1) / (2 * total);
    }
    const auto owner = static_cast<std::size_t>(std::min<Wide>(part, p - 1));
    // Owners never decrease with i, so parts are contiguous; parts skipped
    // over start (and end) here, empty.
    for (; next_part <= owner; ++next_part) bounds[next_part] = i;
    before += sizes[i];
  }
  return bounds;
}

}  // namespace borealis::dist
