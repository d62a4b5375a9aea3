#pragma once
// The Megatron reference datasets in tests/data/megatron: .idx files written by
// Megatron-LM's own _IndexWriter, with their document lengths as .npy. The
// .bin files are not stored (their tokens are irrelevant to the index); tests
// stage the .idx in a temp dir beside a sparse .bin of the right size.

#include <sys/types.h>
#include <unistd.h>

#include <filesystem>
#include <numeric>
#include <string>
#include <vector>

#include "borealis/io/npy.h"
#include "test_util.h"

namespace borealis::test {

struct ReferenceDataset {
  std::string name;      // e.g. "single"
  std::string idx_path;  // the Megatron-written .idx
  std::vector<std::int32_t> lengths;
  std::uint64_t tokens() const {
    return std::accumulate(lengths.begin(), lengths.end(), std::uint64_t{0});
  }
};

inline std::vector<ReferenceDataset> reference_datasets() {
  std::vector<ReferenceDataset> out;
  const std::vector<std::pair<std::string, std::vector<std::string>>> groups = {
      {"megatron/inputs", {"single", "blend_a", "blend_b", "blend_c"}},
      {"megatron/mds/inputs", {"alpha_0", "alpha_1", "beta_0", "beta_1", "gamma_0"}},
  };
  for (const auto& [dir, names] : groups) {
    for (const auto& name : names) {
      const std::string base = data_dir() + "/" + dir + "/" + name;
      auto npy = io::read_npy(base + "_doc_lengths.npy");
      out.push_back({name, base + ".idx", npy.as<std::int32_t>()});
    }
  }
  return out;
}

// Copies the reference .idx into `dir` with a sparse uint16 .bin; returns the prefix.
inline std::string stage_reference(const ReferenceDataset& ref, const TempDir& dir) {
  const std::string prefix = dir / ref.name;
  std::filesystem::copy_file(ref.idx_path, prefix + ".idx",
                             std::filesystem::copy_options::overwrite_existing);
  write_bytes(prefix + ".bin", {});
  std::filesystem::resize_file(prefix + ".bin", ref.tokens() * 2);
  return prefix;
}

}  // namespace borealis::test
