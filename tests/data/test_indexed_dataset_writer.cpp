// Writer behaviour beyond the Megatron oracle: every dtype round-trips,
// conversions are checked, nothing appears under the final name until
// finish(), and a dataset with modes and multi-sequence documents reads back.

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <csignal>
#include <filesystem>

#include <gtest/gtest.h>

#include "borealis/data/indexed_dataset.h"
#include "borealis/data/indexed_dataset_writer.h"
#include "test_util.h"

namespace borealis::data {
namespace {

using test::TempDir;

template <typename T>
class WriterRoundTrip : public ::testing::Test {};
using AllTokenTypes = ::testing::Types<std::uint8_t, std::int8_t, std::int16_t, std::int32_t,
                                       std::int64_t, double, float, std::uint16_t>;
TYPED_TEST_SUITE(WriterRoundTrip, AllTokenTypes);

TYPED_TEST(WriterRoundTrip, EveryDtypeReadsBackExactly) {
  using T = TypeParam;
  TempDir dir;
  const std::string prefix = dir / "ds";
  std::vector<std::vector<T>> sequences = {
      {T(1), T(2), T(3)}, {}, {T(100), std::numeric_limits<T>::max(), std::numeric_limits<T>::lowest()}};
  {
    IndexedDatasetWriter writer(prefix, dtype_of<T>());
    for (const auto& s : sequences) writer.add_document(std::span<const T>(s));
    writer.finish();
  }
  const auto ds = IndexedDataset::open(prefix, Verify::kFull);
  EXPECT_EQ(ds.dtype(), dtype_of<T>());
  EXPECT_EQ(ds.item_size(), sizeof(T));
  ASSERT_EQ(ds.sequence_count(), sequences.size());
  for (std::size_t i = 0; i < sequences.size(); ++i) {
    auto got = ds.sequence<T>(i);
    EXPECT_EQ(std::vector<T>(got.begin(), got.end()), sequences[i]);
  }
}

TEST(IndexedDatasetWriter, OptimalDtypeFollowsMegatron) {
  EXPECT_EQ(optimal_token_dtype(50257), DType::kUInt16);
  EXPECT_EQ(optimal_token_dtype(65499), DType::kUInt16);
  EXPECT_EQ(optimal_token_dtype(65500), DType::kInt32);
  EXPECT_EQ(optimal_token_dtype(128256), DType::kInt32);
}

TEST(IndexedDatasetWriter, DtypeCodesAndNames) {
  for (std::uint8_t code = 1; code <= 8; ++code) {
    auto d = dtype_from_code(code);
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(dtype_code(*d), code);
    EXPECT_EQ(dtype_from_name(dtype_name(*d)), d);
  }
  EXPECT_FALSE(dtype_from_code(0).has_value());
  EXPECT_FALSE(dtype_from_code(9).has_value());
  EXPECT_EQ(dtype_size(DType::kUInt16), 2u);
  EXPECT_EQ(dtype_size(DType::kFloat64), 8u);
}

TEST(IndexedDatasetWriter, ConvertsTokensAndRejectsOverflow) {
  TempDir dir;
  const std::string prefix = dir / "ds";
  IndexedDatasetWriter writer(prefix, DType::kUInt16);
  std::vector<std::int32_t> ok = {0, 65535, 42};
  writer.add_document(std::span<const std::int32_t>(ok));
  std::vector<std::int32_t> too_big = {1, 65536};
  try {
    writer.add_document(std::span<const std::int32_t>(too_big));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("token 65536 does not fit the dataset dtype uint16"),
              std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find(prefix + ".bin"), std::string::npos);
  }
  std::vector<std::int64_t> negative = {-1};
  EXPECT_THROW(writer.add_document(std::span<const std::int64_t>(negative)), Error);
}

TEST(IndexedDatasetWriter, NothingVisibleBeforeFinishAndNothingLeftOnAbandon) {
  TempDir dir;
  const std::string prefix = dir / "ds";
  {
    IndexedDatasetWriter writer(prefix, DType::kInt32);
    std::vector<std::int32_t> tokens(1000, 5);
    writer.add_document(std::span<const std::int32_t>(tokens));
    EXPECT_FALSE(std::filesystem::exists(prefix + ".bin"));
    EXPECT_FALSE(std::filesystem::exists(prefix + ".idx"));
    // destroyed without finish(): as if the job died
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir.path())) << "temporary files were left behind";
}

TEST(IndexedDatasetWriter, FinishReplacesAnExistingDataset) {
  TempDir dir;
  const std::string prefix = dir / "ds";
  for (int round = 1; round <= 2; ++round) {
    IndexedDatasetWriter writer(prefix, DType::kUInt16);
    std::vector<std::uint16_t> tokens(static_cast<std::size_t>(round * 10), 1);
    writer.add_document(std::span<const std::uint16_t>(tokens));
    writer.finish();
  }
  const auto ds = IndexedDataset::open(prefix, Verify::kFull);
  EXPECT_EQ(ds.token_count(), 20u);
}

TEST(IndexedDatasetWriter, MultiSequenceDocumentsAndModes) {
  TempDir dir;
  const std::string prefix = dir / "ds";
  {
    IndexedDatasetWriter writer(prefix, DType::kUInt16, /*with_sequence_modes=*/true);
    std::vector<std::uint16_t> a = {1, 2}, b = {3}, c = {4, 5, 6};
    writer.add_sequence(std::span<const std::uint16_t>(a), 0);
    writer.add_sequence(std::span<const std::uint16_t>(b), 1);
    writer.end_document();
    writer.add_sequence(std::span<const std::uint16_t>(c), 1);
    writer.end_document();
    EXPECT_EQ(writer.sequence_count(), 3u);
    EXPECT_EQ(writer.document_count(), 2u);
    writer.finish();
  }
  const auto ds = IndexedDataset::open(prefix, Verify::kFull);
  ASSERT_TRUE(ds.has_sequence_modes());
  EXPECT_EQ(ds.document_count(), 2u);
  EXPECT_EQ(ds.document_index(1), 2);
  EXPECT_EQ(ds.document_index(2), 3);
  EXPECT_EQ(ds.sequence_mode(1), 1);
  EXPECT_EQ(ds.sequence<std::uint16_t>(2)[2], 6);
}

TEST(IndexedDatasetWriter, EmptyDatasetIsValid) {
  TempDir dir;
  const std::string prefix = dir / "empty";
  IndexedDatasetWriter writer(prefix, DType::kUInt16);
  writer.finish();
  const auto ds = IndexedDataset::open(prefix, Verify::kFull);
  EXPECT_EQ(ds.sequence_count(), 0u);
  EXPECT_EQ(ds.document_count(), 0u);
  EXPECT_EQ(ds.token_count(), 0u);
}

TEST(IndexedDatasetWriter, PrefixMayBeGivenWithSuffix) {
  EXPECT_EQ(dataset_prefix("a/b.idx"), "a/b");
  EXPECT_EQ(dataset_prefix("a/b.bin"), "a/b");
  EXPECT_EQ(dataset_prefix("a/b"), "a/b");
  EXPECT_EQ(dataset_prefix(".idx"), ".idx");
}

}  // namespace
}  // namespace borealis::data

namespace borealis::data {
namespace {

TEST(IndexedDatasetWriter, KillNineMidWriteLeavesNoValidLookingDataset) {
  TempDir dir;
  const std::string prefix = dir / "ds";
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    try {
      IndexedDatasetWriter writer(prefix, DType::kUInt16);
      std::vector<std::uint16_t> tokens(4096, 3);
      for (int i = 0; i < 1000; ++i) writer.add_document(std::span<const std::uint16_t>(tokens));
      ::raise(SIGKILL);  // no destructor, no finish(): what a crash or kill -9 does
    } catch (...) {
    }
    ::_exit(3);  // never unwind into the test runner
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_FALSE(std::filesystem::exists(prefix + ".idx"));
  EXPECT_FALSE(std::filesystem::exists(prefix + ".bin"));
  EXPECT_THROW(IndexedDataset::open(prefix), Error);
}

}  // namespace
}  // namespace borealis::data

namespace borealis::data {
namespace {

std::string write_uniform(const std::string& prefix, std::uint16_t value, int documents) {
  IndexedDatasetWriter writer(prefix, DType::kUInt16);
  std::vector<std::uint16_t> tokens(1024, value);
  for (int i = 0; i < documents; ++i) writer.add_document(std::span<const std::uint16_t>(tokens));
  writer.finish();
  return prefix;
}

TEST(IndexedDatasetWriter, KilledDuringFinishLeavesOldPairNewPairOrNoIndex) {
  // Replace a complete dataset (all 1s) with a larger one (all 2s) and kill
  // the writer at spread-out moments, many of them inside finish(). Whatever
  // the moment, a reader must see the old pair, the new pair, or no .idx --
  // never a mixed or partial pair.
  TempDir dir;
  const std::string prefix = dir / "ds";
  int saw_old = 0, saw_new = 0, saw_none = 0;
  for (int attempt = 0; attempt < 24; ++attempt) {
    write_uniform(prefix, 1, 100);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      try {
        write_uniform(prefix, 2, 400);
      } catch (...) {
      }
      ::_exit(0);
    }
    ::usleep(static_cast<useconds_t>(attempt * 400));
    ::kill(child, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    if (!std::filesystem::exists(prefix + ".idx")) {
      ++saw_none;
      continue;
    }
    const auto ds = IndexedDataset::open(prefix, Verify::kFull);  // must not throw
    const std::uint16_t value = ds.sequence<std::uint16_t>(ds.sequence_count() - 1)[0];
    if (ds.sequence_count() == 100 && value == 1) {
      ++saw_old;
    } else {
      ASSERT_EQ(ds.sequence_count(), 400u);
      ASSERT_EQ(value, 2);
      ++saw_new;
    }
  }
  EXPECT_EQ(saw_old + saw_new + saw_none, 24);
}

TEST(IndexedDatasetWriter, FinishClosesAnOpenDocument) {
  TempDir dir;
  const std::string prefix = dir / "ds";
  IndexedDatasetWriter writer(prefix, DType::kUInt16);
  std::vector<std::uint16_t> a = {1, 2};
  writer.add_document(std::span<const std::uint16_t>(a));
  writer.add_sequence(std::span<const std::uint16_t>(a));  // no end_document()
  writer.finish();
  const auto ds = IndexedDataset::open(prefix, Verify::kFull);
  EXPECT_EQ(ds.document_count(), 2u);
  EXPECT_EQ(ds.document_index(2), 2);
}

TEST(IndexedDatasetWriter, FloatTokensMustConvertExactly) {
  TempDir dir;
  IndexedDatasetWriter ints(dir / "i", DType::kInt32);
  std::vector<double> ok = {0.0, 3.0, -2147483648.0, 2147483647.0};
  ints.add_document(std::span<const double>(ok));
  for (double bad : {2147483648.0, 2.5, -2147483649.0, std::nan(""),
                     std::numeric_limits<double>::infinity()}) {
    std::vector<double> v = {bad};
    EXPECT_THROW(ints.add_document(std::span<const double>(v)), Error) << bad;
  }
  std::vector<float> edge = {2147483648.0f};  // float(INT32_MAX) rounds up to 2^31
  EXPECT_THROW(ints.add_document(std::span<const float>(edge)), Error);
  ints.finish();
  const auto ds = IndexedDataset::open(dir / "i", Verify::kFull);
  EXPECT_EQ(ds.sequence_count(), 1u);  // the rejected sequences left no trace
  EXPECT_EQ(ds.sequence<std::int32_t>(0)[3], 2147483647);

  IndexedDatasetWriter floats(dir / "f", DType::kFloat32);
  std::vector<double> too_big = {1e300};
  EXPECT_THROW(floats.add_document(std::span<const double>(too_big)), Error);
}

TEST(IndexedDataset, FifoIsRefusedNotWaitedOn) {
  TempDir dir;
  const std::string prefix = dir / "pipe";
  ASSERT_EQ(::mkfifo((prefix + ".idx").c_str(), 0644), 0);
  test::write_bytes(prefix + ".bin", {});
  try {
    IndexedDataset::open(prefix);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(prefix + ".idx: not a regular file"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace borealis::data
