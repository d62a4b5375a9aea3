// `borealis tokenize` under a real `mpirun -np N`: ranks split the inputs,
// each writes its own dataset, --merge joins them into exactly the bytes one
// process writes, re-runs reuse rank outputs, and a failing rank ends the
// whole job with one error line instead of leaving the others hanging.

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "dist/mpirun.h"
#include "test_util.h"

namespace borealis {
namespace {

using test::mpirun_borealis;
using test::run_borealis;
using test::TempDir;

const std::string kVocab = test::data_dir() + "/vocab/r50k_base.tiktoken";

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::size_t occurrences(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (std::size_t pos = 0; (pos = text.find(part, pos)) != std::string::npos; pos += part.size()) ++n;
  return n;
}

// Writes `lines` JSONL documents of varied length (some empty, some not
// ASCII) and returns the path.
std::string write_corpus(const TempDir& dir, const std::string& name, int lines, int seed) {
  static const char* const kWords[] = {"proton",  "électron", "neutrino", "H₂O",    "enzyme",
                                       "quark",   "catalyst", "photon",   "isotope", "genome",
                                       "ångström", "plasma",  "entropy",  "lattice", "ion"};
  const std::string path = dir / name;
  std::ofstream out(path, std::ios::binary);
  unsigned x = static_cast<unsigned>(seed) * 2654435761u + 1;
  for (int i = 0; i < lines; ++i) {
    nlohmann::json doc;
    std::string text;
    x = x * 1103515245u + 12345u;
    const unsigned words = (x >> 16) % 60;  // 0: an empty document
    for (unsigned w = 0; w < words; ++w) {
      x = x * 1103515245u + 12345u;
      if (w > 0) text += ' ';
      text += kWords[(x >> 16) % std::size(kWords)];
    }
    doc["text"] = text;
    doc["id"] = i;
    out << doc.dump() << "\n";
  }
  return path;
}

// Five inputs of different sizes; the biggest in the middle.
std::vector<std::string> write_inputs(const TempDir& dir) {
  std::vector<std::string> paths;
  const int lines[] = {40, 7, 120, 15, 60};
  for (int i = 0; i < 5; ++i)
    paths.push_back(write_corpus(dir, "part" + std::to_string(i) + ".jsonl", lines[i], i));
  return paths;
}

std::string join(const std::vector<std::string>& paths) {
  std::string out;
  for (const auto& p : paths) out += " '" + p + "'";
  return out;
}

std::string tokenize_args(const std::vector<std::string>& inputs, const std::string& prefix) {
  return "tokenize --tokenizer " + kVocab + " --append-eod --workers 1 --input" + join(inputs) +
         " --output-prefix " + prefix;
}

nlohmann::json inspect(const std::string& prefix) {
  const auto r = run_borealis("data inspect --json " + prefix);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return nlohmann::json::parse(r.output);
}

void expect_same_bytes(const std::string& a, const std::string& b) {
  for (const char* ext : {".bin", ".idx"}) {
    const auto x = test::read_bytes(a + ext), y = test::read_bytes(b + ext);
    EXPECT_FALSE(x.empty()) << a << ext;
    EXPECT_TRUE(x == y) << a << ext << " (" << x.size() << " bytes) differs from " << b << ext
                        << " (" << y.size() << " bytes)";
  }
}

std::uint64_t count_lines_in(const std::vector<std::string>& paths) {
  std::uint64_t n = 0;
  for (const auto& p : paths) {
    const auto bytes = test::read_bytes(p);
    n += test::count_lines(std::string(bytes.begin(), bytes.end()));
  }
  return n;
}

TEST(TokenizeMpi, TwoRanksSplitInputsMergeEqualsOneProcessAndResume) {
  TempDir dir;
  const auto inputs = write_inputs(dir);
  const std::string prefix = dir / "mpi/sci";

  // One process over the same inputs: the reference bytes.
  auto r = run_borealis(tokenize_args(inputs, dir / "one/sci"));
  ASSERT_EQ(r.exit_code, 0) << r.output;

  // Two ranks, no merge: one dataset per rank, and a hint how to join them.
  r = mpirun_borealis(2, tokenize_args(inputs, prefix));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string rank0 = prefix + ".rank0-of-2", rank1 = prefix + ".rank1-of-2";
  EXPECT_TRUE(contains(r.output, "rank 0/2: tokenized ")) << r.output;
  EXPECT_TRUE(contains(r.output, "rank 1/2: tokenized ")) << r.output;
  EXPECT_TRUE(contains(r.output, "total over 2 ranks: tokenized ")) << r.output;
  EXPECT_TRUE(contains(r.output, "borealis data merge " + prefix + " " + prefix + ".rank*-of-2.idx"))
      << r.output;
  EXPECT_FALSE(std::filesystem::exists(prefix + ".bin"));
  r = run_borealis("data validate " + rank0 + " " + rank1);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j0 = inspect(rank0), j1 = inspect(rank1);
  const auto docs0 = j0["documents"].get<std::uint64_t>(), docs1 = j1["documents"].get<std::uint64_t>();
  EXPECT_GT(docs0, 0u);
  EXPECT_GT(docs1, 0u);
  EXPECT_EQ(docs0 + docs1, count_lines_in(inputs));
  EXPECT_EQ(docs0 + docs1, inspect(dir / "one/sci")["documents"].get<std::uint64_t>());
  // Contiguous shares: rank 0 holds exactly the first files.
  bool some_prefix_matches = false;
  for (std::size_t k = 1; k < inputs.size(); ++k) {
    const std::vector<std::string> head(inputs.begin(), inputs.begin() + k);
    some_prefix_matches |= count_lines_in(head) == docs0;
  }
  EXPECT_TRUE(some_prefix_matches) << docs0;

  // Same N again with --merge: rank outputs are reused, rank 0 merges, and
  // the result is byte for byte the one-process dataset.
  r = mpirun_borealis(2, tokenize_args(inputs, prefix) + " --merge");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(occurrences(r.output, ": already complete ("), 2u) << r.output;
  EXPECT_TRUE(contains(r.output, "(0 rank outputs written, 2 reused)")) << r.output;
  EXPECT_TRUE(contains(r.output, "merged 2 rank outputs into " + prefix + ".bin/.idx")) << r.output;
  expect_same_bytes(prefix, dir / "one/sci");
  EXPECT_EQ(run_borealis("data validate " + prefix).exit_code, 0);

  // And once more: nothing to redo, not even the merge.
  const auto merged_mtime = std::filesystem::last_write_time(prefix + ".bin");
  r = mpirun_borealis(2, tokenize_args(inputs, prefix) + " --merge");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, prefix + ": already merged from 2 rank outputs")) << r.output;
  EXPECT_EQ(std::filesystem::last_write_time(prefix + ".bin"), merged_mtime);
  expect_same_bytes(prefix, dir / "one/sci");
}

TEST(TokenizeMpi, RankWithoutFilesWritesNothingAndMergeStillMatches) {
  TempDir dir;
  const std::vector<std::string> inputs = {write_corpus(dir, "only.jsonl", 25, 7)};
  auto r = run_borealis(tokenize_args(inputs, dir / "one/sci"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string prefix = dir / "mpi/sci";
  r = mpirun_borealis(2, tokenize_args(inputs, prefix) + " --merge");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // The one file goes to rank 0; rank 1 says it has nothing to do.
  EXPECT_TRUE(contains(r.output, "rank 1/2: no input files for this rank")) << r.output;
  EXPECT_TRUE(std::filesystem::exists(prefix + ".rank0-of-2.idx"));
  EXPECT_FALSE(std::filesystem::exists(prefix + ".rank1-of-2.idx"));
  EXPECT_TRUE(contains(r.output, "merged 1 rank outputs")) << r.output;
  expect_same_bytes(prefix, dir / "one/sci");
}

TEST(TokenizeMpi, FailingRankEndsTheJobWithOneErrorLine) {
  TempDir dir;
  auto inputs = write_inputs(dir);
  // A bad line in the last file, which rank 1 reads; rank 0 finishes and
  // would wait for rank 1 forever if the failure did not end the job.
  {
    std::ofstream out(inputs.back(), std::ios::app);
    out << "{\"text\": not json}\n";
  }
  const auto bad_line = count_lines_in({inputs.back()});
  const std::string prefix = dir / "mpi/sci";
  const auto r = mpirun_borealis(2, tokenize_args(inputs, prefix) + " --merge");
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.exit_code, 124) << "timed out: a rank hung\n" << r.output;
  EXPECT_EQ(occurrences(r.output, "borealis: error"), 1u) << r.output;
  // The rank that failed says so (the last input is rank 1's).
  EXPECT_TRUE(contains(r.output, "borealis: error (rank 1 of 2): " + inputs.back() + ": line " +
                                     std::to_string(bad_line) + ": not a JSON object"))
      << r.output;
  // Nothing that looks complete is left by the failed rank, and no merge.
  EXPECT_FALSE(std::filesystem::exists(prefix + ".rank1-of-2.idx"));
  EXPECT_FALSE(std::filesystem::exists(prefix + ".idx"));
}

TEST(TokenizeMpi, SingleRankUnderMpirunWritesThePlainPrefix) {
  TempDir dir;
  const auto inputs = write_inputs(dir);
  auto r = mpirun_borealis(1, tokenize_args(inputs, dir / "sci"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "-> " + (dir / "sci") + ".bin/.idx")) << r.output;
  EXPECT_FALSE(contains(r.output, "rank 0/1")) << r.output;
  r = run_borealis(tokenize_args(inputs, dir / "one"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  expect_same_bytes(dir / "sci", dir / "one");
}

}  // namespace
}  // namespace borealis
