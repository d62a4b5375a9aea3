#pragma once
// Training samples from a built index folder (index_folder.h): global sample
// k -> its sequence_length + 1 tokens, gathered from the memory-mapped .bin
// files, with where they came from; and Megatron's pretraining sampler, which
// cuts the global order into batches per data-parallel rank and resumes
// exactly from a count of consumed samples.
//
// A dataset sample m is row p = shuffle_index[m] of sample_index: it starts
// at document_index[d0], token o0 and ends at document_index[d1], token
// o1 + 1 (the extra token), taking every document in between whole.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "borealis/data/blended_index.h"
#include "borealis/data/indexed_dataset.h"

namespace borealis::data {

class GptSampleLoader {
 public:
  // Opens the index in `dir` and every dataset it names (arrays are read
  // into memory; .bin files are mapped).
  static GptSampleLoader open(const std::string& dir);

  std::uint64_t size() const { return index_.size(); }
  std::uint64_t sequence_length() const { return index_.options.sequence_length; }
  const BlendedIndex& index() const { return index_; }

  // Appends the sequence_length + 1 tokens of global sample k to `out`.
  void sample(std::uint64_t k, std::vector<std::uint32_t>& out) const;

  struct Provenance {
    std::size_t dataset = 0;     // position in the index's dataset list
    std::string prefix, corpus;
    std::uint64_t dataset_sample = 0;  // sample number inside the dataset (before its shuffle)
    std::uint64_t document = 0;        // document id where the sample starts
    std::uint64_t offset = 0;          // token offset in that document
  };
  Provenance provenance(std::uint64_t k) const;

 private:
  SampleBounds bounds(std::size_t dataset, std::uint64_t sample) const;  // sample before the dataset's shuffle index
  BlendedIndex index_;
  std::vector<std::shared_ptr<IndexedDataset>> datasets_;
};

// Megatron's MegatronPretrainingSampler: from `consumed_samples` on, global
// samples are taken in blocks of micro_batch * data_parallel_size; rank r
// gets block[r * micro_batch, (r + 1) * micro_batch). A partial last block
// is dropped. Resuming with the consumed count continues exactly.
class PretrainingSampler {
 public:
  PretrainingSampler(std::uint64_t total_samples, std::uint64_t consumed_samples, std::uint64_t micro_batch,
                     std::uint64_t data_parallel_rank, std::uint64_t data_parallel_size);
  // This rank's next micro-batch of global sample numbers; false when none is left.
  bool next(std::vector<std::uint64_t>& samples);
  std::uint64_t consumed_samples() const { return consumed_; }

 private:
  std::uint64_t total_, consumed_, micro_, rank_, world_;
};

}  // namespace borealis::data
