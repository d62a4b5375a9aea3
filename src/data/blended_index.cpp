#include "borealis/data/blended_index.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "borealis/data/blend_schedule.h"
#include "borealis/data/index_array.h"
#include "borealis/data/numpy_random.h"
#include "borealis/data/numpy_sum.h"
#include "borealis/io/read_file.h"
#include "borealis/util/error.h"

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

template <typename T>
io::NpyArray to_array(const std::vector<std::uint32_t>& values) {
  io::NpyArray a = make_index_array<T>({values.size()});
  auto out = elements<T>(a);
  for (std::size_t i = 0; i < values.size(); ++i) out[i] = static_cast<T>(values[i]);
  return a;
}

io::NpyArray to_array(const std::vector<std::int64_t>& values) {
  io::NpyArray a = make_index_array<std::int64_t>({values.size()});
  std::copy(values.begin(), values.end(), elements<std::int64_t>(a).begin());
  return a;
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
}

}  // namespace

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

void build_blend_arrays(BlendedIndex& index) {
  if (index.blend_weights.empty()) return;  // a single unweighted dataset: no blend
  const BlendSchedule top = build_blend_schedule(index.blend_weights, index.blend_size);
  if (index.options.flavor == IndexFlavor::kMegatronLm) {
    for (std::size_t i = 0; i < index.datasets.size(); ++i) {
      if (top.counts[i] > index.datasets[i].index.plan.samples)
        throw Error(fmt::format("{}: the blend takes {} samples but the dataset has {}", index.datasets[i].prefix,
                                top.counts[i], index.datasets[i].index.plan.samples));
    }
    index.dataset_index = to_array<std::int16_t>(top.dataset_index);
    index.dataset_sample_index = to_array(top.dataset_sample_index);
    return;
  }
  index.dataset_index = to_array<std::int64_t>(top.dataset_index);
  index.dataset_sample_index = to_array(top.dataset_sample_index);
  const BlendOptions& o = index.options;
  for (BlendedCorpus& c : index.corpora) {
    std::vector<std::int64_t> di, dsi;
    di.reserve(c.samples);
    dsi.reserve(c.samples);
    if (o.blend_sample_in_corpus) {
      std::vector<double> within;  // n_j / n_c, not normalised again (as upstream)
      for (std::size_t j : c.datasets)
        within.push_back(static_cast<double>(index.datasets[j].requested) / static_cast<double>(c.samples));
      const BlendSchedule s = build_blend_schedule(within, c.samples);
      di.assign(s.dataset_index.begin(), s.dataset_index.end());
      dsi = s.dataset_sample_index;
    } else {
      for (std::size_t f = 0; f < c.datasets.size(); ++f)
        for (std::uint64_t m = 0; m < index.datasets[c.datasets[f]].requested; ++m) {
          di.push_back(static_cast<std::int64_t>(f));
          dsi.push_back(static_cast<std::int64_t>(m));
        }
    }
    c.dataset_index = to_array(di);
    c.dataset_sample_index = to_array(dsi);
    c.shuffle_index = make_index_array<std::int64_t>({c.samples});
    auto shuffle = elements<std::int64_t>(c.shuffle_index);
    for (std::uint64_t i = 0; i < c.samples; ++i) shuffle[i] = static_cast<std::int64_t>(i);
    // A fresh RandomState(seed) per corpus, as upstream: equal-sized corpora get equal permutations.
    if (o.shuffle_sample_in_corpus) NumpyRandomState(o.seed).shuffle(shuffle);
  }
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
  const auto j = static_cast<std::uint64_t>(index_value(*dataset_sample_index, k));
  if (corpora.empty()) return {top, j};
  const BlendedCorpus& c = corpora[top];
  const auto s = static_cast<std::uint64_t>(index_value(c.shuffle_index, j));
  const auto f = static_cast<std::size_t>(index_value(c.dataset_index, s));
  return {c.datasets[f], static_cast<std::uint64_t>(index_value(c.dataset_sample_index, s))};
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
  for (const auto& [name, array] : index.arrays()) {
    const std::filesystem::path path = std::filesystem::path(dir) / name;
    std::filesystem::create_directories(path.parent_path());
    io::write_npy(path.string(), array->descr, array->shape, array->data.data(), array->data.size());
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
