#include "borealis/tokenize/jsonl_to_bpe.h"

#include <filesystem>

#include <nlohmann/json.hpp>

#include "borealis/io/atomic_output_file.h"
#include "borealis/io/file_identity.h"
#include "borealis/io/line_reader.h"
#include "borealis/io/read_file.h"
#include "borealis/tokenize/jsonl_text.h"
#include "borealis/util/error.h"

namespace borealis::tokenize {

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(BpeTrainingSummary, documents, text_bytes, invalid_utf8_replaced,
                                   distinct_words, vocab_size, merges, tokenizer_json, rank_file)

BpeTrainingSummary train_bpe_from_jsonl(const std::vector<std::string>& inputs,
                                        const std::string& json_key,
                                        const BpeTrainerOptions& options,
                                        const std::string& directory, const std::string& name,
                                        const BpeTrainingProgress& progress) {
  if (inputs.empty()) throw Error("tokenizer train: no input files given");
  nlohmann::json record;
  record["format"] = 1;
  record["inputs"] = nlohmann::json::array();
  for (const auto& in : inputs) record["inputs"].push_back(io::file_identity(in));
  record["options"] = {{"json_key", json_key},          {"vocab_size", options.vocab_size},
                       {"min_frequency", options.min_frequency}, {"pattern", options.pattern_name},
                       {"special_tokens", options.special_tokens}, {"name", name}};
  const std::string done_path = (std::filesystem::path(directory) / "train.done.json").string();
  if (std::filesystem::exists(done_path)) {
    try {
      const auto previous = nlohmann::json::parse(io::read_file(done_path));
      auto summary = previous.at("summary").get<BpeTrainingSummary>();
      if (previous.at("record") == record && std::filesystem::exists(summary.tokenizer_json) &&
          std::filesystem::exists(summary.rank_file)) {
        summary.reused = true;
        return summary;
      }
    } catch (const std::exception&) {
      // Unreadable record: train again.
    }
  }
  std::filesystem::remove(done_path);

  BpeTrainer trainer(options);
  BpeTrainingSummary summary;
  JsonlTextExtractor extractor(json_key);
  std::string line;
  std::uint64_t bytes_before = 0;
  for (const auto& input : inputs) {
    io::LineReader reader(input);
    while (reader.next(line)) {
      if (line.empty()) continue;
      const auto doc = extractor.extract(line);
      if (!doc.error.empty()) throw_file_error(input, "line {}: {}", reader.line_number(), doc.error);
      summary.invalid_utf8_replaced += doc.replaced;
      trainer.add_text(doc.text);
      ++summary.documents;
      summary.text_bytes += doc.text.size();
      if (progress.reading && summary.documents % 1024 == 0)
        progress.reading(bytes_before + reader.bytes_read(), summary.documents);
    }
    bytes_before += reader.bytes_read();
  }
  if (progress.reading) progress.reading(bytes_before, summary.documents);
  summary.distinct_words = trainer.distinct_words();
  const auto bpe = trainer.train(progress.merging);
  const auto paths = write_trained_bpe(bpe, directory, name);
  summary.tokenizer_json = paths[0];
  summary.rank_file = paths[1];
  summary.vocab_size = bpe.token_bytes.size() + bpe.special_tokens.size();
  summary.merges = bpe.merges.size();
  io::write_file_atomically(done_path,
                            nlohmann::json{{"record", record}, {"summary", summary}}.dump(2) + "\n");
  return summary;
}

}  // namespace borealis::tokenize
