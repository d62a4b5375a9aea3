#pragma once
// Reader for Megatron's MMIDIDX token datasets: PREFIX.idx (header + arrays)
// and PREFIX.bin (raw tokens). Both files are memory-mapped; sequences are
// returned as spans into the mapping, never copied. The layout is described in
// docs/formats.md.
//
// The .idx arrays start at byte 34, so they are not aligned: every read from
// them goes through memcpy. The .bin is page-aligned and every sequence starts
// at a multiple of the item size, so typed spans over it are aligned.

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "borealis/data/dtype.h"
#include "borealis/io/mapped_file.h"
#include "borealis/util/error.h"

namespace borealis::data {

inline constexpr char kIndexMagic[9] = {'M', 'M', 'I', 'D', 'I', 'D', 'X', '\0', '\0'};
inline constexpr std::uint64_t kIndexVersion = 1;
inline constexpr std::size_t kIndexHeaderSize = 34;  // magic 9 + version 8 + dtype 1 + counts 16

// "data/foo", "data/foo.idx" and "data/foo.bin" all name the prefix "data/foo".
std::string dataset_prefix(std::string_view path);
inline std::string index_path(std::string_view prefix) { return std::string(prefix) + ".idx"; }
inline std::string data_path(std::string_view prefix) { return std::string(prefix) + ".bin"; }

enum class Verify {
  // O(1): header, exact .idx size, first/last document index, .bin size equal
  // to what the last pointer and length imply. Every sequence access is still
  // bounds-checked, so a corrupt file can raise an error but never crash.
  kStructure,
  // O(sequences + documents): additionally every length >= 0, every pointer
  // equal to the running sum of lengths, document indices non-decreasing.
  kFull,
};

class IndexedDataset {
 public:
  // Throws borealis::Error naming the offending file on any inconsistency.
  static IndexedDataset open(std::string_view prefix, Verify verify = Verify::kStructure);

  const std::string& prefix() const { return prefix_; }
  DType dtype() const { return dtype_; }
  std::size_t item_size() const { return item_size_; }

  std::uint64_t sequence_count() const { return sequence_count_; }
  // Number of documents, i.e. the length of the document-index array minus one.
  std::uint64_t document_count() const { return document_index_count_ - 1; }
  // Length of the document-index array as stored in the header (documents + 1).
  std::uint64_t document_index_count() const { return document_index_count_; }
  bool has_sequence_modes() const { return has_sequence_modes_; }
  std::uint64_t token_count() const { return bin_.size() / item_size_; }

  std::int32_t sequence_length(std::uint64_t i) const { return load<std::int32_t>(lengths_, i); }
  std::int64_t sequence_pointer(std::uint64_t i) const { return load<std::int64_t>(pointers_, i); }
  // Entry i of the document-index array, i in [0, document_index_count()).
  std::int64_t document_index(std::uint64_t i) const { return load<std::int64_t>(documents_, i); }
  std::int8_t sequence_mode(std::uint64_t i) const;

  // Raw bytes of sequence i in the .bin mapping.
  std::span<const std::byte> sequence_bytes(std::uint64_t i) const;

  // Sequence i as typed tokens; T must be the dataset's dtype.
  template <typename T>
  std::span<const T> sequence(std::uint64_t i) const {
    if (dtype_of<T>() != dtype_) {
      throw_file_error(data_path(prefix_), "requested {} tokens but the dataset holds {}",
                       dtype_name(dtype_of<T>()), dtype_name(dtype_));
    }
    auto bytes = sequence_bytes(i);
    return {reinterpret_cast<const T*>(bytes.data()), bytes.size() / sizeof(T)};
  }

  // The raw arrays, for streaming copies (merge) and bulk reads.
  std::span<const std::byte> lengths_bytes() const { return lengths_; }
  // All sequence lengths, copied out (the .idx array is unaligned).
  std::vector<std::int32_t> sequence_lengths() const {
    std::vector<std::int32_t> out(sequence_count_);
    if (!out.empty()) std::memcpy(out.data(), lengths_.data(), out.size() * sizeof(std::int32_t));
    return out;
  }
  std::span<const std::byte> pointers_bytes() const { return pointers_; }
  std::span<const std::byte> document_index_bytes() const { return documents_; }
  std::span<const std::byte> sequence_mode_bytes() const { return modes_; }

  const io::MappedFile& index_file() const { return idx_; }
  const io::MappedFile& data_file() const { return bin_; }

  // The O(sequences) checks of Verify::kFull; throws on the first problem.
  void verify_full() const;

 private:
  IndexedDataset() = default;
  void verify_structure();

  template <typename T>
  T load(std::span<const std::byte> array, std::uint64_t i) const {
    if (i >= array.size() / sizeof(T)) throw_index_range(i);
    T value;
    std::memcpy(&value, array.data() + i * sizeof(T), sizeof(T));
    return value;
  }
  [[noreturn]] void throw_index_range(std::uint64_t i) const;

  std::string prefix_;
  io::MappedFile idx_;
  io::MappedFile bin_;
  DType dtype_ = DType::kUInt16;
  std::size_t item_size_ = 2;
  std::uint64_t sequence_count_ = 0;
  std::uint64_t document_index_count_ = 0;
  bool has_sequence_modes_ = false;
  std::span<const std::byte> lengths_;
  std::span<const std::byte> pointers_;
  std::span<const std::byte> documents_;
  std::span<const std::byte> modes_;
};

}  // namespace borealis::data
