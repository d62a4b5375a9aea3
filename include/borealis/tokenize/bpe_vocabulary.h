#pragma once
// A byte-level BPE vocabulary in tiktoken's form: every token is a byte
// string with a rank, and the rank is both the token id and the merge
// priority (lower merges first). GPT-2/r50k, p50k, cl100k and o200k are all
// this; Hugging Face BPE files convert to it (merge order = rank order).

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "borealis/tokenize/tokenizer.h"

namespace borealis::tokenize {


class BpeVocabulary {
 public:
  // Reads a .tiktoken rank file: one "<base64 bytes> <rank>" per line.
  // Throws borealis::Error naming the file and line on any malformed entry.
  static BpeVocabulary load_tiktoken(const std::string& path);

  // Reads GPT-2's vocab.json (token -> id, tokens spelled in GPT-2's
  // byte-to-unicode alphabet) and merges.txt (one "a b" merge per line, in
  // priority order). The vocabulary is the 256 byte tokens plus one token per
  // merge; every other vocab.json entry (e.g. <|endoftext|>) is returned in
  // `special_tokens`. Merge priority must agree with id order (true of GPT-2
  // and of every tokenizer made from a tiktoken rank file); otherwise this
  // throws, since the rank-based merge loop would not reproduce it.
  static BpeVocabulary load_gpt2(const std::string& vocab_json, const std::string& merges_txt,
                                 std::map<std::string, TokenId>& special_tokens);

  // Adds a token; a byte string or rank already present is an error.
  void add(std::string_view bytes, TokenId rank);
  // Room for `tokens` tokens without regrowing.
  void reserve(std::size_t tokens);

  // Rank of a byte string, or kNoRank. This is the BPE hot path: an
  // open-addressing table of (xxh3 hash, arena offset, length, rank, first
  // bytes), so a lookup is one hash and usually one cache line.
  static constexpr TokenId kNoRank = 0xFFFFFFFFu;
  TokenId rank(std::string_view bytes) const { return rank(bytes, hash(bytes)); }
  // The same with hash(bytes) already computed (the BPE loop shares it with
  // its piece cache).
  TokenId rank(std::string_view bytes, std::uint64_t hash) const;
  static std::uint64_t hash(std::string_view bytes);
  // Starts loading the slot where a lookup of `hash` begins.
  void prefetch(std::uint64_t hash) const {
    if (!slots_.empty()) __builtin_prefetch(&slots_[hash & (slots_.size() - 1)]);
  }

  // Byte string of a token id; empty view if the id is not in the vocabulary.
  std::string_view bytes(TokenId id) const {
    if (!contains_id(id)) return {};
    const auto& e = by_id_[id];
    return std::string_view(arena_).substr(e.offset, e.length);
  }
  bool contains_id(TokenId id) const { return id < by_id_.size() && by_id_[id].present; }

  std::size_t size() const { return count_; }
  // One past the largest rank (ids may have gaps).
  TokenId id_limit() const { return static_cast<TokenId>(by_id_.size()); }

 private:
  // 32 bytes, one per half cache line: tokens up to kInline bytes are
  // compared in the slot itself, so a lookup touches one line, not two.
  static constexpr std::size_t kInline = 12;
  struct alignas(32) Slot {
    std::uint64_t hash = 0;
    std::uint32_t offset = 0;
    std::uint32_t length = 0;
    TokenId rank = kNoRank;  // kNoRank marks an empty slot
    char head[kInline] = {};  // the first kInline bytes of the token
  };
  struct Entry {
    std::uint32_t offset = 0;
    std::uint32_t length = 0;
    bool present = false;
  };
  void grow();
  void insert_slot(const Slot& slot);

  std::string arena_;           // all token bytes, back to back
  std::vector<Slot> slots_;     // power-of-two size, at most half full
  std::vector<Entry> by_id_;
  std::size_t count_ = 0;
};

}  // namespace borealis::tokenize
