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
