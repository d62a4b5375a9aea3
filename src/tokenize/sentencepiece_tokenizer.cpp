#include "borealis/tokenize/sentencepiece_tokenizer.h"

#include <sentencepiece_processor.h>

#include <filesystem>

#include <fmt/format.h>

#include "borealis/util/error.h"

namespace borealis::tokenize {

SentencePieceTokenizer::SentencePieceTokenizer(const std::string& model_path)
    : name_("sentencepiece:" + std::filesystem::path(model_path).filename().string()),
      processor_(std::make_unique<sentencepiece::SentencePieceProcessor>()) {
  if (!std::filesystem::is_regular_file(model_path))
    throw_file_error(model_path, "cannot open SentencePiece model: not a regular file");
  const auto status = processor_->Load(model_path);
  if (!status.ok())
    throw_file_error(model_path, "not a valid SentencePiece model: {}", status.ToString());
}

SentencePieceTokenizer::~SentencePieceTokenizer() = default;

void SentencePieceTokenizer::encode(std::string_view text, std::vector<TokenId>& out,
                                    SpecialTokens) const {
  std::vector<int> ids;
  const auto status = processor_->Encode(text, &ids);
  if (!status.ok()) throw Error(fmt::format("{}: encode failed: {}", name_, status.ToString()));
  for (int id : ids) out.push_back(static_cast<TokenId>(id));
}

std::string SentencePieceTokenizer::decode(std::span<const TokenId> ids) const {
  std::vector<int> v;
  v.reserve(ids.size());
  for (TokenId id : ids) {
    if (id >= vocab_size())
      throw Error(fmt::format("{}: token id {} is not in the vocabulary", name_, id));
    v.push_back(static_cast<int>(id));
  }
  std::string text;
  const auto status = processor_->Decode(v, &text);
  if (!status.ok()) throw Error(fmt::format("{}: decode failed: {}", name_, status.ToString()));
  return text;
}

TokenId SentencePieceTokenizer::vocab_size() const {
  return static_cast<TokenId>(processor_->GetPieceSize());
}

std::optional<TokenId> SentencePieceTokenizer::end_of_document() const {
  const int id = processor_->eos_id();
  if (id < 0) return std::nullopt;
  return static_cast<TokenId>(id);
}

std::optional<TokenId> SentencePieceTokenizer::beginning_of_document() const {
  const int id = processor_->bos_id();
  if (id < 0) return std::nullopt;
  return static_cast<TokenId>(id);
}

}  // namespace borealis::tokenize
