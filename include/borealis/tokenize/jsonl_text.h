#pragma once
// One JSONL line -> the text of one document: the string at `key` of the
// line's JSON object. Invalid UTF-8 in the line is replaced by U+FFFD (and
// counted) before parsing, so a stray byte costs a character, not the
// document. Shared by `borealis tokenize` and `borealis tokenizer train`.
// Valid lines go through simdjson (GB/s); only odd ones pay for the careful path.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace borealis::tokenize {

class JsonlTextExtractor {
 public:
  explicit JsonlTextExtractor(std::string key);
  ~JsonlTextExtractor();
  JsonlTextExtractor(JsonlTextExtractor&&) noexcept;
  JsonlTextExtractor& operator=(JsonlTextExtractor&&) noexcept;

  struct Result {
    std::string_view text;  // valid until the next call
    std::size_t replaced = 0;  // invalid UTF-8 sequences replaced
    std::string error;         // non-empty: not a JSON object, or no string at the key
  };
  Result extract(std::string_view line);

  const std::string& key() const { return key_; }

 private:
  bool extract_fast(std::string_view line, std::string_view& text);

  struct FastParser;  // simdjson's on-demand parser and its padded buffer
  std::string key_;
  std::unique_ptr<FastParser> fast_;
  std::string clean_;  // the line with invalid UTF-8 replaced
  std::string text_;   // the unescaped text
};

}  // namespace borealis::tokenize
