#include "borealis/tokenize/jsonl_to_dataset.h"

#include <sys/stat.h>

#include <cerrno>
#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "borealis/data/indexed_dataset.h"
#include "borealis/data/indexed_dataset_writer.h"
#include "borealis/io/atomic_output_file.h"
#include "borealis/io/line_reader.h"
#include "borealis/io/read_file.h"
#include "borealis/util/error.h"
#include "borealis/util/utf8.h"

namespace borealis::tokenize {

namespace {

nlohmann::json file_identity(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw_system_error(path, "cannot open", errno);
  return {{"path", path},
          {"size", static_cast<std::uint64_t>(st.st_size)},
          {"mtime_ns", static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec}};
}

// Everything that changes the output; equal records mean equal outputs.
nlohmann::json run_record(const BpeTokenizer& tokenizer, const std::string& tokenizer_path,
                          const std::vector<std::string>& inputs,
                          const JsonlTokenizeOptions& options) {
  nlohmann::json record;
  record["format"] = 1;
  record["tokenizer"] = file_identity(tokenizer_path);
  record["tokenizer"]["encoding"] = tokenizer.name();
  record["inputs"] = nlohmann::json::array();
  for (const auto& in : inputs) record["inputs"].push_back(file_identity(in));
  record["options"] = {{"json_key", options.json_key},
                       {"append_eod", options.append_eod},
                       {"skip_bad_lines", options.skip_bad_lines},
                       {"drop_empty", options.drop_empty},
                       {"allow_special", options.allowed_special == SpecialTokens::kAll}};
  return record;
}

TokenId end_of_text_id(const BpeTokenizer& tokenizer) {
  auto it = tokenizer.special_tokens().find("<|endoftext|>");
  if (it == tokenizer.special_tokens().end())
    throw Error(fmt::format("--append-eod: tokenizer {} has no <|endoftext|> token", tokenizer.name()));
  return it->second;
}

}  // namespace

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(JsonlTokenizeSummary, documents, tokens, text_bytes, bad_lines,
                                   invalid_utf8_replaced, empty_documents)

JsonlTokenizeSummary tokenize_jsonl_to_dataset(const BpeTokenizer& tokenizer,
                                               const std::string& tokenizer_path,
                                               const std::vector<std::string>& inputs,
                                               const std::string& output_prefix_or_path,
                                               const JsonlTokenizeOptions& options,
                                               const JsonlTokenizeProgress& progress) {
  if (inputs.empty()) throw Error("tokenize: no input files given");
  const std::string prefix = data::dataset_prefix(output_prefix_or_path);
  const std::string done_path = prefix + ".done.json";
  const nlohmann::json record = run_record(tokenizer, tokenizer_path, inputs, options);

  // Resume: a complete earlier run with the same inputs and settings is kept.
  if (std::filesystem::exists(done_path)) {
    try {
      const auto previous = nlohmann::json::parse(io::read_file(done_path));
      if (previous.at("record") == record) {
        const auto ds = data::IndexedDataset::open(prefix, data::Verify::kFull);
        JsonlTokenizeSummary summary = previous.at("summary").get<JsonlTokenizeSummary>();
        if (ds.document_count() == summary.documents && ds.token_count() == summary.tokens) {
          summary.reused = true;
          return summary;
        }
      }
    } catch (const std::exception&) {
      // Unreadable record or dataset: fall through and rebuild.
    }
  }
  std::filesystem::remove(done_path);

  const TokenId eod = options.append_eod ? end_of_text_id(tokenizer) : 0;
  data::IndexedDatasetWriter writer(prefix, data::optimal_token_dtype(tokenizer.vocab_size()));
  JsonlTokenizeSummary summary;
  std::vector<TokenId> ids;
  std::string line, clean;
  std::uint64_t bytes_before = 0;
  for (const auto& input : inputs) {
    io::LineReader reader(input);
    while (reader.next(line)) {
      if (line.empty()) continue;
      summary.invalid_utf8_replaced += util::sanitize_utf8(line, clean);
      auto j = nlohmann::json::parse(clean, nullptr, /*allow_exceptions=*/false);
      auto bad = [&](const std::string& what) {
        if (!options.skip_bad_lines)
          throw_file_error(input, "line {}: {} (use --skip-bad-lines to skip such lines)",
                           reader.line_number(), what);
        ++summary.bad_lines;
      };
      if (j.is_discarded() || !j.is_object()) {
        bad("not a JSON object");
        continue;
      }
      auto it = j.find(options.json_key);
      if (it == j.end() || !it->is_string()) {
        bad(fmt::format("no string key \"{}\"", options.json_key));
        continue;
      }
      const auto& text = it->get_ref<const std::string&>();
      if (text.empty()) {
        ++summary.empty_documents;
        if (options.drop_empty) continue;
      }
      ids.clear();
      tokenizer.encode(text, ids, options.allowed_special);
      if (options.append_eod) ids.push_back(eod);
      writer.add_document(std::span<const TokenId>(ids));
      ++summary.documents;
      summary.tokens += ids.size();
      summary.text_bytes += text.size();
      if (progress && summary.documents % 1024 == 0)
        progress(summary.documents, bytes_before + reader.bytes_read());
    }
    bytes_before += reader.bytes_read();
  }
  writer.finish();
  if (progress) progress(summary.documents, bytes_before);
  io::write_file_atomically(done_path,
                            nlohmann::json{{"record", record}, {"summary", summary}}.dump(2) + "\n");
  return summary;
}


}  // namespace borealis::tokenize
