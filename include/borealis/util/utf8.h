#pragma once
// UTF-8 encoding of one code point.

#include <cstddef>
#include <string>
#include <string_view>

namespace borealis::util {

// Appends the UTF-8 bytes of `code_point` (which must be a Unicode scalar
// value: <= U+10FFFF and not a surrogate).
inline void append_utf8(std::string& out, char32_t code_point) {
  const char32_t cp = code_point;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Copies `in` to `out` with every invalid UTF-8 sequence (bad lead byte,
// missing continuation, overlong form, surrogate, > U+10FFFF) replaced by
// U+FFFD, one replacement per maximal invalid subpart as the Unicode
// standard recommends. Returns the number of replacements.
std::size_t sanitize_utf8(std::string_view in, std::string& out);

}  // namespace borealis::util
