#pragma once
// Pre-tokenization: split text into the pieces BPE runs on, with a
// tiktoken-style pattern (lookahead, \p{L}/\p{N} classes) compiled by PCRE2
// in UTF + UCP mode with the JIT. The subject is UTF-8-checked once per call,
// not once per match, so splitting stays linear in the text.

#include <cstddef>
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
  // tiktoken does. Throws borealis::Error on invalid UTF-8. A template, not a
  // std::function: it runs once per piece, the tokenizer's innermost loop.
  template <class OnPiece>
  void split(std::string_view text, OnPiece&& on_piece) const {
    Matches matches(*this, text);
    std::size_t begin = 0, end = 0;
    while (matches.next(begin, end)) on_piece(text.substr(begin, end - begin));
  }

  // Hugging Face's Split with behavior "Isolated": every match is a piece,
  // and so is every non-empty stretch of text between matches.
  template <class OnPiece>
  void split_isolated(std::string_view text, OnPiece&& on_piece) const {
    Matches matches(*this, text);
    std::size_t begin = 0, end = 0, done = 0;
    while (matches.next(begin, end)) {
      if (begin > done) on_piece(text.substr(done, begin - done));
      on_piece(text.substr(begin, end - begin));
      done = end;
    }
    if (done < text.size()) on_piece(text.substr(done));
  }

  const std::string& pattern() const { return pattern_; }

 private:
  // The non-empty matches in one text, left to right.
  class Matches {
   public:
    Matches(const RegexSplitter& splitter, std::string_view text)
        : splitter_(splitter), text_(text) {}
    // The next match as byte offsets [begin, end); false after the last.
    bool next(std::size_t& begin, std::size_t& end);

   private:
    const RegexSplitter& splitter_;
    std::string_view text_;
    std::size_t start_ = 0;
    bool utf_checked_ = false;  // the first match checks the whole text's UTF-8
  };
  struct Compiled;
  std::string pattern_;
  std::unique_ptr<Compiled> compiled_;
};

}  // namespace borealis::tokenize
