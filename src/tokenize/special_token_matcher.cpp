#include "borealis/tokenize/special_token_matcher.h"

#include <algorithm>
#include <cstring>

namespace borealis::tokenize {

SpecialTokenMatcher::SpecialTokenMatcher(const std::map<std::string, TokenId>& tokens) {
  for (const auto& [text, id] : tokens)
    if (!text.empty()) tokens_.push_back({text, id});
  std::sort(tokens_.begin(), tokens_.end(), [](const Token& a, const Token& b) {
    if (a.text[0] != b.text[0]) return static_cast<unsigned char>(a.text[0]) < static_cast<unsigned char>(b.text[0]);
    return a.text.size() > b.text.size();
  });
  for (std::size_t i = 0; i < tokens_.size(); ++i) {
    const auto b = static_cast<unsigned char>(tokens_[i].text[0]);
    auto& range = by_first_byte_[b];
    if (range.first == range.second) {
      range.first = static_cast<std::uint32_t>(i);
      first_bytes_ += tokens_[i].text[0];
    }
    range.second = static_cast<std::uint32_t>(i + 1);
  }
}

SpecialTokenMatcher::Match SpecialTokenMatcher::find(std::string_view text, std::size_t from) const {
  if (tokens_.empty()) return {};
  for (std::size_t pos = from; pos < text.size(); ++pos) {
    // Jump to the next byte that starts some token: memchr when there is
    // one such byte (the usual '<'), a set scan otherwise.
    if (first_bytes_.size() == 1) {
      const void* hit = std::memchr(text.data() + pos, first_bytes_[0], text.size() - pos);
      if (hit == nullptr) return {};
      pos = static_cast<std::size_t>(static_cast<const char*>(hit) - text.data());
    } else {
      pos = text.find_first_of(first_bytes_, pos);
      if (pos == std::string_view::npos) return {};
    }
    const auto [begin, end] = by_first_byte_[static_cast<unsigned char>(text[pos])];
    const std::string_view rest = text.substr(pos);
    for (std::uint32_t i = begin; i < end; ++i)  // longest first
      if (rest.starts_with(tokens_[i].text)) return {pos, tokens_[i].text.size(), tokens_[i].id};
  }
  return {};
}

}  // namespace borealis::tokenize
