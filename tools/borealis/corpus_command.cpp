// `borealis corpus build-default`: the embedded science corpus from Debian packages.

#include <string>

#include <fmt/format.h>

#include "borealis/curate/default_corpus.h"
#include "borealis/util/progress.h"
#include "commands.h"
#include "corpus_report.h"

namespace borealis::cli {

void add_corpus_command(CLI::App& app) {
  auto* corpus = app.add_subcommand("corpus", "Build and curate text corpora");
  corpus->require_subcommand(1);

  struct Options {
    std::string out_dir;
    bool force = false;
    curate::DefaultCorpusInputs inputs;
  };
  auto opt = std::make_shared<Options>();
  auto* cmd = corpus->add_subcommand(
      "build-default",
      "Turn Debian's dict-gcide, dict-elements, dict-foldoc and units into JSONL corpora");
  cmd->add_option("OUT_DIR", opt->out_dir, "Directory for {gcide,elements,foldoc,codata}.jsonl")
      ->required();
  cmd->add_flag("--force", opt->force, "Rebuild even if OUT_DIR/manifest.json is complete");
  cmd->add_option("--dictd-dir", opt->inputs.dictd_dir, "Where the dictd databases are")
      ->capture_default_str();
  cmd->add_option("--units-file", opt->inputs.units_file, "GNU units definitions file")
      ->capture_default_str();
  cmd->footer(
      "Corpora: gcide (Webster 1913 senses tagged with a science field), elements (one record\n"
      "per chemical element, with its structured fields), foldoc (computing dictionary), codata\n"
      "(physical constants from GNU units). Each line is {\"id\",\"source\",\"text\",...}.");
  cmd->callback([opt] {
    const auto summary = build_default_corpus_with_progress(opt->out_dir, opt->inputs, opt->force);
    print_corpus_summary(summary);
  });
}

}  // namespace borealis::cli
