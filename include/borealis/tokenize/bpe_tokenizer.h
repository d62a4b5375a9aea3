#pragma once
// A byte-level BPE tokenizer: pre-tokenizer pattern + ranked vocabulary +
// special tokens. Built from a tiktoken rank file for the OpenAI encodings
// (r50k_base = GPT-2, p50k_base, p50k_edit, cl100k_base, o200k_base), whose
// split patterns and special tokens are part of each encoding's definition.

#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "borealis/tokenize/bpe_vocabulary.h"
#include "borealis/tokenize/regex_splitter.h"

namespace borealis::tokenize {

// What an OpenAI encoding is besides its rank file.
struct EncodingSpec {
  std::string name;
  std::string pattern;
  std::map<std::string, TokenId> special_tokens;
};

// nullptr for unknown names.
const EncodingSpec* find_encoding(std::string_view name);
// The names find_encoding knows, for error messages and --help.
std::string known_encoding_names();

enum class SpecialTokens {
  kNone,  // special-token strings are ordinary text (tiktoken's encode_ordinary)
  kAll,   // every special-token string in the text becomes its id
};

class BpeTokenizer {
 public:
  // `encoding` empty: taken from the file name ("cl100k_base.tiktoken").
  static BpeTokenizer from_tiktoken(const std::string& path, std::string encoding = "");

  BpeTokenizer(std::string name, BpeVocabulary vocab, const std::string& pattern,
               std::map<std::string, TokenId> special_tokens);

  // Appends the ids of `text` (valid UTF-8; throws borealis::Error otherwise).
  void encode(std::string_view text, std::vector<TokenId>& out,
              SpecialTokens allowed = SpecialTokens::kNone) const;
  std::vector<TokenId> encode(std::string_view text,
                              SpecialTokens allowed = SpecialTokens::kNone) const {
    std::vector<TokenId> ids;
    encode(text, ids, allowed);
    return ids;
  }
  // The bytes of the tokens, concatenated (may be partial UTF-8 for a
  // sequence cut inside a character). Throws on an unknown id.
  std::string decode(std::span<const TokenId> ids) const;

  const std::string& name() const { return name_; }
  // One past the largest id, specials included: the embedding size needed.
  TokenId vocab_size() const { return vocab_size_; }
  const std::map<std::string, TokenId>& special_tokens() const { return special_tokens_; }
  const BpeVocabulary& vocabulary() const { return vocab_; }

 private:
  void encode_ordinary(std::string_view text, std::vector<TokenId>& out) const;

  std::string name_;
  BpeVocabulary vocab_;
  RegexSplitter splitter_;
  std::map<std::string, TokenId> special_tokens_;
  std::map<TokenId, std::string> special_by_id_;
  TokenId vocab_size_ = 0;
};

}  // namespace borealis::tokenize
