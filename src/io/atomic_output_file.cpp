#include "borealis/io/atomic_output_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>

#include "borealis/util/error.h"

namespace borealis::io {

namespace {
std::atomic<unsigned> g_temp_counter{0};
}

AtomicOutputFile::AtomicOutputFile(std::string path, std::size_t buffer_bytes)
    : path_(std::move(path)), buffer_(buffer_bytes == 0 ? 1 : buffer_bytes) {
  temp_path_ = fmt::format("{}.tmp.{}.{}", path_, ::getpid(), g_temp_counter.fetch_add(1));
  fd_ = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) throw_system_error(path_, "cannot create temporary output", errno);
}

AtomicOutputFile::~AtomicOutputFile() {
  if (!committed_) abort();
}

void AtomicOutputFile::write(const void* data, std::size_t size) {
  if (committed_ || fd_ < 0) throw_file_error(path_, "write after commit or abort");
  if (size == 0) return;  // empty vectors pass data() == nullptr
  const char* src = static_cast<const char*>(data);
  written_ += size;
  if (size >= buffer_.size()) {  // large writes bypass the buffer
    flush_buffer();
    while (size > 0) {
      ssize_t n = ::write(fd_, src, size);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw_system_error(temp_path_, "write failed", errno);
      }
      src += n;
      size -= static_cast<std::size_t>(n);
    }
    return;
  }
  if (buffered_ + size > buffer_.size()) flush_buffer();
  std::memcpy(buffer_.data() + buffered_, src, size);
  buffered_ += size;
}

void AtomicOutputFile::flush_buffer() {
  std::size_t done = 0;
  while (done < buffered_) {
    ssize_t n = ::write(fd_, buffer_.data() + done, buffered_ - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_system_error(temp_path_, "write failed", errno);
    }
    done += static_cast<std::size_t>(n);
  }
  buffered_ = 0;
}

void AtomicOutputFile::copy_from(const std::string& source_path, std::uint64_t offset,
                                 std::uint64_t size) {
  if (committed_ || fd_ < 0) throw_file_error(path_, "write after commit or abort");
  flush_buffer();
  int in = ::open(source_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) throw_system_error(source_path, "cannot open", errno);
  loff_t in_off = static_cast<loff_t>(offset);
  std::uint64_t left = size;
  bool use_fallback = false;
  while (left > 0 && !use_fallback) {
    ssize_t n = ::copy_file_range(in, &in_off, fd_, nullptr, left, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EXDEV || errno == ENOSYS || errno == EOPNOTSUPP || errno == EINVAL) {
        use_fallback = true;
        break;
      }
      int err = errno;
      ::close(in);
      throw_system_error(source_path, "copy failed", err);
    }
    if (n == 0) {
      ::close(in);
      throw_file_error(source_path, "file ended {} bytes early while copying", left);
    }
    left -= static_cast<std::uint64_t>(n);
  }
  // Fallback: plain pread/write through our buffer.
  while (left > 0) {
    std::size_t chunk = static_cast<std::size_t>(std::min<std::uint64_t>(left, buffer_.size()));
    ssize_t n = ::pread(in, buffer_.data(), chunk, in_off);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(in);
      throw_system_error(source_path, "read failed", err);
    }
    if (n == 0) {
      ::close(in);
      throw_file_error(source_path, "file ended {} bytes early while copying", left);
    }
    buffered_ = static_cast<std::size_t>(n);
    flush_buffer();
    in_off += n;
    left -= static_cast<std::uint64_t>(n);
  }
  ::close(in);
  written_ += size;
}

void AtomicOutputFile::commit() {
  if (committed_) return;
  if (fd_ < 0) throw_file_error(path_, "commit after abort");
  flush_buffer();
  if (::fsync(fd_) != 0) throw_system_error(temp_path_, "fsync failed", errno);
  if (::close(fd_) != 0) {
    fd_ = -1;
    throw_system_error(temp_path_, "close failed", errno);
  }
  fd_ = -1;
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0)
    throw_system_error(path_, "cannot rename temporary output into place", errno);
  committed_ = true;
}

void AtomicOutputFile::abort() noexcept {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  if (!committed_) ::unlink(temp_path_.c_str());
}

void write_file_atomically(const std::string& path, std::string_view text) {
  AtomicOutputFile out(path, 1 << 16);
  out.write(text);
  out.commit();
}

}  // namespace borealis::io
