#pragma once
// SentencePiece models (.model: Llama-2, AuroraGPT's tokenizer, models made
// with spm_train) through Debian's libsentencepiece -- not a rewrite.

#include <memory>
#include <string>

#include "borealis/tokenize/tokenizer.h"

namespace sentencepiece {
class SentencePieceProcessor;
}

namespace borealis::tokenize {

class SentencePieceTokenizer : public Tokenizer {
 public:
  // Throws borealis::Error naming the file if it is missing or not a model.
  explicit SentencePieceTokenizer(const std::string& model_path);
  ~SentencePieceTokenizer() override;

  using Tokenizer::encode;
  // Special-token handling is the model's own (control symbols are never
  // produced from text); `allowed` is accepted for the common interface.
  void encode(std::string_view text, std::vector<TokenId>& out,
              SpecialTokens allowed = SpecialTokens::kNone) const override;
  std::string decode(std::span<const TokenId> ids) const override;
  const std::string& name() const override { return name_; }
  TokenId vocab_size() const override;
  // The model's </s> (eos) id, if it has one.
  std::optional<TokenId> end_of_document() const override;
  std::optional<TokenId> beginning_of_document() const override;

 private:
  std::string name_;
  std::unique_ptr<sentencepiece::SentencePieceProcessor> processor_;
};

}  // namespace borealis::tokenize
