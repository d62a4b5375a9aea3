#pragma once
// A Hugging Face `tokenizer.json` with a byte-level BPE model -- Llama-3,
// GPT-2, and most modern decoder models -- encoded exactly as the
// `tokenizers` library does:
//   1. added tokens are cut out first (leftmost-longest); special ones only
//      when SpecialTokens::kAll, non-special ones always;
//   2. each remaining segment goes through the pre-tokenizers: Split (regex
//      or string, behavior "Isolated") and ByteLevel (add_prefix_space,
//      use_regex = GPT-2's pattern), alone or in a Sequence;
//   3. each piece's bytes are merged by the listed merges (BpeMergeTable);
//      with ignore_merges a piece that is itself a token is taken whole.
// Anything else in the file (a normalizer, another model type, dropout,
// lstrip/rstrip added tokens) is refused with an error naming the file and
// the field, rather than encoded approximately.
//
// The beginning/end-of-document ids come from tokenizer_config.json beside
// the file (bos_token, eos_token) when it exists, else from the
// post-processor's template and the usual end-of-text token names.

#include <array>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "borealis/tokenize/bpe_merge_table.h"
#include "borealis/tokenize/piece_cache.h"
#include "borealis/tokenize/bpe_vocabulary.h"
#include "borealis/tokenize/regex_splitter.h"
#include "borealis/tokenize/special_token_matcher.h"
#include "borealis/tokenize/tokenizer.h"

namespace borealis::tokenize {

class HuggingFaceTokenizer : public Tokenizer {
 public:
  // Throws borealis::Error naming the file for malformed or unsupported files.
  static std::unique_ptr<HuggingFaceTokenizer> from_file(const std::string& path);

  using Tokenizer::encode;
  void encode(std::string_view text, std::vector<TokenId>& out,
              SpecialTokens allowed = SpecialTokens::kNone) const override;
  std::string decode(std::span<const TokenId> ids) const override;

  const std::string& name() const override { return name_; }
  TokenId vocab_size() const override { return vocab_size_; }
  std::optional<TokenId> end_of_document() const override { return eos_; }
  std::optional<TokenId> beginning_of_document() const override { return bos_; }

  // Every added token (content -> id), special or not.
  const std::map<std::string, TokenId>& added_tokens() const { return added_; }

 private:
  HuggingFaceTokenizer() = default;

  // One pre-tokenizer step; a piece flows through the steps in order.
  struct Step {
    std::unique_ptr<RegexSplitter> regex;  // Split (regex) or ByteLevel(use_regex)
    std::string literal;                   // Split (string)
    bool add_prefix_space = false;         // ByteLevel
  };
  void pre_tokenize(std::string_view piece, std::size_t step, std::vector<TokenId>& out) const;
  void encode_piece(std::string_view piece, std::vector<TokenId>& out) const;
  void encode_segment(std::string_view segment, std::vector<TokenId>& out) const;

  std::string name_;
  BpeVocabulary vocab_;  // byte string -> id, for ignore_merges and decoding
  BpeMergeTable merges_;
  std::uint32_t cache_owner_ = PieceCache::new_owner_id();  // this tokenizer's PieceCache entries
  std::array<TokenId, 256> byte_id_{};  // kNoToken where the vocabulary lacks the byte
  std::optional<TokenId> unk_;
  bool fuse_unk_ = false;
  bool ignore_merges_ = false;
  std::vector<Step> steps_;
  bool steps_check_utf8_ = false;  // some step runs a regex, which checks UTF-8
  std::map<std::string, TokenId> added_;
  std::map<TokenId, std::string> added_by_id_;
  SpecialTokenMatcher all_added_;          // special and non-special
  SpecialTokenMatcher non_special_added_;  // matched even when specials are text
  TokenId vocab_size_ = 0;
  std::optional<TokenId> bos_, eos_;
};

}  // namespace borealis::tokenize
