#pragma once
// A per-thread memo of piece -> token ids for the pieces the BPE loop had to
// merge (pieces that are whole tokens never get here). Words repeat in real
// text (Zipf), so most merges are answered by one hash and one compare; the
// `tokenizers` library keeps a similar cache. Direct-mapped and fixed-size:
// no locks, no allocation, bounded memory (~4 MB per thread).
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
  static constexpr std::size_t kMaxPieceBytes = 40;
  static constexpr std::size_t kMaxIds = 14;

  // A new owner id for a tokenizer.
  static std::uint64_t new_owner_id();
  static PieceCache& for_this_thread();

  // Appends the cached ids of `piece` to `out` and returns true, or returns false.
  bool lookup(std::uint64_t owner, std::uint64_t hash, std::string_view piece,
              std::vector<TokenId>& out) const {
    const Entry& e = entries_[hash & (kEntries - 1)];
    if (e.owner != owner || e.hash != hash || e.length != piece.size() ||
        std::string_view(e.bytes, e.length) != piece)
      return false;
    out.insert(out.end(), e.ids, e.ids + e.count);
    return true;
  }
  // Remembers `ids` for `piece` if both fit an entry.
  void store(std::uint64_t owner, std::uint64_t hash, std::string_view piece,
             std::span<const TokenId> ids);

  static std::uint64_t hash(std::string_view piece);

 private:
  static constexpr std::size_t kEntries = 32768;
  struct Entry {
    std::uint64_t owner = 0;  // 0: empty (owner ids start at 1)
    std::uint64_t hash = 0;
    std::uint8_t length = 0;
    std::uint8_t count = 0;
    char bytes[kMaxPieceBytes];
    TokenId ids[kMaxIds];
  };
  std::vector<Entry> entries_ = std::vector<Entry>(kEntries);
};

}  // namespace borealis::tokenize
