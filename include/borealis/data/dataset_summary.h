#pragma once
// Length statistics of an IndexedDataset, for `borealis data inspect`.

#include <cstdint>
#include <vector>

namespace borealis::data {

class IndexedDataset;

struct LengthBucket {
  std::uint64_t lo = 0;  // inclusive
  std::uint64_t hi = 0;  // exclusive
  std::uint64_t count = 0;
};

struct DatasetSummary {
  std::uint64_t sequences = 0;
  std::uint64_t documents = 0;
  std::uint64_t tokens = 0;
  std::uint64_t empty_sequences = 0;
  std::int64_t min_length = 0;
  std::int64_t max_length = 0;
  double mean_length = 0.0;
  // Power-of-two buckets: [0,1), [1,2), [2,4), [4,8), ... ; only non-empty
  // buckets between the first and last non-empty one are listed.
  std::vector<LengthBucket> histogram;
};

// One pass over the length array; O(sequences), no .bin access.
DatasetSummary summarize(const IndexedDataset& dataset);

}  // namespace borealis::data
