#include <gtest/gtest.h>

#include <cstring>

#include "borealis/io/safetensors.h"
#include "test_util.h"

namespace borealis::io {
namespace {

// A file assembled by hand from the specification, not by our writer.
std::string by_hand(const std::string& header, const std::string& data) {
  std::string s(8, '\0');
  const std::uint64_t n = header.size();
  std::memcpy(s.data(), &n, 8);
  return s + header + data;
}

std::string floats(std::initializer_list<float> v) {
  std::string s(v.size() * 4, '\0');
  std::memcpy(s.data(), std::data(v), s.size());
  return s;
}

TEST(Safetensors, ReadsAFileWrittenByTheSpecification) {
  test::TempDir dir;
  test::write_text(
      dir / "a.safetensors",
      by_hand(R"({"__metadata__":{"k":"v"},"b":{"dtype":"F32","shape":[2],"data_offsets":[12,20]},)"
              R"("a":{"dtype":"F32","shape":[1,3],"data_offsets":[0,12]}})",
              floats({1, 2, 3, 4, 5})));
  const SafetensorsReader r(dir / "a.safetensors");
  EXPECT_EQ(r.metadata().at("k"), "v");
  std::vector<float> a(3), b(2);
  const std::vector<std::int64_t> sa{1, 3}, sb{2};
  r.read_f32("a", sa, a);
  r.read_f32("b", sb, b);
  EXPECT_EQ(a, (std::vector<float>{1, 2, 3}));
  EXPECT_EQ(b, (std::vector<float>{4, 5}));
  EXPECT_EQ(test::error_of([&] { r.read_f32("a", sb, b); }),
            dir / "a.safetensors" + ": tensor 'a' has shape [1, 3], expected [2]");
  EXPECT_EQ(test::error_of([&] { r.read_f32("c", sb, b); }),
            dir / "a.safetensors" + ": missing tensor 'c'");
}

TEST(Safetensors, WriterOutputReadsBackWithAlignedData) {
  test::TempDir dir;
  const std::vector<float> x{1.5f, -2.0f, 3.25f};
  const std::vector<std::int32_t> y{7, 8};
  SafetensorsWriter w;
  w.add_f32("x", {3}, x);
  w.add("y", "I32", {1, 2}, std::as_bytes(std::span<const std::int32_t>(y)));
  w.set_metadata("format", "pt");
  w.write(dir / "w.safetensors");
  const auto bytes = test::read_bytes(dir / "w.safetensors");
  std::uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  EXPECT_EQ(n % 8, 0u) << "data starts 8-byte aligned";
  EXPECT_EQ(bytes.size(), 8 + n + 12 + 8);
  const SafetensorsReader r(dir / "w.safetensors");
  EXPECT_EQ(r.tensors().at("y").dtype, "I32");
  std::vector<float> back(3);
  const std::vector<std::int64_t> shape{3};
  r.read_f32("x", shape, back);
  EXPECT_EQ(back, x);
  EXPECT_EQ(r.metadata().at("format"), "pt");
}

TEST(Safetensors, CorruptFilesAreOneLineErrors) {
  test::TempDir dir;
  const std::string path = dir / "bad.safetensors";
  auto error_for = [&](const std::string& content) {
    test::write_text(path, content);
    return test::error_of([&] { SafetensorsReader r(path); });
  };
  EXPECT_EQ(error_for("abc"),
            path + ": not a safetensors file: 3 bytes, shorter than its 8-byte header length");
  EXPECT_EQ(
      error_for(
          by_hand(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", "").substr(0, 20)),
      path + ": truncated safetensors file: header of 54 bytes, file has 12 after the length");
  EXPECT_EQ(
      error_for(
          by_hand(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", floats({1, 2}))),
      path +
          ": tensor 'a': data ends at byte 16 of the data section, which has 8 (truncated file?)");
  EXPECT_EQ(error_for(by_hand(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})",
                              floats({1, 2}))),
            path + ": tensor 'a': 8 bytes for shape of 3 F32 elements (12 bytes)");
  EXPECT_EQ(error_for(by_hand(R"({"a":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}})",
                              floats({1, 2}))),
            path + ": tensor 'a': unknown dtype 'Q4'");
  EXPECT_EQ(error_for(by_hand(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                              R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                              floats({1, 2}))),
            path + ": safetensors tensors overlap");
  EXPECT_EQ(error_for(by_hand(R"({"a":{"dtype":"F32"}})", "")),
            path + ": tensor 'a': needs dtype, shape and data_offsets");
  EXPECT_NE(
      error_for(by_hand("{not json", "")).find(path + ": safetensors header is not valid JSON"),
      std::string::npos);
}

}  // namespace
}  // namespace borealis::io
