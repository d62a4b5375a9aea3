// `borealis tokenizer encode|decode`: JSONL text <-> JSONL token ids.

#include <fstream>
#include <memory>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "borealis/io/atomic_output_file.h"
#include "borealis/tokenize/bpe_tokenizer.h"
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
  auto* tok = app.add_subcommand("tokenizer", "Encode and decode text with a tokenizer");
  tok->require_subcommand(1);
  auto opt = std::make_shared<Options>();
  auto add_common = [&](CLI::App* cmd) {
    cmd->add_option("--tokenizer", opt->tokenizer,
                    "Tokenizer file: a .tiktoken rank file (r50k_base/gpt2, p50k_base, p50k_edit, "
                    "cl100k_base, o200k_base), GPT-2's vocab.json with merges.txt beside it, or a "
                    "SentencePiece .model")
        ->required();
    cmd->add_option("--encoding", opt->encoding,
                    "Encoding of a .tiktoken file (default: from its file name)");
    cmd->add_option("--input", opt->input, "Input JSONL")->required();
    cmd->add_option("--output", opt->output, "Output JSONL (written atomically)")->required();
  };
  auto* encode = tok->add_subcommand("encode", "Each line {\"text\": ...} becomes {\"ids\": [...]}");
  add_common(encode);
  encode->add_option("--json-key", opt->json_key, "Key holding the text")->capture_default_str();
  encode->add_flag("--allow-special", opt->allow_special,
                   "Turn special-token strings such as <|endoftext|> into their ids "
                   "(default: encode them as ordinary text)");
  encode->callback([opt] {
    const auto tokenizer = load_tokenizer(*opt);
    const auto allowed = opt->allow_special ? tokenize::SpecialTokens::kAll
                                            : tokenize::SpecialTokens::kNone;
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
  auto* decode = tok->add_subcommand("decode", "Each line {\"ids\": [...]} becomes {\"text\": ...}");
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
}

}  // namespace borealis::cli
