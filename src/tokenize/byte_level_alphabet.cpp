#include "borealis/tokenize/byte_level_alphabet.h"

#include <array>
#include <cstdint>

#include "borealis/util/utf8.h"

namespace borealis::tokenize {

namespace {

struct Alphabet {
  std::array<char32_t, 256> code_point{};  // byte -> code point
  std::array<std::int16_t, 0x200> byte{};  // code point -> byte, -1 where unmapped
};

const Alphabet& alphabet() {
  static const Alphabet a = [] {
    Alphabet t;
    t.byte.fill(-1);
    char32_t next = 0x100;
    for (int b = 0; b < 256; ++b) {
      const bool printable =
          (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      const char32_t cp = printable ? static_cast<char32_t>(b) : next++;
      t.code_point[static_cast<std::size_t>(b)] = cp;
      t.byte[cp] = static_cast<std::int16_t>(b);
    }
    return t;
  }();
  return a;
}

}  // namespace

bool byte_level_decode(std::string_view spelled, std::string& bytes) {
  bytes.clear();
  const auto& table = alphabet().byte;
  for (std::size_t i = 0; i < spelled.size();) {
    const auto c = static_cast<unsigned char>(spelled[i]);
    char32_t cp;
    if (c < 0x80) {
      cp = c;
      i += 1;
    } else if ((c & 0xE0) == 0xC0 && i + 1 < spelled.size()) {
      cp = (static_cast<char32_t>(c & 0x1F) << 6) | (static_cast<unsigned char>(spelled[i + 1]) & 0x3F);
      i += 2;
    } else {
      return false;  // the alphabet is all below U+0200
    }
    if (cp >= table.size() || table[cp] < 0) return false;
    bytes.push_back(static_cast<char>(table[cp]));
  }
  return true;
}

std::string byte_level_encode(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes)
    util::append_utf8(out, alphabet().code_point[static_cast<unsigned char>(c)]);
  return out;
}

}  // namespace borealis::tokenize
