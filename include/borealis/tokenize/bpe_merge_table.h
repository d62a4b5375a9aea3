#pragma once
// Hugging Face's BPE merge rule: a word starts as one token per byte, and the
// listed merge (left, right) -> result with the lowest rank (its line in the
// merges list; the leftmost on ties) is applied until no listed pair is
// adjacent. Unlike tiktoken's rule (any adjacent pair whose concatenation is
// a token), only the listed pairs merge, so a vocabulary whose merge order
// differs from its id order -- or that has tokens no merge produces -- is
// encoded exactly as the `tokenizers` library does.
//
// tiktoken's rule is the same rule over a larger list: from_ranks() lists
// every split of every token into two tokens, ranked by the token's rank, so
// one merge loop (integer pair lookups, no byte hashing) serves both.
//
// Short words use an O(n^2) scan over a stack buffer; long ones (DNA,
// base64, a 100 KB "word") a heap keyed by (rank, position), O(n log n),
// which applies the merges in the same order.

#include <array>
#include <cstdint>
#include <string_view>
#include <span>
#include <vector>

#include "borealis/tokenize/tokenizer.h"

namespace borealis::tokenize {

class BpeVocabulary;
class PieceCache;

class BpeMergeTable {
 public:
  // tiktoken's rule for a rank vocabulary (every byte must be a token).
  static BpeMergeTable from_ranks(const BpeVocabulary& vocab);

  struct Merge {
    std::uint32_t rank;
    TokenId result;
  };

  // A later merge of the same pair replaces the earlier one (as in
  // `tokenizers`, which collects the list into a hash map).
  void add(TokenId left, TokenId right, std::uint32_t rank, TokenId result);
  // Room for `merges` merges without regrowing.
  void reserve(std::size_t merges);
  // nullptr if (left, right) is not a listed merge. The hot path: one
  // multiplicative hash of the 64-bit pair and usually one probe.
  const Merge* find(TokenId left, TokenId right) const {
    if (slots_.empty()) return nullptr;
    const std::uint64_t key = pair_key(left, right);
    for (std::size_t i = slot_of(key);; i = (i + 1) & (slots_.size() - 1)) {
      const Slot& s = slots_[i];
      if (s.key == key) return &s.merge;
      if (s.key == kEmpty) return nullptr;
    }
  }
  std::size_t size() const { return count_; }
  // Starts loading the slot where find(left, right) begins.
  void prefetch(TokenId left, TokenId right) const {
    if (!slots_.empty()) __builtin_prefetch(&slots_[slot_of(pair_key(left, right))]);
  }

  // Merges the bytes of `piece`, each first mapped through `byte_id` (which
  // must hold a token for every byte), and appends the result to `out`.
  // Precomputes the merges of every pair of single bytes (a dense 256 x 256
  // table) for encode_piece; call after the last add().
  void index_byte_pairs(const std::array<TokenId, 256>& byte_id);
  // The ids of one pre-tokenized piece: from the thread's PieceCache (under
  // `owner`) when it was seen lately, else the whole piece if `whole_tokens`
  // is given and has it (tiktoken, and Hugging Face's ignore_merges), else
  // its bytes mapped through `byte_id` (a token for every byte) and merged.
  void encode_piece(std::string_view piece, const std::array<TokenId, 256>& byte_id,
                    const BpeVocabulary* whole_tokens, std::uint32_t owner,
                    std::vector<TokenId>& out) const;
  // encode_piece() on each piece in turn, with the memory lookups of the
  // whole group started first (hashes, then prefetches of the cache entries
  // and vocabulary slots), so their latencies overlap instead of adding up.
  static constexpr std::size_t kPieceGroup = 32;
  void encode_pieces(std::span<const std::string_view> pieces, const std::array<TokenId, 256>& byte_id,
                     const BpeVocabulary* whole_tokens, std::uint32_t owner,
                     std::vector<TokenId>& out) const;
  // Applies the merges to `word` (the per-byte token ids) and appends the
  // resulting ids to `out`.
  void merge(std::span<const TokenId> word, std::vector<TokenId>& out) const;
  // The two strategies, exposed so tests can check they agree.
  void merge_quadratic(std::span<const TokenId> word, std::vector<TokenId>& out) const;
  void merge_heap(std::span<const TokenId> word, std::vector<TokenId>& out) const;

 private:
  static constexpr std::uint64_t kEmpty = ~std::uint64_t{0};
  static std::uint64_t pair_key(TokenId left, TokenId right) {
    return (static_cast<std::uint64_t>(left) << 32) | right;
  }
  std::size_t slot_of(std::uint64_t key) const {
    return static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ull) >> shift_);
  }
  struct Slot {
    std::uint64_t key = kEmpty;
    Merge merge{};
  };
  void grow();
  // Words shorter than this merge by the O(n^2) scan in stack buffers.
  static constexpr std::size_t kShortWord = 128;
  // A short word being merged: part ids and the merge of each part with the next.
  struct Parts {
    std::size_t n = 0;
    TokenId ids[kShortWord];
    Merge merges[kShortWord];
  };
  Merge merge_of(const Parts& parts, std::size_t i) const;
  void encode_hashed_piece(std::string_view piece, std::uint64_t hash, PieceCache& cache,
                           const std::array<TokenId, 256>& byte_id, const BpeVocabulary* whole_tokens,
                           std::uint32_t owner, std::vector<TokenId>& out) const;
  void merge_parts(Parts& parts, std::vector<TokenId>& out) const;

  std::vector<Slot> slots_;  // power-of-two size, at most half full
  std::vector<Merge> byte_pairs_;  // index_byte_pairs(): [a * 256 + b], rank kNoMerge if none
  unsigned shift_ = 64;
  std::size_t count_ = 0;
};

}  // namespace borealis::tokenize
