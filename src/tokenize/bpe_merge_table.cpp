#include "borealis/tokenize/bpe_merge_table.h"

#include <algorithm>
#include <bit>
#include <queue>

#include "borealis/tokenize/bpe_vocabulary.h"
#include "borealis/tokenize/piece_cache.h"

namespace borealis::tokenize {

namespace {
constexpr std::uint32_t kNoMerge = 0xFFFFFFFFu;
}  // namespace

BpeMergeTable BpeMergeTable::from_ranks(const BpeVocabulary& vocab) {
  // Adjacent parts x, y merge under tiktoken's rule iff bytes(x) + bytes(y)
  // is a token T, with T's rank as priority. Parts are always tokens (single
  // bytes, or earlier merges), so listing every split of every T into two
  // tokens gives exactly the pairs that can ever merge.
  //
  // That is ~10 lookups per token, each a likely cache miss in the vocabulary
  // table, and the load time of every tokenizer: so the lookups of a group
  // of tokens are hashed and prefetched first, then probed.
  struct Split {
    TokenId token;
    std::uint32_t at;  // bytes [0, at) and [at, end)
    std::uint64_t hash;
    TokenId left;
  };
  struct Pair {
    TokenId left, right, token;
  };
  BpeMergeTable table;
  std::vector<Split> prefixes, suffixes;
  std::vector<Pair> pairs;
  constexpr TokenId kGroup = 64;
  for (TokenId first = 0; first < vocab.id_limit(); first += kGroup) {
    const TokenId last = std::min<TokenId>(vocab.id_limit(), first + kGroup);
    prefixes.clear();
    for (TokenId t = first; t < last; ++t) {
      const std::string_view bytes = vocab.bytes(t);
      for (std::uint32_t k = 1; k < bytes.size(); ++k) {
        const std::uint64_t h = BpeVocabulary::hash(bytes.substr(0, k));
        vocab.prefetch(h);
        prefixes.push_back({t, k, h, 0});
      }
    }
    suffixes.clear();
    for (const Split& p : prefixes) {
      const std::string_view bytes = vocab.bytes(p.token);
      const TokenId left = vocab.rank(bytes.substr(0, p.at), p.hash);
      if (left == BpeVocabulary::kNoRank) continue;
      const std::uint64_t h = BpeVocabulary::hash(bytes.substr(p.at));
      vocab.prefetch(h);
      suffixes.push_back({p.token, p.at, h, left});
    }
    for (const Split& s : suffixes) {
      const TokenId right = vocab.rank(vocab.bytes(s.token).substr(s.at), s.hash);
      if (right != BpeVocabulary::kNoRank) pairs.push_back({s.left, right, s.token});
    }
  }
  // Sized once, and each insert's slot prefetched a few pairs ahead.
  table.reserve(pairs.size());
  constexpr std::size_t kAhead = 8;
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    if (i + kAhead < pairs.size()) table.prefetch(pairs[i + kAhead].left, pairs[i + kAhead].right);
    table.add(pairs[i].left, pairs[i].right, pairs[i].token, pairs[i].token);
  }
  return table;
}

void BpeMergeTable::reserve(std::size_t merges) {
  std::size_t size = 1024;
  while (size < merges * 2) size *= 2;
  if (size <= slots_.size()) return;
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(size, Slot{});
  shift_ = 64u - static_cast<unsigned>(std::countr_zero(size));
  for (const Slot& s : old) {
    if (s.key == kEmpty) continue;
    std::size_t i = slot_of(s.key);
    while (slots_[i].key != kEmpty) i = (i + 1) & (slots_.size() - 1);
    slots_[i] = s;
  }
}

void BpeMergeTable::grow() { reserve(std::max<std::size_t>(512, count_ * 2)); }

void BpeMergeTable::add(TokenId left, TokenId right, std::uint32_t rank, TokenId result) {
  if ((count_ + 1) * 2 > slots_.size()) grow();
  const std::uint64_t key = pair_key(left, right);
  std::size_t i = slot_of(key);
  while (slots_[i].key != kEmpty && slots_[i].key != key) i = (i + 1) & (slots_.size() - 1);
  if (slots_[i].key == kEmpty) ++count_;
  slots_[i] = Slot{key, Merge{rank, result}};
}

void BpeMergeTable::index_byte_pairs(const std::array<TokenId, 256>& byte_id) {
  byte_pairs_.assign(256 * 256, Merge{kNoMerge, 0});
  for (std::size_t a = 0; a < 256; ++a)
    for (std::size_t b = 0; b < 256; ++b)
      if (const Merge* m = find(byte_id[a], byte_id[b])) byte_pairs_[a * 256 + b] = *m;
}

void BpeMergeTable::encode_piece(std::string_view piece, const std::array<TokenId, 256>& byte_id,
                                 const BpeVocabulary* whole_tokens, std::uint32_t owner,
                                 std::vector<TokenId>& out) const {
  if (piece.empty()) return;
  encode_hashed_piece(piece, BpeVocabulary::hash(piece), PieceCache::for_this_thread(), byte_id,
                      whole_tokens, owner, out);
}

void BpeMergeTable::encode_pieces(std::span<const std::string_view> pieces,
                                  const std::array<TokenId, 256>& byte_id,
                                  const BpeVocabulary* whole_tokens, std::uint32_t owner,
                                  std::vector<TokenId>& out) const {
  PieceCache& cache = PieceCache::for_this_thread();
  std::uint64_t hashes[kPieceGroup];
  while (!pieces.empty()) {
    const std::size_t n = std::min(pieces.size(), kPieceGroup);
    for (std::size_t i = 0; i < n; ++i) {
      hashes[i] = BpeVocabulary::hash(pieces[i]);
      cache.prefetch(hashes[i]);
      if (whole_tokens != nullptr) whole_tokens->prefetch(hashes[i]);
    }
    for (std::size_t i = 0; i < n; ++i)
      if (!pieces[i].empty())
        encode_hashed_piece(pieces[i], hashes[i], cache, byte_id, whole_tokens, owner, out);
    pieces = pieces.subspan(n);
  }
}

void BpeMergeTable::encode_hashed_piece(std::string_view piece, std::uint64_t hash, PieceCache& cache,
                                        const std::array<TokenId, 256>& byte_id,
                                        const BpeVocabulary* whole_tokens, std::uint32_t owner,
                                        std::vector<TokenId>& out) const {
  const bool cacheable = piece.size() <= PieceCache::kMaxPieceBytes;
  if (cacheable && cache.lookup(owner, hash, piece, out)) return;
  if (whole_tokens != nullptr) {
    if (const TokenId whole = whole_tokens->rank(piece, hash); whole != BpeVocabulary::kNoRank) {
      out.push_back(whole);
      if (cacheable) cache.store(owner, hash, piece, std::span<const TokenId>(&whole, 1));
      return;
    }
  }
  const std::size_t before = out.size();
  const std::size_t n = piece.size();
  if (n < kShortWord && byte_pairs_.size() == 256 * 256) {
    // The first round of lookups, byte pairs, comes from the dense table
    // (512 KB, mostly cache-resident) instead of the big pair hash table.
    Parts parts;
    parts.n = n;
    for (std::size_t i = 0; i < n; ++i) {
      parts.ids[i] = byte_id[static_cast<unsigned char>(piece[i])];
      parts.merges[i] = i + 1 < n ? byte_pairs_[static_cast<unsigned char>(piece[i]) * 256u +
                                                static_cast<unsigned char>(piece[i + 1])]
                                  : Merge{kNoMerge, 0};
    }
    merge_parts(parts, out);
  } else {
    std::vector<TokenId> word(n);
    for (std::size_t i = 0; i < n; ++i) word[i] = byte_id[static_cast<unsigned char>(piece[i])];
    merge(word, out);
  }
  if (cacheable) cache.store(owner, hash, piece, std::span<const TokenId>(out).subspan(before));
}

void BpeMergeTable::merge(std::span<const TokenId> word, std::vector<TokenId>& out) const {
  if (word.size() < kShortWord) {
    merge_quadratic(word, out);
  } else {
    merge_heap(word, out);
  }
}

void BpeMergeTable::merge_quadratic(std::span<const TokenId> word, std::vector<TokenId>& out) const {
  if (word.size() >= kShortWord) {
    merge_heap(word, out);  // too long for the stack buffers below
    return;
  }
  Parts parts;
  parts.n = word.size();
  std::copy(word.begin(), word.end(), parts.ids);
  for (std::size_t i = 0; i < parts.n; ++i) parts.merges[i] = merge_of(parts, i);
  merge_parts(parts, out);
}

BpeMergeTable::Merge BpeMergeTable::merge_of(const Parts& parts, std::size_t i) const {
  if (i + 1 >= parts.n) return Merge{kNoMerge, 0};
  const Merge* m = find(parts.ids[i], parts.ids[i + 1]);
  return m == nullptr ? Merge{kNoMerge, 0} : *m;
}

void BpeMergeTable::merge_parts(Parts& p, std::vector<TokenId>& out) const {
  // Each round: apply the lowest-rank merge (leftmost on ties), then look up
  // only the two pairs it changed.
  while (p.n > 1) {
    std::uint32_t best = kNoMerge;
    std::size_t at = 0;
    for (std::size_t i = 0; i + 1 < p.n; ++i) {
      if (p.merges[i].rank < best) {
        best = p.merges[i].rank;
        at = i;
      }
    }
    if (best == kNoMerge) break;
    p.ids[at] = p.merges[at].result;
    std::copy(p.ids + at + 2, p.ids + p.n, p.ids + at + 1);
    std::copy(p.merges + at + 2, p.merges + p.n, p.merges + at + 1);
    --p.n;
    // The two lookups are independent: start both loads before probing.
    if (at + 1 < p.n) prefetch(p.ids[at], p.ids[at + 1]);
    if (at > 0) prefetch(p.ids[at - 1], p.ids[at]);
    p.merges[at] = merge_of(p, at);
    if (at > 0) p.merges[at - 1] = merge_of(p, at - 1);
  }
  out.insert(out.end(), p.ids, p.ids + p.n);
}

void BpeMergeTable::merge_heap(std::span<const TokenId> word, std::vector<TokenId>& out) const {
  const std::size_t n = word.size();
  if (n == 0) return;
  // Parts form a linked list over the initial positions; a merged part keeps
  // the position of its left half.
  std::vector<TokenId> ids(word.begin(), word.end());
  std::vector<std::uint32_t> next(n), prev(n);
  std::vector<std::uint32_t> rank(n, kNoMerge);
  std::vector<bool> alive(n, true);
  for (std::size_t i = 0; i < n; ++i) {
    next[i] = static_cast<std::uint32_t>(i + 1);
    prev[i] = static_cast<std::uint32_t>(i == 0 ? 0 : i - 1);
  }
  struct Entry {
    std::uint32_t rank;
    std::uint32_t start;
    bool operator>(const Entry& o) const { return rank != o.rank ? rank > o.rank : start > o.start; }
  };
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap;
  auto update = [&](std::uint32_t i) {
    const std::uint32_t j = next[i];
    const Merge* m = j < n ? find(ids[i], ids[j]) : nullptr;
    rank[i] = m == nullptr ? kNoMerge : m->rank;
    if (m != nullptr) heap.push({m->rank, i});
  };
  for (std::uint32_t i = 0; i + 1 < n; ++i) update(i);
  while (!heap.empty()) {
    const Entry e = heap.top();
    heap.pop();
    if (!alive[e.start] || rank[e.start] != e.rank) continue;  // stale entry
    const std::uint32_t gone = next[e.start];
    ids[e.start] = find(ids[e.start], ids[gone])->result;
    alive[gone] = false;
    next[e.start] = next[gone];
    if (next[gone] < n) prev[next[gone]] = e.start;
    update(e.start);
    if (e.start > 0) update(prev[e.start]);
  }
  for (std::size_t i = 0; i < n; i = next[i]) out.push_back(ids[i]);
}

}  // namespace borealis::tokenize
