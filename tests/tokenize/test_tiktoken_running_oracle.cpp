// Exactness against the running oracle: the official tiktoken (npm
// tiktoken@1.0.22, fetched by scripts/fetch-test-data) encodes a varied text
// set -- every script, emoji sequences, digit and whitespace runs, odd-case
// contractions, LaTeX, code, chemistry, DNA, special-token strings as plain
// text, and seeded random Unicode -- and Borealis must give the same ids.

#include <cstdio>
#include <fstream>
#include <random>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "borealis/tokenize/bpe_tokenizer.h"
#include "borealis/util/utf8.h"
#include "test_util.h"

namespace borealis::tokenize {
namespace {


std::vector<std::string> varied_texts() {
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

TEST(TiktokenRunningOracle, VariedTextMatchesOfficialTiktoken) {
  const std::string vocab = test::data_dir() + "/vocab";
  const std::vector<std::string> encodings = {"r50k_base", "p50k_base", "cl100k_base",
                                              "o200k_base"};
  const auto texts = varied_texts();
  test::TempDir dir;
  {
    std::ofstream in(dir / "in.jsonl");
    for (const auto& t : texts) in << nlohmann::json{{"text", t}}.dump() << "\n";
  }
  std::string cmd = "node '" + std::string(BOREALIS_TEST_SOURCE) + "/tokenize/tiktoken_oracle.cjs' '" +
                    vocab + "/tiktoken' '" + (dir / "in.jsonl") + "'";
  for (const auto& e : encodings) cmd += " " + e;
  cmd += " > '" + (dir / "out.jsonl") + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << "oracle failed: " << cmd;

  std::vector<std::unique_ptr<BpeTokenizer>> ours;
  for (const auto& e : encodings)
    ours.push_back(std::make_unique<BpeTokenizer>(
        BpeTokenizer::from_tiktoken(vocab + "/" + e + ".tiktoken")));
  std::ifstream out(dir / "out.jsonl");
  std::string line;
  std::size_t compared = 0;
  for (const auto& text : texts) {
    for (std::size_t e = 0; e < encodings.size(); ++e) {
      ASSERT_TRUE(std::getline(out, line)) << "oracle output ended early";
      const auto j = nlohmann::json::parse(line);
      ASSERT_EQ(j["encoding"], encodings[e]);
      const auto expected = j["ids"].get<std::vector<TokenId>>();
      EXPECT_EQ(ours[e]->encode(text), expected) << encodings[e] << " on " << nlohmann::json(text).dump();
      EXPECT_EQ(ours[e]->decode(expected), text);
      ++compared;
    }
  }
  EXPECT_EQ(compared, texts.size() * encodings.size());
}

}  // namespace
}  // namespace borealis::tokenize
