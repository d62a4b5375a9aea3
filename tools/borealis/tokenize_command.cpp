// `borealis tokenize`: JSONL corpora -> a Megatron .bin/.idx dataset.

#include <algorithm>
#include <chrono>
#include <memory>
#include <thread>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "borealis/tokenize/jsonl_to_dataset.h"
#include "borealis/tokenize/tokenizer_loader.h"
#include "borealis/util/error.h"
#include "borealis/util/progress.h"
#include "commands.h"

namespace borealis::cli {

void add_tokenize_command(CLI::App& app) {
  struct Options {
    std::string tokenizer;
    std::string encoding;
    std::vector<std::string> inputs;
    std::string output_prefix;
    bool allow_special = false;
    tokenize::JsonlTokenizeOptions run;
  };
  auto opt = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "tokenize", "Tokenize JSONL corpora (.jsonl, .jsonl.gz, .jsonl.zst) into a .bin/.idx dataset");
  cmd->add_option("--tokenizer", opt->tokenizer,
                  "Tokenizer: a .tiktoken rank file, GPT-2's vocab.json with merges.txt beside it, "
                  "or a SentencePiece .model")
      ->required();
  cmd->add_option("--encoding", opt->encoding,
                  "Encoding of a .tiktoken file (default: from its file name)");
  cmd->add_option("--input", opt->inputs, "Input files, read in the order given")->required();
  cmd->add_option("--output-prefix", opt->output_prefix,
                  "Writes PREFIX.bin and PREFIX.idx (and PREFIX.done.json when complete)")
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
  cmd->add_option("--workers", opt->run.workers, "Threads encoding documents (default: all cores)")
      ->check(CLI::Range(1u, 1024u));
  cmd->add_flag("--allow-special", opt->allow_special,
                "Turn special-token strings in the text into their ids");
  cmd->footer(
      "Invalid UTF-8 inside the input is replaced by U+FFFD and counted. Re-running with the same\n"
      "inputs and options reuses a complete output; an interrupted run leaves no valid-looking\n"
      "partial dataset.");
  cmd->callback([opt] {
    const auto tokenizer = tokenize::load_tokenizer(opt->tokenizer, opt->encoding);
    opt->run.allowed_special =
        opt->allow_special ? tokenize::SpecialTokens::kAll : tokenize::SpecialTokens::kNone;
    util::ProgressLine progress("tokenize (input bytes)", 0, "bytes");
    const auto start = std::chrono::steady_clock::now();
    const auto s = tokenize::tokenize_jsonl_to_dataset(
        *tokenizer, opt->tokenizer, opt->inputs, opt->output_prefix, opt->run,
        [&](std::uint64_t docs, std::uint64_t bytes) {
          const double seconds =
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
          progress.update(bytes, fmt::format("{} docs, {:.0f} docs/s", util::format_count(docs),
                                             seconds > 0 ? static_cast<double>(docs) / seconds : 0.0));
        });
    if (s.reused) {
      fmt::print("{}: already complete ({} documents, {} tokens); nothing to do\n",
                 opt->output_prefix, util::format_count(s.documents), util::format_count(s.tokens));
      return;
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    progress.finish(fmt::format("{} docs, {:.0f} docs/s", util::format_count(s.documents),
                                seconds > 0 ? static_cast<double>(s.documents) / seconds : 0.0));
    fmt::print(
        "tokenized {} documents ({} of text) into {} tokens -> {}.bin/.idx; {} bad lines skipped, "
        "{} invalid UTF-8 sequences replaced, {} empty documents {}\n",
        util::format_count(s.documents), util::format_bytes(s.text_bytes),
        util::format_count(s.tokens), opt->output_prefix, s.bad_lines, s.invalid_utf8_replaced,
        s.empty_documents, opt->run.drop_empty ? "dropped" : "kept");
  });
}

}  // namespace borealis::cli
