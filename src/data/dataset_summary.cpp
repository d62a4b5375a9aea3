#include "borealis/data/dataset_summary.h"

#include <array>
#include <bit>
#include <limits>

#include "borealis/data/indexed_dataset.h"

namespace borealis::data {

DatasetSummary summarize(const IndexedDataset& dataset) {
  DatasetSummary s;
  s.sequences = dataset.sequence_count();
  s.documents = dataset.document_count();
  s.tokens = dataset.token_count();
  std::array<std::uint64_t, 34> buckets{};  // bucket 0: length 0; bucket k: [2^(k-1), 2^k)
  std::int64_t lo = std::numeric_limits<std::int64_t>::max();
  std::int64_t hi = 0;
  std::uint64_t sum = 0;
  const auto lengths = dataset.lengths_bytes();
  for (std::uint64_t i = 0; i < s.sequences; ++i) {
    std::int32_t len;
    std::memcpy(&len, lengths.data() + 4 * i, 4);
    const std::int64_t v = len < 0 ? 0 : len;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    sum += static_cast<std::uint64_t>(v);
    if (v == 0) ++s.empty_sequences;
    ++buckets[static_cast<std::size_t>(std::bit_width(static_cast<std::uint64_t>(v)))];
  }
  if (s.sequences > 0) {
    s.min_length = lo;
    s.max_length = hi;
    s.mean_length = static_cast<double>(sum) / static_cast<double>(s.sequences);
    std::size_t first = 0;
    std::size_t last = buckets.size() - 1;
    while (buckets[first] == 0) ++first;
    while (buckets[last] == 0) --last;
    for (std::size_t k = first; k <= last; ++k) {
      LengthBucket b;
      b.lo = k == 0 ? 0 : (std::uint64_t{1} << (k - 1));
      b.hi = std::uint64_t{1} << k;
      b.count = buckets[k];
      s.histogram.push_back(b);
    }
  }
  return s;
}

}  // namespace borealis::data
