#include "borealis/io/npy.h"

#include <gtest/gtest.h>

#include "borealis/util/error.h"
#include "test_util.h"

namespace borealis::io {
namespace {

using test::TempDir;

const std::string kReference = test::data_dir() + "/megatron/inputs/blend_c_doc_lengths.npy";

TEST(Npy, ReadsANumpyWrittenArray) {
  auto a = read_npy(kReference);
  EXPECT_EQ(a.descr, "<i4");
  ASSERT_EQ(a.shape.size(), 1u);
  EXPECT_EQ(a.shape[0], 2500u);
  auto v = a.as<std::int32_t>();
  ASSERT_EQ(v.size(), 2500u);
  for (auto x : v) ASSERT_GE(x, 1);
}

TEST(Npy, WriterReproducesNumpyBytes) {
  // numpy wrote the reference file; writing its payload again must give the same bytes.
  TempDir dir;
  auto a = read_npy(kReference);
  write_npy(dir / "again.npy", a.descr, a.shape, a.data.data(), a.data.size());
  EXPECT_TRUE(test::read_bytes(dir / "again.npy") == test::read_bytes(kReference));
}

TEST(Npy, TwoDimensionalRoundTrip) {
  TempDir dir;
  std::vector<std::int64_t> values = {1, 2, 3, 4, 5, 6};
  write_npy(dir / "m.npy", "<i8", {3, 2}, values.data(), values.size() * 8);
  auto a = read_npy(dir / "m.npy");
  EXPECT_EQ(a.shape, (std::vector<std::uint64_t>{3, 2}));
  EXPECT_EQ(a.as<std::int64_t>(), values);
  auto bytes = test::read_bytes(dir / "m.npy");
  EXPECT_EQ((bytes.size() - 48) % 64, 0u);  // header padded to 64 bytes
}

TEST(Npy, TruncatedPayloadIsAnError) {
  TempDir dir;
  auto bytes = test::read_bytes(kReference);
  bytes.resize(bytes.size() - 4);
  test::write_bytes(dir / "cut.npy", bytes);
  try {
    read_npy(dir / "cut.npy");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("payload has 9996 bytes, shape and dtype need 10000"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace borealis::io
