#pragma once
// Pre-tokenization: split text into the pieces BPE runs on, with a
// tiktoken-style pattern (lookahead, \p{L}/\p{N} classes) compiled by PCRE2
// in UTF + UCP mode with the JIT. The subject is UTF-8-checked once per call,
// not once per match, so splitting stays linear in the text.

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace borealis::tokenize {

class RegexSplitter {
 public:
  explicit RegexSplitter(const std::string& pattern);
  ~RegexSplitter();
  RegexSplitter(RegexSplitter&&) noexcept;
  RegexSplitter& operator=(RegexSplitter&&) noexcept;

  // Calls on_piece for every match, left to right. Text between matches (none
  // for the tiktoken patterns, which match every character) is skipped, as
  // tiktoken does. Throws borealis::Error on invalid UTF-8.
  void split(std::string_view text, const std::function<void(std::string_view)>& on_piece) const;

  // Hugging Face's Split with behavior "Isolated": every match is a piece,
  // and so is every non-empty stretch of text between matches.
  void split_isolated(std::string_view text,
                      const std::function<void(std::string_view)>& on_piece) const;

  const std::string& pattern() const { return pattern_; }

 private:
  // Calls on_match(begin, end) for every non-empty match, left to right.
  void for_each_match(std::string_view text,
                      const std::function<void(std::size_t, std::size_t)>& on_match) const;
  struct Compiled;
  std::string pattern_;
  std::unique_ptr<Compiled> compiled_;
};

}  // namespace borealis::tokenize
