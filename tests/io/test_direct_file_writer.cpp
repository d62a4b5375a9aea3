#include "borealis/io/direct_file_writer.h"

#include <filesystem>
#include <cstdlib>
#include <memory>
#include <numeric>
#include <thread>

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

// Block-aligned buffers of whole blocks are written in place and may come
// from several threads at once (the index build writes a blend's corpus
// arrays so), alongside staged writes of unaligned ones.
TEST(DirectFileWriter, ThreadsWriteAlignedAndStagedRegionsAtOnce) {
  test::TempDir dir;
  constexpr std::size_t kBlocks = 64, kThreads = 4;
  const std::uint64_t block = DirectFileWriter::kBlock;
  {
    DirectFileWriter w(dir / "entry");
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < kThreads; ++t)
      threads.emplace_back([&, t] {
        void* p = nullptr;
        ASSERT_EQ(::posix_memalign(&p, block, block), 0);
        std::unique_ptr<std::byte, void (*)(void*)> aligned(static_cast<std::byte*>(p), std::free);
        std::vector<std::byte> unaligned(block + 1);
        for (std::size_t b = t; b < kBlocks; b += kThreads) {
          // Even blocks from an aligned buffer, odd ones staged from a vector at +1.
          std::byte* data = b % 2 == 0 ? aligned.get() : unaligned.data() + 1;
          for (std::size_t i = 0; i < block; ++i) data[i] = static_cast<std::byte>(b * 31 + i % 251);
          w.write_at(b * block, std::span<const std::byte>(data, block));
        }
      });
    for (auto& t : threads) t.join();
    w.finish(kBlocks * block);
  }
  const std::vector<char> got = test::read_bytes(dir / "entry");
  ASSERT_EQ(got.size(), kBlocks * block);
  for (std::size_t b = 0; b < kBlocks; ++b)
    for (std::size_t i = 0; i < block; ++i)
      ASSERT_EQ(static_cast<std::byte>(got[b * block + i]), static_cast<std::byte>(b * 31 + i % 251)) << b << " " << i;
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
