#pragma once
// Concatenates Megatron datasets into one, as Megatron's merge tool does:
// sequences in input order, pointers rebased onto the joined .bin, document
// indices offset by the sequences before them. Unlike the Python tool it keeps
// nothing per sequence in memory -- the .idx arrays are streamed input by
// input -- and all counts and offsets are 64-bit.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace borealis::data {

struct MergeSummary {
  std::uint64_t sequences = 0;
  std::uint64_t documents = 0;
  std::uint64_t tokens = 0;
  std::uint64_t bin_bytes = 0;
};

// Called after each input with (inputs done, inputs total, bytes copied so far).
using MergeProgress = std::function<void(std::size_t, std::size_t, std::uint64_t)>;

// True when the two prefixes name the same files (same path, a different
// spelling of it, or a link to it). Used to refuse merging an output into itself.
bool is_same_dataset(const std::string& a, const std::string& b);

// All inputs must share one dtype and agree on having sequence modes. The
// output appears (atomically) only when complete.
MergeSummary merge_indexed_datasets(const std::string& output_prefix,
                                    const std::vector<std::string>& input_prefixes,
                                    const MergeProgress& progress = {});

}  // namespace borealis::data
