// Exactness against the running oracle: the official tiktoken (npm
// tiktoken@1.0.22, fetched by scripts/fetch-test-data) encodes a varied text
// set -- every script, emoji sequences, digit and whitespace runs, odd-case
// contractions, LaTeX, code, chemistry, DNA, special-token strings as plain
// text, and seeded random Unicode -- and Borealis must give the same ids.

#include <cstdio>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "borealis/tokenize/bpe_tokenizer.h"
#include "test_util.h"
#include "tokenize/varied_texts.h"

namespace borealis::tokenize {
namespace {


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
