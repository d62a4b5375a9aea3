#include "borealis/tokenize/byte_pair_merge.h"

#include <cstdint>
#include <algorithm>
#include <queue>
#include <span>

#include "borealis/util/error.h"

namespace borealis::tokenize {

namespace {

constexpr TokenId kNone = BpeVocabulary::kNoRank;
constexpr std::size_t kHeapThreshold = 128;

TokenId token_of(std::string_view piece, std::size_t begin, std::size_t end,
                 const BpeVocabulary& vocab) {
  const TokenId id = vocab.rank(piece.substr(begin, end - begin));
  // Every single byte has a rank in a valid vocabulary, and every merged part
  // had one when it was merged, so this only fails on a broken vocabulary.
  if (id == kNone) throw Error("BPE vocabulary lacks a token for a byte sequence it produced");
  return id;
}

}  // namespace

void encode_piece(std::string_view piece, const BpeVocabulary& vocab, std::vector<TokenId>& out) {
  if (piece.empty()) return;
  if (const TokenId whole = vocab.rank(piece); whole != kNone) {
    out.push_back(whole);
    return;
  }
  if (piece.size() < kHeapThreshold) {
    encode_piece_quadratic(piece, vocab, out);
  } else {
    encode_piece_heap(piece, vocab, out);
  }
}

void encode_piece_quadratic(std::string_view piece, const BpeVocabulary& vocab,
                            std::vector<TokenId>& out) {
  if (piece.size() >= kHeapThreshold) {
    encode_piece_heap(piece, vocab, out);  // too long for the stack buffer below
    return;
  }
  // parts[i] = (start of part i, rank of part i merged with part i+1).
  struct Part {
    std::size_t start;
    TokenId pair_rank;
  };
  const std::size_t n = piece.size();
  // Pieces here are shorter than kHeapThreshold, so the parts fit on the stack.
  Part storage[kHeapThreshold + 1];
  std::size_t count = 0;
  for (std::size_t i = 0; i + 1 < n; ++i) storage[count++] = {i, vocab.rank(piece.substr(i, 2))};
  storage[count++] = {n - 1, kNone};
  storage[count++] = {n, kNone};
  std::span<Part> parts(storage, count);

  // Rank of parts[i..i+2] merged into one, if parts i+1 and i+2 exist.
  auto pair_rank = [&](std::size_t i) -> TokenId {
    if (i + 2 >= parts.size()) return kNone;
    return vocab.rank(piece.substr(parts[i].start, parts[i + 2].start - parts[i].start));
  };
  while (parts.size() > 2) {
    TokenId best = kNone;
    std::size_t at = 0;
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
      if (parts[i].pair_rank < best) {
        best = parts[i].pair_rank;
        at = i;
      }
    }
    if (best == kNone) break;
    std::copy(parts.begin() + static_cast<std::ptrdiff_t>(at) + 2, parts.end(),
              parts.begin() + static_cast<std::ptrdiff_t>(at) + 1);
    parts = parts.first(parts.size() - 1);
    parts[at].pair_rank = pair_rank(at);
    if (at > 0) parts[at - 1].pair_rank = pair_rank(at - 1);
  }
  for (std::size_t i = 0; i + 1 < parts.size(); ++i)
    out.push_back(token_of(piece, parts[i].start, parts[i + 1].start, vocab));
}

void encode_piece_heap(std::string_view piece, const BpeVocabulary& vocab,
                       std::vector<TokenId>& out) {
  const std::size_t n = piece.size();
  // Part boundaries form a linked list over byte positions 0..n (n = end).
  std::vector<std::uint32_t> next(n + 1), prev(n + 1);
  std::vector<TokenId> rank(n + 1, kNone);  // rank of part at i merged with its successor
  std::vector<bool> alive(n + 1, true);
  for (std::size_t i = 0; i <= n; ++i) {
    next[i] = static_cast<std::uint32_t>(i + 1);
    prev[i] = static_cast<std::uint32_t>(i == 0 ? 0 : i - 1);
  }
  struct Entry {
    TokenId rank;
    std::uint32_t start;
    bool operator>(const Entry& o) const {
      return rank != o.rank ? rank > o.rank : start > o.start;
    }
  };
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap;
  // Rank of the part at i merged with the part after it (end = next of next).
  auto merged_rank = [&](std::size_t i) -> TokenId {
    const std::size_t mid = next[i];
    if (mid >= n) return kNone;
    const std::size_t end = next[mid];
    return vocab.rank(piece.substr(i, end - i));
  };
  for (std::size_t i = 0; i + 1 < n; ++i) {
    rank[i] = merged_rank(i);
    if (rank[i] != kNone) heap.push({rank[i], static_cast<std::uint32_t>(i)});
  }
  while (!heap.empty()) {
    const Entry e = heap.top();
    heap.pop();
    if (!alive[e.start] || rank[e.start] != e.rank) continue;  // stale entry
    // Merge the part at e.start with its successor.
    const std::uint32_t gone = next[e.start];
    alive[gone] = false;
    next[e.start] = next[gone];
    if (next[gone] <= n) prev[next[gone]] = e.start;
    rank[e.start] = merged_rank(e.start);
    if (rank[e.start] != kNone) heap.push({rank[e.start], e.start});
    if (e.start > 0) {
      const std::uint32_t p = prev[e.start];
      rank[p] = merged_rank(p);
      if (rank[p] != kNone) heap.push({rank[p], p});
    }
  }
  for (std::size_t i = 0; i < n; i = next[i]) out.push_back(token_of(piece, i, next[i], vocab));
}

}  // namespace borealis::tokenize
