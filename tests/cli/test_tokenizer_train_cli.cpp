// `borealis tokenizer train` end to end: JSONL in, tokenizer.json + rank file
// out (byte-identical on a re-run), then the trained tokenizer.json drives
// `tokenizer encode` and `tokenize` into a .bin/.idx; bad input is one line.

#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "borealis/data/indexed_dataset.h"
#include "borealis/tokenize/hugging_face_tokenizer.h"
#include "test_util.h"

namespace borealis {
namespace {

using test::run_borealis;

void write_corpus(const std::string& path, int documents) {
  std::ofstream out(path);
  const char* sentences[] = {"Water boils at 373.15 K at sea level.", "The electron has charge -e.",
                             "Enzymes catalyse reactions; catalysis lowers the activation energy.",
                             "DNA bases: ACGT. Proteins fold.", "E = mc^2 and F = ma."};
  for (int d = 0; d < documents; ++d)
    out << nlohmann::json{{"text", std::string(sentences[d % 5]) + " #" + std::to_string(d)}}.dump() << "\n";
}

TEST(TokenizerTrainCli, TrainsThenTokenizesWithTheTrainedFile) {
  test::TempDir dir;
  write_corpus(dir / "corpus.jsonl", 400);
  const std::string args = "tokenizer train --input " + (dir / "corpus.jsonl") + " --vocab-size 350 --output ";
  auto r = run_borealis(args + (dir / "tok"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("trained 350 tokens"), std::string::npos) << r.output;
  r = run_borealis(args + (dir / "tok"));  // same inputs and options: reused
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("nothing to do"), std::string::npos) << r.output;
  r = run_borealis(args + (dir / "again"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* f : {"tokenizer.json", "tokenizer.tiktoken"})
    EXPECT_EQ(test::read_bytes(dir / ("tok/" + std::string(f))), test::read_bytes(dir / ("again/" + std::string(f))));

  r = run_borealis("tokenizer encode --tokenizer " + (dir / "tok/tokenizer.json") + " --input " +
                   (dir / "corpus.jsonl") + " --output " + (dir / "ids.jsonl"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(test::count_lines(std::string(test::read_bytes(dir / "ids.jsonl").data(),
                                          test::read_bytes(dir / "ids.jsonl").size())),
            400u);

  r = run_borealis("tokenize --tokenizer " + (dir / "tok/tokenizer.json") + " --input " + (dir / "corpus.jsonl") +
                   " --output-prefix " + (dir / "tokens") + " --append-eod");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto ds = data::IndexedDataset::open(dir / "tokens", data::Verify::kFull);
  EXPECT_EQ(ds.document_count(), 400u);
  // Every document ends with <|endoftext|>, the id after the learned tokens.
  const auto tok = tokenize::HuggingFaceTokenizer::from_file(dir / "tok/tokenizer.json");
  EXPECT_EQ(tok->end_of_document(), std::optional<tokenize::TokenId>(349));
}

TEST(TokenizerTrainCli, BadInputIsOneLineNamingFileAndLine) {
  test::TempDir dir;
  {
    std::ofstream out(dir / "bad.jsonl");
    out << "{\"text\": \"fine\"}\n{\"body\": \"no text key\"}\n";
  }
  auto r = run_borealis("tokenizer train --input " + (dir / "bad.jsonl") + " --output " + (dir / "tok"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("bad.jsonl: line 2: no string key \"text\""), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "tok/tokenizer.json"));
  r = run_borealis("tokenizer train --input " + (dir / "bad.jsonl") + " --output " + (dir / "tok") +
                   " --vocab-size 100");
  EXPECT_EQ(r.exit_code, 2) << r.output;  // below the 256 byte tokens: a usage error
  r = run_borealis("tokenize --tokenizer " + (dir / "missing/tokenizer.json") + " --input " + (dir / "bad.jsonl") +
                   " --output-prefix " + (dir / "out"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("missing/tokenizer.json"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace borealis
