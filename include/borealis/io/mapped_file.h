#pragma once
// Read-only memory map of a whole file. Empty files are valid and map to an
// empty span (mmap of length 0 is an error, so we special-case it).

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace borealis::io {

class MappedFile {
 public:
  MappedFile() = default;
  // Throws borealis::Error naming `path` if it cannot be opened or mapped.
  explicit MappedFile(std::string path);
  ~MappedFile();

  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const std::byte* data() const { return data_; }
  std::size_t size() const { return size_; }
  std::span<const std::byte> bytes() const { return {data_, size_}; }
  const std::string& path() const { return path_; }
  // Identity of the mapped file, to recognise it when re-opened by path.
  std::uint64_t device() const { return device_; }
  std::uint64_t inode() const { return inode_; }

  // Hint that access will be random (dataset sampling) or sequential (merge).
  void advise_random() const;
  void advise_sequential() const;

 private:
  void release() noexcept;

  std::string path_;
  const std::byte* data_ = nullptr;
  std::size_t size_ = 0;
  std::uint64_t device_ = 0;
  std::uint64_t inode_ = 0;
};

}  // namespace borealis::io
