#include "borealis/io/direct_file_writer.h"

#include <filesystem>
#include <numeric>

#include <gtest/gtest.h>

#include "borealis/util/error.h"
#include "test_util.h"

namespace borealis::io {
namespace {

// Regions at aligned offsets, of lengths that are not whole blocks (one
// longer than the 4 MB staging buffer), then cut to size: the file holds
// exactly the bytes written, zeros in the gaps. Run on the test folder's file
// system (O_DIRECT on ext4) and on /dev/shm when present (tmpfs, which may
// refuse O_DIRECT: the buffered path).
void check_regions(const std::string& path) {
  std::vector<std::byte> a(5000), b((std::size_t{4} << 20) + 4097);
  for (std::size_t i = 0; i < a.size(); ++i) a[i] = static_cast<std::byte>(i * 7 + 1);
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<std::byte>(i * 13 + 5);
  const std::uint64_t b_at = DirectFileWriter::round_up(8192 + a.size());
  {
    DirectFileWriter w(path);
    w.write_at(b_at, b);  // any order
    w.write_at(8192, a);
    w.finish(b_at + b.size());
  }
  const std::vector<char> got = test::read_bytes(path);
  ASSERT_EQ(got.size(), b_at + b.size());
  for (std::size_t i = 0; i < 8192; ++i) ASSERT_EQ(got[i], 0) << i;
  for (std::size_t i = 0; i < a.size(); ++i) ASSERT_EQ(static_cast<std::byte>(got[8192 + i]), a[i]) << i;
  for (std::size_t i = 8192 + a.size(); i < b_at; ++i) ASSERT_EQ(got[i], 0) << i;
  for (std::size_t i = 0; i < b.size(); ++i) ASSERT_EQ(static_cast<std::byte>(got[b_at + i]), b[i]) << i;
}

TEST(DirectFileWriter, WritesAlignedRegionsAndCutsToSize) {
  test::TempDir dir;
  check_regions(dir / "entry");
  if (std::filesystem::is_directory("/dev/shm")) {
    const std::string shm = "/dev/shm/borealis-direct-" + std::to_string(::getpid());
    check_regions(shm);
    std::filesystem::remove(shm);
  }
}

TEST(DirectFileWriter, RefusesUnalignedOffsetsAndUnwritableFolders) {
  test::TempDir dir;
  DirectFileWriter w(dir / "entry");
  const std::vector<std::byte> one(1);
  EXPECT_THROW(w.write_at(100, one), Error);
  EXPECT_THROW(DirectFileWriter(dir / "no/such/folder/entry"), Error);
}

}  // namespace
}  // namespace borealis::io
