#pragma once
// What the ranks of a parallel `borealis tokenize` leave on disk, and joining
// it: rank r of N writes the dataset PREFIX.rank{r}-of-{N}; rank 0 may merge
// them, in rank order, into PREFIX.

#include <string>
#include <vector>

#include "borealis/data/indexed_dataset_merge.h"

namespace borealis::dist {

// PREFIX.rank{r}-of-{N}, r zero-padded to the digits of N so that a shell
// glob (PREFIX.rank*-of-N.idx) and `borealis data merge DIR` list the ranks
// in order.
std::string rank_output_prefix(const std::string& prefix, int rank, int size);

struct RankMergeSummary {
  data::MergeSummary merged;
  bool reused = false;  // the output already held exactly these inputs
};

// merge_indexed_datasets(output, inputs), then OUTPUT.done.json recording
// the inputs' and the output's files (path, size, mtime). When that record
// still matches -- the rank outputs were reused, not rewritten, and the
// output is untouched -- nothing is redone. The record is removed before a
// merge starts, so an interrupted merge is never taken as complete.
RankMergeSummary merge_rank_outputs(const std::string& output_prefix,
                                    const std::vector<std::string>& rank_prefixes,
                                    const data::MergeProgress& progress = {});

}  // namespace borealis::dist
