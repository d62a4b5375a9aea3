// The heap merge (long pieces) must merge in exactly the order of the direct
// scan (tiktoken's algorithm) -- checked on random pieces with a real vocabulary.

#include <random>

#include <gtest/gtest.h>

#include "borealis/tokenize/byte_pair_merge.h"
#include "borealis/util/error.h"
#include "test_util.h"

namespace borealis::tokenize {
namespace {

TEST(BytePairMerge, HeapAndQuadraticAgree) {
  const auto vocab = BpeVocabulary::load_tiktoken(test::data_dir() + "/vocab/cl100k_base.tiktoken");
  std::mt19937 rng(7);
  const std::string alphabets[] = {"ab", "ACGT", "abcdefghijklmnopqrstuvwxyz", "=-_ .0123456789"};
  for (int trial = 0; trial < 300; ++trial) {
    const std::string& alphabet = alphabets[trial % 4];
    std::string piece;
    const std::size_t len = 1 + rng() % 300;
    for (std::size_t i = 0; i < len; ++i) piece += alphabet[rng() % alphabet.size()];
    std::vector<TokenId> a, b;
    encode_piece_quadratic(piece, vocab, a);
    encode_piece_heap(piece, vocab, b);
    ASSERT_EQ(a, b) << piece;
  }
}

TEST(BpeVocabulary, RejectsMalformedRankFiles) {
  test::TempDir dir;
  const std::string path = dir / "bad.tiktoken";
  test::write_bytes(path, {'I', 'Q', '=', '=', ' ', 'x', '\n'});
  try {
    BpeVocabulary::load_tiktoken(path);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path + ": line 1: invalid rank 'x'"), std::string::npos)
        << e.what();
  }
  test::write_bytes(path, {'*', '*', ' ', '0', '\n'});
  EXPECT_THROW(BpeVocabulary::load_tiktoken(path), Error);  // not base64
  test::write_bytes(path, {'I', 'Q', '=', '=', ' ', '0', '\n'});
  EXPECT_THROW(BpeVocabulary::load_tiktoken(path), Error);  // lacks 255 of the bytes
}

}  // namespace
}  // namespace borealis::tokenize
