#include "borealis/data/index_folder.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <exception>
#include <filesystem>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <xxhash.h>

#include "borealis/data/indexed_dataset.h"
#include "borealis/io/atomic_output_file.h"
#include "borealis/io/file_identity.h"
#include "borealis/io/mapped_file.h"
#include "borealis/io/read_file.h"
#include "borealis/util/error.h"

namespace borealis::data {

namespace fs = std::filesystem;

namespace {

constexpr int kFormat = 2;  // 2: entries with 64-byte aligned arrays

std::string hash_hex(const std::string& text) {
  const XXH128_hash_t h = XXH3_128bits(text.data(), text.size());
  return fmt::format("{:016x}{:016x}", h.high64, h.low64);
}

std::string flavor_name(IndexFlavor f) {
  return f == IndexFlavor::kMegatronLm ? "megatron-lm" : "megatron-deepspeed";
}

// Exclusive advisory lock on a file, held for the object's life.
class FileLock {
 public:
  explicit FileLock(const std::string& path) {
    fd_ = ::open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
    if (fd_ < 0) throw_file_error(path, "cannot create lock file: {}", std::strerror(errno));
    while (::flock(fd_, LOCK_EX) != 0) {
      if (errno == EINTR) continue;
      const int e = errno;
      ::close(fd_);
      throw_file_error(path, "cannot lock: {}", std::strerror(e));
    }
  }
  ~FileLock() { ::close(fd_); }  // closing releases the lock
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

// Runs `build(tmp)` to make the entry file `root/name` unless it exists; true
// if built here. Entries share 64 lock files (by name), so a folder of
// thousands of entries does not need thousands of lock files.
bool ensure_entry(const fs::path& root, const std::string& name, const std::function<void(const fs::path&)>& build) {
  const fs::path entry = root / name;
  if (fs::exists(entry)) return false;
  fs::create_directories(root / "locks");
  FileLock lock((root / "locks" / fmt::format("{:02d}.lock", std::hash<std::string>{}(name) % 64)).string());
  if (fs::exists(entry)) return false;  // another builder finished it while we waited
  // One temporary name per entry: only the lock holder writes it, and what a
  // crashed builder left there is simply overwritten.
  const fs::path tmp = root / (name + ".tmp");
  try {
    build(tmp);
    fs::rename(tmp, entry);
  } catch (...) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw;
  }
  return true;
}

// An entry file: .npy arrays back to back, then a JSON text. Written with
// plain writes (the rename publishes it; one syncfs at the end of the build
// makes the folder durable before index.json names it).
// Each array starts on a 64-byte boundary (its header is a multiple of 64
// bytes, so its payload does too), so mapped arrays are aligned for any dtype.
constexpr std::uint64_t kAlign = 64;
std::uint64_t aligned(std::uint64_t at) { return (at + kAlign - 1) / kAlign * kAlign; }

void write_entry(const fs::path& path, const std::vector<const io::NpyArray*>& arrays, const std::string& trailer) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  std::uint64_t at = 0;
  const char zeros[kAlign] = {};
  for (const io::NpyArray* a : arrays) {
    const std::string header = io::npy_header(a->descr, a->shape);
    out.write(header.data(), static_cast<std::streamsize>(header.size()));
    out.write(reinterpret_cast<const char*>(a->bytes().data()), static_cast<std::streamsize>(a->bytes().size()));
    at += header.size() + a->bytes().size();
    out.write(zeros, static_cast<std::streamsize>(aligned(at) - at));
    at = aligned(at);
  }
  out << trailer;
  out.close();
  if (!out) throw_file_error(path.string(), "write failed (disk full?)");
}

// The blend arrays streamed into an entry file: headers first, then each
// chunk written at its place (pwrite), so memory stays one chunk.
void write_blend_entry(const BlendedIndex& index, const fs::path& path) {
  struct FileSink : ArraySink {
    int fd = -1;
    std::string path;
    std::vector<std::uint64_t> offset, item;
    void put(const void* data, std::size_t bytes, std::uint64_t at) {
      const auto* p = static_cast<const char*>(data);
      while (bytes > 0) {
        const ssize_t n = ::pwrite(fd, p, bytes, static_cast<off_t>(at));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw_file_error(path, "write failed: {}", std::strerror(errno));
        p += n;
        at += static_cast<std::uint64_t>(n);
        bytes -= static_cast<std::size_t>(n);
      }
    }
    void write(std::size_t array, std::uint64_t at, std::span<const std::byte> bytes) override {
      put(bytes.data(), bytes.size(), offset[array] + at * item[array]);
    }
  } sink;
  sink.path = path.string();
  sink.fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
  if (sink.fd < 0) throw_file_error(sink.path, "cannot create: {}", std::strerror(errno));
  try {
    std::uint64_t end = 0;
    for (const ArrayLayout& l : blend_array_layout(index)) {
      const std::string header = io::npy_header(l.descr, l.shape);
      sink.put(header.data(), header.size(), end);
      sink.item.push_back(l.descr == "<i2" ? 2 : 8);
      sink.offset.push_back(end + header.size());
      end = aligned(end + header.size() + l.shape[0] * sink.item.back());
    }
    const std::string trailer = nlohmann::json{{"counts", generate_blend_arrays(index, sink)}}.dump() + "\n";
    sink.put(trailer.data(), trailer.size(), end);
  } catch (...) {
    ::close(sink.fd);
    throw;
  }
  if (::close(sink.fd) != 0) throw_file_error(sink.path, "write failed: {}", std::strerror(errno));
}

// The `count` arrays of an entry file, as views of its memory map (pages are
// read as they are used; nothing is copied), and its JSON trailer.
std::vector<io::NpyArray> read_entry(const fs::path& path, std::size_t count, std::string* trailer = nullptr) {
  const auto file = std::make_shared<const io::MappedFile>(path.string());
  std::span<const std::byte> rest(reinterpret_cast<const std::byte*>(file->data()), file->size());
  std::vector<io::NpyArray> arrays;
  for (std::size_t i = 0; i < count; ++i) {
    std::size_t used = 0;
    arrays.push_back(io::parse_npy(rest, path.string(), &used, file));
    const std::uint64_t at = static_cast<std::uint64_t>(rest.data() - reinterpret_cast<const std::byte*>(file->data())) + used;
    const std::uint64_t skip = std::min<std::uint64_t>(aligned(at) - at + used, rest.size());
    rest = rest.subspan(static_cast<std::size_t>(skip));
  }
  if (trailer != nullptr) trailer->assign(reinterpret_cast<const char*>(rest.data()), rest.size());
  return arrays;
}

// Flushes everything written under `dir` to disk (one syncfs for the file system).
void sync_folder(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::syncfs(fd);
  ::close(fd);
}

nlohmann::json input_identity(const std::string& prefix) {
  nlohmann::json id;
  id["idx"] = io::file_identity(index_path(prefix));
  id["bin"] = io::file_identity(data_path(prefix));
  return id;
}

nlohmann::json plan_json(const GptIndexPlan& p) {
  return {{"documents", p.documents},
          {"tokens_per_epoch", p.tokens_per_epoch},
          {"epochs", p.epochs},
          {"separate_final_epoch", p.separate_final_epoch},
          {"samples_sans_final_epoch", p.samples_sans_final_epoch},
          {"samples", p.samples}};
}

GptIndexPlan plan_from_json(const nlohmann::json& j) {
  GptIndexPlan p;
  p.documents = j.at("documents");
  p.tokens_per_epoch = j.at("tokens_per_epoch");
  p.epochs = j.at("epochs");
  p.separate_final_epoch = j.at("separate_final_epoch");
  p.samples_sans_final_epoch = j.at("samples_sans_final_epoch");
  p.samples = j.at("samples");
  return p;
}

std::string dataset_key(const BlendedDataset& d, const nlohmann::json& identity) {
  const GptIndexPlan& p = d.index.plan;
  nlohmann::json k = {{"format", kFormat},
                      {"kind", "gpt-index"},
                      {"input", identity},
                      {"sequence_length", d.options.sequence_length},
                      {"seed", d.options.seed},
                      {"add_extra_token", d.options.add_extra_token},
                      {"flavor", flavor_name(d.options.flavor)},
                      {"epochs", p.epochs},
                      {"separate_final_epoch", p.separate_final_epoch},
                      {"samples_sans_final_epoch", p.samples_sans_final_epoch}};
  return hash_hex(k.dump());
}

std::string hex_double(double v) { return fmt::format("{:a}", v); }

std::string blend_key(const BlendedIndex& index, const std::vector<std::string>& dataset_keys) {
  nlohmann::json k = {{"format", kFormat},
                      {"kind", "blend"},
                      {"flavor", flavor_name(index.options.flavor)},
                      {"seed", index.options.seed},
                      {"blend_sample_in_corpus", index.options.blend_sample_in_corpus},
                      {"shuffle_sample_in_corpus", index.options.shuffle_sample_in_corpus},
                      {"size", index.blend_size},
                      {"datasets", dataset_keys}};
  for (double w : index.blend_weights) k["weights"].push_back(hex_double(w));
  for (const auto& d : index.datasets) k["requested"].push_back(d.requested);
  for (const auto& c : index.corpora) k["corpora"].push_back({c.name, c.datasets});
  return hash_hex(k.dump());
}

void load_blend(BlendedIndex& index, const fs::path& entry) {
  const auto targets = index.blend_array_slots();
  std::string trailer;
  auto arrays = read_entry(entry, targets.size(), &trailer);
  for (std::size_t i = 0; i < targets.size(); ++i) *targets[i] = std::move(arrays[i]);
  try {
    index.blend_counts = nlohmann::json::parse(trailer).at("counts").get<std::vector<std::uint64_t>>();
  } catch (const nlohmann::json::exception&) {
    throw_file_error(entry.string(), "damaged blend entry (no counts after the arrays); delete it to rebuild");
  }
}

DatasetStats read_stats(const std::string& prefix) {
  const IndexedDataset ds = IndexedDataset::open(prefix);
  try {
    return dataset_stats(ds.sequence_lengths());
  } catch (const Error& e) {
    throw_file_error(index_path(prefix), "{}", e.what());
  }
}

nlohmann::json options_json(const BlendOptions& o) {
  return {{"flavor", flavor_name(o.flavor)},
          {"sequence_length", o.sequence_length},
          {"num_samples", o.num_samples},
          {"seed", o.seed},
          {"blend_sample_in_corpus", o.blend_sample_in_corpus},
          {"shuffle_sample_in_corpus", o.shuffle_sample_in_corpus}};
}

}  // namespace

BlendedIndex build_index_folder(const std::string& dir, const std::vector<BlendSource>& sources,
                                const BlendOptions& options, const IndexBuildOptions& build,
                                IndexBuildReport* report) {
  // Every .idx is read once for its token count, on all threads.
  std::vector<DatasetStats> stats(sources.size());
  std::vector<nlohmann::json> identities(sources.size());
  {
    std::atomic<std::size_t> next_source{0};
    std::vector<std::exception_ptr> failures(sources.size());  // the first in list order is reported
    auto read = [&] {
      for (std::size_t i; (i = next_source.fetch_add(1)) < sources.size();) {
        try {
          stats[i] = read_stats(sources[i].prefix);
          identities[i] = input_identity(sources[i].prefix);
        } catch (...) {
          failures[i] = std::current_exception();
        }
      }
    };
    {
      std::vector<std::jthread> threads;
      for (unsigned t = 1; t < std::max(1u, build.threads); ++t) threads.emplace_back(read);
      read();
    }
    for (const auto& f : failures)
      if (f) std::rethrow_exception(f);
  }
  BlendedIndex index = plan_blended_index(sources, stats, options);
  const fs::path root(dir);
  std::vector<std::string> keys;
  for (std::size_t i = 0; i < index.datasets.size(); ++i) keys.push_back(dataset_key(index.datasets[i], identities[i]));

  // Datasets: each thread (and rank) starts at its own place in the list.
  const std::size_t n = index.datasets.size();
  std::atomic<std::size_t> next{0}, done{0}, built{0};
  std::mutex failure_mutex, progress_mutex;
  std::exception_ptr failure, blend_failure;
  const std::size_t start = n * static_cast<std::size_t>(std::max(0, build.rank)) /
                            static_cast<std::size_t>(std::max(1, build.world));
  auto work = [&] {
    for (std::size_t t; (t = next.fetch_add(1)) < n;) {
      if (failure) return;
      const std::size_t i = (start + t) % n;
      try {
        BlendedDataset& d = index.datasets[i];
        const bool here = ensure_entry(root / "datasets", keys[i] + ".gpt", [&](const fs::path& tmp) {
          BlendedDataset copy = d;
          build_dataset_arrays(copy, IndexedDataset::open(d.prefix).sequence_lengths());
          const GptIndex& g = copy.index;
          write_entry(tmp, {&g.document_index, &g.sample_index, &g.shuffle_index}, plan_json(g.plan).dump(2) + "\n");
        });
        if (here) ++built;
        const std::size_t finished = ++done;
        if (build.progress) {
          std::lock_guard<std::mutex> lock(progress_mutex);
          build.progress(finished, n);
        }
      } catch (...) {
        std::lock_guard<std::mutex> lock(failure_mutex);
        if (!failure) failure = std::current_exception();
        return;
      }
    }
  };
  // The blend needs only the plans, so it is built alongside the datasets
  // (its schedule is sequential; the datasets keep the other cores busy),
  // once, by whoever takes its lock first.
  const std::string blend = index.blend_weights.empty() ? "" : blend_key(index, keys);
  bool blend_here = false;
  {
    std::jthread blender;
    if (!blend.empty())
      blender = std::jthread([&] {
        try {
          blend_here = ensure_entry(root / "blends", blend + ".blend",
                                    [&](const fs::path& tmp) { write_blend_entry(index, tmp); });
        } catch (...) {
          blend_failure = std::current_exception();
        }
      });
    std::vector<std::jthread> threads;
    for (unsigned t = 1; t < std::max(1u, build.threads); ++t) threads.emplace_back(work);
    work();
  }  // all joined here
  if (failure) std::rethrow_exception(failure);
  if (blend_failure) std::rethrow_exception(blend_failure);
  if (!blend.empty()) load_blend(index, root / "blends" / (blend + ".blend"));  // mapped, not held in memory

  const auto sync_start = std::chrono::steady_clock::now();
  sync_folder(root);  // entries are durable before the record that names them
  const double sync_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - sync_start).count();
  nlohmann::json record = {{"format", kFormat}, {"options", options_json(options)}, {"size", 0}};
  for (std::size_t i = 0; i < n; ++i) {
    auto& d = index.datasets[i];
    d.cache_entry = (root / "datasets" / (keys[i] + ".gpt")).string();
    record["datasets"].push_back({{"prefix", d.prefix},
                                  {"corpus", d.corpus},
                                  {"weight", d.weight},
                                  {"weight_hex", hex_double(d.weight)},
                                  {"requested", d.requested},
                                  {"input", identities[i]},
                                  {"entry", "datasets/" + keys[i] + ".gpt"},
                                  {"plan", plan_json(d.index.plan)}});
  }
  for (const auto& c : index.corpora)
    record["corpora"].push_back({{"name", c.name}, {"datasets", c.datasets}, {"samples", c.samples}});
  record["blend"] = blend.empty() ? nlohmann::json() : nlohmann::json("blends/" + blend + ".blend");
  record["blend_size"] = index.blend_size;
  for (double w : index.blend_weights) record["blend_weights_hex"].push_back(hex_double(w));
  record["size"] = index.size();
  io::write_file_atomically((root / "index.json").string(), record.dump(2) + "\n");
  if (report != nullptr) {
    report->datasets_built = built;
    report->datasets_reused = n - built;
    report->blend_built = blend_here;
    report->blend_reused = !blend.empty() && !blend_here;
    report->sync_seconds = sync_seconds;
  }
  return index;
}

BlendedIndex open_index_folder(const std::string& dir) {
  const fs::path root(dir);
  const std::string record_path = (root / "index.json").string();
  if (!fs::exists(record_path)) throw_file_error(record_path, "no index here; build one with `borealis index build`");
  nlohmann::json r;
  try {
    r = nlohmann::json::parse(io::read_file(record_path));
    if (r.at("format") != kFormat) throw_file_error(record_path, "index format {} is not {}", r.at("format").dump(), kFormat);
  } catch (const nlohmann::json::exception& e) {
    throw_file_error(record_path, "not a valid index record: {}", e.what());
  }
  BlendedIndex index;
  try {
    const auto& o = r.at("options");
    index.options.flavor = o.at("flavor") == "megatron-lm" ? IndexFlavor::kMegatronLm : IndexFlavor::kMegatronDeepSpeed;
    index.options.sequence_length = o.at("sequence_length");
    index.options.num_samples = o.at("num_samples");
    index.options.seed = o.at("seed");
    index.options.blend_sample_in_corpus = o.at("blend_sample_in_corpus");
    index.options.shuffle_sample_in_corpus = o.at("shuffle_sample_in_corpus");
    for (const auto& d : r.at("datasets")) {
      BlendedDataset ds;
      ds.prefix = d.at("prefix");
      ds.corpus = d.at("corpus");
      ds.weight = d.at("weight");
      ds.requested = d.at("requested");
      ds.index.plan = plan_from_json(d.at("plan"));
      ds.cache_entry = (root / d.at("entry").get<std::string>()).string();
      if (input_identity(ds.prefix) != d.at("input"))
        throw_file_error(index_path(ds.prefix), "changed since the index in {} was built; build it again", dir);
      index.datasets.push_back(std::move(ds));
    }
    if (r.contains("corpora"))
      for (const auto& c : r.at("corpora")) {
        BlendedCorpus corpus;
        corpus.name = c.at("name");
        corpus.datasets = c.at("datasets").get<std::vector<std::size_t>>();
        corpus.samples = c.at("samples");
        index.corpora.push_back(std::move(corpus));
      }
    index.blend_size = r.at("blend_size");
    if (!r.at("blend").is_null()) {
      load_blend(index, root / r.at("blend").get<std::string>());
      for (const auto& w : r.at("blend_weights_hex")) index.blend_weights.push_back(std::stod(w.get<std::string>()));
    }
  } catch (const nlohmann::json::exception& e) {
    throw_file_error(record_path, "not a valid index record: {}", e.what());
  }
  return index;
}

void load_dataset_arrays(const std::string& dir, BlendedIndex& index, std::size_t i) {
  BlendedDataset& d = index.datasets.at(i);
  if (d.cache_entry.empty()) throw Error(fmt::format("{}: dataset {} has no arrays in the index folder", dir, i));
  auto arrays = read_entry(d.cache_entry, 3);
  d.index.document_index = std::move(arrays[0]);
  d.index.sample_index = std::move(arrays[1]);
  d.index.shuffle_index = std::move(arrays[2]);
}

}  // namespace borealis::data
