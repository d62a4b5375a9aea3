#pragma once
// The training tests' data: 400 documents of 50-249 tokens that count
// upwards modulo 61 from a random start (learnable: the next token is the
// last one plus one), as PREFIX = DIR/counting, and an index folder DIR/index
// over it with samples of 32 tokens.

#include <random>
#include <string>
#include <vector>

#include "borealis/data/index_folder.h"
#include "borealis/data/indexed_dataset_writer.h"
#include "test_util.h"

namespace borealis::test {

inline std::string make_counting_index(const TempDir& dir, std::uint64_t samples) {
  const std::string prefix = dir / "counting";
  {
    data::IndexedDatasetWriter w(prefix, data::DType::kUInt16);
    std::mt19937 rng(3);
    for (int d = 0; d < 400; ++d) {
      std::vector<std::uint16_t> doc(static_cast<std::size_t>(50 + rng() % 200));
      std::uint16_t v = static_cast<std::uint16_t>(rng() % 61);
      for (auto& t : doc) t = v = static_cast<std::uint16_t>((v + 1) % 61);
      w.add_document(std::span<const std::uint16_t>(doc));
    }
    w.finish();
  }
  data::BlendOptions blend;
  blend.sequence_length = 32;
  blend.num_samples = samples;
  blend.seed = 7;
  const std::string index = dir / "index";
  data::build_index_folder(index, {data::BlendSource{prefix, std::nullopt, ""}}, blend);
  return index;
}

}  // namespace borealis::test
