#pragma once
// The Megatron reference cases in tests/data/megatron (copied from
// the reference material given to the project): staging their .idx inputs, and the sha256
// of every array file Megatron wrote (expected_npy.sha256) against ours.

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "test_util.h"

namespace borealis::test {

namespace fs = std::filesystem;

inline const std::string kMegatronRoot = data_dir() + "/megatron";

// The reference inputs are .idx files only; the index needs no tokens, but
// opening a dataset checks the .bin size, so a sparse one is made.
inline std::string stage(const std::string& dir, const std::string& idx) {
  const fs::path target = fs::path(dir) / fs::path(idx).filename();
  fs::copy_file(idx, target, fs::copy_options::overwrite_existing);
  std::ifstream in(idx, std::ios::binary);
  in.seekg(18);
  std::uint64_t count = 0;
  in.read(reinterpret_cast<char*>(&count), 8);
  in.seekg(34);
  std::vector<std::int32_t> lengths(count);
  in.read(reinterpret_cast<char*>(lengths.data()), static_cast<std::streamsize>(count * 4));
  std::uint64_t tokens = 0;
  for (auto l : lengths) tokens += static_cast<std::uint64_t>(l);
  std::string prefix = target.string();
  prefix.resize(prefix.size() - 4);
  { std::ofstream(prefix + ".bin"); }
  fs::resize_file(prefix + ".bin", tokens * 2);  // uint16 tokens
  return prefix;
}

// path -> "sha256 size" for the reference files under `case_dir`.
inline std::map<std::string, std::string> expected_files(const std::string& case_dir) {
  std::ifstream in(kMegatronRoot + "/expected_npy.sha256");
  std::map<std::string, std::string> out;
  std::string sha, size, path;
  while (in >> sha >> size >> path)
    if (path.starts_with(case_dir + "/")) out[path.substr(case_dir.size() + 1)] = sha + " " + size;
  return out;
}

// The same for the files under `dir`, by sha256sum (coreutils).
inline std::map<std::string, std::string> actual_files(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    const auto r = run_command("sha256sum '" + entry.path().string() + "'");
    std::istringstream fields(r.output);
    std::string sha;
    fields >> sha;
    out[fs::relative(entry.path(), dir).string()] = sha + " " + std::to_string(entry.file_size());
  }
  return out;
}

}  // namespace borealis::test
