// `borealis tokenizer encode|decode`: JSONL text <-> JSONL token ids.
// `borealis tokenizer train`: learn a byte-level BPE vocabulary from JSONL.

#include <fstream>
#include <memory>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "borealis/io/atomic_output_file.h"
#include "borealis/tokenize/bpe_tokenizer.h"
#include "borealis/tokenize/jsonl_to_bpe.h"
#include "borealis/tokenize/tokenizer_loader.h"
#include "borealis/util/error.h"
#include "borealis/util/progress.h"
#include "commands.h"

namespace borealis::cli {

namespace {

struct Options {
  std::string tokenizer;
  std::string encoding;
  std::string input;
  std::string output;
  std::string json_key = "text";
  bool allow_special = false;
};

std::unique_ptr<tokenize::Tokenizer> load_tokenizer(const Options& opt) {
  return tokenize::load_tokenizer(opt.tokenizer, opt.encoding);
}

// Reads IN line by line; `convert` turns one parsed JSON object into the
// output object. Errors name the file and line.
template <typename Convert>
void map_jsonl(const Options& opt, const char* unit, Convert&& convert) {
  std::ifstream in(opt.input, std::ios::binary);
  if (!in) throw_file_error(opt.input, "cannot open");
  io::AtomicOutputFile out(opt.output);
  util::ProgressLine progress(fmt::format("tokenizer {}", unit), 0, "lines");
  std::string line;
  std::uint64_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty()) continue;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object())
      throw_file_error(opt.input, "line {}: not a JSON object", line_no);
    nlohmann::json result;
    try {
      result = convert(j, line_no);
    } catch (const Error& e) {
      throw_file_error(opt.input, "line {}: {}", line_no, e.what());
    }
    out.write(result.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    out.write("\n");
    progress.update(line_no);
  }
  if (in.bad()) throw_file_error(opt.input, "read error");
  out.commit();
  progress.finish();
}

}  // namespace

void add_tokenizer_command(CLI::App& app) {
  auto* tok =
      app.add_subcommand("tokenizer", "Encode and decode text with a tokenizer, or train one");
  tok->require_subcommand(1);
  auto opt = std::make_shared<Options>();
  auto add_common = [&](CLI::App* cmd) {
    cmd->add_option("--tokenizer", opt->tokenizer, kTokenizerSpecHelp)->required();
    cmd->add_option("--encoding", opt->encoding,
                    "Encoding of a .tiktoken file (default: from its file name)");
    cmd->add_option("--input", opt->input, "Input JSONL")->required();
    cmd->add_option("--output", opt->output, "Output JSONL (written atomically)")->required();
  };
  auto* encode =
      tok->add_subcommand("encode", "Each line {\"text\": ...} becomes {\"ids\": [...]}");
  add_common(encode);
  encode->add_option("--json-key", opt->json_key, "Key holding the text")->capture_default_str();
  encode->add_flag("--allow-special", opt->allow_special,
                   "Turn special-token strings such as <|endoftext|> into their ids "
                   "(default: encode them as ordinary text)");
  encode->callback([opt] {
    const auto tokenizer = load_tokenizer(*opt);
    const auto allowed =
        opt->allow_special ? tokenize::SpecialTokens::kAll : tokenize::SpecialTokens::kNone;
    std::vector<tokenize::TokenId> ids;
    map_jsonl(*opt, "encode", [&](const nlohmann::json& j, std::uint64_t) {
      auto it = j.find(opt->json_key);
      if (it == j.end() || !it->is_string())
        throw Error(fmt::format("missing string key \"{}\"", opt->json_key));
      ids.clear();
      tokenizer->encode(it->get_ref<const std::string&>(), ids, allowed);
      return nlohmann::json{{"ids", ids}};
    });
  });
  auto* decode =
      tok->add_subcommand("decode", "Each line {\"ids\": [...]} becomes {\"text\": ...}");
  add_common(decode);
  decode->callback([opt] {
    const auto tokenizer = load_tokenizer(*opt);
    map_jsonl(*opt, "decode", [&](const nlohmann::json& j, std::uint64_t) {
      auto it = j.find("ids");
      if (it == j.end() || !it->is_array()) throw Error("missing array key \"ids\"");
      std::vector<tokenize::TokenId> ids;
      for (const auto& v : *it) {
        if (!v.is_number_unsigned()) throw Error("ids must be non-negative integers");
        ids.push_back(v.get<tokenize::TokenId>());
      }
      return nlohmann::json{{"text", tokenizer->decode(ids)}};
    });
  });
  add_tokenizer_train_command(*tok);
}

void add_tokenizer_train_command(CLI::App& tok) {
  struct TrainOptions {
    std::vector<std::string> inputs;
    std::string output;
    std::string name = "tokenizer";
    std::string json_key = "text";
    tokenize::BpeTrainerOptions trainer;
  };
  auto opt = std::make_shared<TrainOptions>();
  auto* train = tok.add_subcommand(
      "train", "Learn a byte-level BPE vocabulary from JSONL (.jsonl, .jsonl.gz, .jsonl.zst)");
  train->add_option("--input", opt->inputs, "Input files")->required();
  train
      ->add_option("--output", opt->output,
                   "Output directory: tokenizer.json (Hugging Face) and NAME.tiktoken (rank file)")
      ->required();
  train->add_option("--name", opt->name, "Name of the .tiktoken file")->capture_default_str();
  train
      ->add_option("--vocab-size", opt->trainer.vocab_size,
                   "Total vocabulary: 256 byte tokens + learned tokens + special tokens")
      ->capture_default_str()
      ->check(CLI::Range(257u, 1u << 24));
  train
      ->add_option("--min-frequency", opt->trainer.min_frequency,
                   "Stop when the most frequent pair occurs fewer times than this")
      ->capture_default_str();
  train
      ->add_option("--pattern", opt->trainer.pattern_name,
                   "Pre-tokenizer split pattern, named by the OpenAI encoding that defines it "
                   "(gpt2, cl100k_base, o200k_base)")
      ->capture_default_str();
  train
      ->add_option("--special-token", opt->trainer.special_tokens,
                   "Special tokens, given ids after the learned ones (repeatable)")
      ->capture_default_str();
  train->add_option("--json-key", opt->json_key, "Key holding each document's text")
      ->capture_default_str();
  train->footer(
      "Deterministic: the same inputs and options give byte-identical files. Invalid UTF-8 is\n"
      "replaced by U+FFFD and counted. Load the result anywhere a tokenizer is taken, e.g.\n"
      "  borealis tokenize --tokenizer DIR/tokenizer.json ...");
  train->callback([opt] {
    util::ProgressLine reading("tokenizer train: counting words", 0, "bytes");
    util::ProgressLine merging("tokenizer train: merging", opt->trainer.vocab_size, "tokens");
    tokenize::BpeTrainingProgress progress;
    progress.reading = [&](std::uint64_t bytes, std::uint64_t) { reading.update(bytes); };
    progress.merging = [&](std::size_t tokens, std::size_t) { merging.update(tokens); };
    const auto s = tokenize::train_bpe_from_jsonl(opt->inputs, opt->json_key, opt->trainer,
                                                  opt->output, opt->name, progress);
    if (s.reused) {
      fmt::print("{}: already trained on these inputs with these options; nothing to do\n",
                 s.tokenizer_json);
      return;
    }
    reading.finish(fmt::format("{} docs, {} distinct words", util::format_count(s.documents),
                               util::format_count(s.distinct_words)));
    merging.finish();
    print_training_summary(s, opt->trainer);
  });
}

void print_training_summary(const tokenize::BpeTrainingSummary& s,
                            const tokenize::BpeTrainerOptions& options) {
  fmt::print(
      "trained {} tokens ({} merges{}) on {} documents ({} of text; {} invalid UTF-8 "
      "sequences replaced) -> {}, {}\n",
      util::format_count(s.vocab_size), util::format_count(s.merges),
      s.vocab_size < options.vocab_size
          ? fmt::format("; stopped early: no pair occurs {} times", options.min_frequency)
          : "",
      util::format_count(s.documents), util::format_bytes(s.text_bytes), s.invalid_utf8_replaced,
      s.tokenizer_json, s.rank_file);
}

}  // namespace borealis::cli
