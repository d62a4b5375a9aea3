#include "borealis/data/index_folder.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <bit>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <cstring>
#include <fstream>
#include <limits>
#include <exception>
#include <filesystem>
#include <mutex>
#include <numeric>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <xxhash.h>

#include "borealis/data/index_array.h"
#include "borealis/data/indexed_dataset.h"
#include "borealis/io/atomic_output_file.h"
#include "borealis/io/direct_file_writer.h"
#include "borealis/io/file_identity.h"
#include "borealis/io/mapped_file.h"
#include "borealis/io/read_file.h"
#include "borealis/io/write_behind.h"
#include "borealis/util/error.h"
#include "borealis/util/large_array.h"
#include "borealis/util/parallel_for.h"

namespace borealis::data {

namespace fs = std::filesystem;

namespace {

constexpr int kFormat = 3;  // 3: entries with a JSON directory and 4096-aligned, bit-packed arrays

std::string hash_hex(const std::string& text) {
  const XXH128_hash_t h = XXH3_128bits(text.data(), text.size());
  return fmt::format("{:016x}{:016x}", h.high64, h.low64);
}

std::string flavor_name(IndexFlavor f) {
  return f == IndexFlavor::kMegatronLm ? "megatron-lm" : "megatron-deepspeed";
}

// Exclusive advisory lock on a file, held for the object's life.
// The right to build the entry file `root/name`, held from the check that
// it is missing until it is renamed into place. The lock is an flock on the
// entry's temporary file, `name.tmp`, so entries never share a lock and no
// lock files are made. A builder that waits for the lock finds, once it
// holds it, either the entry in place (someone built it: done) or, if the
// file it locked is no longer at that name (published or given up), looks
// again. What a killed builder left at `name.tmp` is not locked: the next
// builder takes it and overwrites it.
class EntryClaim {
 public:
  // Null if the entry exists, perhaps after waiting for another builder.
  static std::unique_ptr<EntryClaim> take(const fs::path& root, const std::string& name) {
    const fs::path entry = root / name;
    if (fs::exists(entry)) return nullptr;
    const fs::path tmp = root / (name + ".tmp");
    for (;;) {
      int fd = ::open(tmp.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
      if (fd < 0 && errno == ENOENT) {  // the folder's first entry
        fs::create_directories(root);
        fd = ::open(tmp.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
      }
      if (fd < 0) throw_file_error(tmp.string(), "cannot create: {}", std::strerror(errno));
      while (::flock(fd, LOCK_EX) != 0) {
        if (errno == EINTR) continue;
        const int e = errno;
        ::close(fd);
        throw_file_error(tmp.string(), "cannot lock: {}", std::strerror(e));
      }
      const bool ours = at_name(fd, tmp);
      if (fs::exists(entry)) {  // built while we waited; an empty file we made is not left behind
        if (ours) ::unlink(tmp.c_str());
        ::close(fd);
        return nullptr;
      }
      if (ours) return std::unique_ptr<EntryClaim>(new EntryClaim(fd, entry, tmp));
      ::close(fd);  // the file we locked left that name: look again
    }
  }
  ~EntryClaim() {
    if (!published_) ::unlink(tmp_.c_str());  // we hold the lock: the file at that name is ours
    ::close(fd_);                              // releases the lock
  }
  EntryClaim(const EntryClaim&) = delete;
  EntryClaim& operator=(const EntryClaim&) = delete;
  const fs::path& tmp() const { return tmp_; }
  void publish() {
    fs::rename(tmp_, entry_);
    published_ = true;
  }

 private:
  EntryClaim(int fd, fs::path entry, fs::path tmp) : fd_(fd), entry_(std::move(entry)), tmp_(std::move(tmp)) {}
  static bool at_name(int fd, const fs::path& path) {
    struct stat held{}, named{};
    return ::fstat(fd, &held) == 0 && ::stat(path.c_str(), &named) == 0 && held.st_ino == named.st_ino &&
           held.st_dev == named.st_dev;
  }
  int fd_;
  fs::path entry_, tmp_;
  bool published_ = false;
};

// Runs `build(tmp)` to make the entry file `root/name` unless it exists; true
// if built here.
bool ensure_entry(const fs::path& root, const std::string& name, const std::function<void(const fs::path&)>& build) {
  const auto claim = EntryClaim::take(root, name);
  if (!claim) return false;
  build(claim->tmp());
  claim->publish();
  return true;
}

// A piece of an entry file ready for the disk: block-aligned memory, whole
// blocks, and the offset it goes to.
// Block-aligned buffers for entry blocks, kept for reuse once written (as
// the per-thread packing buffer was before entries were written behind):
// a fresh buffer faults in page by page and, glibc mapping big blocks on
// their own, is unmapped when freed. Sizes are rounded up to powers of two
// from 64 KB; up to 1 GB waits in the pool. Big ones (a corpus shuffle is
// ~100 MB at 2T) come in huge pages (util::allocate_large).
class BlockPool {
 public:
  static BlockPool& shared() {
    static BlockPool pool;
    return pool;
  }
  ~BlockPool() {
    for (auto& free : free_)
      for (std::byte* p : free) std::free(p);
  }
  std::byte* take(std::size_t& capacity) {
    capacity = std::max<std::size_t>(std::bit_ceil(capacity), std::size_t{64} << 10);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto& free = free_[std::countr_zero(capacity)];
      if (!free.empty()) {
        std::byte* p = free.back();
        free.pop_back();
        pooled_ -= capacity;
        return p;
      }
    }
    return static_cast<std::byte*>(util::allocate_large(capacity, io::DirectFileWriter::kBlock));
  }
  void give_back(std::byte* p, std::size_t capacity) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (pooled_ + capacity <= kMostPooled) {
        free_[std::countr_zero(capacity)].push_back(p);
        pooled_ += capacity;
        return;
      }
    }
    std::free(p);
  }

 private:
  static constexpr std::size_t kMostPooled = std::size_t{1} << 30;
  std::mutex mutex_;
  std::vector<std::byte*> free_[64];
  std::size_t pooled_ = 0;
};

// A piece of an entry file ready for the disk: block-aligned memory, whole
// blocks, and the offset it goes to.
struct PooledBuffer {
  std::size_t capacity = 0;
  void operator()(std::byte* p) const { BlockPool::shared().give_back(p, capacity); }
};

struct EntryBlock {
  std::uint64_t offset = 0;
  std::unique_ptr<std::byte, PooledBuffer> data;
  std::size_t size = 0;
  std::span<const std::byte> bytes() const { return {data.get(), size}; }
};

EntryBlock aligned_block(std::uint64_t offset, std::size_t bytes) {
  EntryBlock b;
  b.offset = offset;
  b.size = static_cast<std::size_t>(io::DirectFileWriter::round_up(bytes));
  std::size_t capacity = b.size;
  std::byte* p = BlockPool::shared().take(capacity);
  b.data = std::unique_ptr<std::byte, PooledBuffer>(p, PooledBuffer{capacity});
  std::memset(b.data.get() + bytes, 0, b.size - bytes);
  return b;
}

// An entry file (format 3):
//   [0, H)    a directory: one line of JSON -- {"format", "size" (the file's),
//             "arrays": [{"descr", "shape", "offset"}...], and the entry's own
//             fields} -- padded with spaces, '\n' at H-1; H a multiple of 4096
//   then      each array's payload at a 4096-aligned offset, the last one
//             padded with zeros to a whole block (older builds cut it short:
//             either reads the same, as "size" says where the file ends)
// Aligned payloads can be written with O_DIRECT (no page-cache copy; see
// io::DirectFileWriter) and are aligned for any dtype when mapped. A file
// shorter or longer than its "size" is a damaged entry. The directory is
// written last, so a blend can record counts it learns while streaming its
// arrays.
//
// Where an entry's arrays go and how they are stored, without the file:
// its blocks can be made on one thread and written on another.
class EntryLayout {
 public:
  // `widest_fields`: the entry's fields at their longest, to size the directory.
  // Arrays with a bound are stored bit-packed (see index_array.h); blocks
  // are made from arrays in their generated dtype, whole or in chunks of a
  // multiple of 2^20 elements (so every chunk starts on a block boundary).
  EntryLayout(std::string path, std::vector<ArrayLayout> layout, const nlohmann::json& widest_fields)
      : path_(std::move(path)), layout_(std::move(layout)) {
    for (const ArrayLayout& l : layout_) stored_.push_back(l.bound > 0 ? packed_descr_for(l.bound) : l.descr);
    header_ = io::DirectFileWriter::round_up(directory(widest_fields).size() + 1);
    std::uint64_t at = header_;
    for (std::size_t i = 0; i < layout_.size(); ++i) {
      std::uint64_t count = 1;
      for (std::uint64_t d : layout_[i].shape) count *= d;
      const std::uint64_t n = index_array_bytes(stored_[i], count);
      offset_.push_back(at);
      at = io::DirectFileWriter::round_up(at + n);
    }
    end_ = at;  // whole blocks: the writes fill them, and no cut is needed
  }
  std::uint64_t end() const { return end_; }
  unsigned bits(std::size_t array) const { return packed_bits(stored_[array]); }
  // Where element `at` of an unpacked array starts in the file.
  std::uint64_t offset_of(std::size_t array, std::uint64_t at) const {
    const std::string& typed = layout_[array].descr;
    if (stored_[array] != typed) throw_file_error(path_, "entry array stored as {} from {} (internal error)", stored_[array], typed);
    return offset_[array] + at * index_item_size(typed);
  }
  // Elements [at, at + n) of `array`, given in its generated dtype, as stored.
  EntryBlock block(std::size_t array, std::uint64_t at, std::span<const std::byte> bytes) const {
    const unsigned b = bits(array);
    if (b == 0) {
      EntryBlock out = aligned_block(offset_of(array, at), bytes.size());
      std::memcpy(out.data.get(), bytes.data(), bytes.size());
      return out;
    }
    const std::string& typed = layout_[array].descr;
    const std::uint64_t n = bytes.size() / index_item_size(typed);
    const auto packed_bytes = static_cast<std::size_t>((n * b + 63) / 64 * 8);
    if (at * b % (8 * io::DirectFileWriter::kBlock) != 0)
      throw_file_error(path_, "packed chunk at element {} is not block-aligned (internal error)", at);
    EntryBlock out = aligned_block(offset_[array] + at * b / 8, packed_bytes);
    pack_index_values(bytes, typed, b, std::span<std::byte>(out.data.get(), packed_bytes));
    return out;
  }
  // The directory, with the entry's final fields.
  EntryBlock directory_block(const nlohmann::json& fields) const {
    const std::string text = directory(fields);
    if (text.size() + 1 > header_) throw_file_error(path_, "entry directory outgrew its space (internal error)");
    EntryBlock out = aligned_block(0, static_cast<std::size_t>(header_));
    std::memset(out.data.get(), ' ', static_cast<std::size_t>(header_));
    std::memcpy(out.data.get(), text.data(), text.size());
    out.data.get()[header_ - 1] = std::byte{'\n'};
    return out;
  }

 private:
  std::string directory(const nlohmann::json& fields) const {
    nlohmann::json d = fields;
    d["format"] = kFormat;
    d["size"] = end_ == 0 ? std::numeric_limits<std::uint64_t>::max() : end_;
    d["arrays"] = nlohmann::json::array();
    for (std::size_t i = 0; i < layout_.size(); ++i)
      d["arrays"].push_back({{"descr", stored_[i]},
                             {"shape", layout_[i].shape},
                             {"offset", offset_.empty() ? std::numeric_limits<std::uint64_t>::max() : offset_[i]}});
    return d.dump();
  }

  std::string path_;
  std::vector<ArrayLayout> layout_;
  std::vector<std::string> stored_;  // the dtype on disk: packed where a bound is known
  std::vector<std::uint64_t> offset_;
  std::uint64_t header_ = 0, end_ = 0;
};

// An entry file being written, array by array or chunk by chunk.
class EntryFile : public ArraySink {
 public:
  EntryFile(const fs::path& path, std::vector<ArrayLayout> layout, const nlohmann::json& widest_fields)
      : layout_(path.string(), std::move(layout), widest_fields), writer_(path.string()) {}
  // Safe to call from several threads at once for different arrays or chunks.
  void write(std::size_t array, std::uint64_t at, std::span<const std::byte> bytes) override {
    if (layout_.bits(array) == 0) {  // stored as generated: straight from the caller's memory
      writer_.write_at(layout_.offset_of(array, at), bytes);
      return;
    }
    put(layout_.block(array, at, bytes));
  }
  void put(const EntryBlock& block) { writer_.write_at(block.offset, block.bytes()); }
  void finish(const nlohmann::json& fields) {
    put(layout_.directory_block(fields));
    writer_.finish(layout_.end());
  }

 private:
  EntryLayout layout_;
  io::DirectFileWriter writer_;
};

// A dataset's GPT index as an entry: each array packed below its bound.
EntryLayout dataset_entry_layout(const fs::path& path, const GptIndex& g, const nlohmann::json& fields) {
  const std::uint64_t sample_bound = visit_index_type(g.sample_index.descr, [&]<typename T>() {
    std::uint64_t largest = 0;  // the kept sample rows are few: scan them
    for (T v : elements<T>(g.sample_index)) largest = std::max(largest, static_cast<std::uint64_t>(v));
    return largest + 1;
  });
  return EntryLayout(path.string(),
                     {{g.document_index.descr, g.document_index.shape, g.plan.documents},
                      {g.sample_index.descr, g.sample_index.shape, sample_bound},
                      {g.shuffle_index.descr, g.shuffle_index.shape, g.plan.samples}},
                     fields);
}

// Its blocks, packed: the directory first.
std::vector<EntryBlock> dataset_entry_blocks(const EntryLayout& layout, const GptIndex& g, const nlohmann::json& fields) {
  std::vector<EntryBlock> blocks;
  blocks.push_back(layout.directory_block(fields));
  const std::vector<const io::NpyArray*> arrays = {&g.document_index, &g.sample_index, &g.shuffle_index};
  for (std::size_t i = 0; i < arrays.size(); ++i) blocks.push_back(layout.block(i, 0, arrays[i]->bytes()));
  return blocks;
}

void write_entry_blocks(const std::string& path, std::uint64_t size, const std::vector<EntryBlock>& blocks) {
  io::DirectFileWriter writer(path);
  for (const EntryBlock& b : blocks) writer.write_at(b.offset, b.bytes());
  writer.finish(size);
}

// The corpus arrays of a blend being built (Megatron-DeepSpeed: each
// corpus's shuffle, and its schedule when blended), handed out to the
// dataset workers: a 2T-token build has 14 corpus shuffles of ~35 M samples,
// ~20 s of work that would otherwise wait behind the top-level schedule on
// one thread.
class CorpusTasks {
 public:
  // Makes the tasks available; `sink` must outlive them (see finish()).
  void publish(const BlendedIndex& index, EntryFile& sink) {
    index_ = &index;
    count_ = index.options.flavor == IndexFlavor::kMegatronDeepSpeed ? index.corpora.size() : 0;
    sink_.store(&sink, std::memory_order_release);
  }
  // Builds one task if any is left; false if none.
  bool take() {
    EntryFile* sink = sink_.load(std::memory_order_acquire);
    if (sink == nullptr) return false;
    const std::size_t k = next_.fetch_add(1);
    if (k >= count_) return false;
    try {
      generate_corpus_arrays(*index_, k, *sink);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!failure_) failure_ = std::current_exception();
    }
    finished_.fetch_add(1, std::memory_order_release);
    return true;
  }
  // Takes what is left, then waits for the tasks other threads took.
  void finish() {
    while (take()) {
    }
    while (finished_.load(std::memory_order_acquire) < count_) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (failure_) std::rethrow_exception(failure_);
  }

 private:
  const BlendedIndex* index_ = nullptr;
  std::size_t count_ = 0;
  std::atomic<EntryFile*> sink_{nullptr};
  std::atomic<std::size_t> next_{0}, finished_{0};
  std::mutex mutex_;
  std::exception_ptr failure_;
};

// Writes handed to a thread of their own (a few chunks deep), so the
// sequential schedule neither packs nor waits for the disk: at 2T it writes
// 2 GB, 4-6 s of this VM's disk time that would otherwise stall it.
class BackgroundSink : public ArraySink {
 public:
  explicit BackgroundSink(ArraySink& target) : target_(target), thread_([this] { run(); }) {}
  ~BackgroundSink() override {
    try {
      close();
    } catch (...) {  // reported by close() when called; here only unwinding
    }
  }
  void write(std::size_t array, std::uint64_t at, std::span<const std::byte> bytes) override {
    std::vector<std::byte> copy(bytes.begin(), bytes.end());
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return queue_.size() < kDepth || failure_; });
    if (failure_) std::rethrow_exception(failure_);
    queue_.push_back({array, at, std::move(copy)});
    changed_.notify_all();
  }
  // Waits for every write; throws the first that failed.
  void close() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      closed_ = true;
      changed_.notify_all();
    }
    if (thread_.joinable()) thread_.join();
    if (failure_) std::rethrow_exception(failure_);
  }

 private:
  struct Write {
    std::size_t array;
    std::uint64_t at;
    std::vector<std::byte> bytes;
  };
  static constexpr std::size_t kDepth = 4;
  void run() {
    for (;;) {
      Write w;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait(lock, [&] { return !queue_.empty() || closed_; });
        if (queue_.empty()) return;
        w = std::move(queue_.front());
        queue_.pop_front();
        changed_.notify_all();
      }
      try {
        target_.write(w.array, w.at, w.bytes);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex_);
        failure_ = std::current_exception();
        queue_.clear();
        changed_.notify_all();
        return;
      }
    }
  }
  ArraySink& target_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Write> queue_;
  bool closed_ = false;
  std::exception_ptr failure_;
  std::thread thread_;  // last: starts after the members it uses
};

// The blend arrays streamed into an entry file chunk by chunk, so memory
// stays one chunk (and a corpus shuffle per thread): the top-level schedule
// here, the corpus arrays by whichever threads take them.
void write_blend_entry(const BlendedIndex& index, const fs::path& path, CorpusTasks& corpus_tasks) {
  const auto layout = blend_array_layout(index);
  const nlohmann::json widest = {
      {"counts", std::vector<std::uint64_t>(index.blend_weights.size(), std::numeric_limits<std::uint64_t>::max())}};
  EntryFile entry(path, layout, widest);
  corpus_tasks.publish(index, entry);
  std::vector<std::uint64_t> counts;
  std::exception_ptr failure;
  try {
    BackgroundSink background(entry);
    counts = generate_blend_schedule(index, background);
    background.close();
  } catch (...) {
    failure = std::current_exception();
  }
  corpus_tasks.finish();  // even after a failure: no task may outlive `entry`
  if (failure) std::rethrow_exception(failure);
  entry.finish({{"counts", counts}});
}

// The `count` arrays of an entry file, as views of its memory map (pages are
// read as they are used; nothing is copied), and its own fields.
std::vector<io::NpyArray> read_entry(const fs::path& path, std::size_t count, nlohmann::json* fields = nullptr) {
  const auto file = std::make_shared<const io::MappedFile>(path.string());
  const auto* bytes = reinterpret_cast<const char*>(file->data());
  const std::string_view text(bytes, std::min<std::size_t>(file->size(), std::size_t{1} << 20));
  const auto damaged = [&](const std::string& what) {
    throw_file_error(path.string(), "damaged index entry ({}); delete it to rebuild", what);
  };
  const auto line = text.find('\n');
  if (line == std::string_view::npos) damaged("no directory");
  std::vector<io::NpyArray> arrays;
  try {
    nlohmann::json d = nlohmann::json::parse(text.substr(0, line));
    if (d.at("format") != kFormat) damaged("format " + d.at("format").dump());
    if (d.at("size").get<std::uint64_t>() != file->size())
      damaged(fmt::format("{} bytes, not {}", file->size(), d.at("size").get<std::uint64_t>()));
    const auto& list = d.at("arrays");
    if (list.size() != count) damaged(fmt::format("{} arrays, not {}", list.size(), count));
    for (const auto& a : list) {
      io::NpyArray array;
      array.descr = a.at("descr");
      array.shape = a.at("shape").get<std::vector<std::uint64_t>>();
      const std::uint64_t offset = a.at("offset");
      const std::uint64_t n = index_array_bytes(array.descr, array.element_count());
      if (offset > file->size() || n > file->size() - offset) damaged("an array runs past the end");
      array.view = std::span<const std::byte>(reinterpret_cast<const std::byte*>(bytes + offset), static_cast<std::size_t>(n));
      array.owner = file;
      arrays.push_back(std::move(array));
    }
    d.erase("format");
    d.erase("size");
    d.erase("arrays");
    if (fields != nullptr) *fields = std::move(d);
  } catch (const nlohmann::json::exception& e) {
    damaged(e.what());
  }
  return arrays;
}

// Raises this thread's nice value by `steps` (Linux: nice is per thread).
// Best effort: a thread may always lower its own priority, never raise it
// back, so it is used only on threads that end with their work.
void lower_thread_priority(int steps) {
  const auto tid = static_cast<id_t>(::gettid());
  errno = 0;
  const int now = ::getpriority(PRIO_PROCESS, tid);
  if (errno == 0) ::setpriority(PRIO_PROCESS, tid, std::min(19, now + steps));
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
  nlohmann::json fields;
  auto arrays = read_entry(entry, targets.size(), &fields);
  for (std::size_t i = 0; i < targets.size(); ++i) *targets[i] = std::move(arrays[i]);
  try {
    index.blend_counts = fields.at("counts").get<std::vector<std::uint64_t>>();
  } catch (const nlohmann::json::exception&) {
    throw_file_error(entry.string(), "damaged blend entry (no counts); delete it to rebuild");
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
  util::parallel_for(sources.size(), build.threads, [&](std::size_t i) {
    stats[i] = read_stats(sources[i].prefix);
    identities[i] = input_identity(sources[i].prefix);
  });
  BlendedIndex index = plan_blended_index(sources, stats, options);
  const fs::path root(dir);
  std::vector<std::string> keys;
  for (std::size_t i = 0; i < index.datasets.size(); ++i) keys.push_back(dataset_key(index.datasets[i], identities[i]));

  // Datasets, largest first (so no big one is left to run alone at the
  // end); each rank starts at its own place in that order.
  const std::size_t n = index.datasets.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  const auto work_of = [&](std::size_t i) {
    const GptIndexPlan& p = index.datasets[i].index.plan;
    return p.documents * p.epochs + p.samples;
  };
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return work_of(a) > work_of(b); });
  std::atomic<std::size_t> next{0}, done{0}, built{0};
  std::mutex failure_mutex, progress_mutex;
  std::exception_ptr failure, blend_failure;
  const std::size_t start = n * static_cast<std::size_t>(std::max(0, build.rank)) /
                            static_cast<std::size_t>(std::max(1, build.world));
  CorpusTasks corpus_tasks;
  // Dataset entries are written by threads of their own, up to 512 MB
  // behind (see io::WriteBehind); dropped unwritten if the build fails.
  io::WriteBehind writes(4, std::uint64_t{512} << 20);
  auto work = [&] {
    for (;;) {
      if (failure) return;
      if (corpus_tasks.take()) continue;  // the biggest pieces, first
      const std::size_t t = next.fetch_add(1);
      if (t >= n) break;
      const std::size_t i = order[(start + t) % n];
      try {
        BlendedDataset& d = index.datasets[i];
        if (std::shared_ptr<EntryClaim> claim = EntryClaim::take(root / "datasets", keys[i] + ".gpt")) {
          // Computed and packed here; created, written and published behind.
          BlendedDataset copy = d;
          build_dataset_arrays(copy, IndexedDataset::open(d.prefix).sequence_lengths());
          const GptIndex& g = copy.index;
          const nlohmann::json fields = {{"plan", plan_json(g.plan)}};
          const EntryLayout layout = dataset_entry_layout(claim->tmp(), g, fields);
          auto blocks = std::make_shared<const std::vector<EntryBlock>>(dataset_entry_blocks(layout, g, fields));
          std::uint64_t bytes = 0;
          for (const EntryBlock& b : *blocks) bytes += b.size;
          writes.submit(bytes, [claim, blocks, size = layout.end()] {
            write_entry_blocks(claim->tmp().string(), size, *blocks);
            claim->publish();
          });
          ++built;
        }
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
    while (corpus_tasks.take()) {
    }
  };
  // The blend needs only the plans, so it is built alongside the datasets
  // (its schedule is sequential; the datasets and the corpus arrays keep
  // the other cores busy), once, by whoever takes its lock first.
  const std::string blend = index.blend_weights.empty() ? "" : blend_key(index, keys);
  bool blend_here = false;
  {
    std::jthread blender;
    if (!blend.empty())
      blender = std::jthread([&] {
        try {
          blend_here = ensure_entry(root / "blends", blend + ".blend",
                                    [&](const fs::path& tmp) { write_blend_entry(index, tmp, corpus_tasks); });
        } catch (...) {
          blend_failure = std::current_exception();
        }
      });
    // The top-level schedule is one sequential thread, the longest single
    // piece of work (about 12 s of a 2T build); with the workers at equal
    // priority it got 1/5 of 2 cores and finished last (measured: 32 s into
    // a 34 s build). So the workers, on threads of their own, step down a
    // little: the schedule gets a core while it runs, the workers share the
    // rest, then have all of it.
    std::vector<std::jthread> threads;
    for (unsigned t = 0; t < std::max(1u, build.threads); ++t)
      threads.emplace_back([&] {
        if (!blend.empty()) lower_thread_priority(5);
        work();
      });
  }  // all joined here
  if (failure) std::rethrow_exception(failure);
  if (blend_failure) std::rethrow_exception(blend_failure);
  writes.finish();
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
      ds.options.sequence_length = index.options.sequence_length;
      ds.options.seed = index.options.seed;
      ds.options.flavor = index.options.flavor;
      ds.options.num_samples = ds.requested;
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
    set_corpus_starts(index);
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
