#pragma once
// A byte-level BPE tokenizer: pre-tokenizer pattern + ranked vocabulary +
// special tokens. Built from a tiktoken rank file for the OpenAI encodings
// (r50k_base = GPT-2, p50k_base, p50k_edit, cl100k_base, o200k_base), whose
// split patterns and special tokens are part of each encoding's definition.

#include <array>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "borealis/tokenize/bpe_merge_table.h"
#include "borealis/tokenize/piece_cache.h"
#include "borealis/tokenize/bpe_vocabulary.h"
#include "borealis/tokenize/regex_splitter.h"
#include "borealis/tokenize/special_token_matcher.h"
#include "borealis/tokenize/tokenizer.h"

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

class BpeTokenizer : public Tokenizer {
 public:
  // `encoding` empty: taken from the file name ("cl100k_base.tiktoken").
  static BpeTokenizer from_tiktoken(const std::string& path, std::string encoding = "");

  BpeTokenizer(std::string name, BpeVocabulary vocab, const std::string& pattern,
               std::map<std::string, TokenId> special_tokens);

  using Tokenizer::encode;
  void encode(std::string_view text, std::vector<TokenId>& out,
              SpecialTokens allowed = SpecialTokens::kNone) const override;
  // The bytes of the tokens, concatenated (may be partial UTF-8 for a
  // sequence cut inside a character). Throws on an unknown id.
  std::string decode(std::span<const TokenId> ids) const override;

  const std::string& name() const override { return name_; }
  // One past the largest id, specials included: the embedding size needed.
  TokenId vocab_size() const override { return vocab_size_; }
  // <|endoftext|> when the encoding has it.
  std::optional<TokenId> end_of_document() const override;
  const std::map<std::string, TokenId>& special_tokens() const { return special_tokens_; }
  const BpeVocabulary& vocabulary() const { return vocab_; }

 private:
  void encode_ordinary(std::string_view text, std::vector<TokenId>& out) const;
  void encode_piece(std::string_view piece, std::vector<TokenId>& out) const;

  std::string name_;
  BpeVocabulary vocab_;
  // tiktoken's rule as pair merges (BpeMergeTable::from_ranks)
  BpeMergeTable merges_;
  std::uint32_t cache_owner_ = PieceCache::new_owner_id();  // this tokenizer's PieceCache entries
  std::array<TokenId, 256> byte_id_{};
  RegexSplitter splitter_;
  std::map<std::string, TokenId> special_tokens_;
  std::map<TokenId, std::string> special_by_id_;
  SpecialTokenMatcher special_matcher_;
  TokenId vocab_size_ = 0;
};

}  // namespace borealis::tokenize
