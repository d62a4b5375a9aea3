#pragma once
// Writes .idx files field by field, so tests can build both valid files that
// our writer would never produce (64-bit offsets without 8 GiB of data) and
// every kind of corruption.

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "test_util.h"

namespace borealis::test {

struct IndexFileFields {
  std::string magic = std::string("MMIDIDX\0\0", 9);
  std::uint64_t version = 1;
  std::uint8_t dtype_code = 8;
  std::vector<std::int32_t> lengths;
  std::vector<std::int64_t> pointers;   // empty: computed from lengths and item size
  std::vector<std::int64_t> documents;  // empty: one document per sequence
  std::vector<std::int8_t> modes;       // empty: no mode array
  std::size_t item_size = 2;
  // Override the counts in the header (to lie about the arrays).
  std::int64_t header_sequences = -1;
  std::int64_t header_documents = -1;
};

template <typename T>
void append_raw(std::vector<char>& out, const T& value) {
  const char* p = reinterpret_cast<const char*>(&value);
  out.insert(out.end(), p, p + sizeof(T));
}

inline std::vector<char> build_index_file(IndexFileFields f) {
  if (f.pointers.empty()) {
    std::int64_t p = 0;
    for (auto len : f.lengths) {
      f.pointers.push_back(p);
      p += static_cast<std::int64_t>(len) * static_cast<std::int64_t>(f.item_size);
    }
  }
  if (f.documents.empty()) {
    for (std::size_t i = 0; i <= f.lengths.size(); ++i)
      f.documents.push_back(static_cast<std::int64_t>(i));
  }
  std::vector<char> out(f.magic.begin(), f.magic.end());
  append_raw(out, f.version);
  append_raw(out, f.dtype_code);
  append_raw(out, static_cast<std::uint64_t>(
                      f.header_sequences >= 0 ? f.header_sequences
                                              : static_cast<std::int64_t>(f.lengths.size())));
  append_raw(out, static_cast<std::uint64_t>(
                      f.header_documents >= 0 ? f.header_documents
                                              : static_cast<std::int64_t>(f.documents.size())));
  for (auto v : f.lengths) append_raw(out, v);
  for (auto v : f.pointers) append_raw(out, v);
  for (auto v : f.documents) append_raw(out, v);
  for (auto v : f.modes) append_raw(out, v);
  return out;
}

}  // namespace borealis::test
