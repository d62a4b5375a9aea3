// Every kind of bad input gets one line naming the file and the problem, never
// a crash. Each test corrupts one thing in an otherwise valid dataset.

#include <filesystem>

#include <gtest/gtest.h>

#include "borealis/data/indexed_dataset.h"
#include "data/index_file_builder.h"

namespace borealis::data {
namespace {

using test::build_index_file;
using test::IndexFileFields;
using test::TempDir;

class IndexedDatasetErrors : public ::testing::Test {
 protected:
  // Three uint16 sequences of lengths 3, 0, 5 in two documents.
  IndexFileFields valid() const {
    IndexFileFields f;
    f.lengths = {3, 0, 5};
    f.documents = {0, 2, 3};
    return f;
  }
  std::string write(const IndexFileFields& f, std::int64_t bin_bytes = -1) {
    test::write_bytes(prefix_ + ".idx", build_index_file(f));
    std::int64_t bytes = bin_bytes;
    if (bytes < 0) {
      bytes = 0;
      for (auto len : f.lengths) bytes += len * static_cast<std::int64_t>(f.item_size);
    }
    test::write_bytes(prefix_ + ".bin", std::vector<char>(static_cast<std::size_t>(bytes), 1));
    return prefix_;
  }
  // Opens and returns the error message (empty if it opened fine).
  std::string error_of(Verify verify = Verify::kFull) {
    try {
      IndexedDataset::open(prefix_, verify);
    } catch (const Error& e) {
      std::string msg = e.what();
      EXPECT_EQ(msg.find('\n'), std::string::npos) << "error is not one line: " << msg;
      return msg;
    }
    return {};
  }
  void expect_error(const std::string& file, const std::string& phrase,
                    Verify verify = Verify::kFull) {
    const std::string msg = error_of(verify);
    EXPECT_NE(msg.find(file), std::string::npos) << "message does not name " << file << ": " << msg;
    EXPECT_NE(msg.find(phrase), std::string::npos) << "expected '" << phrase << "' in: " << msg;
  }
  std::string idx() const { return prefix_ + ".idx"; }
  std::string bin() const { return prefix_ + ".bin"; }

  TempDir dir_;
  std::string prefix_ = dir_ / "ds";
};

TEST_F(IndexedDatasetErrors, ValidFileOpens) {
  write(valid());
  EXPECT_EQ(error_of(), "");
  const auto ds = IndexedDataset::open(prefix_, Verify::kFull);
  EXPECT_EQ(ds.sequence_count(), 3u);
  EXPECT_EQ(ds.document_count(), 2u);
  EXPECT_EQ(ds.token_count(), 8u);
  EXPECT_EQ(ds.sequence<std::uint16_t>(1).size(), 0u);
  EXPECT_EQ(ds.sequence<std::uint16_t>(2).size(), 5u);
}

TEST_F(IndexedDatasetErrors, WrongMagic) {
  auto f = valid();
  f.magic = std::string("TNTIDX\0\0\0", 9);
  write(f);
  expect_error(idx(), "wrong magic");
}

TEST_F(IndexedDatasetErrors, VersionNotOne) {
  auto f = valid();
  f.version = 2;
  write(f);
  expect_error(idx(), "unsupported index version 2");
}

TEST_F(IndexedDatasetErrors, UnknownDtypeCode) {
  for (std::uint8_t code : {0, 9, 255}) {
    auto f = valid();
    f.dtype_code = code;
    write(f);
    expect_error(idx(), "unknown token dtype code " + std::to_string(code));
  }
}

TEST_F(IndexedDatasetErrors, TruncatedHeader) {
  write(valid());
  auto bytes = test::read_bytes(idx());
  for (std::size_t size : {0, 9, 20, 33}) {
    test::write_bytes(idx(), {bytes.begin(), bytes.begin() + static_cast<long>(size)});
    expect_error(idx(), size == 0 ? "truncated header: file has 0 bytes" : "truncated header");
  }
}

TEST_F(IndexedDatasetErrors, TruncatedArrays) {
  write(valid());
  auto bytes = test::read_bytes(idx());
  bytes.resize(bytes.size() - 5);
  test::write_bytes(idx(), bytes);
  expect_error(idx(), "truncated arrays");
}

TEST_F(IndexedDatasetErrors, AbsurdCountsDoNotOverflow) {
  auto f = valid();
  f.header_sequences = std::int64_t{1} << 62;
  write(f);
  expect_error(idx(), "truncated arrays");
  f = valid();
  f.header_documents = std::numeric_limits<std::int64_t>::max();
  write(f);
  expect_error(idx(), "truncated arrays");
}

TEST_F(IndexedDatasetErrors, TrailingBytes) {
  write(valid());
  auto bytes = test::read_bytes(idx());
  bytes.push_back(0);  // one byte, but 3 sequences would need 3 for a mode array
  test::write_bytes(idx(), bytes);
  expect_error(idx(), "1 unexpected bytes after the arrays");
}

TEST_F(IndexedDatasetErrors, BinShorterThanPointersImply) {
  write(valid(), 15);
  expect_error(bin(), "shorter than its index implies: it has 15 bytes, the index needs 16");
}

TEST_F(IndexedDatasetErrors, BinLongerThanPointersImply) {
  write(valid(), 18);
  expect_error(bin(), "longer than its index implies");
}

TEST_F(IndexedDatasetErrors, MissingBin) {
  write(valid());
  std::filesystem::remove(bin());
  expect_error(bin(), "No such file");
}

TEST_F(IndexedDatasetErrors, MissingIdx) {
  write(valid());
  std::filesystem::remove(idx());
  expect_error(idx(), "No such file");
}

TEST_F(IndexedDatasetErrors, PointersInconsistentWithLengths) {
  auto f = valid();
  f.pointers = {0, 8, 6};  // the middle pointer is wrong; the last one still fits the .bin
  write(f);
  // The O(1) structural check cannot see it; the full check must.
  EXPECT_EQ(error_of(Verify::kStructure), "");
  expect_error(idx(), "sequence 1 has pointer 8 but the lengths before it put it at byte 6");
}

TEST_F(IndexedDatasetErrors, NegativeLength) {
  auto f = valid();
  f.lengths = {3, -1, 5};
  f.pointers = {0, 6, 6};
  write(f, 16);
  expect_error(idx(), "sequence 1 has negative length -1");
}

TEST_F(IndexedDatasetErrors, DocumentIndicesNotMonotonic) {
  auto f = valid();
  f.documents = {0, 2, 1, 3};
  write(f);
  EXPECT_EQ(error_of(Verify::kStructure), "");
  expect_error(idx(), "document indices not monotonic: entry 2 is 1 after 2");
}

TEST_F(IndexedDatasetErrors, DocumentIndicesMustStartAtZeroAndEndAtSequenceCount) {
  auto f = valid();
  f.documents = {1, 2, 3};
  write(f);
  expect_error(idx(), "document indices must start at 0, found 1");
  f = valid();
  f.documents = {0, 2};
  write(f);
  expect_error(idx(), "document indices end at 2 but there are 3 sequences");
}

TEST_F(IndexedDatasetErrors, CorruptPointerIsCaughtOnAccessNotACrash) {
  auto f = valid();
  f.pointers = {0, 1000000, 6};
  write(f);
  const auto ds = IndexedDataset::open(prefix_, Verify::kStructure);
  try {
    (void)ds.sequence_bytes(1);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("lies outside the 16-byte data file"), std::string::npos)
        << e.what();
  }
}

TEST_F(IndexedDatasetErrors, WrongTypedAccessIsAnError) {
  write(valid());
  const auto ds = IndexedDataset::open(prefix_);
  EXPECT_THROW((void)ds.sequence<std::int32_t>(0), Error);
}

TEST_F(IndexedDatasetErrors, SequenceModesAreDetectedBySize) {
  auto f = valid();
  f.modes = {0, 1, 2};
  write(f);
  const auto ds = IndexedDataset::open(prefix_, Verify::kFull);
  ASSERT_TRUE(ds.has_sequence_modes());
  EXPECT_EQ(ds.sequence_mode(0), 0);
  EXPECT_EQ(ds.sequence_mode(2), 2);
}

TEST(IndexedDatasetLarge, SixtyFourBitPointersAndCounts) {
  // Two int64 sequences of 2^29 tokens: the second starts at byte 2^32, past
  // any 32-bit offset. The .bin is sparse, so this costs no disk.
  TempDir dir;
  const std::string prefix = dir / "big";
  IndexFileFields f;
  f.dtype_code = 5;
  f.item_size = 8;
  f.lengths = {1 << 29, 1 << 29};
  test::write_bytes(prefix + ".idx", build_index_file(f));
  test::write_bytes(prefix + ".bin", {});
  std::filesystem::resize_file(prefix + ".bin", std::uint64_t{1} << 33);
  const auto ds = IndexedDataset::open(prefix, Verify::kFull);
  EXPECT_EQ(ds.sequence_pointer(1), std::int64_t{1} << 32);
  EXPECT_EQ(ds.token_count(), std::uint64_t{1} << 30);
  auto seq = ds.sequence<std::int64_t>(1);
  ASSERT_EQ(seq.size(), std::size_t{1} << 29);
  EXPECT_EQ(seq.back(), 0);  // reads the last page of the sparse file
}

}  // namespace
}  // namespace borealis::data
