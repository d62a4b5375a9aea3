#include "borealis/util/utf8.h"

namespace borealis::util {

std::size_t sanitize_utf8(std::string_view in, std::string& out) {
  out.clear();
  out.reserve(in.size());
  std::size_t replaced = 0;
  const auto* s = reinterpret_cast<const unsigned char*>(in.data());
  const std::size_t n = in.size();
  std::size_t i = 0;
  while (i < n) {
    const unsigned char c = s[i];
    if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    // Expected length and the allowed range of the second byte (Table 3-7).
    std::size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;  // no surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;  // <= U+10FFFF
    }
    std::size_t good = 0;  // bytes of a valid prefix
    if (len > 0) {
      good = 1;
      if (i + 1 < n && s[i + 1] >= lo && s[i + 1] <= hi) {
        good = 2;
        while (good < len && i + good < n && (s[i + good] & 0xC0) == 0x80) ++good;
      }
    }
    if (len > 0 && good == len) {
      out.append(in.data() + i, len);
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      ++replaced;
      i += good > 0 ? good : 1;
    }
  }
  return replaced;
}

}  // namespace borealis::util
