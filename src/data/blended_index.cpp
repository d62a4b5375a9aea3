#include "borealis/data/blended_index.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "borealis/data/blend_schedule.h"
#include "borealis/data/index_array.h"
#include "borealis/data/indexed_dataset.h"
#include "borealis/data/numpy_random.h"
#include "borealis/data/numpy_sum.h"
#include "borealis/io/read_file.h"
#include "borealis/util/error.h"
#include "borealis/util/large_array.h"

namespace borealis::data {

namespace {

constexpr double kSurplus = 0.005;  // Megatron's mid_level_dataset_surplus; 1.005 in MDS

void check_weight(double w, const std::string& prefix) {
  if (!std::isfinite(w) || w <= 0)
    throw Error(fmt::format("{}: weight {} is not a positive number", prefix, w));
}

GptIndexOptions gpt_options(const BlendOptions& o, std::optional<std::uint64_t> samples) {
  GptIndexOptions g;
  g.sequence_length = o.sequence_length;
  g.num_samples = samples;
  g.seed = o.seed;
  g.flavor = o.flavor;
  return g;
}

BlendedDataset plan_one(const BlendSource& source, const DatasetStats& lengths,
                        const GptIndexOptions& options, double weight, std::uint64_t requested) {
  BlendedDataset d;
  d.prefix = source.prefix;
  d.corpus = source.corpus;
  d.weight = weight;
  d.requested = requested;
  d.options = options;
  try {
    d.index.plan = plan_gpt_index(lengths, options);
  } catch (const Error& e) {
    throw Error(fmt::format("{}: {}", source.prefix, e.what()));
  }
  return d;
}

void plan_megatron_lm(BlendedIndex& index, const std::vector<BlendSource>& sources,
                      const std::vector<DatasetStats>& lengths) {
  const BlendOptions& o = index.options;
  const bool weighted = std::any_of(sources.begin(), sources.end(), [](const auto& s) { return s.weight.has_value(); });
  if (weighted && !std::all_of(sources.begin(), sources.end(), [](const auto& s) { return s.weight.has_value(); }))
    throw Error("give a weight for every dataset or for none");
  if (sources.size() == 1 && !weighted) {
    index.datasets.push_back(plan_one(sources[0], lengths[0], gpt_options(o, o.num_samples), 1.0, o.num_samples));
    return;
  }
  if (sources.size() > 32767) throw Error("Megatron-LM blends at most 32767 datasets (int16 dataset index)");
  std::vector<double> weights;
  if (weighted) {
    for (const auto& s : sources) {
      check_weight(*s.weight, s.prefix);
      weights.push_back(*s.weight);
    }
    weights = numpy_normalize(weights);
    index.blend_size = 0;
    for (std::size_t i = 0; i < sources.size(); ++i) {
      const double target = std::ceil(static_cast<double>(o.num_samples) * weights[i]);
      const auto requested = static_cast<std::uint64_t>(std::ceil(target * (1 + kSurplus)));
      index.blend_size += static_cast<std::uint64_t>(target);
      index.datasets.push_back(plan_one(sources[i], lengths[i], gpt_options(o, requested), weights[i], requested));
    }
  } else {
    // Megatron-LM without weights: one epoch of each, weighted by its length.
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < sources.size(); ++i) {
      index.datasets.push_back(plan_one(sources[i], lengths[i], gpt_options(o, std::nullopt), 0, 0));
      weights.push_back(static_cast<double>(index.datasets.back().index.plan.samples));
      total += index.datasets.back().index.plan.samples;
    }
    weights = numpy_normalize(weights);
    for (std::size_t i = 0; i < sources.size(); ++i) index.datasets[i].weight = weights[i];
    index.blend_size = std::min(o.num_samples, total);
  }
  index.blend_weights = numpy_normalize(weights);  // BlendedDataset normalises again
}

void plan_megatron_deepspeed(BlendedIndex& index, const std::vector<BlendSource>& sources,
                             const std::vector<DatasetStats>& lengths) {
  const BlendOptions& o = index.options;
  double weight_sum = 0.0;  // Python's left-to-right sum, as dataset_utils.py does
  for (const auto& s : sources) {
    if (!s.weight) throw Error(fmt::format("{}: a data file list needs a weight on every line", s.prefix));
    check_weight(*s.weight, s.prefix);
    if (s.corpus.empty()) throw Error(fmt::format("{}: a data file list needs a corpus on every line", s.prefix));
    weight_sum += *s.weight;
  }
  std::uint64_t total = 0;
  for (std::size_t j = 0; j < sources.size(); ++j) {
    const double w = *sources[j].weight / weight_sum;
    const auto requested =
        static_cast<std::uint64_t>(std::ceil(static_cast<double>(o.num_samples) * w * (1 + kSurplus)));
    total += requested;
    index.datasets.push_back(plan_one(sources[j], lengths[j], gpt_options(o, requested), w, requested));
  }
  std::set<std::string> names;
  for (const auto& src : sources) names.insert(src.corpus);
  std::vector<double> corpus_weights;
  for (const std::string& name : names) {
    BlendedCorpus c;
    c.name = name;
    for (std::size_t j = 0; j < index.datasets.size(); ++j) {
      if (index.datasets[j].corpus != name) continue;
      c.datasets.push_back(j);
      c.samples += index.datasets[j].requested;
      const auto& d = index.datasets[j];
      if (d.requested > d.index.plan.samples)
        throw Error(fmt::format("{}: corpus {} takes {} samples but the dataset has {}", d.prefix, name, d.requested,
                                d.index.plan.samples));
    }
    corpus_weights.push_back(static_cast<double>(c.samples) / static_cast<double>(total));
    index.corpora.push_back(std::move(c));
  }
  index.blend_weights = numpy_normalize(corpus_weights);  // BlendableDataset normalises by numpy.sum
  index.blend_size = total;
  set_corpus_starts(index);
}

}  // namespace

void set_corpus_starts(BlendedIndex& index) {
  for (BlendedCorpus& c : index.corpora) {
    c.starts.clear();
    std::uint64_t at = 0;
    for (std::size_t j : c.datasets) {
      c.starts.push_back(at);
      at += index.datasets.at(j).requested;
    }
  }
}

BlendedIndex plan_blended_index(const std::vector<BlendSource>& sources,
                                const std::vector<DatasetStats>& lengths, const BlendOptions& options) {
  if (sources.empty()) throw Error("no datasets to index");
  if (sources.size() != lengths.size()) throw Error("plan_blended_index: one length list per source");
  if (options.num_samples == 0) throw Error("--num-samples must be at least 1");
  if (options.sequence_length == 0) throw Error("--seq-length must be at least 1");
  BlendedIndex index;
  index.options = options;
  if (options.flavor == IndexFlavor::kMegatronLm) plan_megatron_lm(index, sources, lengths);
  else plan_megatron_deepspeed(index, sources, lengths);
  return index;
}

namespace {

// A schedule's dataset_sample_index (how many samples its dataset had given
// before sample k) is a running count of dataset_index. With few datasets
// it is kept as that count at every kCountBlock-th sample, one row of all
// datasets' counts per block, and origin() counts the rest within the
// block: at 2T tokens that is 7 MB instead of 1.8 GB (a fifth of the whole
// index folder), for about 500 array reads per looked-up sample.
// export_npy rebuilds Megatron's full array. With many datasets the rows
// would outweigh the array, so it is kept whole.
constexpr std::uint64_t kCountBlock = 1024;
constexpr std::size_t kCountRowsUpTo = 64;  // datasets

ArrayLayout schedule_count_layout(std::size_t datasets, std::uint64_t size, std::uint64_t largest_count) {
  if (datasets <= kCountRowsUpTo) {
    const std::uint64_t blocks = (size + kCountBlock - 1) / kCountBlock;
    return {narrowest_index_dtype(size + 1), {blocks, datasets}, size + 1};
  }
  return {narrowest_index_dtype(largest_count), {size}, largest_count};
}

}  // namespace

std::uint64_t scheduled_count(const io::NpyArray& dataset_index, const io::NpyArray& dataset_sample_index,
                              std::uint64_t k) {
  if (dataset_sample_index.shape.size() != 2) return static_cast<std::uint64_t>(index_value(dataset_sample_index, k));
  const auto dataset = index_value(dataset_index, k);
  const std::uint64_t block = k / kCountBlock;
  auto count = static_cast<std::uint64_t>(
      index_value(dataset_sample_index, block * dataset_sample_index.shape[1] + static_cast<std::uint64_t>(dataset)));
  for (std::uint64_t i = block * kCountBlock; i < k; ++i) count += index_value(dataset_index, i) == dataset ? 1 : 0;
  return count;
}

io::NpyArray full_scheduled_counts(const io::NpyArray& dataset_index, const io::NpyArray& dataset_sample_index) {
  if (dataset_sample_index.shape.size() != 2) return convert_index_array(dataset_sample_index, "<i8");
  io::NpyArray out = make_index_array<std::int64_t>({dataset_index.element_count()});
  auto to = elements<std::int64_t>(out);
  std::vector<std::int64_t> seen(dataset_sample_index.shape[1], 0);
  for (std::uint64_t k = 0; k < to.size(); ++k) to[k] = seen[static_cast<std::size_t>(index_value(dataset_index, k))]++;
  return out;
}

std::vector<ArrayLayout> blend_array_layout(const BlendedIndex& index) {
  // Narrower than Megatron's dtypes (export_npy widens them): one byte per
  // sample for a blend of up to 256 datasets or corpora, 32-bit counts; each
  // with its bound, below which an index folder bit-packs it.
  std::vector<ArrayLayout> out;
  if (index.blend_weights.empty()) return out;
  out.push_back({narrowest_index_dtype(index.blend_weights.size()), {index.blend_size}, index.blend_weights.size()});
  out.push_back(schedule_count_layout(index.blend_weights.size(), index.blend_size, index.blend_size));
  for (const BlendedCorpus& c : index.corpora) {
    if (index.options.blend_sample_in_corpus) {
      std::uint64_t largest = 0;
      for (std::size_t j : c.datasets) largest = std::max(largest, index.datasets[j].requested);
      out.push_back({narrowest_index_dtype(c.datasets.size()), {c.samples}, c.datasets.size()});
      out.push_back(schedule_count_layout(c.datasets.size(), c.samples, largest));
    } else {  // concatenated: nothing to store, origin() finds the file from BlendedCorpus::starts
      out.push_back({"|u1", {0}, 1});
      out.push_back({"|u1", {0}, 1});
    }
    out.push_back({narrowest_index_dtype(c.samples), {c.samples}, c.samples});
  }
  return out;
}

namespace {

constexpr std::uint64_t kChunk = 1 << 20;  // samples generated at a time

template <typename T>
std::span<const std::byte> as_bytes_of(const std::vector<T>& v, std::size_t n) {
  return {reinterpret_cast<const std::byte*>(v.data()), n * sizeof(T)};
}

// One schedule (the top level, or a corpus blended inside) into arrays
// `first` (dataset index) and `first + 1` (dataset sample index, whole or
// as counts per block), of the dtypes the layout gives them.
std::vector<std::uint64_t> write_schedule(std::span<const double> weights, std::uint64_t size, ArraySink& sink,
                                          std::size_t first, const std::vector<ArrayLayout>& layout) {
  BlendScheduler scheduler(weights);
  const bool rows = layout[first + 1].shape.size() == 2;
  visit_index_type(layout[first].descr, [&]<typename Index>() {
    visit_index_type(layout[first + 1].descr, [&]<typename Count>() {
      std::vector<Index> di(std::min(kChunk, size));
      std::vector<Count> dsi(di.size());
      std::vector<Count> counts;  // the rows, written once at the end (small)
      for (std::uint64_t at = 0; at < size; at += kChunk) {
        const std::size_t n = static_cast<std::size_t>(std::min(kChunk, size - at));
        if (!rows) {
          scheduler.next(std::span<Index>(di.data(), n), std::span<Count>(dsi.data(), n));
        } else {  // kChunk is a multiple of kCountBlock: blocks start inside this chunk
          for (std::size_t b = 0; b < n; b += kCountBlock) {
            for (std::uint64_t c : scheduler.counts()) counts.push_back(static_cast<Count>(c));
            const std::size_t m = std::min<std::size_t>(kCountBlock, n - b);
            scheduler.next(std::span<Index>(di.data() + b, m), std::span<Count>(dsi.data() + b, m));
          }
        }
        sink.write(first, at, as_bytes_of(di, n));
        if (!rows) sink.write(first + 1, at, as_bytes_of(dsi, n));
      }
      if (rows) sink.write(first + 1, 0, as_bytes_of(counts, counts.size()));
    });
  });
  return scheduler.counts();
}

}  // namespace

std::vector<std::uint64_t> generate_blend_schedule(const BlendedIndex& index, ArraySink& sink) {
  if (index.blend_weights.empty()) return {};  // a single unweighted dataset: no blend
  const auto counts = write_schedule(index.blend_weights, index.blend_size, sink, 0, blend_array_layout(index));
  if (index.options.flavor == IndexFlavor::kMegatronLm) {
    for (std::size_t i = 0; i < index.datasets.size(); ++i) {
      if (counts[i] > index.datasets[i].index.plan.samples)
        throw Error(fmt::format("{}: the blend takes {} samples but the dataset has {}", index.datasets[i].prefix,
                                counts[i], index.datasets[i].index.plan.samples));
    }
  }
  return counts;
}

void generate_corpus_arrays(const BlendedIndex& index, std::size_t k, ArraySink& sink) {
  const auto layout = blend_array_layout(index);
  const BlendOptions& o = index.options;
  const BlendedCorpus& c = index.corpora.at(k);
  const std::size_t first = 2 + 3 * k;
  if (o.blend_sample_in_corpus) {
    std::vector<double> within;  // n_j / n_c, not normalised again (as upstream)
    for (std::size_t j : c.datasets)
      within.push_back(static_cast<double>(index.datasets[j].requested) / static_cast<double>(c.samples));
    write_schedule(within, c.samples, sink, first, layout);
  }
  visit_index_type(layout[first + 2].descr, [&]<typename T>() {
    util::LargeArray<T> array(static_cast<std::size_t>(c.samples));
    const std::span<T> shuffle = array.span();
    for (std::uint64_t i = 0; i < c.samples; ++i) shuffle[i] = static_cast<T>(i);
    // A fresh RandomState(seed) per corpus, as upstream: equal-sized corpora
    // get equal permutations. (The permutation does not depend on the dtype.)
    if (o.shuffle_sample_in_corpus) NumpyRandomState(o.seed).shuffle(shuffle);
    sink.write(first + 2, 0, std::as_bytes(shuffle));
  });
}

std::vector<std::uint64_t> generate_blend_arrays(const BlendedIndex& index, ArraySink& sink) {
  const auto counts = generate_blend_schedule(index, sink);
  if (index.options.flavor == IndexFlavor::kMegatronDeepSpeed && !index.blend_weights.empty())
    for (std::size_t k = 0; k < index.corpora.size(); ++k) generate_corpus_arrays(index, k, sink);
  return counts;
}

void build_blend_arrays(BlendedIndex& index) {
  // Into memory: one owned array per layout entry.
  struct MemorySink : ArraySink {
    std::vector<io::NpyArray> arrays;
    void write(std::size_t array, std::uint64_t at, std::span<const std::byte> bytes) override {
      io::NpyArray& a = arrays[array];
      std::copy(bytes.begin(), bytes.end(), a.data.begin() + static_cast<std::ptrdiff_t>(at * index_item_size(a.descr)));
    }
  } sink;
  for (const ArrayLayout& l : blend_array_layout(index)) {
    io::NpyArray a;
    a.descr = l.descr;
    a.shape = l.shape;
    a.data.resize(a.element_count() * index_item_size(l.descr));
    sink.arrays.push_back(std::move(a));
  }
  if (sink.arrays.empty()) return;
  index.blend_counts = generate_blend_arrays(index, sink);
  const auto slots = index.blend_array_slots();
  for (std::size_t i = 0; i < slots.size(); ++i) *slots[i] = std::move(sink.arrays[i]);
}

std::vector<io::NpyArray*> BlendedIndex::blend_array_slots() {
  if (!dataset_index) dataset_index.emplace();
  if (!dataset_sample_index) dataset_sample_index.emplace();
  std::vector<io::NpyArray*> out = {&*dataset_index, &*dataset_sample_index};
  for (auto& c : corpora) {
    out.push_back(&c.dataset_index);
    out.push_back(&c.dataset_sample_index);
    out.push_back(&c.shuffle_index);
  }
  return out;
}

void build_dataset_arrays(BlendedDataset& dataset, const std::vector<std::int32_t>& lengths) {
  try {
    dataset.index = build_gpt_index(lengths, dataset.options);
  } catch (const Error& e) {
    throw Error(fmt::format("{}: {}", dataset.prefix, e.what()));
  }
}

BlendedIndex build_blended_index(const std::vector<BlendSource>& sources,
                                 const std::vector<std::vector<std::int32_t>>& lengths,
                                 const BlendOptions& options) {
  std::vector<DatasetStats> stats;
  for (const auto& l : lengths) stats.push_back(dataset_stats(l));
  BlendedIndex index = plan_blended_index(sources, stats, options);
  build_blend_arrays(index);
  for (std::size_t i = 0; i < index.datasets.size(); ++i) build_dataset_arrays(index.datasets[i], lengths[i]);
  return index;
}

std::uint64_t BlendedIndex::size() const {
  if (dataset_index) return dataset_index->element_count();
  return datasets.at(0).index.plan.samples;
}

BlendedIndex::Origin BlendedIndex::origin(std::uint64_t k) const {
  if (k >= size()) throw Error(fmt::format("sample {} is past the end of the index ({} samples)", k, size()));
  if (!dataset_index) return {0, k};
  const auto top = static_cast<std::size_t>(index_value(*dataset_index, k));
  const std::uint64_t j = scheduled_count(*dataset_index, *dataset_sample_index, k);
  if (corpora.empty()) return {top, j};
  const BlendedCorpus& c = corpora[top];
  const auto s = static_cast<std::uint64_t>(index_value(c.shuffle_index, j));
  if (c.dataset_index.element_count() == 0) {  // files concatenated
    const auto f = static_cast<std::size_t>(std::upper_bound(c.starts.begin(), c.starts.end(), s) - c.starts.begin() - 1);
    return {c.datasets[f], s - c.starts[f]};
  }
  const auto f = static_cast<std::size_t>(index_value(c.dataset_index, s));
  return {c.datasets[f], scheduled_count(c.dataset_index, c.dataset_sample_index, s)};
}

std::map<std::string, const io::NpyArray*> BlendedIndex::arrays() const {
  std::map<std::string, const io::NpyArray*> out;
  if (options.flavor == IndexFlavor::kMegatronDeepSpeed) {
    for (const auto& d : datasets) {
      const std::string dir = "files/" + std::filesystem::path(d.prefix).filename().string() + "/";
      if (out.count(dir + "doc_idx.npy") != 0)
        throw Error(fmt::format("two data files are named {}; the Megatron-DeepSpeed layout needs distinct names",
                                std::filesystem::path(d.prefix).filename().string()));
      out[dir + "doc_idx.npy"] = &d.index.document_index;
      out[dir + "sample_idx.npy"] = &d.index.sample_index;
      out[dir + "shuffle_idx.npy"] = &d.index.shuffle_index;
    }
    for (std::size_t k = 0; k < corpora.size(); ++k) {
      const std::string dir = fmt::format("corpus{}_{}/", k, corpora[k].name);
      out[dir + "dataset_index.npy"] = &corpora[k].dataset_index;
      out[dir + "dataset_sample_index.npy"] = &corpora[k].dataset_sample_index;
      out[dir + "shuffle_index.npy"] = &corpora[k].shuffle_index;
    }
    out["top_dataset_index.npy"] = &*dataset_index;
    out["top_dataset_sample_index.npy"] = &*dataset_sample_index;
    return out;
  }
  if (!dataset_index) {
    out["document_index.npy"] = &datasets[0].index.document_index;
    out["sample_index.npy"] = &datasets[0].index.sample_index;
    out["shuffle_index.npy"] = &datasets[0].index.shuffle_index;
    return out;
  }
  for (std::size_t k = 0; k < datasets.size(); ++k) {
    const std::string dir = fmt::format("ds{}/", k);
    out[dir + "document_index.npy"] = &datasets[k].index.document_index;
    out[dir + "sample_index.npy"] = &datasets[k].index.sample_index;
    out[dir + "shuffle_index.npy"] = &datasets[k].index.shuffle_index;
  }
  out["dataset_index.npy"] = &*dataset_index;
  out["dataset_sample_index.npy"] = &*dataset_sample_index;
  return out;
}

void export_npy(const BlendedIndex& index, const std::string& dir) {
  const bool mds = index.options.flavor == IndexFlavor::kMegatronDeepSpeed;
  auto write = [&](const std::string& name, const io::NpyArray& a) {
    const std::filesystem::path path = std::filesystem::path(dir) / name;
    std::filesystem::create_directories(path.parent_path());
    io::write_npy(path.string(), a.descr, a.shape, a.bytes().data(), a.bytes().size());
  };
  // What each array is in Megatron (ours may be narrower, packed or, for
  // concatenated corpora and the sample index, partly not kept at all).
  std::map<const io::NpyArray*, std::string> megatron;
  std::map<const io::NpyArray*, io::NpyArray> made;
  for (const BlendedDataset& d : index.datasets) {
    if (d.index.sample_index.element_count() == 0) continue;
    const auto sizes = IndexedDataset::open(d.prefix).sequence_lengths();
    const auto longest = sizes.empty() ? 0 : static_cast<std::uint64_t>(*std::max_element(sizes.begin(), sizes.end()));
    const GptIndexDtypes dtypes = gpt_index_dtypes(d.index.plan, longest, index.options.flavor);
    megatron[&d.index.document_index] = dtypes.document_index;
    megatron[&d.index.sample_index] = dtypes.sample_index;
    megatron[&d.index.shuffle_index] = dtypes.shuffle_index;
    made[&d.index.sample_index] = full_sample_index(d.index, sizes, d.options);  // from the kept rows
  }
  if (index.dataset_index) {
    megatron[&*index.dataset_index] = mds ? "<i8" : "<i2";
    megatron[&*index.dataset_sample_index] = "<i8";
    if (index.dataset_sample_index->shape.size() == 2)  // counts per block: the running count in full
      made[&*index.dataset_sample_index] = full_scheduled_counts(*index.dataset_index, *index.dataset_sample_index);
  }
  for (const BlendedCorpus& c : index.corpora) {
    megatron[&c.dataset_index] = megatron[&c.dataset_sample_index] = megatron[&c.shuffle_index] = "<i8";
    if (c.dataset_sample_index.shape.size() == 2)
      made[&c.dataset_sample_index] = full_scheduled_counts(c.dataset_index, c.dataset_sample_index);
    if (c.dataset_index.element_count() != 0 || c.samples == 0) continue;
    io::NpyArray di = make_index_array<std::int64_t>({c.samples}), dsi = make_index_array<std::int64_t>({c.samples});
    auto f = elements<std::int64_t>(di), m = elements<std::int64_t>(dsi);
    for (std::size_t k = 0; k < c.datasets.size(); ++k) {
      const std::uint64_t n = index.datasets[c.datasets[k]].requested;
      for (std::uint64_t i = 0; i < n; ++i) {
        f[c.starts[k] + i] = static_cast<std::int64_t>(k);
        m[c.starts[k] + i] = static_cast<std::int64_t>(i);
      }
    }
    made[&c.dataset_index] = std::move(di);
    made[&c.dataset_sample_index] = std::move(dsi);
  }
  for (const auto& [name, array] : index.arrays()) {
    const io::NpyArray* source = array;
    if (auto it = made.find(array); it != made.end()) source = &it->second;
    const std::string& want = megatron.at(array);
    if (want == source->descr) write(name, *source);
    else write(name, convert_index_array(*source, want));
  }
}

std::vector<BlendSource> read_data_file_list(const std::string& path) {
  const std::string text = io::read_file(path);
  const std::filesystem::path folder = std::filesystem::path(path).parent_path();
  std::vector<BlendSource> sources;
  std::istringstream lines(text);
  std::string line;
  std::size_t line_no = 0;
  while (std::getline(lines, line)) {
    ++line_no;
    std::istringstream fields(line);
    std::vector<std::string> f;
    for (std::string w; fields >> w;) f.push_back(w);
    if (f.empty()) continue;
    if (f.size() != 3) throw_file_error(path, "line {}: expected 'weight prefix corpus', got {} fields", line_no, f.size());
    BlendSource s;
    std::size_t used = 0;
    double w = 0;
    try {
      w = std::stod(f[0], &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != f[0].size()) throw_file_error(path, "line {}: weight '{}' is not a number", line_no, f[0]);
    if (!std::isfinite(w) || w <= 0) throw_file_error(path, "line {}: weight {} is not a positive number", line_no, f[0]);
    s.weight = w;
    std::string prefix = f[1];
    if (prefix.size() > 4 && prefix.ends_with(".bin")) prefix.resize(prefix.size() - 4);
    if (prefix.size() > 4 && prefix.ends_with(".idx")) prefix.resize(prefix.size() - 4);
    std::filesystem::path p(prefix);
    s.prefix = p.is_absolute() ? p.lexically_normal().string() : (folder / p).lexically_normal().string();
    s.corpus = f[2];
    sources.push_back(std::move(s));
  }
  if (sources.empty()) throw_file_error(path, "lists no data files");
  return sources;
}

}  // namespace borealis::data
