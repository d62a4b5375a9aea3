#pragma once
// A per-thread memo of piece -> token ids, consulted before the vocabulary
// and the merge loop. Words repeat in real text (Zipf), so most pieces are
// answered by one hash and one compare in a table small enough to stay in
// cache (the vocabulary's hash table is several MB); the `tokenizers`
// library keeps a similar cache. Direct-mapped and fixed-size: no locks, no
// allocation, bounded memory (4 MB per thread, 64-byte entries: large
// enough for the long tail of a science vocabulary, measured faster than 1 MB).
//
// Entries carry the id of the tokenizer that made them (owner_id(), unique
// per tokenizer object for the life of the process), so tokenizers sharing
// a thread never see each other's entries.

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "borealis/tokenize/tokenizer.h"

namespace borealis::tokenize {

class PieceCache {
 public:
  static constexpr std::size_t kMaxPieceBytes = 24;
  static constexpr std::size_t kMaxIds = 6;

  // A new owner id for a tokenizer.
  static std::uint32_t new_owner_id();
  static PieceCache& for_this_thread();

  // Appends the cached ids of `piece` to `out` and returns true, or returns false.
  bool lookup(std::uint32_t owner, std::uint64_t hash, std::string_view piece,
              std::vector<TokenId>& out) const {
    const Entry& e = entries_[hash & (kEntries - 1)];
    if (e.owner != owner || e.hash != hash || e.length != piece.size() ||
        std::string_view(e.bytes, e.length) != piece)
      return false;
    out.insert(out.end(), e.ids, e.ids + e.count);
    return true;
  }
  // Starts loading the entry `hash` maps to, ahead of lookup().
  void prefetch(std::uint64_t hash) const { __builtin_prefetch(&entries_[hash & (kEntries - 1)]); }
  // Remembers `ids` for `piece` if both fit an entry.
  void store(std::uint32_t owner, std::uint64_t hash, std::string_view piece,
             std::span<const TokenId> ids);

 private:
  static constexpr std::size_t kEntries = 65536;
  struct alignas(64) Entry {
    std::uint64_t hash = 0;
    std::uint32_t owner = 0;  // 0: empty (owner ids start at 1)
    std::uint8_t length = 0;
    std::uint8_t count = 0;
    char bytes[kMaxPieceBytes];
    TokenId ids[kMaxIds];
  };
  std::vector<Entry> entries_ = std::vector<Entry>(kEntries);
};

}  // namespace borealis::tokenize
