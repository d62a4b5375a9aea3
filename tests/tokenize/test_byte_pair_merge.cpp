// tiktoken's merge rule through BpeMergeTable::from_ranks must give what the
// textbook statement of the rule gives (written out below, independently):
// repeatedly merge the adjacent pair whose concatenation has the lowest rank,
// the leftmost on ties. Checked on random pieces with a real vocabulary, for
// both the short-piece scan and the long-piece heap.

#include <random>

#include <gtest/gtest.h>

#include "borealis/tokenize/bpe_merge_table.h"
#include "borealis/tokenize/bpe_tokenizer.h"
#include "borealis/tokenize/bpe_vocabulary.h"
#include "borealis/util/error.h"
#include "test_util.h"

namespace borealis::tokenize {
namespace {

std::vector<TokenId> textbook_tiktoken(std::string_view piece, const BpeVocabulary& vocab) {
  std::vector<std::string> parts;
  for (const char c : piece) parts.emplace_back(1, c);
  while (parts.size() > 1) {
    TokenId best = BpeVocabulary::kNoRank;
    std::size_t at = 0;
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
      const TokenId r = vocab.rank(parts[i] + parts[i + 1]);
      if (r < best) {
        best = r;
        at = i;
      }
    }
    if (best == BpeVocabulary::kNoRank) break;
    parts[at] += parts[at + 1];
    parts.erase(parts.begin() + static_cast<std::ptrdiff_t>(at) + 1);
  }
  std::vector<TokenId> ids;
  for (const auto& p : parts) ids.push_back(vocab.rank(p));
  return ids;
}

TEST(BytePairMerge, PairTableFollowsTiktokensRule) {
  const auto vocab = BpeVocabulary::load_tiktoken(test::data_dir() + "/vocab/cl100k_base.tiktoken");
  const auto table = BpeMergeTable::from_ranks(vocab);
  std::mt19937 rng(7);
  const std::string alphabets[] = {"ab", "ACGT", "abcdefghijklmnopqrstuvwxyz", "=-_ .0123456789"};
  for (int trial = 0; trial < 300; ++trial) {
    const std::string& alphabet = alphabets[trial % 4];
    std::string piece;
    const std::size_t len = 1 + rng() % 300;
    for (std::size_t i = 0; i < len; ++i) piece += alphabet[rng() % alphabet.size()];
    std::vector<TokenId> bytes;
    for (const char c : piece) bytes.push_back(vocab.rank(std::string(1, c)));
    const auto expected = textbook_tiktoken(piece, vocab);
    std::vector<TokenId> quadratic, heap;
    table.merge_quadratic(bytes, quadratic);
    table.merge_heap(bytes, heap);
    ASSERT_EQ(quadratic, expected) << piece;
    ASSERT_EQ(heap, expected) << piece;
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
  // "IQ==" is the byte '!'; the same token twice, then the same rank twice.
  for (const std::string text : {"IQ== 0\nIQ== 1\n", "IQ== 0\nIg== 0\n"}) {
    test::write_bytes(path, std::vector<char>(text.begin(), text.end()));
    try {
      BpeVocabulary::load_tiktoken(path);
      FAIL();
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(path + ": line 2: "), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("duplicate token or rank"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace borealis::tokenize

namespace borealis::tokenize {
namespace {

// The per-thread PieceCache is shared by every tokenizer on a thread: each
// must still get its own ids when they encode the same words in turn.
TEST(PieceCache, TokenizersSharingAThreadKeepTheirOwnIds) {
  const std::string vocab = test::data_dir() + "/vocab/";
  const auto r50k = BpeTokenizer::from_tiktoken(vocab + "r50k_base.tiktoken");
  const auto cl100k = BpeTokenizer::from_tiktoken(vocab + "cl100k_base.tiktoken");
  const std::string text = " thermodynamically electroencephalography the the the";
  const auto a = r50k.encode(text), b = cl100k.encode(text);
  EXPECT_NE(a, b);
  for (int round = 0; round < 3; ++round) {
    EXPECT_EQ(r50k.encode(text), a);
    EXPECT_EQ(cl100k.encode(text), b);
  }
  // A fresh tokenizer (new owner id) gives the same ids as the first.
  EXPECT_EQ(BpeTokenizer::from_tiktoken(vocab + "r50k_base.tiktoken").encode(text), a);
}

}  // namespace
}  // namespace borealis::tokenize
