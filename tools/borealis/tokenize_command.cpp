// `borealis tokenize`: JSONL corpora -> a Megatron .bin/.idx dataset. Under
// `mpirun -np N` each rank tokenizes a contiguous share of the inputs into its
// own dataset (no rank waits on a single writer); --merge joins them.

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "borealis/dist/input_split.h"
#include "borealis/dist/launch_environment.h"
#include "borealis/dist/mpi_world.h"
#include "borealis/dist/rank_outputs.h"
#include "borealis/tokenize/jsonl_to_dataset.h"
#include "borealis/tokenize/tokenizer_loader.h"
#include "borealis/util/error.h"
#include "borealis/util/progress.h"
#include "commands.h"

namespace borealis::cli {

namespace {

struct Options {
  std::string tokenizer;
  std::string encoding;
  std::vector<std::string> inputs;
  std::string output_prefix;
  bool allow_special = false;
  bool merge = false;
  tokenize::JsonlTokenizeOptions run;
};

std::string docs_per_second(std::uint64_t docs, std::chrono::steady_clock::time_point start) {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return fmt::format("{} docs, {:.0f} docs/s", util::format_count(docs),
                     seconds > 0 ? static_cast<double>(docs) / seconds : 0.0);
}

// What was done, in the words of the one-process summary line.
std::string describe(const tokenize::JsonlTokenizeSummary& s, const std::string& output,
                     bool drop_empty) {
  return fmt::format(
      "tokenized {} documents ({} of text) into {} tokens -> {}; {} bad lines skipped, "
      "{} invalid UTF-8 sequences replaced, {} empty documents {}",
      util::format_count(s.documents), util::format_bytes(s.text_bytes),
      util::format_count(s.tokens), output, s.bad_lines, s.invalid_utf8_replaced, s.empty_documents,
      drop_empty ? "dropped" : "kept");
}

std::uint64_t file_size(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw_system_error(path, "cannot open", errno);
  return static_cast<std::uint64_t>(st.st_size);
}

// One process (no launcher, or mpirun -np 1): PREFIX.bin/.idx.
void run_single(Options& opt, const tokenize::Tokenizer& tokenizer) {
  std::uint64_t input_bytes = 0;
  for (const auto& in : opt.inputs) input_bytes += file_size(in);
  util::ProgressLine progress("tokenize (input file bytes)", input_bytes, "bytes");
  const auto start = std::chrono::steady_clock::now();
  const auto s =
      tokenize::tokenize_jsonl_to_dataset(tokenizer, opt.tokenizer, opt.inputs, opt.output_prefix,
                                          opt.run, [&](std::uint64_t docs, std::uint64_t bytes) {
                                            progress.update(bytes, docs_per_second(docs, start));
                                          });
  if (s.reused) {
    fmt::print("{}: already complete ({} documents, {} tokens); nothing to do\n", opt.output_prefix,
               util::format_count(s.documents), util::format_count(s.tokens));
    return;
  }
  progress.finish(docs_per_second(s.documents, start));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  fmt::print("{} ({:.1f} MB/s of text)\n",
             describe(s, opt.output_prefix + ".bin/.idx", opt.run.drop_empty),
             seconds > 0 ? static_cast<double>(s.text_bytes) / seconds / 1e6 : 0.0);
}

// Ranks print whole lines and flush at once: mpirun forwards each rank's
// output line by line, so lines from different ranks never mix.
template <typename... Args>
void print_line(fmt::format_string<Args...> format, Args&&... args) {
  fmt::print("{}\n", fmt::format(format, std::forward<Args>(args)...));
  std::fflush(stdout);
}

// Rank r of N > 1: a contiguous share of the inputs -> PREFIX.rank{r}-of-{N}.
void run_rank(Options& opt, const tokenize::Tokenizer& tokenizer, dist::MpiWorld& world) {
  const int rank = world.rank(), size = world.size();
  const std::string who = fmt::format("rank {}/{}", rank, size);
  // Rank 0's view of the input sizes decides the split for every rank, so
  // ranks can never disagree on who reads which file.
  std::vector<std::uint64_t> sizes(opt.inputs.size());
  if (rank == 0)
    for (std::size_t i = 0; i < sizes.size(); ++i) sizes[i] = file_size(opt.inputs[i]);
  world.broadcast(sizes);
  const auto bounds = dist::split_by_size(sizes, size);
  const auto first = bounds[rank], last = bounds[rank + 1];

  tokenize::JsonlTokenizeSummary s;
  if (first == last) {
    print_line("{}: no input files for this rank ({} files over {} ranks); nothing written", who,
               opt.inputs.size(), size);
  } else {
    const std::vector<std::string> mine(opt.inputs.begin() + first, opt.inputs.begin() + last);
    std::uint64_t my_bytes = 0;
    for (auto i = first; i < last; ++i) my_bytes += sizes[i];
    const std::string prefix = dist::rank_output_prefix(opt.output_prefix, rank, size);
    // Rank 0's progress stands for all: N redrawn lines cannot share a terminal.
    std::optional<util::ProgressLine> progress;
    if (rank == 0)
      progress.emplace(fmt::format("tokenize {} (input bytes)", who), my_bytes, "bytes");
    const auto start = std::chrono::steady_clock::now();
    s = tokenize::tokenize_jsonl_to_dataset(tokenizer, opt.tokenizer, mine, prefix, opt.run,
                                            [&](std::uint64_t docs, std::uint64_t bytes) {
                                              if (progress)
                                                progress->update(bytes,
                                                                 docs_per_second(docs, start));
                                            });
    if (progress && !s.reused) progress->finish(docs_per_second(s.documents, start));
    progress.reset();
    const std::string files =
        fmt::format("input files {}-{} of {}", first + 1, last, opt.inputs.size());
    if (s.reused) {
      print_line("{}: {}: already complete ({} documents, {} tokens; {}); nothing to do", who,
                 prefix, util::format_count(s.documents), util::format_count(s.tokens), files);
    } else {
      print_line("{}: {} ({})", who, describe(s, prefix + ".bin/.idx", opt.run.drop_empty), files);
    }
  }

  // The sum completes on any rank only once every rank has contributed, that
  // is, has finished (and committed) its output: it is also the barrier
  // before the merge.
  std::vector<std::uint64_t> totals = {s.documents,
                                       s.tokens,
                                       s.text_bytes,
                                       s.bad_lines,
                                       s.invalid_utf8_replaced,
                                       s.empty_documents,
                                       first < last ? 1u : 0u,
                                       s.reused ? 1u : 0u};
  world.sum(totals);
  if (rank != 0) return;
  tokenize::JsonlTokenizeSummary total;
  total.documents = totals[0];
  total.tokens = totals[1];
  total.text_bytes = totals[2];
  total.bad_lines = totals[3];
  total.invalid_utf8_replaced = totals[4];
  total.empty_documents = totals[5];
  const std::string outputs = fmt::format("{}.rank*-of-{}", opt.output_prefix, size);
  print_line("total over {} ranks: {} ({} rank outputs written, {} reused)", size,
             describe(total, outputs + ".bin/.idx", opt.run.drop_empty), totals[6] - totals[7],
             totals[7]);

  if (!opt.merge) {
    print_line("one dataset: borealis data merge {} {}.idx", opt.output_prefix, outputs);
    return;
  }
  std::vector<std::string> parts;
  for (int r = 0; r < size; ++r)
    if (bounds[r] < bounds[r + 1])
      parts.push_back(dist::rank_output_prefix(opt.output_prefix, r, size));
  util::ProgressLine progress("merge", parts.size(), "datasets");
  const auto m = dist::merge_rank_outputs(
      opt.output_prefix, parts, [&](std::size_t done, std::size_t, std::uint64_t bytes) {
        progress.update(done, util::format_bytes(bytes) + " copied");
      });
  if (m.reused) {
    print_line("{}: already merged from {} rank outputs ({} documents, {} tokens); nothing to do",
               opt.output_prefix, parts.size(), util::format_count(m.merged.documents),
               util::format_count(m.merged.tokens));
    return;
  }
  progress.finish();
  print_line("merged {} rank outputs into {}.bin/.idx: {} documents, {} tokens ({})", parts.size(),
             opt.output_prefix, util::format_count(m.merged.documents),
             util::format_count(m.merged.tokens), util::format_bytes(m.merged.bin_bytes));
}

}  // namespace

void add_tokenize_command(CLI::App& app) {
  auto opt = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "tokenize",
      "Tokenize JSONL corpora (.jsonl, .jsonl.gz, .jsonl.zst) into a .bin/.idx dataset");
  cmd->add_option("--tokenizer", opt->tokenizer, kTokenizerSpecHelp)->required();
  cmd->add_option("--encoding", opt->encoding,
                  "Encoding of a .tiktoken file (default: from its file name)");
  cmd->add_option("--input", opt->inputs, "Input files, read in the order given")->required();
  cmd->add_option("--output-prefix", opt->output_prefix,
                  "Writes PREFIX.bin and PREFIX.idx (and PREFIX.done.json when complete); under "
                  "mpirun -np N, PREFIX.rank{r}-of-{N}.* per rank")
      ->required();
  cmd->add_option("--json-key", opt->run.json_key, "Key holding each document's text")
      ->capture_default_str();
  cmd->add_flag("--append-eod", opt->run.append_eod,
                "End every document with the end-of-document token (<|endoftext|>, </s>)");
  cmd->add_flag("--prepend-bos", opt->run.prepend_bos,
                "Start every document with the beginning-of-document token (SentencePiece <s>)");
  cmd->add_flag("--skip-bad-lines", opt->run.skip_bad_lines,
                "Count and skip lines that are not JSON objects or lack the key (default: stop "
                "with an error naming the file and line)");
  cmd->add_flag("--drop-empty", opt->run.drop_empty,
                "Drop empty documents (default: keep them as zero-length, as Megatron does)");
  opt->run.workers = std::max(1u, std::thread::hardware_concurrency());
  auto* workers =
      cmd->add_option("--workers", opt->run.workers,
                      "Threads encoding documents (default: all cores, shared by the ranks on "
                      "a machine under mpirun)")
          ->check(CLI::Range(1u, 1024u));
  cmd->add_flag("--allow-special", opt->allow_special,
                "Turn special-token strings in the text into their ids");
  cmd->add_flag("--merge", opt->merge,
                "Under mpirun: when all ranks are done, rank 0 joins their outputs in rank order "
                "into PREFIX.bin/.idx (the same bytes one process writes)");
  cmd->footer(
      "Invalid UTF-8 inside the input is replaced by U+FFFD and counted. Re-running with the same\n"
      "inputs and options reuses a complete output; an interrupted run leaves no valid-looking\n"
      "partial dataset.\n"
      "\n"
      "Under `mpirun -np N` the input files are cut, in order, into N contiguous shares of about\n"
      "equal size; rank r writes PREFIX.rank{r}-of-{N}.bin/.idx (r zero-padded to the digits of "
      "N)\n"
      "and rank 0 prints the totals. Re-running with the same N reuses complete rank outputs.\n"
      "Without --merge, join them into one dataset with\n"
      "  borealis data merge PREFIX PREFIX.rank*-of-N.idx");
  cmd->callback([opt, workers] {
    auto& world = dist::MpiWorld::get();
    if (world.size() > 1 && workers->count() == 0)
      opt->run.workers = static_cast<unsigned>(dist::threads_per_rank(
          static_cast<int>(std::thread::hardware_concurrency()), world.local_size()));
    const auto tokenizer = tokenize::load_tokenizer(opt->tokenizer, opt->encoding);
    opt->run.allowed_special =
        opt->allow_special ? tokenize::SpecialTokens::kAll : tokenize::SpecialTokens::kNone;
    if (world.size() > 1)
      run_rank(*opt, *tokenizer, world);
    else
      run_single(*opt, *tokenizer);
  });
}

}  // namespace borealis::cli
