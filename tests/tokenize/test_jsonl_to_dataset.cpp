// `borealis tokenize` in one process: JSONL (plain, gzip, zstd) -> .bin/.idx,
// with the bad-input policies and resume of the issue.

#include <zlib.h>
#include <zstd.h>

#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "borealis/data/indexed_dataset.h"
#include "borealis/io/line_reader.h"
#include "borealis/tokenize/bpe_tokenizer.h"
#include "borealis/tokenize/jsonl_to_dataset.h"
#include "borealis/util/error.h"
#include "borealis/util/utf8.h"
#include "test_util.h"

namespace borealis::tokenize {
namespace {

using test::TempDir;

const std::string kVocab = test::data_dir() + "/vocab/r50k_base.tiktoken";

const BpeTokenizer& gpt2() {
  static const BpeTokenizer tok = BpeTokenizer::from_tiktoken(kVocab);
  return tok;
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

void write_gzip(const std::string& path, const std::string& text) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, text.data(), static_cast<unsigned>(text.size())), static_cast<int>(text.size()));
  gzclose(f);
}

void write_zstd(const std::string& path, const std::string& text) {
  std::string out(ZSTD_compressBound(text.size()), '\0');
  const std::size_t n = ZSTD_compress(out.data(), out.size(), text.data(), text.size(), 3);
  ASSERT_FALSE(ZSTD_isError(n));
  out.resize(n);
  write_text(path, out);
}

const std::string kCorpus =
    "{\"text\": \"Hydrogen is the lightest element.\", \"id\": 1}\n"
    "{\"text\": \"\"}\n"
    "{\"text\": \"E = mc^2 <|endoftext|>\"}\n"
    "{\"text\": \"no trailing newline\"}";

std::vector<std::vector<TokenId>> read_all(const std::string& prefix) {
  const auto ds = data::IndexedDataset::open(prefix, data::Verify::kFull);
  std::vector<std::vector<TokenId>> out;
  for (std::uint64_t i = 0; i < ds.sequence_count(); ++i) {
    auto s = ds.sequence<std::uint16_t>(i);
    out.emplace_back(s.begin(), s.end());
  }
  return out;
}

TEST(JsonlToDataset, PlainGzipAndZstdGiveTheSameExactIds) {
  TempDir dir;
  write_text(dir / "a.jsonl", kCorpus);
  write_gzip(dir / "a.jsonl.gz", kCorpus);
  write_zstd(dir / "a.jsonl.zst", kCorpus);
  JsonlTokenizeOptions opt;
  opt.append_eod = true;
  std::vector<std::vector<TokenId>> first;
  for (const char* name : {"a.jsonl", "a.jsonl.gz", "a.jsonl.zst"}) {
    const auto s = tokenize_jsonl_to_dataset(gpt2(), kVocab, {dir / name}, dir / (std::string(name) + ".out"), opt);
    EXPECT_EQ(s.documents, 4u);
    EXPECT_EQ(s.empty_documents, 1u);
    const auto got = read_all(dir / (std::string(name) + ".out"));
    if (first.empty()) first = got;
    EXPECT_EQ(got, first) << name;
  }
  ASSERT_EQ(first.size(), 4u);
  auto expected = gpt2().encode("Hydrogen is the lightest element.");
  expected.push_back(50256);
  EXPECT_EQ(first[0], expected);
  EXPECT_EQ(first[1], std::vector<TokenId>{50256});  // empty document kept: just the EOD
  // The special-token string in the text is ordinary text by default.
  EXPECT_EQ(std::count(first[2].begin(), first[2].end(), 50256u), 1);
}

TEST(JsonlToDataset, PrependBosNeedsATokenizerWithOne) {
  TempDir dir;
  write_text(dir / "a.jsonl", kCorpus);
  JsonlTokenizeOptions opt;
  opt.prepend_bos = true;
  try {
    tokenize_jsonl_to_dataset(gpt2(), kVocab, {dir / "a.jsonl"}, dir / "out", opt);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("has no beginning-of-document token"), std::string::npos);
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "out.idx"));
}

TEST(JsonlToDataset, DropEmptyAndNoEod) {
  TempDir dir;
  write_text(dir / "a.jsonl", kCorpus);
  JsonlTokenizeOptions opt;
  opt.drop_empty = true;
  const auto s = tokenize_jsonl_to_dataset(gpt2(), kVocab, {dir / "a.jsonl"}, dir / "out", opt);
  EXPECT_EQ(s.documents, 3u);
  EXPECT_EQ(s.empty_documents, 1u);
  EXPECT_EQ(read_all(dir / "out")[2], gpt2().encode("no trailing newline"));
}

TEST(JsonlToDataset, InvalidUtf8IsReplacedAndCounted) {
  TempDir dir;
  write_text(dir / "a.jsonl", "{\"text\": \"caf\xe9 na\xc3\xafve \xff\xfe\"}\n");
  const auto s = tokenize_jsonl_to_dataset(gpt2(), kVocab, {dir / "a.jsonl"}, dir / "out", {});
  EXPECT_EQ(s.invalid_utf8_replaced, 3u);
  const auto ids = read_all(dir / "out")[0];
  EXPECT_EQ(gpt2().decode(ids), "caf\xEF\xBF\xBD na\xc3\xafve \xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(JsonlToDataset, BadLinesStopWithFileAndLineOrAreSkipped) {
  TempDir dir;
  write_text(dir / "a.jsonl", "{\"text\": \"ok\"}\nnot json\n{\"body\": \"x\"}\n{\"text\": 5}\n");
  try {
    tokenize_jsonl_to_dataset(gpt2(), kVocab, {dir / "a.jsonl"}, dir / "out", {});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find((dir / "a.jsonl") + ": line 2: not a JSON object"),
              std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "out.idx"));
  JsonlTokenizeOptions opt;
  opt.skip_bad_lines = true;
  const auto s = tokenize_jsonl_to_dataset(gpt2(), kVocab, {dir / "a.jsonl"}, dir / "out", opt);
  EXPECT_EQ(s.documents, 1u);
  EXPECT_EQ(s.bad_lines, 3u);
}

TEST(JsonlToDataset, TruncatedCompressedInputIsAnError) {
  TempDir dir;
  std::string big;
  for (int i = 0; i < 2000; ++i) big += "{\"text\": \"line " + std::to_string(i) + " of the corpus\"}\n";
  write_gzip(dir / "a.jsonl.gz", big);
  write_zstd(dir / "a.jsonl.zst", big);
  for (const char* name : {"a.jsonl.gz", "a.jsonl.zst"}) {
    const std::string path = dir / name;
    std::filesystem::resize_file(path, std::filesystem::file_size(path) - 7);
    try {
      tokenize_jsonl_to_dataset(gpt2(), kVocab, {path}, dir / "out", {});
      FAIL() << "expected an error for " << name;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(path + ": "), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(std::filesystem::exists(dir / "out.idx"));
  }
}

TEST(JsonlToDataset, CompleteOutputIsReusedUntilSomethingChanges) {
  TempDir dir;
  write_text(dir / "a.jsonl", kCorpus);
  auto s = tokenize_jsonl_to_dataset(gpt2(), kVocab, {dir / "a.jsonl"}, dir / "out", {});
  EXPECT_FALSE(s.reused);
  s = tokenize_jsonl_to_dataset(gpt2(), kVocab, {dir / "a.jsonl"}, dir / "out", {});
  EXPECT_TRUE(s.reused);
  EXPECT_EQ(s.documents, 4u);
  JsonlTokenizeOptions eod;
  eod.append_eod = true;
  s = tokenize_jsonl_to_dataset(gpt2(), kVocab, {dir / "a.jsonl"}, dir / "out", eod);
  EXPECT_FALSE(s.reused);  // options changed
  write_text(dir / "a.jsonl", kCorpus + "\n{\"text\": \"more\"}\n");
  s = tokenize_jsonl_to_dataset(gpt2(), kVocab, {dir / "a.jsonl"}, dir / "out", eod);
  EXPECT_FALSE(s.reused);  // input changed
  EXPECT_EQ(s.documents, 5u);
  // A damaged dataset is rebuilt even though the record matches.
  std::filesystem::resize_file(dir / "out.bin", 2);
  s = tokenize_jsonl_to_dataset(gpt2(), kVocab, {dir / "a.jsonl"}, dir / "out", eod);
  EXPECT_FALSE(s.reused);
  EXPECT_EQ(data::IndexedDataset::open(dir / "out", data::Verify::kFull).document_count(), 5u);
}

TEST(Utf8, SanitizeFollowsMaximalSubpartRule) {
  std::string out;
  EXPECT_EQ(util::sanitize_utf8("plain \xc3\xa9 \xf0\x9f\xa7\xac", out), 0u);
  EXPECT_EQ(out, "plain \xc3\xa9 \xf0\x9f\xa7\xac");
  EXPECT_EQ(util::sanitize_utf8("\xe2\x82", out), 1u);          // truncated 3-byte sequence
  EXPECT_EQ(util::sanitize_utf8("\xc0\xaf", out), 2u);          // overlong: two bad bytes
  EXPECT_EQ(util::sanitize_utf8("\xed\xa0\x80", out), 3u);      // surrogate
  EXPECT_EQ(util::sanitize_utf8("\xf4\x90\x80\x80", out), 4u);  // > U+10FFFF
  EXPECT_EQ(util::sanitize_utf8("a\x80z", out), 1u);
  EXPECT_EQ(out, "a\xEF\xBF\xBDz");
}

TEST(LineReader, HandlesCrLfAndMissingFinalNewline) {
  TempDir dir;
  write_text(dir / "x.jsonl", "a\r\nbb\n\nccc");
  io::LineReader r(dir / "x.jsonl");
  std::string line;
  std::vector<std::string> lines;
  while (r.next(line)) lines.push_back(line);
  EXPECT_EQ(lines, (std::vector<std::string>{"a", "bb", "", "ccc"}));
  EXPECT_EQ(r.line_number(), 4u);
}

}  // namespace
}  // namespace borealis::tokenize

namespace borealis::tokenize {
namespace {

TEST(JsonlToDataset, OutputDoesNotDependOnWorkerCount) {
  TempDir dir;
  std::string text;
  for (int i = 0; i < 20000; ++i) {
    text += i % 997 == 5 ? std::string("broken line\n")
                         : "{\"text\": \"document " + std::to_string(i) + " about H2O and \xf0\x9f\xa7\xac\"}\n";
  }
  write_zstd(dir / "a.jsonl.zst", text);
  JsonlTokenizeOptions opt;
  opt.skip_bad_lines = true;
  opt.append_eod = true;
  opt.workers = 1;
  const auto one = tokenize_jsonl_to_dataset(gpt2(), kVocab, {dir / "a.jsonl.zst"}, dir / "one", opt);
  opt.workers = 3;
  const auto three = tokenize_jsonl_to_dataset(gpt2(), kVocab, {dir / "a.jsonl.zst"}, dir / "three", opt);
  EXPECT_EQ(one.bad_lines, 21u);
  EXPECT_EQ(three.bad_lines, 21u);
  EXPECT_EQ(one.documents, 20000u - 21u);
  EXPECT_TRUE(test::read_bytes(dir / "one.bin") == test::read_bytes(dir / "three.bin"));
  EXPECT_TRUE(test::read_bytes(dir / "one.idx") == test::read_bytes(dir / "three.idx"));
  // Without skipping, the first bad line is the one reported, whatever the workers.
  opt.skip_bad_lines = false;
  try {
    tokenize_jsonl_to_dataset(gpt2(), kVocab, {dir / "a.jsonl.zst"}, dir / "x", opt);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(": line 6: not a JSON object"), std::string::npos) << e.what();
  }
}

TEST(JsonlToDataset, SeveralInputsAndATruncatedOneGiveTheSameResultForAnyWorkerCount) {
  TempDir dir;
  std::string a, b;
  for (int i = 0; i < 9000; ++i) a += "{\"text\": \"first file, document " + std::to_string(i) + "\"}\n";
  for (int i = 0; i < 12000; ++i) b += "{\"text\": \"second file " + std::to_string(i * 7) + "\"}\n";
  write_zstd(dir / "a.jsonl.zst", a);
  write_text(dir / "b.jsonl", b);
  JsonlTokenizeOptions opt;
  opt.append_eod = true;
  std::vector<std::vector<char>> outputs;
  for (unsigned workers : {1u, 2u, 3u}) {
    opt.workers = workers;
    const std::string out = dir / fmt::format("w{}", workers);
    const auto s = tokenize_jsonl_to_dataset(gpt2(), kVocab, {dir / "a.jsonl.zst", dir / "b.jsonl"}, out, opt);
    EXPECT_EQ(s.documents, 21000u);
    std::vector<char> bytes = test::read_bytes(out + ".bin");
    const std::vector<char> index = test::read_bytes(out + ".idx");
    bytes.insert(bytes.end(), index.begin(), index.end());
    outputs.push_back(bytes);
  }
  EXPECT_TRUE(outputs[0] == outputs[1]);
  EXPECT_TRUE(outputs[0] == outputs[2]);
  // A truncated .zst after a good input: the same error, naming it, for any worker count.
  const std::vector<char> packed = test::read_bytes(dir / "a.jsonl.zst");
  write_text(dir / "cut.jsonl.zst", std::string(packed.begin(), packed.begin() + packed.size() / 2));
  for (unsigned workers : {1u, 3u}) {
    opt.workers = workers;
    try {
      tokenize_jsonl_to_dataset(gpt2(), kVocab, {dir / "b.jsonl", dir / "cut.jsonl.zst"}, dir / "cut", opt);
      FAIL();
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("cut.jsonl.zst: truncated zstd data"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(std::filesystem::exists(dir / "cut.bin"));
    EXPECT_FALSE(std::filesystem::exists(dir / "cut.idx"));
  }
}

}  // namespace
}  // namespace borealis::tokenize
