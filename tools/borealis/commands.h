#pragma once
// Each subcommand lives in its own file and registers itself on the root app.
// Callbacks throw borealis::Error for user-facing failures; main() prints the
// message on one line and exits 1.

#include <CLI/CLI.hpp>

#include "borealis/data/blended_index.h"
#include "borealis/tokenize/jsonl_to_bpe.h"

namespace borealis::cli {

void add_data_command(CLI::App& app);
void add_corpus_command(CLI::App& app);
void add_quickstart_command(CLI::App& app);
void add_tokenizer_command(CLI::App& app);
void add_tokenize_command(CLI::App& app);
void add_index_command(CLI::App& app);
void add_train_command(CLI::App& app);
void add_generate_command(CLI::App& app);
void add_plot_command(CLI::App& app);
void add_launch_command(CLI::App& app);
void add_export_command(CLI::App& app);
void add_tokenizer_train_command(CLI::App& tokenizer);
// The last line of `tokenizer train` (also printed by the quickstart).
void print_training_summary(const tokenize::BpeTrainingSummary& summary,
                            const tokenize::BpeTrainerOptions& options);

// The realised vs requested mix of a blended index, one row per corpus or
// dataset (`index build`, `index inspect`, the quickstart).
void print_index_mix(const data::BlendedIndex& index);

// The --tokenizer help every command shares.
inline constexpr const char* kTokenizerSpecHelp =
    "Tokenizer file: a Hugging Face tokenizer.json (byte-level BPE: Llama-3, GPT-2, ...), a "
    ".tiktoken rank file (r50k_base/gpt2, p50k_base, p50k_edit, cl100k_base, o200k_base), GPT-2's "
    "vocab.json with merges.txt beside it, or a SentencePiece .model";

// Exit code a command asks main() to return (e.g. `data validate` on a bad
// file reports every file, then exits 1 without an exception).
inline int& exit_code() {
  static int code = 0;
  return code;
}

}  // namespace borealis::cli
