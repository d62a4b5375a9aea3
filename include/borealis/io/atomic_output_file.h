#pragma once
// A file that becomes visible under its final name only when complete.
//
// Bytes go to "<path>.tmp.<pid>.<n>" in the same directory (so rename(2) is
// atomic); commit() flushes, fsyncs, renames and fsyncs the directory. If the
// writer is destroyed without commit() -- an exception, a crash, kill -9 --
// the final name is never created, and the destructor removes the temporary
// when it gets the chance.
//
// commit() is sync() + publish(). They are separate so that a group of files
// (a dataset's .bin and .idx) can all be made durable before any of them is
// renamed: after that, only renames can fail.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace borealis::io {

class MappedFile;

class AtomicOutputFile {
 public:
  explicit AtomicOutputFile(std::string path, std::size_t buffer_bytes = 1 << 20);
  ~AtomicOutputFile();
  AtomicOutputFile(const AtomicOutputFile&) = delete;
  AtomicOutputFile& operator=(const AtomicOutputFile&) = delete;

  void write(const void* data, std::size_t size);
  void write(std::string_view text) { write(text.data(), text.size()); }
  template <typename T>
  void write_value(const T& value) {
    write(&value, sizeof(T));
  }

  // Appends the whole of `source` with copy_file_range(2) (a kernel-side
  // copy; a reflink where the filesystem can). The file is re-opened by path
  // and must still be the very file that was mapped, so the bytes copied are
  // the bytes that were checked.
  void append_file(const MappedFile& source);

  // Bytes written so far.
  std::uint64_t size() const { return written_; }

  // Flush, fsync and close the temporary. No more writes after this.
  void sync();
  // Rename the synced temporary onto the final path and fsync the directory.
  void publish();
  // sync() + publish(). Idempotent.
  void commit();
  // Drop the temporary file; the final path is left untouched.
  void abort() noexcept;

  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return temp_path_; }
  bool committed() const { return committed_; }

 private:
  void flush_buffer();

  std::string path_;
  std::string temp_path_;
  int fd_ = -1;
  std::vector<char> buffer_;
  std::size_t buffered_ = 0;
  std::uint64_t written_ = 0;
  bool synced_ = false;
  bool committed_ = false;
};

// Writes `text` to `path` atomically (small files: manifests, JSON).
void write_file_atomically(const std::string& path, std::string_view text);

// Creates the missing directories above `path` (for output prefixes given
// with new directories). Throws borealis::Error naming the directory.
void create_parent_directories(const std::string& path);

// fsync the directory holding `path`, so renames into it survive power loss.
void sync_parent_directory(const std::string& path);

}  // namespace borealis::io
