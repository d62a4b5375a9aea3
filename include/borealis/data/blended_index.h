#pragma once
// A blended training index over many tokenized datasets, in one of the two
// flavours Megatron users have (see gpt_index.h):
//
// Megatron-LM (BlendedMegatronDatasetBuilder, split "1,0,0"):
//   one dataset without a weight: its GPT index with exactly N samples;
//   otherwise weights w = normalize(weights), dataset i gets a GPT index of
//   ceil(ceil(N*w_i) * 1.005) samples, and the blend of size sum ceil(N*w_i)
//   follows the schedule of blend_schedule.h with the weights normalised again.
//
// Megatron-DeepSpeed, ALCF (AuroraGPT's --data-file-list of "weight prefix
// corpus" lines): file weights are divided by their left-to-right sum, file j
// gets ceil(N*w_j*1.005) samples; files are grouped into corpora (sorted by
// name); inside a corpus the files are concatenated (or blended with weights
// n_j/n_c when blend_sample_in_corpus) and optionally shuffled with a fresh
// RandomState(seed) (shuffle_sample_in_corpus); the corpora are blended with
// weights n_c / sum n, normalised by numpy.sum.
//
// Every array is kept under the name and dtype Megatron gives it, so
// export_npy() writes a folder that compares byte for byte with Megatron's.

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "borealis/data/gpt_index.h"
#include "borealis/io/npy.h"

namespace borealis::data {

struct BlendSource {
  std::string prefix;             // dataset prefix (PREFIX.idx / PREFIX.bin)
  std::optional<double> weight;   // Megatron-LM: optional; data file lists: required
  std::string corpus;             // Megatron-DeepSpeed data file lists only
};

struct BlendOptions {
  IndexFlavor flavor = IndexFlavor::kMegatronLm;
  std::uint64_t sequence_length = 0;
  std::uint64_t num_samples = 0;
  std::uint32_t seed = 1234;
  bool blend_sample_in_corpus = false;    // Megatron-DeepSpeed only
  bool shuffle_sample_in_corpus = false;  // Megatron-DeepSpeed only
};

// One dataset (file) of the blend and its GPT index.
struct BlendedDataset {
  std::string prefix;
  std::string corpus;      // Megatron-DeepSpeed only
  double weight = 0;       // as normalised by the flavour's first rule
  std::uint64_t requested = 0;  // num_samples asked of its GPT index
  GptIndexOptions options;      // what its GPT index is built with
  GptIndex index;               // plan always; arrays once built
  std::string cache_entry;      // in an index folder: the file holding its arrays
};

// A corpus (Megatron-DeepSpeed): its files and how its samples are ordered.
struct BlendedCorpus {
  std::string name;
  std::vector<std::size_t> datasets;  // indices into BlendedIndex::datasets, in list order
  std::uint64_t samples = 0;
  // Which file and file sample each corpus sample is (stored only when files
  // are blended inside the corpus; concatenated files are found from
  // `starts`), and the corpus shuffle. Narrow dtypes; Megatron's are <i8.
  io::NpyArray dataset_index, dataset_sample_index, shuffle_index;
  std::vector<std::uint64_t> starts;  // first corpus sample of each file, concatenated
};

struct BlendedIndex {
  BlendOptions options;
  std::vector<BlendedDataset> datasets;
  std::vector<BlendedCorpus> corpora;  // Megatron-DeepSpeed only
  // The top-level blend (absent for a single unweighted Megatron-LM dataset):
  // over datasets (Megatron-LM) or corpora (Megatron-DeepSpeed), in the
  // narrowest dtypes (packed in an index folder); Megatron's are <i2/<i8
  // and <i8/<i8, which export_npy writes.
  std::optional<io::NpyArray> dataset_index, dataset_sample_index;
  // What the top-level schedule is computed from (empty: no blend).
  std::vector<double> blend_weights;
  std::uint64_t blend_size = 0;
  std::vector<std::uint64_t> blend_counts;  // realised: samples per top-level dataset or corpus

  std::uint64_t size() const;  // global samples

  // Where global sample k comes from: dataset (file), and the sample number
  // inside that dataset's GPT index (before its shuffle).
  struct Origin {
    std::size_t dataset;
    std::uint64_t sample;
  };
  Origin origin(std::uint64_t k) const;

  // Every array under Megatron's relative file names (the reference layout):
  // single dataset: document_index.npy, sample_index.npy, shuffle_index.npy;
  // Megatron-LM blend: dataset_index.npy, dataset_sample_index.npy, ds{k}/...;
  // Megatron-DeepSpeed: files/<name>/{doc_idx,sample_idx,shuffle_idx}.npy,
  // corpus{k}_<name>/..., top_dataset_index.npy, top_dataset_sample_index.npy.
  std::map<std::string, const io::NpyArray*> arrays() const;

  // The blend arrays in blend_array_layout() order (top level, then each
  // corpus's three); the top-level ones are created empty if absent.
  std::vector<io::NpyArray*> blend_array_slots();
};

// The three steps of build_blended_index, for callers that cache or share
// the work: plan (weights, sample counts, each dataset's GptIndexPlan; cheap),
// the blend arrays (top level and corpora; they need only the plans), and
// each dataset's GPT index arrays (independent of each other).
// Fills each corpus's `starts` from its files' requested samples.
void set_corpus_starts(BlendedIndex& index);

BlendedIndex plan_blended_index(const std::vector<BlendSource>& sources,
                                const std::vector<DatasetStats>& stats, const BlendOptions& options);
void build_blend_arrays(BlendedIndex& index);

// The blend arrays in the order they are generated: the top-level
// dataset_index and dataset_sample_index, then for each corpus its
// dataset_index, dataset_sample_index and shuffle_index.
struct ArrayLayout {
  std::string descr;                 // the dtype generated (and held in memory)
  std::vector<std::uint64_t> shape;
  std::uint64_t bound = 0;           // every value is below it (0: unknown); index folders pack to its bits
};
std::vector<ArrayLayout> blend_array_layout(const BlendedIndex& index);
// Receives the blend arrays chunk by chunk: `bytes` for array `array` (in
// blend_array_layout order) starting at element `at`.
class ArraySink {
 public:
  virtual ~ArraySink() = default;
  virtual void write(std::size_t array, std::uint64_t at, std::span<const std::byte> bytes) = 0;
};
// Generates the blend arrays into `sink` in chunks (memory: one chunk, plus
// one corpus's shuffle when shuffling), so a blend of billions of samples
// never has to fit in memory. Throws when a dataset would be oversampled.
// Returns how many samples the top level takes from each of its datasets
// (Megatron-LM) or corpora (Megatron-DeepSpeed).
std::vector<std::uint64_t> generate_blend_arrays(const BlendedIndex& index, ArraySink& sink);
// A schedule's dataset_sample_index[k] (its dataset's count before sample
// k), from the array kept whole or as counts per block (2-D: one row of
// every dataset's count per 1,024 samples; see blend_array_layout), and
// Megatron's whole array (int64) from either.
std::uint64_t scheduled_count(const io::NpyArray& dataset_index, const io::NpyArray& dataset_sample_index,
                              std::uint64_t k);
io::NpyArray full_scheduled_counts(const io::NpyArray& dataset_index, const io::NpyArray& dataset_sample_index);
// The same in independent parts, for building them on different threads
// (the sink must then take writes from several threads): the top-level
// schedule, and each corpus's arrays (Megatron-DeepSpeed).
std::vector<std::uint64_t> generate_blend_schedule(const BlendedIndex& index, ArraySink& sink);
void generate_corpus_arrays(const BlendedIndex& index, std::size_t corpus, ArraySink& sink);
void build_dataset_arrays(BlendedDataset& dataset, const std::vector<std::int32_t>& lengths);

// Builds the index from each source's sequence lengths. `lengths[i]` are the
// token counts of sources[i]'s documents (its .idx). Throws borealis::Error
// on bad weights, empty corpora, oversampling and the like.
BlendedIndex build_blended_index(const std::vector<BlendSource>& sources,
                                 const std::vector<std::vector<std::int32_t>>& lengths,
                                 const BlendOptions& options);

// Writes every array of arrays() as a .npy file under `dir` (created).
void export_npy(const BlendedIndex& index, const std::string& dir);

// Parses an AuroraGPT data file list: "weight prefix corpus" per non-blank
// line; a ".bin" suffix is dropped and relative prefixes are taken relative
// to the list's folder.
std::vector<BlendSource> read_data_file_list(const std::string& path);

}  // namespace borealis::data
