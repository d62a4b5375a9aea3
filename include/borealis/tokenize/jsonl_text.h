#pragma once
// One JSONL line -> the text of one document: the string at `key` of the
// line's JSON object. Invalid UTF-8 in the line is replaced by U+FFFD (and
// counted) before parsing, so a stray byte costs a character, not the
// document. Shared by `borealis tokenize` and `borealis tokenizer train`.

#include <cstddef>
#include <string>
#include <string_view>

namespace borealis::tokenize {

class JsonlTextExtractor {
 public:
  explicit JsonlTextExtractor(std::string key) : key_(std::move(key)) {}

  struct Result {
    std::string_view text;  // valid until the next call
    std::size_t replaced = 0;  // invalid UTF-8 sequences replaced
    std::string error;         // non-empty: not a JSON object, or no string at the key
  };
  Result extract(std::string_view line);

  const std::string& key() const { return key_; }

 private:
  std::string key_;
  std::string clean_;  // the line with invalid UTF-8 replaced
  std::string text_;   // the unescaped text
};

}  // namespace borealis::tokenize
