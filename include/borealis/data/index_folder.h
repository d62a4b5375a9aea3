#pragma once
// A built blended index on disk: one folder that is both the index a trainer
// opens and the cache that makes rebuilding cheap.
//
//   DIR/index.json                  what the index is (options, inputs with
//                                   their identity, each dataset's plan and
//                                   entry, the blend entry), written last
//   DIR/datasets/<key>.gpt          one GPT index per dataset + its plan
//   DIR/blends/<key>.blend          the top-level blend (and corpus) arrays
//                                   + realised counts
//   DIR/<kind>/locks/NN.lock        64 striped lock files
//
// An entry file starts with a JSON directory (format, size, each array's
// dtype, shape and offset) and holds its arrays bit-packed at 4096-aligned
// offsets, written with O_DIRECT; see docs/index.md. They are smaller than
// Megatron's arrays (every 16th sample_index row, no arrays for
// concatenated corpora); export_npy rebuilds Megatron's.
//
// A dataset's key hashes everything its arrays depend on -- the .idx and
// .bin identity (path, size, mtime) and the .idx header bytes, sequence
// length, seed, extra token, flavour, and the epoch count and last-epoch
// rule the requested samples lead to -- but not the requested samples
// themselves, so asking for more samples reuses every dataset whose epochs
// do not change. The blend key hashes the dataset keys, weights and sizes.
//
// Entries are built under a temporary name and renamed into place, each
// under an exclusive flock on one of the striped lock files: concurrent
// builders (threads, processes, MPI ranks on a shared file system with
// flock support) wait for each other, never read half-written arrays and
// never build the same entry twice. A crash leaves only a temporary file,
// which the next builder of that entry overwrites.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "borealis/data/blended_index.h"

namespace borealis::data {

struct IndexBuildOptions {
  unsigned threads = 1;  // datasets built at once
  // Under MPI: rank r starts with its own share of the datasets (and the
  // locks sort out the rest), so ranks build disjoint sets.
  int rank = 0;
  int world = 1;
  // Called (under a lock, from any build thread) after each dataset is ready.
  std::function<void(std::uint64_t datasets_done, std::uint64_t datasets_total)> progress;
};

struct IndexBuildReport {
  std::uint64_t datasets_built = 0;
  std::uint64_t datasets_reused = 0;  // found complete in the folder (or built by another process)
  bool blend_built = false;
  bool blend_reused = false;
  double sync_seconds = 0;  // waiting for the disk to take the entries (one syncfs)
};

// Builds (or completes) the index in `dir` and returns it planned, with the
// blend arrays loaded but dataset arrays not (see load_dataset_arrays).
// Throws borealis::Error naming the input for a missing or inconsistent
// .idx/.bin, bad weights, and what build_blended_index refuses.
BlendedIndex build_index_folder(const std::string& dir, const std::vector<BlendSource>& sources,
                                const BlendOptions& options, const IndexBuildOptions& build = {},
                                IndexBuildReport* report = nullptr);

// Opens the index in `dir` (its index.json), checking that no input changed
// since it was built; the blend arrays are loaded.
BlendedIndex open_index_folder(const std::string& dir);

// Reads dataset i's three arrays from the folder into index.datasets[i].index.
void load_dataset_arrays(const std::string& dir, BlendedIndex& index, std::size_t i);

}  // namespace borealis::data
