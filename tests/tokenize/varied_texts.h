#pragma once
// The text set every tokenizer oracle test runs: every script, emoji
// sequences, digit and whitespace runs, odd-case contractions, LaTeX, code,
// chemistry, SMILES, DNA, special-token strings as plain text, long runs
// without spaces, and seeded random Unicode.

#include <random>
#include <string>
#include <vector>

#include "borealis/util/utf8.h"

namespace borealis::tokenize {

inline std::vector<std::string> varied_texts() {
  std::vector<std::string> texts = {
      "The quick brown fox jumps over the lazy dog.",
      "Ελληνικά κείμενα, кириллица и русский текст, العربية من اليمين, עברית",
      "हिन्दी देवनागरी लिपि, ไทยภาษา, 日本語のテキストと漢字, 中文文本, 한국어 텍스트",
      "emoji: 👩‍👩‍👧‍👦 🇫🇷 👍🏽 ❤️ 🧬🔬⚗️",
      "digits 1 12 123 1234 12345 3.14159265358979 1,000,000 ２０２６ ٣٤٥",
      "spaces    and\ttabs\t\tand\nnewlines\n\n\nand\r\nCRLF \u00a0nbsp\u3000ideographic\u2028ls",
      "DON'T we'Ll I'M you'RE they'VE she'D it'S O'Neil rock'n'roll",
      "\\begin{equation} E = mc^2 \\quad \\int_0^\\infty e^{-x^2} dx = \\frac{\\sqrt{\\pi}}{2} \\end{equation}",
      "for (int i = 0; i < n; ++i) { sum += a[i] * b[i]; }  // dot\n    return x;",
      "H2SO4 + 2NaOH -> Na2SO4 + 2H2O; CH3COOH; C6H12O6; Fe2(SO4)3",
      "SMILES: CC(=O)OC1=CC=CC=C1C(=O)O and C1CCCCC1 and [NH4+].[Cl-]",
      "ACGTTGCAACGTAGCTAGCTAGGCTAGCATCGATCGATCGATCGGGCTAGCTAGCTAGCATCGAT",
      "<|endoftext|> is plain text here, and so are <|fim_prefix|> and <|endofprompt|>",
      "combining: e\u0301 a\u0308 n\u0303 Z\u0336a\u0337l\u0338g\u0335o",
      "   leading spaces and trailing spaces   ",
      "",
      " ",
      "\n",
      "mixedCASEWords camelCase snake_case SCREAMING_CASE kebab-case",
      "https://example.org/path?query=1&x=y#frag user@example.com",
  };
  // Long runs without spaces take the O(n log n) merge path.
  std::string dna, base64;
  std::mt19937 bases(7);
  for (int i = 0; i < 3000; ++i) dna += "ACGT"[bases() % 4];
  for (int i = 0; i < 2000; ++i)
    base64 += "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[bases() % 64];
  texts.push_back(dna);
  texts.push_back(base64);
  // Seeded random Unicode: code points from every plane mixed with ASCII
  // whitespace and punctuation, where engines most often disagree on \s, \p{L}.
  std::mt19937 rng(2026);
  const char32_t pool[] = {' ', '\t', '\n', '\r', '\'', '.', '0', 'a', 'Z', 0x85, 0xA0, 0x1680, 0x2000,
                           0x200B, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF, 0x180E};
  for (int i = 0; i < 400; ++i) {
    std::string s;
    const int len = 1 + static_cast<int>(rng() % 24);
    for (int k = 0; k < len; ++k) {
      char32_t cp;
      switch (rng() % 4) {
        case 0: cp = pool[rng() % std::size(pool)]; break;
        case 1: cp = 0x20 + rng() % 0x5F; break;
        case 2: cp = rng() % 0x3000; break;
        default: cp = rng() % 0x110000; break;
      }
      if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 'x';
      util::append_utf8(s, cp);
    }
    texts.push_back(s);
  }
  return texts;
}

}  // namespace borealis::tokenize
