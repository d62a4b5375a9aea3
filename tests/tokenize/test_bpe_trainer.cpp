// BpeTrainer: the classic algorithm on a worked example, determinism, and
// exactness of what it writes: the tokenizer.json must encode the same in
// Hugging Face's `tokenizers` (npm tokenizers@0.23.2) as in Borealis, and the
// .tiktoken rank file the same in OpenAI's tiktoken (npm tiktoken@1.0.22).

#include <cstdio>
#include <fstream>
#include <random>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "borealis/tokenize/bpe_tokenizer.h"
#include "borealis/tokenize/bpe_trainer.h"
#include "borealis/tokenize/hugging_face_tokenizer.h"
#include "borealis/util/error.h"
#include "test_util.h"
#include "tokenize/varied_texts.h"

namespace borealis::tokenize {
namespace {

const std::string kVocab = test::data_dir() + "/vocab";

TEST(BpeTrainer, LearnsTheWorkedExample) {
  // "aaabdaaabac": aa occurs 4 times; then ab and (aa, a) tie at 2 and the
  // smaller pair (a, b) wins; then (aa, ab) occurs twice; then nothing twice.
  BpeTrainerOptions options;
  options.vocab_size = 300;
  options.special_tokens = {};
  BpeTrainer trainer(options);
  trainer.add_text("aaabdaaabac");
  const auto bpe = trainer.train();
  ASSERT_EQ(bpe.merges.size(), 3u);
  EXPECT_EQ(bpe.merges[0].left, 'a');
  EXPECT_EQ(bpe.merges[0].right, 'a');
  EXPECT_EQ(bpe.merges[1].left, 'a');
  EXPECT_EQ(bpe.merges[1].right, 'b');
  EXPECT_EQ(bpe.merges[2].left, 256u);
  EXPECT_EQ(bpe.merges[2].right, 257u);
  EXPECT_EQ(bpe.token_bytes.back(), "aaab");
  EXPECT_EQ(bpe.token_bytes.size(), 259u);
}

TEST(BpeTrainer, RejectsAVocabularyTooSmallForTheBytes) {
  BpeTrainerOptions options;
  options.vocab_size = 256;  // + <|endoftext|> needs 257
  EXPECT_THROW(BpeTrainer{options}, Error);
  options.pattern_name = "no_such_pattern";
  options.vocab_size = 1000;
  EXPECT_THROW(BpeTrainer{options}, Error);
}

// A corpus with a Zipf-like word distribution plus the varied text set.
std::vector<std::string> training_texts() {
  std::vector<std::string> texts = varied_texts();
  const std::vector<std::string> words = {"the", "of", "protein", "electron", "quantum", "acid",
                                          "thermodynamic", "isotope", "catalysis", "enzyme",
                                          "H2O", "CO2", "x^2", "\\alpha", "1984", "DNA"};
  std::mt19937 rng(11);
  for (int d = 0; d < 300; ++d) {
    std::string doc;
    for (int w = 0; w < 60; ++w) {
      const std::size_t k = std::min<std::size_t>(rng() % words.size(), rng() % words.size());
      doc += (w == 0 ? "" : (rng() % 9 == 0 ? ",\n" : " ")) + words[k];
    }
    texts.push_back(doc);
  }
  return texts;
}

std::vector<std::string> trained_files(const test::TempDir& dir) {
  BpeTrainerOptions options;
  options.vocab_size = 1200;
  BpeTrainer trainer(options);
  for (const auto& t : training_texts()) trainer.add_text(t);
  return write_trained_bpe(trainer.train(), dir / "trained", "science");
}

TEST(BpeTrainer, IsDeterministic) {
  test::TempDir a, b;
  const auto first = trained_files(a), second = trained_files(b);
  for (std::size_t i = 0; i < first.size(); ++i) EXPECT_EQ(test::read_bytes(first[i]), test::read_bytes(second[i]));
}

TEST(BpeTrainer, WrittenFilesEncodeAlikeInTokenizersAndTiktoken) {
  test::TempDir dir;
  const auto files = trained_files(dir);
  const std::string tokenizer_json = files[0], rank_file = files[1];
  const auto ours = HuggingFaceTokenizer::from_file(tokenizer_json);
  EXPECT_EQ(ours->vocab_size(), 1200u);
  EXPECT_EQ(ours->end_of_document(), std::optional<TokenId>(1199));

  auto texts = varied_texts();
  for (const auto& t : training_texts()) texts.push_back(t);
  {
    std::ofstream in(dir / "in.jsonl");
    for (const auto& t : texts) in << nlohmann::json{{"text", t}}.dump() << "\n";
  }
  const std::string src = BOREALIS_TEST_SOURCE;
  const std::string hf_cmd = "node '" + src + "/tokenize/hf_tokenizers_oracle.cjs' '" + kVocab +
                             "/hf-tokenizers' encode '" + tokenizer_json + "' '" + (dir / "in.jsonl") +
                             "' > '" + (dir / "hf.jsonl") + "'";
  ASSERT_EQ(std::system(hf_cmd.c_str()), 0) << hf_cmd;
  const std::string tk_cmd = "node '" + src + "/tokenize/tiktoken_oracle.cjs' '" + kVocab + "/tiktoken' '" +
                             (dir / "in.jsonl") + "' '" + rank_file + "' > '" + (dir / "tk.jsonl") + "'";
  ASSERT_EQ(std::system(tk_cmd.c_str()), 0) << tk_cmd;

  // Our tiktoken-rule tokenizer over the same rank file and pattern.
  const auto json = nlohmann::json::parse(std::ifstream(tokenizer_json));
  const BpeTokenizer ranked("science", BpeVocabulary::load_tiktoken(rank_file),
                            json["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"].get<std::string>(),
                            {{"<|endoftext|>", 1199}});
  std::ifstream hf(dir / "hf.jsonl"), tk(dir / "tk.jsonl");
  std::string hf_line, tk_line;
  for (const auto& text : texts) {
    ASSERT_TRUE(std::getline(hf, hf_line) && std::getline(tk, tk_line)) << "oracle output ended early";
    const auto hf_ids = nlohmann::json::parse(hf_line)["ids"].get<std::vector<TokenId>>();
    const auto tk_ids = nlohmann::json::parse(tk_line)["ids"].get<std::vector<TokenId>>();
    // `tokenizers` always matches added tokens; tiktoken's encode_ordinary never does.
    EXPECT_EQ(ours->encode(text, SpecialTokens::kAll), hf_ids) << nlohmann::json(text).dump();
    const auto our_ids = ours->encode(text, SpecialTokens::kNone);
    EXPECT_EQ(our_ids, tk_ids) << nlohmann::json(text).dump();
    EXPECT_EQ(ranked.encode(text), tk_ids) << nlohmann::json(text).dump();
    EXPECT_EQ(ours->decode(our_ids), text);
  }
}

}  // namespace
}  // namespace borealis::tokenize
