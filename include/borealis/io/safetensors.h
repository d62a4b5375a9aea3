#pragma once
// safetensors files (the Hugging Face weight format), by its specification:
//   8 bytes   N, little-endian u64: the header's length
//   N bytes   JSON: {"NAME": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
//                    "__metadata__": {"key": "string value", ...}}   (optional metadata)
//   the rest  tensor bytes, little-endian, C order; offsets count from here.
// Reading checks everything a truncated or corrupt file could get wrong
// (header length, JSON, dtype, shape × dtype size = offsets, offsets inside
// the file, no overlap) and names the file and tensor in a one-line error.
// Writing goes through AtomicOutputFile: a crash never leaves a file that
// looks complete. The header is padded with spaces to a multiple of 8 bytes,
// so every F32 tensor starts aligned.

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace borealis::io {

class MappedFile;

struct SafetensorsTensor {
  std::string dtype;  // "F32", "F16", "BF16", "I64", ...
  std::vector<std::int64_t> shape;
  std::span<const std::byte> bytes;  // inside the mapped file
};

// Bytes per element of a safetensors dtype name; 0 when unknown.
std::size_t safetensors_dtype_size(const std::string& dtype);

class SafetensorsReader {
 public:
  explicit SafetensorsReader(const std::string& path);
  ~SafetensorsReader();

  const std::string& path() const { return path_; }
  const std::map<std::string, SafetensorsTensor>& tensors() const { return tensors_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  bool contains(const std::string& name) const { return tensors_.contains(name); }
  // The tensor, checked to be F32 of exactly `shape`, copied into `out`
  // (out.size() must be the element count). Errors name file and tensor.
  void read_f32(const std::string& name, std::span<const std::int64_t> shape,
                std::span<float> out) const;

 private:
  std::string path_;
  std::unique_ptr<MappedFile> file_;
  std::map<std::string, SafetensorsTensor> tensors_;
  std::map<std::string, std::string> metadata_;
};

class SafetensorsWriter {
 public:
  // The bytes are referenced, not copied: keep them alive until write().
  void add(std::string name, std::string dtype, std::vector<std::int64_t> shape,
           std::span<const std::byte> bytes);
  void add_f32(std::string name, std::vector<std::int64_t> shape, std::span<const float> values);
  void set_metadata(std::string key, std::string value) {
    metadata_[std::move(key)] = std::move(value);
  }
  // Tensors in the order added; atomic (temporary name, fsync, rename).
  void write(const std::string& path) const;

 private:
  struct Entry {
    std::string name, dtype;
    std::vector<std::int64_t> shape;
    std::span<const std::byte> bytes;
  };
  std::vector<Entry> entries_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace borealis::io
