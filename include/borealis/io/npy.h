#pragma once
// NumPy .npy files (format version 1.0/2.0/3.0), little-endian, C order.
// Used to compare our arrays byte for byte with arrays numpy code wrote.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace borealis::io {

struct NpyArray {
  std::string descr;                 // numpy dtype string, e.g. "<i4", "<u2", "|i1"
  std::vector<std::uint64_t> shape;  // C order
  std::vector<std::byte> data;       // raw payload, when the array owns it
  // Or a read-only view of a payload that lives elsewhere (a memory-mapped
  // file, kept alive by `owner`), so large arrays are paged in, not copied.
  std::span<const std::byte> view;
  std::shared_ptr<const void> owner;

  // The payload, owned or viewed.
  std::span<const std::byte> bytes() const { return owner ? view : std::span<const std::byte>(data); }
  std::uint64_t element_count() const;
  template <typename T>
  std::vector<T> as() const;  // copies the payload; caller checks descr
};

// Throws borealis::Error naming the file on any malformed header or size.
NpyArray read_npy(const std::string& path);
// The same from bytes in memory (`where` names them in errors). With `used`,
// the bytes may go on after the array, and *used says where it ended. With
// `owner`, the result is a view of `bytes` (kept alive by `owner`), not a copy.
NpyArray parse_npy(std::span<const std::byte> bytes, const std::string& where, std::size_t* used = nullptr,
                   std::shared_ptr<const void> owner = nullptr);
// The bytes before the payload of a version 1.0 file: magic, version, header
// length and the header dict padded exactly as numpy >= 1.23 writes it.
std::string npy_header(const std::string& descr, const std::vector<std::uint64_t>& shape);
// Writes format version 1.0 with numpy's header padding (header + magic padded
// to a multiple of 64 bytes), atomically.
void write_npy(const std::string& path, const std::string& descr,
               const std::vector<std::uint64_t>& shape, const void* data, std::size_t bytes);

template <typename T>
std::vector<T> NpyArray::as() const {
  std::vector<T> out;
  out.resize(bytes().size() / sizeof(T));
  if (!out.empty()) __builtin_memcpy(out.data(), bytes().data(), out.size() * sizeof(T));
  return out;
}

}  // namespace borealis::io
