#include "borealis/io/npy.h"

#include <algorithm>

#include <cstring>
#include <string_view>

#include <fmt/format.h>

#include "borealis/io/atomic_output_file.h"
#include "borealis/io/mapped_file.h"
#include "borealis/util/error.h"

namespace borealis::io {

namespace {

constexpr char kMagic[] = "\x93NUMPY";

std::size_t descr_item_size(std::string_view descr) {
  if (descr.size() < 3) return 0;
  std::size_t n = 0;
  for (char c : descr.substr(2)) {
    if (c < '0' || c > '9') return 0;
    n = n * 10 + static_cast<std::size_t>(c - '0');
  }
  return n;
}

// Value text following 'key': in a numpy header dict, e.g. "'<i4'" or "(3, 2)".
std::string_view dict_value(std::string_view header, std::string_view key) {
  std::string quoted = fmt::format("'{}':", key);
  auto pos = header.find(quoted);
  if (pos == std::string_view::npos) return {};
  auto v = header.substr(pos + quoted.size());
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  if (v.empty()) return {};
  if (v.front() == '(') return v.substr(0, v.find(')') + 1);
  if (v.front() == '\'') return v.substr(0, v.find('\'', 1) + 1);
  return v.substr(0, v.find_first_of(",}"));
}

}  // namespace

std::uint64_t NpyArray::element_count() const {
  std::uint64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

NpyArray read_npy(const std::string& path) {
  MappedFile file(path);
  return parse_npy(std::span<const std::byte>(reinterpret_cast<const std::byte*>(file.data()), file.size()), path);
}

NpyArray parse_npy(std::span<const std::byte> bytes, const std::string& path, std::size_t* used,
                   std::shared_ptr<const void> owner) {
  const auto* p = reinterpret_cast<const char*>(bytes.data());
  const std::size_t size = bytes.size();
  if (size < 10 || std::memcmp(p, kMagic, 6) != 0) throw_file_error(path, "not a .npy file");
  const int major = static_cast<unsigned char>(p[6]);
  std::size_t header_len;
  std::size_t prefix;
  if (major == 1) {
    header_len = static_cast<unsigned char>(p[8]) | (static_cast<unsigned char>(p[9]) << 8);
    prefix = 10;
  } else if (major == 2 || major == 3) {
    if (size < 12) throw_file_error(path, "truncated .npy header");
    std::uint32_t len;
    std::memcpy(&len, p + 8, 4);
    header_len = len;
    prefix = 12;
  } else {
    throw_file_error(path, "unsupported .npy version {}", major);
  }
  if (prefix + header_len > size) throw_file_error(path, "truncated .npy header");
  std::string_view header(p + prefix, header_len);

  NpyArray array;
  auto descr = dict_value(header, "descr");
  if (descr.size() < 2) throw_file_error(path, ".npy header has no descr");
  array.descr = std::string(descr.substr(1, descr.size() - 2));
  if (dict_value(header, "fortran_order") != "False")
    throw_file_error(path, "Fortran-order .npy arrays are not supported");
  auto shape = dict_value(header, "shape");
  if (shape.size() < 2) throw_file_error(path, ".npy header has no shape");
  shape = shape.substr(1, shape.size() - 2);
  while (!shape.empty()) {
    while (!shape.empty() && (shape.front() == ' ' || shape.front() == ',')) shape.remove_prefix(1);
    if (shape.empty()) break;
    std::uint64_t dim = 0;
    bool digits = false;
    while (!shape.empty() && shape.front() >= '0' && shape.front() <= '9') {
      dim = dim * 10 + static_cast<std::uint64_t>(shape.front() - '0');
      shape.remove_prefix(1);
      digits = true;
    }
    if (!digits) throw_file_error(path, "malformed .npy shape");
    array.shape.push_back(dim);
  }
  const std::size_t item = descr_item_size(array.descr);
  if (item == 0) throw_file_error(path, "unsupported .npy dtype '{}'", array.descr);
  if (array.descr[0] == '>') throw_file_error(path, "big-endian .npy arrays are not supported");
  const std::uint64_t want = array.element_count() * item;
  const std::uint64_t have = size - prefix - header_len;
  if (used != nullptr ? have < want : have != want)
    throw_file_error(path, ".npy payload has {} bytes, shape and dtype need {}", have, want);
  const std::byte* payload = bytes.data() + prefix + header_len;
  if (owner) {
    array.view = std::span<const std::byte>(payload, want);
    array.owner = std::move(owner);
  } else {
    array.data.assign(payload, payload + want);
  }
  if (used != nullptr) *used = prefix + header_len + want;
  return array;
}

std::string npy_header(const std::string& descr, const std::vector<std::uint64_t>& shape) {
  std::string dims;
  for (std::size_t i = 0; i < shape.size(); ++i) dims += fmt::format("{}, ", shape[i]);
  if (shape.size() > 1) dims.resize(dims.size() - 2);  // "(3, 2)" but "(3,)"
  else if (shape.size() == 1) dims.resize(dims.size() - 1);
  std::string header =
      fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': ({}), }}", descr, dims);
  // numpy >= 1.23 (format.py _write_array_header/_wrap_header): room for the
  // first axis to grow to 21 digits, then spaces until magic + header + '\n'
  // ends on a 64-byte boundary -- a full 64 when it already does.
  if (!shape.empty()) header.append(21 - std::min<std::size_t>(21, std::to_string(shape[0]).size()), ' ');
  const std::size_t padding = 64 - (10 + header.size() + 1) % 64;
  header.append(padding, ' ');
  header.push_back('\n');
  std::string out(kMagic, 6);
  out.push_back('\x01');
  out.push_back('\x00');
  const auto len = static_cast<std::uint16_t>(header.size());
  out.push_back(static_cast<char>(len & 0xFF));
  out.push_back(static_cast<char>(len >> 8));
  return out + header;
}

void write_npy(const std::string& path, const std::string& descr,
               const std::vector<std::uint64_t>& shape, const void* data, std::size_t bytes) {
  const std::string header = npy_header(descr, shape);
  AtomicOutputFile out(path);
  out.write(header);
  out.write(data, bytes);
  out.commit();
}

}  // namespace borealis::io
