#include "borealis/tokenize/piece_cache.h"

#include <algorithm>
#include <atomic>

#include <xxhash.h>

namespace borealis::tokenize {

std::uint64_t PieceCache::new_owner_id() {
  static std::atomic<std::uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

PieceCache& PieceCache::for_this_thread() {
  thread_local PieceCache cache;
  return cache;
}

std::uint64_t PieceCache::hash(std::string_view piece) { return XXH3_64bits(piece.data(), piece.size()); }

void PieceCache::store(std::uint64_t owner, std::uint64_t hash, std::string_view piece,
                       std::span<const TokenId> ids) {
  if (piece.size() > kMaxPieceBytes || ids.size() > kMaxIds) return;
  Entry& e = entries_[hash & (kEntries - 1)];
  e.owner = owner;
  e.hash = hash;
  e.length = static_cast<std::uint8_t>(piece.size());
  e.count = static_cast<std::uint8_t>(ids.size());
  std::copy(piece.begin(), piece.end(), e.bytes);
  std::copy(ids.begin(), ids.end(), e.ids);
}

}  // namespace borealis::tokenize
