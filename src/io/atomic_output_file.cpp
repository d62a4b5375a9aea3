#include "borealis/io/atomic_output_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "borealis/io/mapped_file.h"
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
  if (synced_ || fd_ < 0) throw_file_error(path_, "write after commit or abort");
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

namespace {
// Closes a file descriptor on every exit path.
struct FdGuard {
  int fd;
  ~FdGuard() {
    if (fd >= 0) ::close(fd);
  }
};
}  // namespace

void AtomicOutputFile::append_file(const MappedFile& source) {
  if (synced_ || fd_ < 0) throw_file_error(path_, "write after commit or abort");
  flush_buffer();
  const std::string& src_path = source.path();
  FdGuard in{::open(src_path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK)};
  if (in.fd < 0) throw_system_error(src_path, "cannot open", errno);
  struct stat st {};
  if (::fstat(in.fd, &st) != 0) throw_system_error(src_path, "cannot stat", errno);
  if (static_cast<std::uint64_t>(st.st_dev) != source.device() ||
      static_cast<std::uint64_t>(st.st_ino) != source.inode() ||
      static_cast<std::uint64_t>(st.st_size) != source.size()) {
    throw_file_error(src_path, "file was replaced or changed while being copied");
  }
  loff_t in_off = 0;
  std::uint64_t left = source.size();
  while (left > 0) {
    ssize_t n = ::copy_file_range(in.fd, &in_off, fd_, nullptr, left, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EXDEV || errno == ENOSYS || errno == EOPNOTSUPP || errno == EINVAL) break;
      throw_system_error(src_path, "copy failed", errno);
    }
    if (n == 0) throw_file_error(src_path, "file shrank while being copied");
    left -= static_cast<std::uint64_t>(n);
  }
  if (left > 0) {
    // copy_file_range unsupported here: write from the mapping instead.
    const std::uint64_t done = source.size() - left;
    const std::byte* from = source.data() + done;
    written_ += done;  // write() below accounts for the rest
    write(from, static_cast<std::size_t>(left));
    return;
  }
  written_ += source.size();
}

void AtomicOutputFile::sync() {
  if (synced_) return;
  if (fd_ < 0) throw_file_error(path_, "commit after abort");
  flush_buffer();
  if (::fsync(fd_) != 0) throw_system_error(temp_path_, "fsync failed", errno);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) throw_system_error(temp_path_, "close failed", errno);
  synced_ = true;
}

void AtomicOutputFile::publish() {
  if (committed_) return;
  if (!synced_) throw_file_error(path_, "publish before sync");
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0)
    throw_system_error(path_, "cannot rename temporary output into place", errno);
  committed_ = true;
  sync_parent_directory(path_);
}

void AtomicOutputFile::commit() {
  sync();
  publish();
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

void create_parent_directories(const std::string& path) {
  const auto parent = std::filesystem::path(path).parent_path();
  if (parent.empty()) return;
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  if (ec) throw_file_error(parent.string(), "cannot create output directory: {}", ec.message());
}

void sync_parent_directory(const std::string& path) {
  const auto parent = std::filesystem::path(path).parent_path();
  const std::string dir = parent.empty() ? std::string(".") : parent.string();
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw_system_error(dir, "cannot open directory to sync it", errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  // Some filesystems (e.g. certain network mounts) refuse fsync on a
  // directory; the rename itself has already happened.
  if (rc != 0 && err != EINVAL && err != EROFS) throw_system_error(dir, "fsync failed", err);
}

}  // namespace borealis::io
