// `borealis index build|inspect`: Megatron-identical blended training indices.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "borealis/data/blended_index.h"
#include "borealis/data/index_array.h"
#include "borealis/data/index_folder.h"
#include "borealis/data/sample_loader.h"
#include "borealis/dist/mpi_world.h"
#include "borealis/tokenize/tokenizer_loader.h"
#include "borealis/util/error.h"
#include "borealis/util/progress.h"
#include "commands.h"

namespace borealis::cli {

namespace {

using util::format_count;

struct BuildOptions {
  std::vector<std::string> data;
  std::vector<std::string> weights;
  std::string data_file_list;
  std::string flavor = "megatron-lm";
  std::uint64_t seq_length = 0;
  std::uint64_t num_samples = 0;
  std::uint32_t seed = 1234;
  bool blend_in_corpus = false;
  bool shuffle_in_corpus = false;
  std::string out;
  std::string export_npy;
  unsigned threads = 0;
  bool json = false;
};

double parse_weight(const std::string& text) {
  std::size_t used = 0;
  double w = 0;
  try {
    w = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || text.empty())
    throw Error(fmt::format("--weights: '{}' is not a number", text));
  if (!std::isfinite(w) || w <= 0)
    throw Error(fmt::format("--weights: {} is not a positive number", text));
  return w;
}

std::vector<data::BlendSource> sources_of(const BuildOptions& opt) {
  if (!opt.data_file_list.empty()) {
    if (!opt.data.empty()) throw Error("give --data or --data-file-list, not both");
    return data::read_data_file_list(opt.data_file_list);
  }
  if (opt.data.empty()) throw Error("no datasets: give --data PREFIX... or --data-file-list FILE");
  if (!opt.weights.empty() && opt.weights.size() != opt.data.size())
    throw Error(fmt::format("{} weights for {} datasets; give one weight per --data prefix",
                            opt.weights.size(), opt.data.size()));
  std::vector<data::BlendSource> sources;
  for (std::size_t i = 0; i < opt.data.size(); ++i) {
    data::BlendSource s;
    s.prefix = data::dataset_prefix(opt.data[i]);
    if (!opt.weights.empty()) s.weight = parse_weight(opt.weights[i]);
    sources.push_back(s);
  }
  return sources;
}

}  // namespace

// Realised vs requested share of each corpus (or dataset), from the blend's counts.
void print_index_mix(const data::BlendedIndex& index) {
  const std::uint64_t total = index.size();
  std::vector<std::uint64_t> counts = index.blend_counts;
  if (counts.empty()) counts = {total};  // one dataset, no blend
  fmt::print("{:<40} {:>10} {:>10} {:>12} {:>8}\n", index.corpora.empty() ? "dataset" : "corpus",
             "requested", "realised", "samples", "epochs");
  auto row = [&](const std::string& name, double requested, std::uint64_t count,
                 const std::string& epochs) {
    fmt::print(
        "{:<40} {:>9.3f}% {:>9.3f}% {:>12} {:>8}\n", name, 100 * requested,
        100 * static_cast<double>(count) / static_cast<double>(std::max<std::uint64_t>(1, total)),
        format_count(count), epochs);
  };
  if (index.corpora.empty()) {
    for (std::size_t i = 0; i < index.datasets.size(); ++i)
      row(index.datasets[i].prefix, index.blend_weights.empty() ? 1.0 : index.blend_weights[i],
          counts[i], std::to_string(index.datasets[i].index.plan.epochs));
  } else {
    for (std::size_t c = 0; c < index.corpora.size(); ++c) {
      double requested = 0;
      std::uint64_t max_epochs = 0;
      for (std::size_t j : index.corpora[c].datasets) {
        requested += index.datasets[j].weight;
        max_epochs = std::max(max_epochs, index.datasets[j].index.plan.epochs);
      }
      row(index.corpora[c].name, requested, counts[c], fmt::format("<={}", max_epochs));
    }
  }
}

namespace {

void run_build(const BuildOptions& opt) {
  if (opt.out.empty()) throw Error("--out DIR is required");
  data::BlendOptions o;
  if (opt.flavor == "megatron-lm")
    o.flavor = data::IndexFlavor::kMegatronLm;
  else if (opt.flavor == "megatron-deepspeed")
    o.flavor = data::IndexFlavor::kMegatronDeepSpeed;
  else
    throw Error(fmt::format("--flavor {}: use megatron-lm or megatron-deepspeed", opt.flavor));
  if (opt.seq_length == 0) throw Error("--seq-length must be at least 1");
  if (opt.num_samples == 0) throw Error("--num-samples must be at least 1");
  if (o.flavor == data::IndexFlavor::kMegatronLm && (opt.blend_in_corpus || opt.shuffle_in_corpus))
    throw Error(
        "--blend-sample-in-corpus and --shuffle-sample-in-corpus belong to --flavor "
        "megatron-deepspeed");
  if (o.flavor == data::IndexFlavor::kMegatronDeepSpeed && opt.data_file_list.empty())
    throw Error("--flavor megatron-deepspeed reads its datasets from --data-file-list");
  o.sequence_length = opt.seq_length;
  o.num_samples = opt.num_samples;
  o.seed = opt.seed;
  o.blend_sample_in_corpus = opt.blend_in_corpus;
  o.shuffle_sample_in_corpus = opt.shuffle_in_corpus;
  const auto sources = sources_of(opt);

  auto& world = dist::MpiWorld::get();
  data::IndexBuildOptions b;
  b.rank = world.rank();
  b.world = world.size();
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  // Two builders per core: entries are written with O_DIRECT, so while one
  // builder waits for the disk the other computes (measured on 2 cores at
  // 200B tokens: 4 builders ~6.0 s, 2 builders 6.2-7.3 s, 6 no better).
  b.threads = opt.threads > 0 ? opt.threads
                              : std::max(1u, 2 * cores / static_cast<unsigned>(world.local_size()));
  util::ProgressLine progress("index build", sources.size(), "datasets");
  b.progress = [&](std::uint64_t done, std::uint64_t) { progress.update(done); };
  const auto start = std::chrono::steady_clock::now();
  data::IndexBuildReport report;
  data::BlendedIndex index = data::build_index_folder(opt.out, sources, o, b, &report);
  world.barrier();  // every rank's datasets are in place
  progress.finish();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!opt.export_npy.empty() && world.rank() == 0) {
    for (std::size_t i = 0; i < index.datasets.size(); ++i)
      data::load_dataset_arrays(opt.out, index, i);
    data::export_npy(index, opt.export_npy);
  }
  if (world.rank() != 0) return;
  if (opt.json) {
    nlohmann::json j = {{"out", opt.out},
                        {"samples", index.size()},
                        {"datasets", index.datasets.size()},
                        {"datasets_built", report.datasets_built},
                        {"datasets_reused", report.datasets_reused},
                        {"blend_built", report.blend_built},
                        {"blend_reused", report.blend_reused},
                        {"sync_seconds", report.sync_seconds},
                        {"seconds", seconds}};
    fmt::print("{}\n", j.dump());
    return;
  }
  print_index_mix(index);
  fmt::print(
      "index: {} samples of {} tokens over {} datasets -> {} ({} built, {} reused{}; {:.2f} s){}\n",
      format_count(index.size()), opt.seq_length + 1, index.datasets.size(), opt.out,
      report.datasets_built, report.datasets_reused,
      report.blend_built ? ", blend built" : (report.blend_reused ? ", blend reused" : ""), seconds,
      opt.export_npy.empty() ? "" : fmt::format("; arrays exported to {}", opt.export_npy));
}

struct InspectOptions {
  std::string dir;
  std::string tokenizer;
  std::vector<std::uint64_t> samples = {0};
  std::size_t max_tokens = 32;
};

void run_inspect(const InspectOptions& opt) {
  const data::GptSampleLoader loader = data::GptSampleLoader::open(opt.dir);
  const data::BlendedIndex& index = loader.index();
  fmt::print("{}: {} samples of {} tokens, seed {}, {} datasets{}\n", opt.dir,
             format_count(index.size()), index.options.sequence_length + 1, index.options.seed,
             index.datasets.size(),
             index.corpora.empty() ? "" : fmt::format(" in {} corpora", index.corpora.size()));
  print_index_mix(index);
  // Epochs per dataset: how often each file's documents are repeated.
  std::map<std::uint64_t, std::uint64_t> by_epochs;
  for (const auto& d : index.datasets) ++by_epochs[d.index.plan.epochs];
  std::string histogram;
  for (const auto& [epochs, count] : by_epochs)
    histogram +=
        fmt::format("{}{} dataset{} x {} epoch{}", histogram.empty() ? "" : ", ",
                    format_count(count), count == 1 ? "" : "s", epochs, epochs == 1 ? "" : "s");
  fmt::print("epochs per dataset: {}\n", histogram);
  std::vector<std::size_t> order(index.datasets.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return index.datasets[a].index.plan.epochs > index.datasets[b].index.plan.epochs;
  });
  for (std::size_t r = 0; r < std::min<std::size_t>(order.size(), 10); ++r) {
    const auto& d = index.datasets[order[r]];
    fmt::print(
        "  {}{}: {} epoch{}{}, {} samples ({} asked for), {} documents, {} tokens per epoch\n",
        d.prefix, d.corpus.empty() ? "" : fmt::format(" [{}]", d.corpus), d.index.plan.epochs,
        d.index.plan.epochs == 1 ? "" : "s",
        d.index.plan.separate_final_epoch ? " (the last shuffled apart)" : "",
        format_count(d.index.plan.samples),
        d.requested == 0 ? "one epoch" : format_count(d.requested),
        format_count(d.index.plan.documents), format_count(d.index.plan.tokens_per_epoch));
  }
  if (order.size() > 10) fmt::print("  ... and {} more datasets\n", order.size() - 10);
  std::unique_ptr<tokenize::Tokenizer> tokenizer;
  if (!opt.tokenizer.empty()) tokenizer = tokenize::load_tokenizer(opt.tokenizer);
  std::vector<std::uint32_t> tokens;
  for (std::uint64_t k : opt.samples) {
    const auto p = loader.provenance(k);
    tokens.clear();
    loader.sample(k, tokens);
    fmt::print("sample {}: {}{} document {} from token {} (sample {} of that dataset)\n", k,
               p.prefix, p.corpus.empty() ? "" : fmt::format(" [corpus {}]", p.corpus), p.document,
               p.offset, p.dataset_sample);
    if (tokenizer) {
      std::vector<tokenize::TokenId> ids(
          tokens.begin(),
          tokens.begin() + static_cast<std::ptrdiff_t>(std::min(tokens.size(), opt.max_tokens)));
      fmt::print("  text: {}\n",
                 nlohmann::json(tokenizer->decode(ids))
                     .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    } else {
      std::vector<std::uint32_t> head(
          tokens.begin(),
          tokens.begin() + static_cast<std::ptrdiff_t>(std::min(tokens.size(), opt.max_tokens)));
      fmt::print("  tokens: {}{}\n", nlohmann::json(head).dump(),
                 tokens.size() > head.size() ? " ..." : "");
    }
  }
}

}  // namespace

void add_index_command(CLI::App& app) {
  auto* index = app.add_subcommand(
      "index", "Blended training indices over tokenized datasets (Megatron-identical)");
  index->require_subcommand(1);

  auto build_opt = std::make_shared<BuildOptions>();
  auto* build = index->add_subcommand(
      "build",
      "Build the document, sample and shuffle indices of each dataset and the blend over them, "
      "exactly as "
      "Megatron-LM or AuroraGPT's Megatron-DeepSpeed would, into DIR (which also serves as the "
      "cache: "
      "a re-run reuses what did not change). Works under mpirun: ranks share the datasets.");
  build->add_option("--data", build_opt->data,
                    "Dataset prefixes (PREFIX.idx/PREFIX.bin), blended in this order");
  build->add_option(
      "--weights", build_opt->weights,
      "One weight per --data prefix (normalised; omit for one dataset, or to weight by size)");
  build->add_option(
      "--data-file-list", build_opt->data_file_list,
      "AuroraGPT data file list: 'weight prefix corpus' per line (prefixes relative to the file)");
  build
      ->add_option("--flavor", build_opt->flavor,
                   "megatron-lm (NVIDIA) or megatron-deepspeed (ALCF/AuroraGPT)")
      ->capture_default_str();
  build
      ->add_option("--seq-length", build_opt->seq_length,
                   "Tokens per sample (each sample holds one more)")
      ->required();
  build
      ->add_option("--num-samples", build_opt->num_samples,
                   "Training samples wanted (global batch x iterations)")
      ->required();
  build->add_option("--seed", build_opt->seed, "numpy RandomState seed, as Megatron's --seed")
      ->capture_default_str();
  build->add_flag(
      "--blend-sample-in-corpus", build_opt->blend_in_corpus,
      "megatron-deepspeed: blend the files of a corpus by weight instead of concatenating them");
  build->add_flag("--shuffle-sample-in-corpus", build_opt->shuffle_in_corpus,
                  "megatron-deepspeed: shuffle the samples inside each corpus");
  build->add_option("--out", build_opt->out, "Index folder (index.json + cached arrays)")
      ->required();
  build->add_option("--export-npy", build_opt->export_npy,
                    "Also write every array as .npy under Megatron's names and layout, to compare "
                    "with Megatron's");
  build->add_option(
      "--threads", build_opt->threads,
      "Datasets built at once (default: two per core, shared by the ranks on a node)");
  build->add_flag("--json", build_opt->json, "Print the summary as one JSON line");
  build->callback([build_opt] { run_build(*build_opt); });

  auto inspect_opt = std::make_shared<InspectOptions>();
  auto* inspect =
      index->add_subcommand("inspect",
                            "Summarise a built index: samples, epochs per dataset, realised vs "
                            "requested mix, and samples "
                            "with their provenance (decoded when --tokenizer is given)");
  inspect->add_option("dir", inspect_opt->dir, "Index folder made by `borealis index build`")
      ->required();
  inspect->add_option("--tokenizer", inspect_opt->tokenizer, kTokenizerSpecHelp);
  inspect->add_option("--sample", inspect_opt->samples, "Global sample numbers to show")
      ->capture_default_str();
  inspect->add_option("--max-tokens", inspect_opt->max_tokens, "Tokens of each sample to print")
      ->capture_default_str();
  inspect->callback([inspect_opt] { run_inspect(*inspect_opt); });
}

}  // namespace borealis::cli
