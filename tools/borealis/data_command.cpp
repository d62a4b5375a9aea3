// `borealis data inspect|validate|merge`: Megatron .bin/.idx datasets.

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "borealis/data/dataset_summary.h"
#include "borealis/data/indexed_dataset.h"
#include "borealis/data/indexed_dataset_merge.h"
#include "borealis/util/error.h"
#include "borealis/util/progress.h"
#include "commands.h"

namespace borealis::cli {

namespace {

using data::IndexedDataset;
using util::format_bytes;
using util::format_count;

// First `max_tokens` tokens of sequence i, as JSON numbers of its dtype.
nlohmann::json sequence_as_json(const IndexedDataset& ds, std::uint64_t i, std::size_t max_tokens) {
  nlohmann::json ids = nlohmann::json::array();
  data::visit_dtype(ds.dtype(), [&]<typename T>() {
    auto tokens = ds.sequence<T>(i);
    const std::size_t n = std::min(tokens.size(), max_tokens);
    for (std::size_t k = 0; k < n; ++k) ids.push_back(tokens[k]);
  });
  return ids;
}

struct InspectOptions {
  std::string prefix;
  bool json = false;
  std::size_t head = 3;
  std::size_t max_tokens = 16;
};

void run_inspect(const InspectOptions& opt) {
  const auto ds = IndexedDataset::open(opt.prefix);
  const auto s = data::summarize(ds);
  const std::uint64_t head = std::min<std::uint64_t>(opt.head, ds.sequence_count());
  if (opt.json) {
    nlohmann::json j;
    j["prefix"] = ds.prefix();
    j["dtype"] = data::dtype_name(ds.dtype());
    j["dtype_code"] = data::dtype_code(ds.dtype());
    j["sequences"] = s.sequences;
    j["documents"] = s.documents;
    j["tokens"] = s.tokens;
    j["bin_bytes"] = ds.data_file().size();
    j["sequence_modes"] = ds.has_sequence_modes();
    j["empty_sequences"] = s.empty_sequences;
    j["length"] = {{"min", s.min_length}, {"mean", s.mean_length}, {"max", s.max_length}};
    j["histogram"] = nlohmann::json::array();
    for (const auto& b : s.histogram)
      j["histogram"].push_back({{"lo", b.lo}, {"hi", b.hi}, {"count", b.count}});
    j["first_sequences"] = nlohmann::json::array();
    for (std::uint64_t i = 0; i < head; ++i)
      j["first_sequences"].push_back(sequence_as_json(ds, i, opt.max_tokens));
    fmt::print("{}\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    return;
  }
  fmt::print("dataset     {}  (.idx {}, .bin {})\n", ds.prefix(),
             format_bytes(ds.index_file().size()), format_bytes(ds.data_file().size()));
  fmt::print("dtype       {} (code {}, {} bytes per token)\n", data::dtype_name(ds.dtype()),
             data::dtype_code(ds.dtype()), ds.item_size());
  fmt::print("sequences   {}\n", format_count(s.sequences));
  fmt::print("documents   {}\n", format_count(s.documents));
  fmt::print("tokens      {}\n", format_count(s.tokens));
  fmt::print("modes       {}\n", ds.has_sequence_modes() ? "int8 per sequence" : "none");
  if (s.sequences == 0) return;
  fmt::print("length      min {}  mean {:.1f}  max {}  ({} empty)\n", format_count(s.min_length),
             s.mean_length, format_count(s.max_length), format_count(s.empty_sequences));
  fmt::print("histogram   sequence length (tokens)\n");
  std::uint64_t peak = 1;
  for (const auto& b : s.histogram) peak = std::max(peak, b.count);
  for (const auto& b : s.histogram) {
    const std::string range =
        b.hi - b.lo <= 1 ? fmt::format("{}", b.lo) : fmt::format("{}-{}", b.lo, b.hi - 1);
    const auto bar = static_cast<std::size_t>(
        40.0 * static_cast<double>(b.count) / static_cast<double>(peak) + 0.5);
    fmt::print("  {:>13}  {:>12}  {}\n", range, format_count(b.count), std::string(bar, '#'));
  }
  if (head > 0) fmt::print("first {} sequences (up to {} tokens each)\n", head, opt.max_tokens);
  for (std::uint64_t i = 0; i < head; ++i) {
    auto ids = sequence_as_json(ds, i, opt.max_tokens);
    std::string text;
    for (const auto& id : ids) text += id.dump() + " ";
    const auto len = static_cast<std::size_t>(ds.sequence_length(i));
    fmt::print("  [{}] len {}: {}{}\n", i, format_count(len), text,
               len > opt.max_tokens ? "..." : "");
  }
}

void run_validate(const std::vector<std::string>& prefixes) {
  int failures = 0;
  for (const auto& p : prefixes) {
    try {
      const auto ds = IndexedDataset::open(p, data::Verify::kFull);
      fmt::print("ok    {}: {} sequences, {} documents, {} {} tokens\n", ds.prefix(),
                 format_count(ds.sequence_count()), format_count(ds.document_count()),
                 format_count(ds.token_count()), data::dtype_name(ds.dtype()));
    } catch (const Error& e) {
      ++failures;
      fmt::print("FAIL  {}\n", e.what());
    }
  }
  if (failures > 0) {
    fmt::print(stderr, "borealis: error: {} of {} datasets failed validation\n", failures,
               prefixes.size());
    exit_code() = 1;
  }
}

// A directory stands for every *.idx in it, in name order (as Megatron's
// merge tool), except the merge output itself when it lives there too.
std::vector<std::string> expand_inputs(const std::vector<std::string>& inputs,
                                       const std::string& output) {
  std::vector<std::string> out;
  for (const auto& in : inputs) {
    std::error_code ec;
    if (!std::filesystem::is_directory(in, ec)) {
      out.push_back(in);
      continue;
    }
    std::vector<std::string> found;
    std::filesystem::directory_iterator it(in, ec);
    if (ec) throw_file_error(in, "cannot list directory: {}", ec.message());
    for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
      if (ec) throw_file_error(in, "cannot list directory: {}", ec.message());
      const auto& path = it->path();
      if (path.extension() != ".idx") continue;
      const std::string prefix = data::dataset_prefix(path.string());
      if (!data::is_same_dataset(prefix, output)) found.push_back(prefix);
    }
    if (ec) throw_file_error(in, "cannot list directory: {}", ec.message());
    if (found.empty()) throw_file_error(in, "directory contains no .idx files");
    std::sort(found.begin(), found.end());
    out.insert(out.end(), found.begin(), found.end());
  }
  return out;
}

void run_merge(const std::string& output, const std::vector<std::string>& raw_inputs) {
  const auto inputs = expand_inputs(raw_inputs, output);
  util::ProgressLine progress("merge", inputs.size(), "datasets");
  const auto summary = data::merge_indexed_datasets(
      output, inputs, [&](std::size_t done, std::size_t, std::uint64_t bytes) {
        progress.update(done, format_bytes(bytes) + " copied");
      });
  progress.finish();
  fmt::print("merged {} datasets into {}: {} sequences, {} documents, {} tokens ({})\n",
             inputs.size(), data::dataset_prefix(output), format_count(summary.sequences),
             format_count(summary.documents), format_count(summary.tokens),
             format_bytes(summary.bin_bytes));
}

}  // namespace

void add_data_command(CLI::App& app) {
  auto* data =
      app.add_subcommand("data", "Inspect, validate and merge Megatron .bin/.idx token datasets");
  data->require_subcommand(1);
  data->footer(
      "A dataset is named by its PREFIX: PREFIX.idx holds the index, PREFIX.bin the tokens.\n"
      "PREFIX.idx or PREFIX.bin are accepted too.");

  auto inspect = std::make_shared<InspectOptions>();
  auto* cmd =
      data->add_subcommand("inspect", "Counts, dtype, length histogram and first sequences");
  cmd->add_option("PREFIX", inspect->prefix, "Dataset prefix")->required();
  cmd->add_flag("--json", inspect->json, "Print one JSON object instead of text");
  cmd->add_option("--head", inspect->head, "How many leading sequences to show")
      ->capture_default_str();
  cmd->add_option("--max-tokens", inspect->max_tokens, "Tokens shown per sequence")
      ->capture_default_str();
  cmd->callback([inspect] { run_inspect(*inspect); });

  auto prefixes = std::make_shared<std::vector<std::string>>();
  cmd = data->add_subcommand(
      "validate",
      "Check header, counts, pointer/length consistency and .bin size; exit 0 only if all pass");
  cmd->add_option("PREFIX", *prefixes, "One or more dataset prefixes")->required();
  cmd->callback([prefixes] { run_validate(*prefixes); });

  auto output = std::make_shared<std::string>();
  auto inputs = std::make_shared<std::vector<std::string>>();
  cmd = data->add_subcommand(
      "merge",
      "Concatenate datasets into one (pointers rebased, document indices offset), streaming");
  cmd->add_option("OUT", *output, "Output prefix")->required();
  cmd->add_option("IN", *inputs, "Input prefixes, or directories of .idx/.bin pairs")->required();
  cmd->callback([output, inputs] { run_merge(*output, *inputs); });
}

}  // namespace borealis::cli
