#include "borealis/data/indexed_dataset.h"

#include <sys/stat.h>

#include <cerrno>

namespace borealis::data {

std::string dataset_prefix(std::string_view path) {
  for (std::string_view suffix : {".idx", ".bin"}) {
    if (path.size() > suffix.size() && path.ends_with(suffix))
      return std::string(path.substr(0, path.size() - suffix.size()));
  }
  return std::string(path);
}

IndexedDataset IndexedDataset::open(std::string_view prefix_or_path, Verify verify) {
  IndexedDataset ds;
  ds.prefix_ = dataset_prefix(prefix_or_path);
  const std::string idx_path = index_path(ds.prefix_);
  const std::string bin_path = data_path(ds.prefix_);
  // Check both files exist before mapping, so "missing .bin" is reported as
  // such rather than as whatever the .idx happens to contain.
  struct stat st {};
  if (::stat(idx_path.c_str(), &st) != 0) throw_system_error(idx_path, "cannot open", errno);
  if (::stat(bin_path.c_str(), &st) != 0)
    throw_system_error(bin_path, "cannot open data file of the index", errno);
  ds.idx_ = io::MappedFile(idx_path);
  ds.bin_ = io::MappedFile(bin_path);
  ds.verify_structure();
  if (verify == Verify::kFull) ds.verify_full();
  return ds;
}

void IndexedDataset::verify_structure() {
  const std::string idx_path = index_path(prefix_);
  const std::byte* p = idx_.data();
  const std::uint64_t size = idx_.size();
  if (size < kIndexHeaderSize) {
    throw_file_error(idx_path, "truncated header: file has {} bytes, the header needs {}", size,
                     kIndexHeaderSize);
  }
  if (std::memcmp(p, kIndexMagic, sizeof(kIndexMagic)) != 0)
    throw_file_error(idx_path, "not a Megatron MMIDIDX index (wrong magic bytes)");
  std::uint64_t version;
  std::memcpy(&version, p + 9, 8);
  if (version != kIndexVersion)
    throw_file_error(idx_path, "unsupported index version {} (expected {})", version, kIndexVersion);
  const auto code = static_cast<std::uint8_t>(p[17]);
  auto dtype = dtype_from_code(code);
  if (!dtype) throw_file_error(idx_path, "unknown token dtype code {} (expected 1-8)", code);
  dtype_ = *dtype;
  item_size_ = dtype_size(dtype_);
  std::memcpy(&sequence_count_, p + 18, 8);
  std::memcpy(&document_index_count_, p + 26, 8);

  const std::uint64_t body = size - kIndexHeaderSize;
  const std::uint64_t s = sequence_count_;
  const std::uint64_t d = document_index_count_;
  // Compare before multiplying so absurd counts cannot overflow the arithmetic.
  if (s > body / 12 || d > body / 8 || 12 * s + 8 * d > body) {
    throw_file_error(idx_path,
                     "truncated arrays: header declares {} sequences and {} document indices, "
                     "which need at least {} bytes, but the file has {}",
                     s, d, s <= body / 12 && d <= body / 8 ? std::to_string(34 + 12 * s + 8 * d)
                                                            : std::string("more than that"),
                     size);
  }
  const std::uint64_t rest = body - 12 * s - 8 * d;
  if (rest == s && s > 0) {
    has_sequence_modes_ = true;  // Megatron's optional int8 per-sequence mode array
  } else if (rest != 0) {
    throw_file_error(idx_path,
                     "{} unexpected bytes after the arrays (header declares {} sequences and {} "
                     "document indices)",
                     rest, s, d);
  }
  if (d == 0) throw_file_error(idx_path, "document index array is empty (it must start with 0)");

  const std::byte* a = p + kIndexHeaderSize;
  lengths_ = {a, 4 * s};
  pointers_ = {a + 4 * s, 8 * s};
  documents_ = {a + 12 * s, 8 * d};
  modes_ = has_sequence_modes_ ? std::span<const std::byte>{a + 12 * s + 8 * d, s}
                               : std::span<const std::byte>{};

  if (document_index(0) != 0)
    throw_file_error(idx_path, "document indices must start at 0, found {}", document_index(0));
  const std::int64_t last_doc = document_index(d - 1);
  if (last_doc < 0 || static_cast<std::uint64_t>(last_doc) != s) {
    throw_file_error(idx_path, "document indices end at {} but there are {} sequences", last_doc,
                     s);
  }

  // The .bin must hold exactly the bytes the last sequence ends at.
  std::uint64_t expected_bin = 0;
  if (s > 0) {
    const std::int64_t last_ptr = sequence_pointer(s - 1);
    const std::int32_t last_len = sequence_length(s - 1);
    if (last_ptr < 0 || last_len < 0) {
      throw_file_error(idx_path, "last sequence has pointer {} and length {}: both must be >= 0",
                       last_ptr, last_len);
    }
    expected_bin = static_cast<std::uint64_t>(last_ptr) +
                   static_cast<std::uint64_t>(last_len) * item_size_;
  }
  if (bin_.size() != expected_bin) {
    throw_file_error(data_path(prefix_),
                     "data file is {} than its index implies: it has {} bytes, the index "
                     "needs {} ({} sequences of {})",
                     bin_.size() < expected_bin ? "shorter" : "longer", bin_.size(), expected_bin,
                     s, dtype_name(dtype_));
  }
}

void IndexedDataset::verify_full() const {
  const std::string idx_path = index_path(prefix_);
  std::uint64_t expected_ptr = 0;
  for (std::uint64_t i = 0; i < sequence_count_; ++i) {
    const std::int32_t len = sequence_length(i);
    if (len < 0) throw_file_error(idx_path, "sequence {} has negative length {}", i, len);
    const std::int64_t ptr = sequence_pointer(i);
    if (ptr < 0 || static_cast<std::uint64_t>(ptr) != expected_ptr) {
      throw_file_error(idx_path,
                       "sequence {} has pointer {} but the lengths before it put it at byte {}", i,
                       ptr, expected_ptr);
    }
    expected_ptr += static_cast<std::uint64_t>(len) * item_size_;
  }
  std::int64_t previous = 0;
  for (std::uint64_t i = 1; i < document_index_count_; ++i) {
    const std::int64_t doc = document_index(i);
    if (doc < previous) {
      throw_file_error(idx_path, "document indices not monotonic: entry {} is {} after {}", i, doc,
                       previous);
    }
    previous = doc;
  }
}

std::int8_t IndexedDataset::sequence_mode(std::uint64_t i) const {
  if (!has_sequence_modes_) throw_file_error(index_path(prefix_), "index has no sequence modes");
  return load<std::int8_t>(modes_, i);
}

std::span<const std::byte> IndexedDataset::sequence_bytes(std::uint64_t i) const {
  const std::int64_t ptr = sequence_pointer(i);
  const std::int32_t len = sequence_length(i);
  const std::uint64_t nbytes = static_cast<std::uint64_t>(len < 0 ? 0 : len) * item_size_;
  if (ptr < 0 || len < 0 || static_cast<std::uint64_t>(ptr) % item_size_ != 0 ||
      static_cast<std::uint64_t>(ptr) > bin_.size() ||
      nbytes > bin_.size() - static_cast<std::uint64_t>(ptr)) {
    throw_file_error(index_path(prefix_),
                     "sequence {} (pointer {}, length {}) lies outside the {}-byte data file", i,
                     ptr, len, bin_.size());
  }
  return {bin_.data() + ptr, nbytes};
}

void IndexedDataset::throw_index_range(std::uint64_t i) const {
  throw_file_error(index_path(prefix_), "index {} out of range", i);
}

}  // namespace borealis::data
