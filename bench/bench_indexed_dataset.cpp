// Throughput of the Megatron dataset hot paths -- write, full validation,
// random sequence reads, merge -- with a peer for each where one runs here:
//   reads: Megatron's own access pattern in numpy (bench/megatron_style_read.py,
//          np.memmap + one np.frombuffer per sequence), if python3-numpy is installed;
//   merge: `cat` of the .bin files (the copy every merge must do at least).
// Usage: bench_indexed_dataset [TOKENS_MILLIONS=200] [WORKDIR=/tmp]

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "borealis/data/indexed_dataset.h"
#include "borealis/data/indexed_dataset_merge.h"
#include "borealis/data/indexed_dataset_writer.h"
#include "bench_timing.h"

using namespace borealis;
using Clock = std::chrono::steady_clock;

namespace {

using borealis::bench::seconds_since;


// Runs a shell command and returns its wall time, or -1 if it failed.
double time_command(const std::string& cmd) {
  auto t = Clock::now();
  int rc = std::system(cmd.c_str());
  return rc == 0 ? seconds_since(t) : -1.0;
}


}  // namespace

int main(int argc, char** argv) {
  const double millions = argc > 1 ? std::atof(argv[1]) : 200.0;
  const std::filesystem::path work =
      std::filesystem::path(argc > 2 ? argv[2] : "/tmp") / fmt::format("borealis-bench-{}", ::getpid());
  std::filesystem::create_directories(work);
  const auto target_tokens = static_cast<std::uint64_t>(millions * 1e6);
  fmt::print("bench_indexed_dataset: {:.0f}M uint16 tokens in 4 parts, work dir {}\n", millions,
             work.string());

  // --- write: 4 parts, lognormal document lengths (median ~250 tokens)
  std::mt19937_64 rng(1234);
  std::lognormal_distribution<double> length_dist(5.5, 1.0);
  std::vector<std::uint16_t> tokens(1 << 20);
  for (auto& t : tokens) t = static_cast<std::uint16_t>(rng() % 50257);
  std::vector<std::string> parts;
  std::uint64_t written = 0, sequences = 0;
  auto t0 = Clock::now();
  for (int p = 0; p < 4; ++p) {
    const std::string prefix = (work / fmt::format("part{}", p)).string();
    data::IndexedDatasetWriter writer(prefix, data::DType::kUInt16);
    const std::uint64_t goal = target_tokens * static_cast<std::uint64_t>(p + 1) / 4;
    while (written < goal) {
      auto len = std::min<std::uint64_t>(static_cast<std::uint64_t>(length_dist(rng)) + 1, 65535);
      std::size_t start = rng() % (tokens.size() - len);
      writer.add_document(std::span<const std::uint16_t>(tokens.data() + start, len));
      written += len;
      ++sequences;
    }
    writer.finish();
    parts.push_back(prefix);
  }
  double write_s = seconds_since(t0);
  fmt::print("write     {:>8.1f} M tokens/s  {:>7.0f} MB/s  ({} sequences, {:.2f}s)\n",
             static_cast<double>(written) / write_s / 1e6,
             static_cast<double>(written) * 2 / write_s / 1e6, sequences, write_s);

  // --- full validation
  t0 = Clock::now();
  std::uint64_t validated = 0;
  for (const auto& p : parts) validated += data::IndexedDataset::open(p, data::Verify::kFull).sequence_count();
  double validate_s = seconds_since(t0);
  fmt::print("validate  {:>8.1f} M sequences/s ({:.3f}s)\n",
             static_cast<double>(validated) / validate_s / 1e6, validate_s);

  // --- random sequence reads (sum every token so the reads cannot be skipped)
  const auto ds = data::IndexedDataset::open(parts[0]);
  const std::uint64_t reads = 1'000'000;
  std::uint64_t checksum = 0, read_tokens = 0;
  std::mt19937_64 pick(42);
  t0 = Clock::now();
  for (std::uint64_t r = 0; r < reads; ++r) {
    auto seq = ds.sequence<std::uint16_t>(pick() % ds.sequence_count());
    for (auto t : seq) checksum += t;
    read_tokens += seq.size();
  }
  double read_s = seconds_since(t0);
  const double ours_reads = static_cast<double>(reads) / read_s;
  fmt::print("read      {:>8.2f} M sequences/s  {:>7.0f} M tokens/s  (checksum {})\n",
             ours_reads / 1e6, static_cast<double>(read_tokens) / read_s / 1e6, checksum);
  const std::string script = std::string(BOREALIS_BENCH_DIR) + "/megatron_style_read.py";
  const std::string peer_out = (work / "peer.txt").string();
  if (std::system("/usr/bin/python3 -c 'import numpy' 2>/dev/null") == 0) {
    std::system(fmt::format("/usr/bin/python3 {} {} 200000 > {}", script, parts[0], peer_out).c_str());
    double peer_reads = 0;
    if (FILE* f = std::fopen(peer_out.c_str(), "r")) {
      if (std::fscanf(f, "%lf", &peer_reads) != 1) peer_reads = 0;
      std::fclose(f);
    }
    if (peer_reads > 0)
      fmt::print("  peer: Megatron-style numpy reader {:.3f} M sequences/s -> borealis {:.1f}x\n",
                 peer_reads / 1e6, ours_reads / peer_reads);
  } else {
    fmt::print("  peer: skipped (python3-numpy not installed; `apt-get install python3-numpy`)\n");
  }

  // --- merge vs cat
  t0 = Clock::now();
  auto summary = data::merge_indexed_datasets((work / "merged").string(), parts);
  double merge_s = seconds_since(t0);
  std::string cat = "cat";
  for (const auto& p : parts) cat += " " + p + ".bin";
  // Our merge fsyncs its outputs before renaming them; so must the peer.
  const std::string cat_out = (work / "cat.bin").string();
  double cat_s = time_command(cat + " > " + cat_out + " && sync " + cat_out);
  fmt::print("merge     {:>8.0f} MB/s  ({} sequences, {:.2f}s)\n",
             static_cast<double>(summary.bin_bytes) / merge_s / 1e6, summary.sequences, merge_s);
  if (cat_s > 0)
    fmt::print("  peer: cat of the .bin files + fsync {:.0f} MB/s -> borealis {:.2f}x\n",
               static_cast<double>(summary.bin_bytes) / cat_s / 1e6, cat_s / merge_s);

  std::filesystem::remove_all(work);
  return 0;
}
