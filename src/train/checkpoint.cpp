#include "borealis/train/checkpoint.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <xxhash.h>

#include "borealis/io/atomic_output_file.h"
#include "borealis/io/mapped_file.h"
#include "borealis/io/safetensors.h"
#include "borealis/model/model_weights.h"
#include "borealis/util/error.h"

namespace borealis::train {

namespace fs = std::filesystem;

namespace {

constexpr const char* kFormat = "borealis-checkpoint";
constexpr int kVersion = 1;

std::string step_name(std::int64_t step) { return fmt::format("step_{:08d}", step); }

void fsync_dir(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_system_error(path, "cannot open", errno);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<fs::path> step_folders(const fs::path& checkpoints) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(checkpoints, ec)) {
    const auto name = e.path().filename().string();
    if (e.is_directory() && name.starts_with("step_") && fs::exists(e.path() / "state.json"))
      out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

std::string write_checkpoint(const std::string& run_dir, const model::Transformer& model,
                             const OptimizerMoments& optimizer, const CheckpointState& state,
                             const std::vector<std::string>& tokenizer_files, std::int64_t keep) {
  const fs::path checkpoints = fs::path(run_dir) / "checkpoints";
  std::error_code ec;
  fs::create_directories(checkpoints, ec);
  if (ec)
    throw_system_error(checkpoints.string(), "cannot create the checkpoint folder", ec.value());
  const fs::path final_dir = checkpoints / step_name(state.step);
  const fs::path temp = checkpoints / fmt::format(".{}.tmp.{}", step_name(state.step), ::getpid());
  fs::remove_all(temp, ec);
  fs::create_directories(temp / "tokenizer", ec);
  if (ec) throw_system_error(temp.string(), "cannot create", ec.value());

  model::write_model_weights(model, (temp / "model.safetensors").string());

  io::SafetensorsWriter opt;
  for (const auto& t : model.layout().tensors()) {
    opt.add_f32("m." + t.name, t.shape, optimizer.m.subspan(t.offset, t.size));
    opt.add_f32("v." + t.name, t.shape, optimizer.v.subspan(t.offset, t.size));
  }
  opt.set_metadata("adam_steps", std::to_string(optimizer.steps));
  opt.write((temp / "optimizer.safetensors").string());

  std::string tokenizer_entry;
  for (const auto& file : tokenizer_files) {
    const auto name = fs::path(file).filename().string();
    io::write_file_atomically((temp / "tokenizer" / name).string(), read_text(file));
    if (tokenizer_entry.empty()) tokenizer_entry = "tokenizer/" + name;
  }

  nlohmann::json j = {{"format", kFormat},
                      {"version", kVersion},
                      {"step", state.step},
                      {"consumed_samples", state.consumed_samples},
                      {"adam_steps", optimizer.steps},
                      {"parameters", model.config().parameter_count()},
                      {"tokenizer", tokenizer_entry},
                      {"ranks", state.ranks},
                      {"spike_window", state.spike_window},
                      {"config", state.config},
                      {"provenance", state.provenance}};
  io::write_file_atomically((temp / "state.json").string(), j.dump(2) + "\n");
  fsync_dir(temp);

  if (fs::exists(final_dir)) fs::remove_all(final_dir);
  fs::rename(temp, final_dir, ec);
  if (ec) throw_system_error(final_dir.string(), "cannot publish the checkpoint", ec.value());
  fsync_dir(checkpoints);
  io::write_file_atomically((checkpoints / "latest").string(), step_name(state.step) + "\n");

  auto folders = step_folders(checkpoints);
  while (static_cast<std::int64_t>(folders.size()) > keep) {
    if (folders.front() != final_dir) fs::remove_all(folders.front(), ec);
    folders.erase(folders.begin());
  }
  return final_dir.string();
}

std::optional<std::string> latest_checkpoint(const std::string& run_dir) {
  const auto folders = step_folders(fs::path(run_dir) / "checkpoints");
  if (folders.empty()) return std::nullopt;
  return folders.back().string();  // names sort by step (zero-padded)
}

CheckpointState read_checkpoint_state(const std::string& checkpoint_dir) {
  const std::string path = (fs::path(checkpoint_dir) / "state.json").string();
  if (!fs::exists(path)) throw_file_error(path, "not a checkpoint: state.json is missing");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_text(path));
  } catch (const nlohmann::json::exception& e) {
    throw_file_error(path, "not valid JSON ({})", e.what());
  }
  if (!j.is_object() || j.value("format", "") != kFormat)
    throw_file_error(path, "not a Borealis checkpoint state");
  if (j.value("version", 0) != kVersion)
    throw_file_error(path, "checkpoint version {} (this build reads {})", j.value("version", 0),
                     kVersion);
  CheckpointState s;
  try {
    s.step = j.at("step").get<std::int64_t>();
    s.consumed_samples = j.at("consumed_samples").get<std::uint64_t>();
    s.config = j.at("config");
    s.provenance = j.value("provenance", nlohmann::json::object());
    s.spike_window = j.value("spike_window", nlohmann::json());
    s.ranks = j.value("ranks", 1);
  } catch (const nlohmann::json::exception& e) {
    throw_file_error(path, "incomplete checkpoint state ({})", e.what());
  }
  return s;
}

void read_checkpoint(const std::string& checkpoint_dir, model::Transformer& model,
                     AdamW& optimizer) {
  const auto dir = fs::path(checkpoint_dir);
  model::read_model_weights(model, (dir / "model.safetensors").string());
  const std::string opt_path = (dir / "optimizer.safetensors").string();
  const io::SafetensorsReader opt(opt_path);
  // Whole tensors from the file, the optimizer's range of them kept: a
  // checkpoint saved by any number of ranks loads into any sharding.
  std::vector<float> buf;
  for (const auto& t : model.layout().tensors()) {
    const std::size_t b = std::max(optimizer.begin(), t.offset),
                      e = std::min(optimizer.end(), t.offset + t.size);
    if (b >= e) continue;
    buf.resize(t.size);
    for (const char* which : {"m.", "v."}) {
      opt.read_f32(which + t.name, t.shape, buf);
      auto dst = which[0] == 'm' ? optimizer.m() : optimizer.v();
      std::copy(buf.begin() + static_cast<std::ptrdiff_t>(b - t.offset),
                buf.begin() + static_cast<std::ptrdiff_t>(e - t.offset),
                dst.begin() + static_cast<std::ptrdiff_t>(b - optimizer.begin()));
    }
  }
  const auto it = opt.metadata().find("adam_steps");
  if (it == opt.metadata().end()) throw_file_error(opt_path, "no adam_steps in the metadata");
  optimizer.set_steps(std::stoull(it->second));
}

std::string resolve_checkpoint(const std::string& dir) {
  if (fs::exists(fs::path(dir) / "checkpoints")) {
    const auto latest = latest_checkpoint(dir);
    if (!latest) throw Error(fmt::format("{}: the run folder holds no checkpoint yet", dir));
    return *latest;
  }
  if (!fs::exists(fs::path(dir) / "model.safetensors"))
    throw Error(fmt::format("{}: not a checkpoint (no model.safetensors)", dir));
  return dir;
}

std::unique_ptr<model::Transformer> load_checkpoint_model(const std::string& checkpoint_dir) {
  const std::string weights = (fs::path(checkpoint_dir) / "model.safetensors").string();
  auto model = std::make_unique<model::Transformer>(model::read_model_config(weights));
  model::read_model_weights(*model, weights);
  return model;
}

std::string checkpoint_tokenizer(const std::string& checkpoint_dir) {
  const auto state_path = (fs::path(checkpoint_dir) / "state.json").string();
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_text(state_path));
  } catch (const nlohmann::json::exception& e) {
    throw_file_error(state_path, "not valid JSON ({})", e.what());
  }
  const std::string entry = j.value("tokenizer", "");
  if (entry.empty()) throw_file_error(state_path, "the checkpoint holds no tokenizer");
  return (fs::path(checkpoint_dir) / entry).string();
}

nlohmann::json data_provenance(const std::string& index_dir, const data::BlendedIndex& index) {
  nlohmann::json datasets = nlohmann::json::array();
  for (const auto& d : index.datasets) {
    const io::MappedFile idx(d.prefix + ".idx");
    const auto bytes = idx.bytes();
    const auto hash = XXH3_64bits(bytes.data(), bytes.size());
    std::error_code ec;
    const auto bin_size = fs::file_size(d.prefix + ".bin", ec);
    nlohmann::json e = {{"prefix", d.prefix},
                        {"weight", d.weight},
                        {"idx_xxh3_64", fmt::format("{:016x}", hash)},
                        {"bin_bytes", ec ? 0 : bin_size}};
    if (!d.corpus.empty()) e["corpus"] = d.corpus;
    datasets.push_back(std::move(e));
  }
  return {{"index", fs::absolute(index_dir).lexically_normal().string()},
          {"samples", index.size()},
          {"sequence_length", index.options.sequence_length},
          {"seed", index.options.seed},
          {"datasets", datasets}};
}

}  // namespace borealis::train
