#include "borealis/io/safetensors.h"

#include <algorithm>
#include <cstring>
#include <set>

#include <nlohmann/json.hpp>

#include "borealis/io/atomic_output_file.h"
#include "borealis/io/mapped_file.h"
#include "borealis/util/error.h"

namespace borealis::io {

std::size_t safetensors_dtype_size(const std::string& dtype) {
  static const std::map<std::string, std::size_t> sizes = {
      {"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"F8_E4M3", 1}, {"F8_E5M2", 1},
      {"I16", 2},  {"U16", 2}, {"F16", 2}, {"BF16", 2},    {"I32", 4},
      {"U32", 4},  {"F32", 4}, {"I64", 8}, {"U64", 8},     {"F64", 8}};
  const auto it = sizes.find(dtype);
  return it == sizes.end() ? 0 : it->second;
}

SafetensorsReader::~SafetensorsReader() = default;

SafetensorsReader::SafetensorsReader(const std::string& path) : path_(path) {
  file_ = std::make_unique<MappedFile>(path);
  const auto bytes = file_->bytes();
  if (bytes.size() < 8)
    throw_file_error(path,
                     "not a safetensors file: {} bytes, shorter than its 8-byte header length",
                     bytes.size());
  std::uint64_t header_len = 0;
  std::memcpy(&header_len, bytes.data(), 8);
  if (header_len > bytes.size() - 8)
    throw_file_error(path,
                     "truncated safetensors file: header of {} bytes, file has {} after the length",
                     header_len, bytes.size() - 8);
  const std::string_view header(reinterpret_cast<const char*>(bytes.data()) + 8, header_len);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(header);
  } catch (const nlohmann::json::exception& e) {
    throw_file_error(path, "safetensors header is not valid JSON ({})", e.what());
  }
  if (!j.is_object()) throw_file_error(path, "safetensors header is not a JSON object");
  const std::uint64_t data_size = bytes.size() - 8 - header_len;
  const std::byte* data = bytes.data() + 8 + header_len;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;
  for (const auto& [name, value] : j.items()) {
    if (name == "__metadata__") {
      if (!value.is_object()) throw_file_error(path, "safetensors __metadata__ is not an object");
      for (const auto& [k, v] : value.items()) {
        if (!v.is_string()) throw_file_error(path, "safetensors metadata '{}' is not a string", k);
        metadata_[k] = v.get<std::string>();
      }
      continue;
    }
    auto bad = [&](const std::string& what) {
      throw_file_error(path, "tensor '{}': {}", name, what);
    };
    if (!value.is_object() || !value.contains("dtype") || !value.contains("shape") ||
        !value.contains("data_offsets"))
      bad("needs dtype, shape and data_offsets");
    const auto& dt = value.at("dtype");
    const auto& sh = value.at("shape");
    const auto& off = value.at("data_offsets");
    if (!dt.is_string()) bad("dtype is not a string");
    SafetensorsTensor t;
    t.dtype = dt.get<std::string>();
    const std::size_t elem = safetensors_dtype_size(t.dtype);
    if (elem == 0) bad("unknown dtype '" + t.dtype + "'");
    if (!sh.is_array()) bad("shape is not an array");
    std::uint64_t count = 1;
    for (const auto& d : sh) {
      if (!d.is_number_unsigned()) bad("shape holds something other than non-negative integers");
      const auto v = d.get<std::uint64_t>();
      if (v != 0 && count > (std::uint64_t{1} << 62) / v) bad("shape is absurdly large");
      count *= v;
      t.shape.push_back(static_cast<std::int64_t>(v));
    }
    if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() ||
        !off[1].is_number_unsigned())
      bad("data_offsets is not [begin, end]");
    const auto begin = off[0].get<std::uint64_t>(), end = off[1].get<std::uint64_t>();
    if (begin > end) bad("data_offsets end before they begin");
    if (end > data_size)
      bad(fmt::format("data ends at byte {} of the data section, which has {} (truncated file?)",
                      end, data_size));
    if (end - begin != count * elem)
      bad(fmt::format("{} bytes for shape of {} {} elements ({} bytes)", end - begin, count,
                      t.dtype, count * elem));
    t.bytes = {data + begin, static_cast<std::size_t>(end - begin)};
    ranges.emplace_back(begin, end);
    tensors_.emplace(name, std::move(t));
  }
  std::sort(ranges.begin(), ranges.end());
  for (std::size_t i = 1; i < ranges.size(); ++i)
    if (ranges[i].first < ranges[i - 1].second)
      throw_file_error(path, "safetensors tensors overlap");
}

void SafetensorsReader::read_f32(const std::string& name, std::span<const std::int64_t> shape,
                                 std::span<float> out) const {
  const auto it = tensors_.find(name);
  if (it == tensors_.end()) throw_file_error(path_, "missing tensor '{}'", name);
  const auto& t = it->second;
  if (t.dtype != "F32") throw_file_error(path_, "tensor '{}' is {}, expected F32", name, t.dtype);
  if (!std::equal(t.shape.begin(), t.shape.end(), shape.begin(), shape.end())) {
    auto fmt_shape = [](auto s) {
      std::string r = "[";
      for (std::size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
      return r + "]";
    };
    throw_file_error(path_, "tensor '{}' has shape {}, expected {}", name, fmt_shape(t.shape),
                     fmt_shape(shape));
  }
  if (out.size_bytes() != t.bytes.size())
    throw_file_error(path_, "tensor '{}': destination size mismatch", name);
  std::memcpy(out.data(), t.bytes.data(), t.bytes.size());
}

void SafetensorsWriter::add(std::string name, std::string dtype, std::vector<std::int64_t> shape,
                            std::span<const std::byte> bytes) {
  entries_.push_back({std::move(name), std::move(dtype), std::move(shape), bytes});
}

void SafetensorsWriter::add_f32(std::string name, std::vector<std::int64_t> shape,
                                std::span<const float> values) {
  add(std::move(name), "F32", std::move(shape), std::as_bytes(values));
}

void SafetensorsWriter::write(const std::string& path) const {
  // nlohmann's ordered_json keeps tensors in the order added (readers do not
  // care; people reading the header do).
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata_.empty()) header["__metadata__"] = metadata_;
  std::uint64_t offset = 0;
  std::set<std::string> names;
  for (const auto& e : entries_) {
    if (!names.insert(e.name).second)
      throw Error(fmt::format("{}: tensor '{}' added twice", path, e.name));
    header[e.name] = {{"dtype", e.dtype},
                      {"shape", e.shape},
                      {"data_offsets", {offset, offset + e.bytes.size()}}};
    offset += e.bytes.size();
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  AtomicOutputFile out(path);
  out.write_value(static_cast<std::uint64_t>(text.size()));
  out.write(text);
  for (const auto& e : entries_) out.write(e.bytes.data(), e.bytes.size());
  out.commit();
}

}  // namespace borealis::io
