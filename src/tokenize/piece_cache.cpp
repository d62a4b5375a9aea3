#include "borealis/tokenize/piece_cache.h"

#include <algorithm>
#include <atomic>

namespace borealis::tokenize {

std::uint32_t PieceCache::new_owner_id() {
  // 32 bits: four billion tokenizer objects per process before ids repeat.
  static std::atomic<std::uint32_t> next{1};
  std::uint32_t id = next.fetch_add(1, std::memory_order_relaxed);
  while (id == 0) id = next.fetch_add(1, std::memory_order_relaxed);  // 0 marks empty entries
  return id;
}

PieceCache& PieceCache::for_this_thread() {
  thread_local PieceCache cache;
  return cache;
}

void PieceCache::store(std::uint32_t owner, std::uint64_t hash, std::string_view piece,
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
