#pragma once
// GPT-2's byte-level alphabet, used by vocab.json/merges.txt and by every
// Hugging Face tokenizer.json with a ByteLevel pre-tokenizer: each byte is
// spelled as one printable code point, so byte strings can be JSON keys.
// Bytes that are printable Latin-1 ('!'..'~', U+00A1..U+00AC, U+00AE..U+00FF)
// stand for themselves; the other 68 map to U+0100 upwards in byte order.

#include <string>
#include <string_view>

namespace borealis::tokenize {

// Decodes a token spelled in the alphabet to its bytes; false if some
// character is not in the alphabet.
bool byte_level_decode(std::string_view spelled, std::string& bytes);

// Spells bytes in the alphabet (always succeeds).
std::string byte_level_encode(std::string_view bytes);

}  // namespace borealis::tokenize
