#pragma once
// What every tokenizer offers the rest of Borealis (tokenize, training data,
// generation): text -> ids, ids -> text, the id range, and the id that ends a
// document. Implementations: BpeTokenizer (tiktoken / GPT-2 files) and
// SentencePieceTokenizer (.model files through libsentencepiece).

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace borealis::tokenize {

using TokenId = std::uint32_t;

enum class SpecialTokens {
  kNone,  // special-token strings are ordinary text (tiktoken's encode_ordinary)
  kAll,   // every special-token string in the text becomes its id
};

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // Appends the ids of `text` (valid UTF-8; throws borealis::Error otherwise).
  virtual void encode(std::string_view text, std::vector<TokenId>& out,
                      SpecialTokens allowed = SpecialTokens::kNone) const = 0;
  std::vector<TokenId> encode(std::string_view text,
                              SpecialTokens allowed = SpecialTokens::kNone) const {
    std::vector<TokenId> ids;
    encode(text, ids, allowed);
    return ids;
  }
  virtual std::string decode(std::span<const TokenId> ids) const = 0;

  virtual const std::string& name() const = 0;
  // One past the largest id: the embedding size a model needs.
  virtual TokenId vocab_size() const = 0;
  // The id Megatron's --append-eod appends (<|endoftext|>, or </s>), if any.
  virtual std::optional<TokenId> end_of_document() const = 0;
  // The id a model expects at the start of a document (SentencePiece's <s>),
  // if the tokenizer has one; the OpenAI encodings do not.
  virtual std::optional<TokenId> beginning_of_document() const { return std::nullopt; }
};

}  // namespace borealis::tokenize
