#pragma once
// A byte-level BPE vocabulary in tiktoken's form: every token is a byte
// string with a rank, and the rank is both the token id and the merge
// priority (lower merges first). GPT-2/r50k, p50k, cl100k and o200k are all
// this; Hugging Face BPE files convert to it (merge order = rank order).

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace borealis::tokenize {

using TokenId = std::uint32_t;

class BpeVocabulary {
 public:
  // Reads a .tiktoken rank file: one "<base64 bytes> <rank>" per line.
  // Throws borealis::Error naming the file and line on any malformed entry.
  static BpeVocabulary load_tiktoken(const std::string& path);

  void add(std::string bytes, TokenId rank);

  // Rank of a byte string, or kNoRank.
  static constexpr TokenId kNoRank = 0xFFFFFFFFu;
  TokenId rank(std::string_view bytes) const {
    auto it = ranks_.find(bytes);
    return it == ranks_.end() ? kNoRank : it->second;
  }
  // Byte string of a token id; empty view if the id is not in the vocabulary.
  std::string_view bytes(TokenId id) const {
    return id < by_id_.size() ? std::string_view(by_id_[id]) : std::string_view();
  }
  bool contains_id(TokenId id) const { return id < present_.size() && present_[id]; }

  std::size_t size() const { return ranks_.size(); }
  // One past the largest rank (ids may have gaps).
  TokenId id_limit() const { return static_cast<TokenId>(by_id_.size()); }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, TokenId, Hash, std::equal_to<>> ranks_;
  std::vector<std::string> by_id_;
  std::vector<bool> present_;
};

}  // namespace borealis::tokenize
