#include "borealis/data/indexed_dataset_merge.h"

#include <cstring>
#include <filesystem>

#include "borealis/data/indexed_dataset.h"
#include "borealis/data/indexed_dataset_writer.h"
#include "borealis/io/atomic_output_file.h"
#include "borealis/util/error.h"

namespace borealis::data {

namespace {

// Streams `count` int64 values from an unaligned array, adding `offset`.
void write_rebased(io::AtomicOutputFile& out, std::span<const std::byte> array,
                   std::uint64_t first, std::uint64_t count, std::int64_t offset) {
  constexpr std::size_t kChunk = 1 << 15;
  std::vector<std::int64_t> buffer(kChunk);
  for (std::uint64_t done = 0; done < count;) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, count - done));
    std::memcpy(buffer.data(), array.data() + (first + done) * 8, n * 8);
    for (std::size_t i = 0; i < n; ++i) buffer[i] += offset;
    out.write(buffer.data(), n * 8);
    done += n;
  }
}

}  // namespace

bool is_same_dataset(const std::string& a, const std::string& b) {
  const std::string pa = dataset_prefix(a), pb = dataset_prefix(b);
  if (pa == pb) return true;
  std::error_code ec;
  for (const auto& [x, y] : {std::pair{index_path(pa), index_path(pb)},
                             std::pair{data_path(pa), data_path(pb)}}) {
    if (std::filesystem::equivalent(x, y, ec) && !ec) return true;
  }
  return false;
}

MergeSummary merge_indexed_datasets(const std::string& output_prefix_or_path,
                                    const std::vector<std::string>& input_prefixes,
                                    const MergeProgress& progress) {
  if (input_prefixes.empty()) throw Error("merge: no input datasets given");
  const std::string output_prefix = dataset_prefix(output_prefix_or_path);

  // Open (and fully verify) every input first: a bad input fails the merge
  // before any output is written.
  std::vector<IndexedDataset> inputs;
  inputs.reserve(input_prefixes.size());
  for (const auto& p : input_prefixes) {
    inputs.push_back(IndexedDataset::open(p, Verify::kFull));
    if (is_same_dataset(p, output_prefix))
      throw_file_error(index_path(output_prefix), "merge output is also one of its inputs");
  }
  const IndexedDataset& first = inputs.front();
  // An empty dataset's mode array has no bytes, so it cannot show whether it
  // has one: the first non-empty input decides.
  const IndexedDataset* modes_from = &first;
  for (const auto& in : inputs) {
    if (in.sequence_count() > 0) {
      modes_from = &in;
      break;
    }
  }
  const bool with_modes = modes_from->has_sequence_modes();
  MergeSummary summary;
  std::uint64_t document_indices = 1;
  for (const auto& in : inputs) {
    if (in.dtype() != first.dtype()) {
      throw_file_error(index_path(in.prefix()), "token dtype {} differs from {} in {}",
                       dtype_name(in.dtype()), dtype_name(first.dtype()), index_path(first.prefix()));
    }
    if (in.sequence_count() > 0 && in.has_sequence_modes() != with_modes) {
      throw_file_error(index_path(in.prefix()), "{} sequence modes but {} {}",
                       in.has_sequence_modes() ? "has" : "lacks", index_path(modes_from->prefix()),
                       with_modes ? "has them" : "does not");
    }
    summary.sequences += in.sequence_count();
    document_indices += in.document_index_count() - 1;
    summary.bin_bytes += in.data_file().size();
  }
  summary.documents = document_indices - 1;
  summary.tokens = summary.bin_bytes / first.item_size();

  io::create_parent_directories(output_prefix);
  io::AtomicOutputFile bin(data_path(output_prefix));
  io::AtomicOutputFile idx(index_path(output_prefix));
  write_index_header(idx, first.dtype(), summary.sequences, document_indices);
  for (const auto& in : inputs) idx.write(in.lengths_bytes().data(), in.lengths_bytes().size());
  std::int64_t byte_offset = 0;
  for (const auto& in : inputs) {
    write_rebased(idx, in.pointers_bytes(), 0, in.sequence_count(), byte_offset);
    byte_offset += static_cast<std::int64_t>(in.data_file().size());
  }
  idx.write_value<std::int64_t>(0);
  std::int64_t sequence_offset = 0;
  for (const auto& in : inputs) {
    write_rebased(idx, in.document_index_bytes(), 1, in.document_index_count() - 1,
                  sequence_offset);
    sequence_offset += static_cast<std::int64_t>(in.sequence_count());
  }
  if (with_modes) {
    for (const auto& in : inputs)
      idx.write(in.sequence_mode_bytes().data(), in.sequence_mode_bytes().size());
  }
  std::size_t done = 0;
  for (const auto& in : inputs) {
    bin.append_file(in.data_file());  // refuses a file replaced since it was verified
    if (progress) progress(++done, inputs.size(), bin.size());
  }
  commit_dataset_files(output_prefix, bin, idx);
  return summary;
}

}  // namespace borealis::data
