#include "borealis/io/direct_file_writer.h"

#include <mutex>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "borealis/util/error.h"

namespace borealis::io {

namespace {

constexpr std::size_t kStaging = std::size_t{4} << 20;  // bytes per write call

}  // namespace

DirectFileWriter::DirectFileWriter(const std::string& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC | O_DIRECT, 0644);
  direct_ = fd_ >= 0;
  if (fd_ < 0 && errno == EINVAL) fd_ = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
  if (fd_ < 0) throw_file_error(path, "cannot create: {}", std::strerror(errno));
}

DirectFileWriter::~DirectFileWriter() {
  if (fd_ >= 0) ::close(fd_);
}

void DirectFileWriter::put(std::uint64_t offset, const std::byte* data, std::size_t bytes) {
  while (bytes > 0) {
    const ssize_t n = ::pwrite(fd_, data, bytes, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EINVAL && direct_) {
      // Accepted at open, refused at write (some file systems): go on buffered.
      std::lock_guard<std::mutex> lock(staging_mutex_);
      if (direct_) ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) & ~O_DIRECT);
      direct_ = false;
      continue;
    }
    if (n <= 0) throw_file_error(path_, "write failed: {}", n < 0 ? std::strerror(errno) : "no progress");
    data += n;
    offset += static_cast<std::uint64_t>(n);
    bytes -= static_cast<std::size_t>(n);
  }
  std::uint64_t seen = extent_.load();
  while (seen < offset && !extent_.compare_exchange_weak(seen, offset)) {
  }
}

void DirectFileWriter::write_at(std::uint64_t offset, std::span<const std::byte> bytes) {
  if (fd_ < 0) throw_file_error(path_, "written after it was finished");
  if (offset % kBlock != 0) throw_file_error(path_, "write at unaligned offset {} (internal error)", offset);
  if (reinterpret_cast<std::uintptr_t>(bytes.data()) % kBlock == 0 && bytes.size() % kBlock == 0) {
    put(offset, bytes.data(), bytes.size());  // in place: no copy, no shared state
    return;
  }
  std::lock_guard<std::mutex> lock(staging_mutex_);
  if (!buffer_) {
    void* p = nullptr;
    if (::posix_memalign(&p, kBlock, kStaging) != 0) throw Error("out of memory for a write buffer");
    buffer_.reset(static_cast<std::byte*>(p));
  }
  while (!bytes.empty()) {
    const std::size_t n = std::min(bytes.size(), kStaging);
    std::memcpy(buffer_.get(), bytes.data(), n);
    const std::size_t padded = static_cast<std::size_t>(round_up(n));
    std::memset(buffer_.get() + n, 0, padded - n);
    put(offset, buffer_.get(), padded);
    offset += padded;
    bytes = bytes.subspan(n);
  }
}

void DirectFileWriter::finish(std::uint64_t size) {
  if (fd_ < 0) throw_file_error(path_, "finished twice (internal error)");
  if (size != extent_.load() && ::ftruncate(fd_, static_cast<off_t>(size)) != 0)
    throw_file_error(path_, "cannot set size: {}", std::strerror(errno));
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) throw_file_error(path_, "write failed: {}", std::strerror(errno));
}

}  // namespace borealis::io
