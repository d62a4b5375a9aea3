#include "borealis/io/atomic_output_file.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "borealis/util/error.h"
#include "test_util.h"

namespace borealis::io {
namespace {

using test::TempDir;

TEST(AtomicOutputFile, InvisibleUntilCommit) {
  TempDir dir;
  const std::string path = dir / "out.txt";
  AtomicOutputFile out(path, 4);  // tiny buffer: exercise both write paths
  out.write("hello ");
  out.write("world, this is longer than the buffer");
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_TRUE(std::filesystem::exists(out.temp_path()));
  out.commit();
  EXPECT_TRUE(out.committed());
  EXPECT_FALSE(std::filesystem::exists(out.temp_path()));
  auto bytes = test::read_bytes(path);
  EXPECT_EQ(std::string(bytes.begin(), bytes.end()), "hello world, this is longer than the buffer");
  EXPECT_EQ(out.size(), bytes.size());
}

TEST(AtomicOutputFile, DestroyWithoutCommitLeavesOldFileAndNoTemp) {
  TempDir dir;
  const std::string path = dir / "out.txt";
  write_file_atomically(path, "old");
  {
    AtomicOutputFile out(path);
    out.write("new but unfinished");
  }
  auto bytes = test::read_bytes(path);
  EXPECT_EQ(std::string(bytes.begin(), bytes.end()), "old");
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()),
                          std::filesystem::directory_iterator{}),
            1);
}

TEST(AtomicOutputFile, SyncThenPublishMakesTheFileVisibleOnlyAtPublish) {
  TempDir dir;
  AtomicOutputFile out(dir / "f");
  out.write("abc");
  out.sync();
  EXPECT_THROW(out.write("more"), Error);  // closed for writing once synced
  EXPECT_FALSE(std::filesystem::exists(dir / "f"));
  out.publish();
  auto bytes = test::read_bytes(dir / "f");
  EXPECT_EQ(std::string(bytes.begin(), bytes.end()), "abc");
}

TEST(AtomicOutputFile, PublishBeforeSyncIsAnError) {
  TempDir dir;
  AtomicOutputFile out(dir / "f");
  EXPECT_THROW(out.publish(), Error);
}

TEST(AtomicOutputFile, UnwritableDirectoryNamesThePath) {
  try {
    AtomicOutputFile out("/nonexistent-dir/x.bin");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-dir/x.bin"), std::string::npos);
  }
}

}  // namespace
}  // namespace borealis::io

#include "borealis/io/mapped_file.h"

namespace borealis::io {
namespace {

TEST(AtomicOutputFile, AppendFileCopiesAMappedFile) {
  TempDir dir;
  write_file_atomically(dir / "src", "0123456789");
  MappedFile src(dir / "src");
  AtomicOutputFile out(dir / "dst");
  out.write("<");
  out.append_file(src);
  out.write(">");
  out.commit();
  auto bytes = test::read_bytes(dir / "dst");
  EXPECT_EQ(std::string(bytes.begin(), bytes.end()), "<0123456789>");
  EXPECT_EQ(out.size(), 12u);
}

TEST(AtomicOutputFile, AppendFileRefusesAFileReplacedSinceItWasMapped) {
  TempDir dir;
  write_file_atomically(dir / "src", "0123456789");
  MappedFile src(dir / "src");
  write_file_atomically(dir / "src", "abcdefghij");  // same size, new inode
  AtomicOutputFile out(dir / "dst");
  try {
    out.append_file(src);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("replaced or changed"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace borealis::io
