// SentencePiece through libsentencepiece: a model trained here by Debian's
// spm_train must encode exactly as Debian's spm_encode does, and the tokenizer
// must plug into `borealis tokenize` (.model files, </s> as end of document).

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

#include <gtest/gtest.h>

#include "borealis/data/indexed_dataset.h"
#include "borealis/tokenize/jsonl_to_dataset.h"
#include "borealis/tokenize/sentencepiece_tokenizer.h"
#include "borealis/tokenize/tokenizer_loader.h"
#include "borealis/util/error.h"
#include "test_util.h"

namespace borealis::tokenize {
namespace {

std::vector<std::string> science_sentences(int n, unsigned seed) {
  const std::vector<std::string> subjects = {"The proton", "An electron", "Hydrogen gas", "The enzyme",
                                             "A neutron star", "Sodium chloride", "The catalyst"};
  const std::vector<std::string> verbs = {"absorbs", "emits", "binds", "accelerates", "dissolves in",
                                          "orbits", "reacts with"};
  const std::vector<std::string> objects = {"ultraviolet light", "water at 25 °C", "the substrate",
                                            "a magnetic field", "carbon dioxide", "H₂O molecules"};
  std::mt19937 rng(seed);
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i)
    out.push_back(subjects[rng() % subjects.size()] + " " + verbs[rng() % verbs.size()] + " " +
                  objects[rng() % objects.size()] + " (run " + std::to_string(rng() % 1000) + ").");
  return out;
}

class SentencePieceOracle : public ::testing::TestWithParam<std::string> {};

TEST_P(SentencePieceOracle, MatchesSpmEncode) {
  test::TempDir dir;
  {
    std::ofstream train(dir / "train.txt");
    for (const auto& s : science_sentences(2000, 1)) train << s << "\n";
  }
  const std::string train_cmd = "spm_train --input=" + (dir / "train.txt") +
                                " --model_prefix=" + (dir / "m") + " --vocab_size=400 --model_type=" +
                                GetParam() + " --byte_fallback=true --hard_vocab_limit=false --minloglevel=2 > /dev/null 2>&1";
  ASSERT_EQ(std::system(train_cmd.c_str()), 0) << train_cmd;

  std::vector<std::string> texts = science_sentences(200, 2);
  texts.push_back("unseen words: zymurgy quasar 🧬 Ω ∑ 東京");
  texts.push_back("  leading and   repeated   spaces");
  {
    std::ofstream in(dir / "eval.txt");
    for (const auto& t : texts) in << t << "\n";
  }
  const std::string encode_cmd = "spm_encode --model=" + (dir / "m.model") +
                                 " --output_format=id < " + (dir / "eval.txt") + " > " +
                                 (dir / "ids.txt");
  ASSERT_EQ(std::system(encode_cmd.c_str()), 0);
  // Decoding is checked against spm_decode, not against the input: the
  // model's NFKC normalizer is lossy by design (H₂O decodes as H2O).
  const std::string decode_cmd = "spm_decode --model=" + (dir / "m.model") +
                                 " --input_format=id < " + (dir / "ids.txt") + " > " +
                                 (dir / "decoded.txt");
  ASSERT_EQ(std::system(decode_cmd.c_str()), 0);
  std::ifstream decoded_in(dir / "decoded.txt");

  const auto tok = load_tokenizer(dir / "m.model");
  std::ifstream ids_in(dir / "ids.txt");
  std::string line;
  for (const auto& text : texts) {
    ASSERT_TRUE(std::getline(ids_in, line));
    std::vector<TokenId> expected;
    std::stringstream ss(line);
    TokenId id;
    while (ss >> id) expected.push_back(id);
    EXPECT_EQ(tok->encode(text), expected) << text;
    std::string decoded;
    ASSERT_TRUE(std::getline(decoded_in, decoded));
    EXPECT_EQ(tok->decode(expected), decoded);
  }
  std::ifstream vocab(dir / "m.vocab");  // one line per piece, written by spm_train
  std::size_t pieces = 0;
  while (std::getline(vocab, line)) ++pieces;
  EXPECT_EQ(tok->vocab_size(), pieces);
  EXPECT_EQ(tok->end_of_document(), std::optional<TokenId>(2));  // spm_train's default </s>

  // The model drives `borealis tokenize` like any other tokenizer.
  std::ofstream(dir / "docs.jsonl") << "{\"text\": \"The proton binds the substrate.\"}\n";
  JsonlTokenizeOptions opt;
  opt.append_eod = true;
  opt.prepend_bos = true;
  tokenize_jsonl_to_dataset(*tok, dir / "m.model", {dir / "docs.jsonl"}, dir / "ds", opt);
  const auto ds = data::IndexedDataset::open(dir / "ds", data::Verify::kFull);
  std::vector<TokenId> ids = {1};  // spm_train's default <s>
  for (TokenId id : tok->encode("The proton binds the substrate.")) ids.push_back(id);
  ids.push_back(2);
  const auto seq = ds.sequence<std::uint16_t>(0);
  EXPECT_EQ(std::vector<TokenId>(seq.begin(), seq.end()), ids);
}

INSTANTIATE_TEST_SUITE_P(ModelTypes, SentencePieceOracle, ::testing::Values("bpe", "unigram"));

TEST(SentencePiece, CorruptModelNamesTheFile) {
  test::TempDir dir;
  test::write_bytes(dir / "bad.model", {'n', 'o', 'p', 'e'});
  try {
    SentencePieceTokenizer tok(dir / "bad.model");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find((dir / "bad.model") + ": not a valid SentencePiece model"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace borealis::tokenize
