#include "borealis/data/indexed_dataset_writer.h"

#include <unistd.h>

#include <cerrno>

#include "borealis/data/indexed_dataset.h"

namespace borealis::data {

IndexedDatasetWriter::IndexedDatasetWriter(std::string prefix, DType dtype,
                                           bool with_sequence_modes)
    : prefix_(dataset_prefix(prefix)),
      dtype_(dtype),
      item_size_(dtype_size(dtype)),
      with_modes_(with_sequence_modes),
      bin_(data_path(prefix_)) {}

IndexedDatasetWriter::~IndexedDatasetWriter() = default;  // bin_ drops its temporary

void IndexedDatasetWriter::check_length(std::uint64_t length) const {
  if (length > static_cast<std::uint64_t>(std::numeric_limits<std::int32_t>::max())) {
    throw_file_error(index_path(prefix_),
                     "sequence {} has {} tokens; the format stores lengths as int32",
                     lengths_.size(), length);
  }
}

void IndexedDatasetWriter::push_length(std::uint64_t length, std::int8_t mode) {
  lengths_.push_back(static_cast<std::int32_t>(length));
  if (with_modes_) modes_.push_back(mode);
}

void IndexedDatasetWriter::end_document() {
  documents_.push_back(static_cast<std::int64_t>(lengths_.size()));
}

void IndexedDatasetWriter::finish() {
  if (finished_) return;
  if (static_cast<std::uint64_t>(documents_.back()) != lengths_.size()) end_document();
  io::AtomicOutputFile idx(index_path(prefix_));
  write_index_header(idx, dtype_, lengths_.size(), documents_.size());
  idx.write(lengths_.data(), lengths_.size() * sizeof(std::int32_t));
  // Pointers are the exclusive prefix sum of byte lengths, in 64 bits.
  std::vector<std::int64_t> chunk;
  chunk.reserve(1 << 16);
  std::int64_t pointer = 0;
  for (std::int32_t len : lengths_) {
    chunk.push_back(pointer);
    pointer += static_cast<std::int64_t>(len) * static_cast<std::int64_t>(item_size_);
    if (chunk.size() == chunk.capacity()) {
      idx.write(chunk.data(), chunk.size() * sizeof(std::int64_t));
      chunk.clear();
    }
  }
  idx.write(chunk.data(), chunk.size() * sizeof(std::int64_t));
  idx.write(documents_.data(), documents_.size() * sizeof(std::int64_t));
  if (with_modes_) idx.write(modes_.data(), modes_.size());
  commit_dataset_files(prefix_, bin_, idx);
  finished_ = true;
}

void write_index_header(io::AtomicOutputFile& idx, DType dtype, std::uint64_t sequences,
                        std::uint64_t document_indices) {
  idx.write(kIndexMagic, sizeof(kIndexMagic));
  idx.write_value<std::uint64_t>(kIndexVersion);
  idx.write_value<std::uint8_t>(dtype_code(dtype));
  idx.write_value<std::uint64_t>(sequences);
  idx.write_value<std::uint64_t>(document_indices);
}

void commit_dataset_files(const std::string& prefix, io::AtomicOutputFile& bin,
                          io::AtomicOutputFile& idx) {
  // Everything that can fail for ordinary reasons (a full disk, I/O errors)
  // happens before the old dataset is touched.
  bin.sync();
  idx.sync();
  if (::unlink(index_path(prefix).c_str()) != 0 && errno != ENOENT)
    throw_system_error(index_path(prefix), "cannot replace existing index", errno);
  bin.publish();
  idx.publish();
}

void IndexedDatasetWriter::throw_out_of_range(long double token) const {
  throw_file_error(data_path(prefix_), "token {} does not fit the dataset dtype {}",
                   static_cast<double>(token), dtype_name(dtype_));
}

}  // namespace borealis::data
