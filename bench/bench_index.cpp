// Blended index build at AuroraGPT's scale, on synthetic data: 2,419 files in
// 14 corpora (file sizes and document lengths lognormal), seq length 4096,
// weights proportional to size, one epoch's worth of samples, the ALCF
// Megatron-DeepSpeed flow with --shuffle-sample-in-corpus (its default in
// ALCF/helpers.sh). Only .idx files are real; .bin files are sparse.
//
// For each total (default 20B, 100B, 200B tokens) it runs `borealis index
// build` in a child process and prints wall time, CPU time, peak RSS and
// bytes written, then extrapolates linearly to 2T tokens. Anchors from the
// issue (measured on this machine type, one core): Megatron-LM ~0.2 s per
// 1B tokens (~400 s at 2T, ~65 GB RSS for one 2T file); the AuroraGPT
// per-file flow ~23-25 min; its corpus flow ~5 min.
// Then it times GptSampleLoader reading the largest index's first 200,000
// global samples (the .bin files are sparse, so this is the lookup cost).
// Usage: bench_index [BILLIONS_OF_TOKENS...]   (work files under $TMPDIR;
// BENCH_INDEX_KEEP=1 keeps them, to rerun `borealis index build` by hand;
// BENCH_INDEX_OUT=DIR writes the index folders there, e.g. /dev/shm to see
// the build without the disk).
// It first measures the output folder's write speed (1 GiB, O_DIRECT, then
// fdatasync): a build that writes gigabytes cannot beat bytes / speed, and
// at 2T on this VM's disk that floor is about as long as the computing.
// Each point's files stay until the end: on a file system without a journal
// (this VM's ext4), creating files right after deleting thousands makes
// every create scan past the recently deleted inodes, which measured up to
// 1.8 ms per file -- a cost of the benchmark's own cleanup, not of a build.

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "borealis/data/sample_loader.h"
#include "borealis/io/direct_file_writer.h"

extern char** environ;

namespace fs = std::filesystem;

namespace {

constexpr int kFiles = 2419;
constexpr int kCorpora = 14;
constexpr std::uint64_t kSeqLength = 4096;

// A Megatron .idx of `docs` documents with lognormal lengths summing to about
// `tokens`, and a sparse .bin of the matching size (uint16 tokens).
std::uint64_t write_index(const std::string& prefix, std::uint64_t tokens, std::mt19937_64& rng) {
  std::lognormal_distribution<double> length(7.6, 1.0);  // mean ~3,300 tokens: papers, not tweets
  std::vector<std::int32_t> lengths;
  std::uint64_t total = 0;
  while (total < tokens) {
    const auto l = static_cast<std::int32_t>(std::clamp(length(rng), 1.0, 1e6));
    lengths.push_back(l);
    total += static_cast<std::uint64_t>(l);
  }
  std::ofstream out(prefix + ".idx", std::ios::binary);
  out.write("MMIDIDX\0\0", 9);
  const std::uint64_t version = 1, docs = lengths.size(), doc_count = docs + 1;
  out.write(reinterpret_cast<const char*>(&version), 8);
  const char dtype = 8;  // uint16
  out.write(&dtype, 1);
  out.write(reinterpret_cast<const char*>(&docs), 8);
  out.write(reinterpret_cast<const char*>(&doc_count), 8);
  out.write(reinterpret_cast<const char*>(lengths.data()), static_cast<std::streamsize>(docs * 4));
  std::vector<std::int64_t> pointers(docs), documents(docs + 1);
  std::int64_t at = 0;
  for (std::size_t i = 0; i < docs; ++i) {
    pointers[i] = at;
    at += 2 * lengths[i];
    documents[i] = static_cast<std::int64_t>(i);
  }
  documents[docs] = static_cast<std::int64_t>(docs);
  out.write(reinterpret_cast<const char*>(pointers.data()), static_cast<std::streamsize>(docs * 8));
  out.write(reinterpret_cast<const char*>(documents.data()), static_cast<std::streamsize>((docs + 1) * 8));
  out.close();
  { std::ofstream bin(prefix + ".bin"); }
  fs::resize_file(prefix + ".bin", total * 2);
  return total;
}

// MB/s of writing 1 GiB to `path` as the build does (O_DIRECT where the
// file system takes it, 4 MB at a time), made durable; the file is removed.
double measure_write_speed(const fs::path& path) {
  constexpr std::size_t kBuffer = std::size_t{4} << 20, kTotal = std::size_t{1} << 30;
  void* p = nullptr;
  if (::posix_memalign(&p, 4096, kBuffer) != 0) return 0;
  std::unique_ptr<std::byte, void (*)(void*)> buffer(static_cast<std::byte*>(p), std::free);
  for (std::size_t i = 0; i < kBuffer; ++i) buffer.get()[i] = static_cast<std::byte>(i * 2654435761u >> 24);
  const auto start = std::chrono::steady_clock::now();
  {
    borealis::io::DirectFileWriter w(path.string());
    for (std::size_t at = 0; at < kTotal; at += kBuffer) w.write_at(at, std::span<const std::byte>(buffer.get(), kBuffer));
    w.finish(kTotal);
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    ::fdatasync(fd);
    ::close(fd);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  fs::remove(path);
  return static_cast<double>(kTotal) / 1e6 / seconds;
}

std::uint64_t folder_bytes(const fs::path& dir) {
  std::uint64_t bytes = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) bytes += e.file_size();
  return bytes;
}

struct Run {
  double wall = 0, cpu = 0, sys = 0;
  long peak_rss_kb = 0;
  int status = 0;
};

Run run(const std::vector<std::string>& args, const std::string& stdout_path) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const auto start = std::chrono::steady_clock::now();
  pid_t pid = 0;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  const int spawned = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    std::perror("posix_spawn");
    std::exit(1);
  }
  int status = 0;
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  Run r;
  r.wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.cpu = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
          static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  r.sys = static_cast<double>(usage.ru_stime.tv_sec) + static_cast<double>(usage.ru_stime.tv_usec) / 1e6;
  r.peak_rss_kb = usage.ru_maxrss;
  r.status = status;
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<double> billions;
  for (int i = 1; i < argc; ++i) billions.push_back(std::atof(argv[i]));
  if (billions.empty()) billions = {20, 100, 200};
  const fs::path work = fs::temp_directory_path() / fmt::format("borealis-bench-index-{}", ::getpid());
  const std::string binary = BOREALIS_BINARY;
  const char* out_env = std::getenv("BENCH_INDEX_OUT");
  const fs::path out_root = out_env != nullptr ? fs::path(out_env) / work.filename() : work;
  fs::create_directories(out_root);
  const double disk_mb_s = measure_write_speed(out_root / "write-speed-probe");
  fmt::print("output folder {}: writes {:.0f} MB/s (1 GiB, O_DIRECT, then fdatasync)\n", out_root.string(), disk_mb_s);
  fmt::print("bench_index: {} files in {} corpora, seq length {}, ALCF Megatron-DeepSpeed flow, "
             "--shuffle-sample-in-corpus, {} threads\n",
             kFiles, kCorpora, kSeqLength, std::max(1u, std::thread::hardware_concurrency()));
  fmt::print("{:>8} {:>11} {:>11} {:>8} {:>10} {:>8} {:>8} {:>10} {:>10} {:>11}\n", "tokens", "samples", "docs", "wall s",
             "disk wait", "cpu s", "sys s", "peak RSS", "written", "disk floor");
  double last_sync = 0;
  double last_tokens = 0, last_wall = 0, last_cpu = 0, last_rss = 0, last_written = 0;
  for (double b : billions) {
    const fs::path dir = work / fmt::format("{}B", b);
    fs::create_directories(dir);
    std::mt19937_64 rng(2026);
    std::lognormal_distribution<double> file_size(0.0, 1.0);
    std::vector<double> shares(kFiles);
    double share_sum = 0;
    for (double& s : shares) share_sum += (s = file_size(rng));
    std::ofstream list(dir / "data_file_list.txt");
    std::uint64_t tokens = 0, docs = 0;
    for (int f = 0; f < kFiles; ++f) {
      const std::string name = fmt::format("file_{:04d}", f);
      const auto want = static_cast<std::uint64_t>(b * 1e9 * shares[static_cast<std::size_t>(f)] / share_sum);
      const std::uint64_t got = write_index((dir / name).string(), std::max<std::uint64_t>(want, 20000), rng);
      tokens += got;
      std::ifstream idx(dir / (name + ".idx"), std::ios::binary);
      idx.seekg(18);
      std::uint64_t n = 0;
      idx.read(reinterpret_cast<char*>(&n), 8);
      docs += n;
      list << got << " " << name << " corpus_" << (f % kCorpora) << "\n";  // weight = size
    }
    list.close();
    const std::uint64_t samples = tokens / kSeqLength;
    // The inputs just written are flushed first, so the build's one syncfs
    // does not wait for them (a real run's inputs were written long before).
    ::sync();
    const Run r = run({binary, "index", "build", "--flavor", "megatron-deepspeed", "--data-file-list",
                       (dir / "data_file_list.txt").string(), "--seq-length", std::to_string(kSeqLength),
                       "--num-samples", std::to_string(samples), "--shuffle-sample-in-corpus", "--out",
                       (out_root / fmt::format("{}B", b) / "index").string(), "--json"},
                       (dir / "summary.json").string());
    if (r.status != 0) {
      fmt::print(stderr, "index build failed (status {})\n", r.status);
      return 1;
    }
    const double written = static_cast<double>(folder_bytes(out_root / fmt::format("{}B", b) / "index"));
    double sync = 0;
    {
      std::ifstream summary(dir / "summary.json");
      std::string text((std::istreambuf_iterator<char>(summary)), std::istreambuf_iterator<char>());
      const auto at = text.find("\"sync_seconds\":");
      if (at != std::string::npos) sync = std::atof(text.c_str() + at + 15);
    }
    fmt::print("{:>7.0f}B {:>11} {:>11} {:>8.2f} {:>10.2f} {:>8.2f} {:>8.2f} {:>7.2f} GB {:>7.2f} GB {:>9.2f} s\n",
               static_cast<double>(tokens) / 1e9, samples, docs, r.wall, sync, r.cpu, r.sys,
               static_cast<double>(r.peak_rss_kb) / 1e6, written / 1e9, written / 1e6 / disk_mb_s);
    last_sync = sync;
    last_tokens = static_cast<double>(tokens);
    last_wall = r.wall;
    last_cpu = r.cpu;
    last_rss = static_cast<double>(r.peak_rss_kb) / 1e6;
    last_written = written;
  }
  // The loader on the largest index: global samples in the order training
  // reads them (the blend is already shuffled), timed after opening.
  {
    const fs::path dir = out_root / fmt::format("{}B", billions.back()) / "index";
    const auto open_start = std::chrono::steady_clock::now();
    const auto loader = borealis::data::GptSampleLoader::open(dir.string());
    const double open_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - open_start).count();
    std::vector<std::uint32_t> tokens;
    const std::uint64_t count = std::min<std::uint64_t>(loader.size(), 200000);
    const auto start = std::chrono::steady_clock::now();
    std::uint64_t sum = 0;
    for (std::uint64_t k = 0; k < count; ++k) {
      tokens.clear();
      loader.sample(k, tokens);
      sum += tokens.size();
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    fmt::print("loader on the {}B index: opened in {:.2f} s; {} samples of {} tokens in {:.2f} s = {:.0f} samples/s "
               "({:.1f} us each, sparse .bin: index lookups and copies only)\n",
               billions.back(), open_seconds, count, sum / count, seconds, static_cast<double>(count) / seconds,
               seconds / static_cast<double>(count) * 1e6);
  }
  const double scale = 2e12 / last_tokens;
  fmt::print("linear extrapolation to 2T tokens: {:.0f} s wall ({:.0f} s of it waiting for the disk), {:.0f} s CPU, "
             "{:.1f} GB peak RSS, {:.1f} GB written (target: <= 30 s wall, <= 8 GB; Megatron-LM anchor ~400 s)\n",
             last_wall * scale, last_sync * scale, last_cpu * scale, last_rss * scale, last_written * scale / 1e9);
  fmt::print("disk floor at 2T: writing {:.1f} GB at the measured {:.0f} MB/s takes at least {:.0f} s\n",
             last_written * scale / 1e9, disk_mb_s, last_written * scale / 1e6 / disk_mb_s);
  if (out_root != work) fs::remove_all(out_root);
  if (std::getenv("BENCH_INDEX_KEEP") == nullptr) fs::remove_all(work);
  else fmt::print("inputs kept in {} (BENCH_INDEX_KEEP)\n", work.string());
  return 0;
}
