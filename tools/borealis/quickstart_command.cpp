// `borealis quickstart`: the main job, end to end on the embedded corpus.
// Each step writes its outputs atomically and is skipped when they are
// already complete, so re-running is cheap and an interrupted run resumes.

#include <chrono>
#include <filesystem>
#include <string>

#include <fmt/format.h>

#include "borealis/curate/default_corpus.h"
#include "commands.h"
#include "corpus_report.h"

namespace borealis::cli {

void add_quickstart_command(CLI::App& app) {
  struct Options {
    std::string workdir = "borealis-quickstart";
    bool force = false;
  };
  auto opt = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "quickstart", "Run the whole pipeline on the embedded science corpus (no downloads)");
  cmd->add_option("--workdir", opt->workdir, "Where every step writes its outputs")
      ->capture_default_str();
  cmd->add_flag("--force", opt->force, "Redo every step even if its outputs are complete");
  cmd->callback([opt] {
    const auto start = std::chrono::steady_clock::now();
    const std::string corpus_dir = (std::filesystem::path(opt->workdir) / "corpus").string();
    fmt::print("Borealis quickstart in {}\n", opt->workdir);
    fmt::print("Plan:\n");
    fmt::print("  1. corpus  Debian dictionaries -> science JSONL corpora  ({})\n", corpus_dir);
    fmt::print("  (tokenizer, tokens, blended index, training and generation join as they land)\n\n");

    fmt::print("[1/1] corpus\n");
    const auto corpus = build_default_corpus_with_progress(corpus_dir, {}, opt->force);
    print_corpus_summary(corpus);

    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    fmt::print("\nDone in {:.1f}s. Corpora are in {}; see docs/quickstart.md for what comes next.\n",
               seconds, corpus_dir);
  });
}

}  // namespace borealis::cli
