#pragma once
// Finds special (or added) token strings in text: the earliest occurrence,
// and the longest token on a tie -- the leftmost-longest rule of tiktoken's
// special regex and of the Aho-Corasick matcher in `tokenizers`. One pass
// over the text with memchr-style scanning for the tokens' first bytes, so a
// vocabulary with hundreds of reserved tokens (Llama-3 has 256) costs about
// the same as one with a single <|endoftext|>.

#include <array>
#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "borealis/tokenize/tokenizer.h"

namespace borealis::tokenize {

class SpecialTokenMatcher {
 public:
  SpecialTokenMatcher() = default;
  explicit SpecialTokenMatcher(const std::map<std::string, TokenId>& tokens);

  struct Match {
    std::size_t position = std::string_view::npos;  // npos: none
    std::size_t length = 0;
    TokenId id = 0;
  };
  // The first token at or after `from`.
  Match find(std::string_view text, std::size_t from = 0) const;
  bool empty() const { return tokens_.empty(); }

  // Walks `text` in order: on_text(stretch) for every non-empty stretch
  // between tokens, on_token(id) for every token.
  template <typename OnText, typename OnToken>
  void split(std::string_view text, OnText&& on_text, OnToken&& on_token) const {
    std::size_t pos = 0;
    while (pos < text.size()) {
      const Match match = find(text, pos);
      if (match.position == std::string_view::npos) break;
      if (match.position > pos) on_text(text.substr(pos, match.position - pos));
      on_token(match.id);
      pos = match.position + match.length;
    }
    if (pos < text.size()) on_text(text.substr(pos));
  }

 private:
  struct Token {
    std::string text;
    TokenId id;
  };
  std::vector<Token> tokens_;  // sorted by first byte, then longest first
  // by_first_byte_[b] = [begin, end) of the tokens starting with byte b.
  std::array<std::pair<std::uint32_t, std::uint32_t>, 256> by_first_byte_{};
  std::string first_bytes_;  // the distinct first bytes, for the scan
};

}  // namespace borealis::tokenize
