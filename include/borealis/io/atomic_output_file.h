#pragma once
// A file that becomes visible under its final name only when complete.
//
// Bytes go to "<path>.tmp.<pid>.<n>" in the same directory (so rename(2) is
// atomic); commit() flushes, fsyncs and renames. If the writer is destroyed
// without commit() -- an exception, a crash, kill -9 -- the final name is never
// created, and the destructor removes the temporary when it gets the chance.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace borealis::io {

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

  // Appends `size` bytes of `source_path` starting at `offset`, using
  // copy_file_range(2) (kernel-side copy, reflinks where the filesystem can).
  void copy_from(const std::string& source_path, std::uint64_t offset, std::uint64_t size);

  // Bytes written so far.
  std::uint64_t size() const { return written_; }

  // Flush, fsync and rename onto the final path. Idempotent.
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
  bool committed_ = false;
};

// Writes `text` to `path` atomically (small files: manifests, JSON).
void write_file_atomically(const std::string& path, std::string_view text);

}  // namespace borealis::io
