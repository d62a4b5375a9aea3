#pragma once
// The three arrays Megatron's GPTDataset builds for one tokenized dataset,
// bit for bit (Megatron-LM megatron/core/datasets/gpt_dataset.py and
// helpers.cpp; the ALCF Megatron-DeepSpeed copy differs only in dtypes):
//
//   document_index  the document ids of every epoch, each epoch's order
//                   shuffled (int32)
//   sample_index    (samples + 1) x 2: for each sample boundary, the position
//                   in document_index and the token offset in that document
//   shuffle_index   a permutation of the samples (uint32)
//
// With T tokens per epoch, sequence length L and x = 1 extra token (each
// sample is L + 1 tokens, consecutive samples share one):
//   epochs E     = the least E >= 1 with E*T >= N*L + x (1 without N)
//   samples      = (E*T - x) / L
//   when E > 1, the last epoch is shuffled separately if it holds fewer than
//   int(0.80 * (T - x) / L) of the N samples: its documents are shuffled on
//   their own, and so are its samples.
// One numpy RandomState(seed) feeds, in order: the document shuffle(s), then
// the sample shuffle(s).

#include <cstdint>
#include <functional>
#include <optional>
#include <span>

#include "borealis/io/npy.h"

namespace borealis::data {

// Whose conventions: Megatron-LM (NVIDIA, megatron/core/datasets) or the
// ALCF Megatron-DeepSpeed that trains AuroraGPT (megatron/data).
enum class IndexFlavor { kMegatronLm, kMegatronDeepSpeed };

struct GptIndexOptions {
  std::uint64_t sequence_length = 0;         // L
  std::optional<std::uint64_t> num_samples;  // N; none: exactly one epoch
  std::uint32_t seed = 1234;
  bool add_extra_token = true;  // x = 1: samples of L + 1 tokens (GPT training)
  IndexFlavor flavor = IndexFlavor::kMegatronLm;
};

// What an index will be, computed from the token count alone.
struct GptIndexPlan {
  std::uint64_t documents = 0;
  std::uint64_t tokens_per_epoch = 0;
  std::uint64_t epochs = 0;
  bool separate_final_epoch = false;
  std::uint64_t samples_sans_final_epoch = 0;  // samples of the first E-1 epochs (when separate)
  std::uint64_t samples = 0;                   // len(dataset) in Megatron; >= N
};

// Megatron's sample_index has a row for every sample boundary. GptIndex
// keeps every kSampleIndexStride-th row (its row r is Megatron's row
// r * stride) and sample_bounds() walks the documents from the nearest kept
// row, at most stride - 1 samples of one or two documents each. At 2T
// tokens that is 0.5 GB to write instead of 7.8 (int32) or 15.6 GB
// (Megatron-DeepSpeed's int64); full_sample_index() rebuilds Megatron's.
inline constexpr std::uint64_t kSampleIndexStride = 16;

struct GptIndex {
  GptIndexPlan plan;
  io::NpyArray document_index;  // <i4 (<i8 past 2^31 - 1 documents)
  io::NpyArray sample_index;    // (samples / stride + 1, 2): <i4 when Megatron-LM's would be, else <i8
  io::NpyArray shuffle_index;   // <u4 (<i8 from 2^32 - 2 samples)
};

// A sample boundary: a position in document_index and a token offset in
// that document (a row of Megatron's sample_index).
struct SamplePosition {
  std::uint64_t document = 0;
  std::uint64_t offset = 0;
};
// Rows s and s + 1 of Megatron's sample_index (s < plan.samples): sample s
// is the tokens from `first` to `second` (plus the extra token). `length(d)`
// is the token count of document id d.
struct SampleBounds {
  SamplePosition first, second;
};
SampleBounds sample_bounds(const GptIndex& index, const std::function<std::int64_t(std::uint64_t)>& length,
                           const GptIndexOptions& options, std::uint64_t s);
// Megatron's whole sample_index, in the dtype kept.
io::NpyArray full_sample_index(const GptIndex& index, std::span<const std::int32_t> sizes,
                               const GptIndexOptions& options);

// What planning needs to know of a dataset (its .idx lengths, summed).
struct DatasetStats {
  std::uint64_t documents = 0;
  std::uint64_t tokens = 0;
};
DatasetStats dataset_stats(std::span<const std::int32_t> sizes);  // throws on a negative length

// `sizes`: the token count of every sequence (document) of the dataset, as
// in its .idx. Throws borealis::Error for an empty dataset or one that
// yields no sample, and for a sequence length of 0.
GptIndexPlan plan_gpt_index(const DatasetStats& stats, const GptIndexOptions& options);

// The numpy dtypes of the three arrays for a plan: Megatron's choices, and
// 64-bit wherever Megatron's 32-bit arrays would overflow.
struct GptIndexDtypes {
  const char* document_index;  // "<i4", or "<i8" past 2^31 - 1 documents
  const char* sample_index;    // Megatron-LM: "<i4" if max(len(document_index), longest) fits; else "<i8"
  const char* shuffle_index;   // "<u4" below 2^32 - 2 samples, else "<i8"
};
GptIndexDtypes gpt_index_dtypes(const GptIndexPlan& plan, std::uint64_t longest_document, IndexFlavor flavor);
GptIndexPlan plan_gpt_index(std::span<const std::int32_t> sizes, const GptIndexOptions& options);
GptIndex build_gpt_index(std::span<const std::int32_t> sizes, const GptIndexOptions& options);

}  // namespace borealis::data
