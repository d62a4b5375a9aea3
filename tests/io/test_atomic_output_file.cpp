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

TEST(AtomicOutputFile, CopyFromAppendsARangeOfAnotherFile) {
  TempDir dir;
  write_file_atomically(dir / "src", "0123456789");
  AtomicOutputFile out(dir / "dst");
  out.write("<");
  out.copy_from(dir / "src", 2, 5);
  out.write(">");
  out.commit();
  auto bytes = test::read_bytes(dir / "dst");
  EXPECT_EQ(std::string(bytes.begin(), bytes.end()), "<23456>");
  EXPECT_EQ(out.size(), 7u);
}

TEST(AtomicOutputFile, CopyPastEndOfSourceIsAnError) {
  TempDir dir;
  write_file_atomically(dir / "src", "abc");
  AtomicOutputFile out(dir / "dst");
  EXPECT_THROW(out.copy_from(dir / "src", 0, 10), Error);
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
