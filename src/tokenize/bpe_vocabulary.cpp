#include "borealis/tokenize/bpe_vocabulary.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>

#include <xxhash.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "borealis/io/mapped_file.h"
#include "borealis/io/read_file.h"
#include "borealis/tokenize/byte_level_alphabet.h"
#include "borealis/util/utf8.h"
#include "borealis/util/error.h"

namespace borealis::tokenize {

namespace {

// Standard base64 (RFC 4648) with '=' padding, as tiktoken writes it.
bool decode_base64(std::string_view in, std::string& out) {
  static const std::array<int, 256> table = [] {
    std::array<int, 256> t{};
    t.fill(-1);
    const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(alphabet[i])] = i;
    return t;
  }();
  out.clear();
  if (in.size() % 4 != 0 || in.empty()) return false;
  for (std::size_t i = 0; i < in.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = in[i + static_cast<std::size_t>(k)];
      if (c == '=' && i + 4 == in.size() && k >= 2) {
        v[k] = 0;
        ++pad;
      } else {
        if (pad > 0) return false;
        v[k] = table[static_cast<unsigned char>(c)];
        if (v[k] < 0) return false;
      }
    }
    const std::uint32_t n = (static_cast<std::uint32_t>(v[0]) << 18) |
                            (static_cast<std::uint32_t>(v[1]) << 12) |
                            (static_cast<std::uint32_t>(v[2]) << 6) | static_cast<std::uint32_t>(v[3]);
    out.push_back(static_cast<char>((n >> 16) & 0xFF));
    if (pad < 2) out.push_back(static_cast<char>((n >> 8) & 0xFF));
    if (pad < 1) out.push_back(static_cast<char>(n & 0xFF));
  }
  return true;
}

}  // namespace

BpeVocabulary BpeVocabulary::load_tiktoken(const std::string& path) {
  io::MappedFile file(path);
  std::string_view text(reinterpret_cast<const char*>(file.data()), file.size());
  BpeVocabulary vocab;
  vocab.reserve(static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1);
  std::string bytes;
  std::size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const std::size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    const std::size_t space = line.find(' ');
    if (space == std::string_view::npos)
      throw_file_error(path, "line {}: expected '<base64 token> <rank>'", line_no);
    if (!decode_base64(line.substr(0, space), bytes))
      throw_file_error(path, "line {}: invalid base64 token", line_no);
    const std::string_view rank_text = line.substr(space + 1);
    TokenId rank = 0;
    auto [end, ec] = std::from_chars(rank_text.data(), rank_text.data() + rank_text.size(), rank);
    if (ec != std::errc() || end != rank_text.data() + rank_text.size() || rank == kNoRank)
      throw_file_error(path, "line {}: invalid rank '{}'", line_no, rank_text);
    try {
      vocab.add(bytes, rank);  // checks for a duplicate token or rank
    } catch (const Error& e) {
      throw_file_error(path, "line {}: {}", line_no, e.what());
    }
  }
  if (vocab.size() < 256) {
    throw_file_error(path, "has {} tokens; a byte-level BPE vocabulary needs all 256 bytes",
                     vocab.size());
  }
  for (int b = 0; b < 256; ++b) {
    if (vocab.rank(std::string(1, static_cast<char>(b))) == kNoRank)
      throw_file_error(path, "byte 0x{:02x} has no token; not a byte-level BPE vocabulary", b);
  }
  return vocab;
}

namespace {
inline std::uint64_t hash_bytes(std::string_view s) { return XXH3_64bits(s.data(), s.size()); }
}  // namespace

BpeVocabulary BpeVocabulary::load_gpt2(const std::string& vocab_json,
                                       const std::string& merges_txt,
                                       std::map<std::string, TokenId>& special_tokens) {
  const auto ids = nlohmann::json::parse(io::read_file(vocab_json), nullptr, false);
  if (ids.is_discarded() || !ids.is_object())
    throw_file_error(vocab_json, "not a JSON object of token -> id");
  std::map<std::string, TokenId, std::less<>> id_of;
  for (const auto& [token, id] : ids.items()) {
    if (!id.is_number_unsigned()) throw_file_error(vocab_json, "id of token '{}' is not a non-negative integer", token);
    id_of.emplace(token, id.get<TokenId>());
  }
  BpeVocabulary vocab;
  std::string bytes;
  std::map<std::string, bool, std::less<>> ordinary;
  // The 256 single-byte tokens.
  for (int b = 0; b < 256; ++b) {
    const std::string byte(1, static_cast<char>(b));
    const std::string spelled = byte_level_encode(byte);
    auto it = id_of.find(spelled);
    if (it == id_of.end()) throw_file_error(vocab_json, "lacks the token for byte 0x{:02x}", b);
    vocab.add(byte, it->second);
    ordinary[spelled] = true;
  }
  // One token per merge, in priority order.
  const std::string merges = io::read_file(merges_txt);
  std::string_view rest(merges);
  std::size_t line_no = 0;
  TokenId previous = 0;
  while (!rest.empty()) {
    ++line_no;
    const std::size_t eol = rest.find('\n');
    std::string_view line = rest.substr(0, eol);
    rest.remove_prefix(eol == std::string_view::npos ? rest.size() : eol + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || (line_no == 1 && line.starts_with("#version"))) continue;
    const std::size_t space = line.find(' ');
    if (space == std::string_view::npos || line.find(' ', space + 1) != std::string_view::npos)
      throw_file_error(merges_txt, "line {}: expected two tokens separated by one space", line_no);
    const std::string merged = std::string(line.substr(0, space)) + std::string(line.substr(space + 1));
    auto it = id_of.find(merged);
    if (it == id_of.end())
      throw_file_error(merges_txt, "line {}: merged token '{}' is not in {}", line_no, merged, vocab_json);
    if (ordinary.count(merged) != 0) continue;  // the same token reached by another merge
    if (it->second < previous) {
      throw_file_error(merges_txt,
                       "line {}: merge order differs from id order ('{}' has id {} after id {}); "
                       "such BPE files are not supported yet",
                       line_no, merged, it->second, previous);
    }
    previous = it->second;
    if (!byte_level_decode(merged, bytes))
      throw_file_error(vocab_json, "token '{}' is not in GPT-2's byte alphabet", merged);
    vocab.add(bytes, it->second);
    ordinary[merged] = true;
  }
  special_tokens.clear();
  for (const auto& [token, id] : id_of)
    if (ordinary.count(token) == 0) special_tokens.emplace(token, id);
  return vocab;
}

std::uint64_t BpeVocabulary::hash(std::string_view bytes) { return hash_bytes(bytes); }

TokenId BpeVocabulary::rank(std::string_view bytes, std::uint64_t h) const {
  if (slots_.empty()) return kNoRank;
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = h & mask;; i = (i + 1) & mask) {
    const Slot& slot = slots_[i];
    if (slot.rank == kNoRank) return kNoRank;
    if (slot.hash != h || slot.length != bytes.size()) continue;
    const std::size_t head = std::min(bytes.size(), kInline);
    if (std::memcmp(slot.head, bytes.data(), head) == 0 &&
        std::memcmp(arena_.data() + slot.offset + head, bytes.data() + head, bytes.size() - head) == 0)
      return slot.rank;
  }
}

void BpeVocabulary::insert_slot(const Slot& slot) {
  const std::size_t mask = slots_.size() - 1;
  std::size_t i = slot.hash & mask;
  while (slots_[i].rank != kNoRank) i = (i + 1) & mask;
  slots_[i] = slot;
}

void BpeVocabulary::grow() { reserve(std::max<std::size_t>(512, count_ * 2)); }

void BpeVocabulary::reserve(std::size_t tokens) {
  std::size_t size = 1024;
  while (size < tokens * 2) size *= 2;
  if (size <= slots_.size()) return;
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(size, Slot{});
  for (const Slot& s : old)
    if (s.rank != kNoRank) insert_slot(s);
}

void BpeVocabulary::add(std::string_view bytes, TokenId rank) {
  if (rank == kNoRank) throw Error("BPE vocabulary: rank 4294967295 is reserved");
  if (this->rank(bytes) != kNoRank || contains_id(rank))
    throw Error(fmt::format("BPE vocabulary: duplicate token or rank {}", rank));
  if (arena_.size() + bytes.size() > 0xFFFFFFFFu) throw Error("BPE vocabulary: tokens exceed 4 GiB");
  if ((count_ + 1) * 2 > slots_.size()) grow();
  const auto offset = static_cast<std::uint32_t>(arena_.size());
  arena_.append(bytes);
  Slot slot{hash_bytes(bytes), offset, static_cast<std::uint32_t>(bytes.size()), rank};
  std::memcpy(slot.head, bytes.data(), std::min(bytes.size(), kInline));
  insert_slot(slot);
  if (rank >= by_id_.size()) by_id_.resize(static_cast<std::size_t>(rank) + 1);
  by_id_[rank] = {offset, static_cast<std::uint32_t>(bytes.size()), true};
  ++count_;
}

}  // namespace borealis::tokenize
