#include "borealis/train/train_config.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <toml++/toml.h>
#include <nlohmann/json.hpp>

#include "borealis/util/error.h"

namespace borealis::train {

namespace fs = std::filesystem;

namespace {

// Applies "section.key=value" onto the table; the value is TOML, or else a string.
void apply_override(toml::table& root, const std::string& item) {
  const auto eq = item.find('=');
  const auto dot = item.find('.');
  if (eq == std::string::npos || dot == std::string::npos || dot > eq)
    throw Error(fmt::format("--set {}: expected section.key=value (e.g. train.lr=1e-3)", item));
  const std::string section = item.substr(0, dot), key = item.substr(dot + 1, eq - dot - 1);
  const std::string value = item.substr(eq + 1);
  toml::table parsed;
  try {
    parsed = toml::parse("v = " + value);
  } catch (const toml::parse_error&) {
    parsed = toml::table{{"v", value}};  // a bare word: a string
  }
  if (!root.contains(section)) root.insert(section, toml::table{});
  auto* table = root[section].as_table();
  if (table == nullptr) throw Error(fmt::format("--set {}: [{}] is not a section", item, section));
  table->insert_or_assign(key, *parsed["v"].node());
}

class Reader {
 public:
  Reader(const toml::table& root, std::string source) : root_(root), source_(std::move(source)) {}

  const toml::table* section(const std::string& name, const std::set<std::string>& keys) {
    seen_sections_.insert(name);
    const auto* t = root_[name].as_table();
    if (root_.contains(name) && t == nullptr) fail(name, "is not a section");
    if (t != nullptr)
      for (const auto& [k, v] : *t)
        if (!keys.contains(std::string(k.str())))
          throw Error(fmt::format("{}: unknown key '{}.{}'", source_, name, k.str()));
    return t;
  }
  void check_sections() const {
    for (const auto& [k, v] : root_)
      if (!seen_sections_.contains(std::string(k.str())))
        throw Error(fmt::format("{}: unknown section [{}] (expected model, data, optim, train)",
                                source_, k.str()));
  }
  template <typename T>
  void get(const toml::table* t, const std::string& section, const std::string& key, T& out) {
    if (t == nullptr || !t->contains(key)) return;
    const toml::node& n = *t->get(key);
    if constexpr (std::is_same_v<T, std::string>) {
      if (!n.is_string()) fail(section + "." + key, "must be a string");
      out = n.as_string()->get();
    } else if constexpr (std::is_same_v<T, bool>) {
      if (!n.is_boolean()) fail(section + "." + key, "must be true or false");
      out = n.as_boolean()->get();
    } else if constexpr (std::is_floating_point_v<T>) {
      if (n.is_integer())
        out = static_cast<T>(n.as_integer()->get());
      else if (n.is_floating_point())
        out = static_cast<T>(n.as_floating_point()->get());
      else
        fail(section + "." + key, "must be a number");
    } else {
      if (!n.is_integer()) fail(section + "." + key, "must be an integer");
      const auto v = n.as_integer()->get();
      if constexpr (std::is_unsigned_v<T>)
        if (v < 0) fail(section + "." + key, fmt::format("must not be negative (got {})", v));
      out = static_cast<T>(v);
    }
  }
  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    throw Error(fmt::format("{}: {} {}", source_, key, what));
  }

 private:
  const toml::table& root_;
  std::string source_;
  std::set<std::string> seen_sections_;
};

std::string resolve(const std::string& path, const std::string& base_dir) {
  if (path.empty() || fs::path(path).is_absolute() || base_dir.empty()) return path;
  return (fs::path(base_dir) / path).lexically_normal().string();
}

}  // namespace

void TrainConfig::validate() const {
  auto fail = [&](const std::string& key, const std::string& what) {
    throw Error(fmt::format("{}: {} {}", source, key, what));
  };
  model.validate(source);
  if (data.index.empty())
    fail("data.index", "is required (an index folder from `borealis index build`)");
  const auto& o = optim;
  if (!(o.lr > 0) || !std::isfinite(o.lr))
    fail("optim.lr", fmt::format("must be positive (got {})", o.lr));
  if (!(o.min_lr >= 0) || o.min_lr > o.lr)
    fail("optim.min_lr", fmt::format("must be between 0 and lr (got {})", o.min_lr));
  if (o.warmup_steps < 0) fail("optim.warmup_steps", "must not be negative");
  if (o.decay != "cosine" && o.decay != "linear" && o.decay != "constant")
    fail("optim.decay", fmt::format("must be cosine, linear or constant (got '{}')", o.decay));
  if (!(o.weight_decay >= 0)) fail("optim.weight_decay", "must not be negative");
  if (!(o.beta1 >= 0 && o.beta1 < 1))
    fail("optim.beta1", fmt::format("must be in [0, 1) (got {})", o.beta1));
  if (!(o.beta2 >= 0 && o.beta2 < 1))
    fail("optim.beta2", fmt::format("must be in [0, 1) (got {})", o.beta2));
  if (!(o.eps > 0)) fail("optim.eps", "must be positive");
  if (!(o.clip >= 0)) fail("optim.clip", "must not be negative (0 turns clipping off)");
  const auto& t = train;
  if (t.steps < 1) fail("train.steps", fmt::format("must be at least 1 (got {})", t.steps));
  if (t.micro_batch < 1)
    fail("train.micro_batch", fmt::format("must be at least 1 (got {})", t.micro_batch));
  if (t.grad_accum < 1)
    fail("train.grad_accum", fmt::format("must be at least 1 (got {})", t.grad_accum));
  if (t.eval_every < 0) fail("train.eval_every", "must not be negative");
  if (t.eval_batches < 0) fail("train.eval_batches", "must not be negative");
  if (t.log_every < 1) fail("train.log_every", "must be at least 1");
  if (t.checkpoint_every < 0) fail("train.checkpoint_every", "must not be negative");
  if (t.keep_checkpoints < 1) fail("train.keep_checkpoints", "must be at least 1");
  if (t.out.empty()) fail("train.out", "must name a folder");
  if (t.threads < 0) fail("train.threads", "must not be negative");
  if (t.global_batch < 0) fail("train.global_batch", "must not be negative (0: micro_batch x grad_accum x ranks)");
  if (t.global_batch > 0 && t.global_batch % t.micro_batch != 0)
    fail("train.global_batch",
         fmt::format("{} is not a multiple of micro_batch {}", t.global_batch, t.micro_batch));
  if (t.zero_stage != 0 && t.zero_stage != 1)
    fail("train.zero_stage", fmt::format("must be 0 (plain data parallel) or 1 (ZeRO-1: optimizer "
                                         "state sharded across ranks), got {}",
                                         t.zero_stage));
  if (!(t.spike_zscore >= 0)) fail("train.spike_zscore", "must not be negative (0 turns it off)");
  if (t.spike_window < 2) fail("train.spike_window", "must be at least 2 steps");
  if (!(t.step_timeout_s >= 0)) fail("train.step_timeout_s", "must not be negative (0 turns it off)");
}

TrainConfig parse_train_config(const std::string& toml_text, const std::string& source,
                               const std::string& base_dir,
                               const std::vector<std::string>& overrides) {
  toml::table root;
  try {
    root = toml::parse(toml_text, source);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    throw Error(fmt::format("{}:{}:{}: {}", source, where.line, where.column, e.description()));
  }
  for (const auto& o : overrides) apply_override(root, o);
  Reader r(root, source);
  TrainConfig c;
  c.source = source;

  static const std::set<std::string> model_keys = {
      "family",     "n_layers",       "d_model",     "n_heads",    "n_kv_heads", "d_ff",
      "vocab_size", "vocab_multiple", "max_seq_len", "rope_theta", "norm_eps",   "tied_embeddings"};
  if (const auto* m = r.section("model", model_keys)) {
    std::ostringstream json;
    json << toml::json_formatter{*m};
    c.model = model::model_config_from_json(nlohmann::json::parse(json.str()), source, false);
  } else {
    c.model = model::model_config_from_json(nlohmann::json::object(), source, false);
  }
  // Absent: the tokenizer's vocabulary and the index's sequence length, filled in by the trainer.
  if (!root["model"]["vocab_size"]) c.model.vocab_size = 0;
  if (!root["model"]["max_seq_len"]) c.model.max_seq_len = 0;

  const auto* d = r.section("data", {"index", "tokenizer", "eval_samples"});
  r.get(d, "data", "index", c.data.index);
  r.get(d, "data", "tokenizer", c.data.tokenizer);
  r.get(d, "data", "eval_samples", c.data.eval_samples);
  c.data.index = resolve(c.data.index, base_dir);
  c.data.tokenizer = resolve(c.data.tokenizer, base_dir);

  const auto* o = r.section("optim", {"lr", "min_lr", "warmup_steps", "decay", "weight_decay",
                                      "beta1", "beta2", "eps", "clip"});
  auto& op = c.optim;
  r.get(o, "optim", "lr", op.lr);
  op.min_lr = op.lr / 10;
  r.get(o, "optim", "min_lr", op.min_lr);
  r.get(o, "optim", "warmup_steps", op.warmup_steps);
  r.get(o, "optim", "decay", op.decay);
  r.get(o, "optim", "weight_decay", op.weight_decay);
  r.get(o, "optim", "beta1", op.beta1);
  r.get(o, "optim", "beta2", op.beta2);
  r.get(o, "optim", "eps", op.eps);
  r.get(o, "optim", "clip", op.clip);

  const auto* t = r.section(
      "train", {"steps", "micro_batch", "grad_accum", "seed", "eval_every", "eval_batches",
                "log_every", "checkpoint_every", "keep_checkpoints", "out", "threads",
                "global_batch", "zero_stage", "spike_zscore", "spike_window", "step_timeout_s"});
  auto& tr = c.train;
  r.get(t, "train", "steps", tr.steps);
  r.get(t, "train", "micro_batch", tr.micro_batch);
  r.get(t, "train", "grad_accum", tr.grad_accum);
  r.get(t, "train", "seed", tr.seed);
  r.get(t, "train", "eval_every", tr.eval_every);
  r.get(t, "train", "eval_batches", tr.eval_batches);
  r.get(t, "train", "log_every", tr.log_every);
  r.get(t, "train", "checkpoint_every", tr.checkpoint_every);
  r.get(t, "train", "keep_checkpoints", tr.keep_checkpoints);
  r.get(t, "train", "out", tr.out);
  r.get(t, "train", "threads", tr.threads);
  r.get(t, "train", "global_batch", tr.global_batch);
  r.get(t, "train", "zero_stage", tr.zero_stage);
  r.get(t, "train", "spike_zscore", tr.spike_zscore);
  r.get(t, "train", "spike_window", tr.spike_window);
  r.get(t, "train", "step_timeout_s", tr.step_timeout_s);
  tr.out = resolve(tr.out, base_dir);
  r.check_sections();
  return c;
}

TrainConfig read_train_config(const std::string& path, const std::vector<std::string>& overrides) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_system_error(path, "cannot open the training config", errno);
  std::stringstream text;
  text << in.rdbuf();
  return parse_train_config(text.str(), path, fs::path(path).parent_path().string(), overrides);
}

nlohmann::json to_json(const TrainConfig& c) {
  const auto& o = c.optim;
  const auto& t = c.train;
  return {{"model", model::to_json(c.model)},
          {"data",
           {{"index", c.data.index},
            {"tokenizer", c.data.tokenizer},
            {"eval_samples", c.data.eval_samples}}},
          {"optim",
           {{"lr", o.lr},
            {"min_lr", o.min_lr},
            {"warmup_steps", o.warmup_steps},
            {"decay", o.decay},
            {"weight_decay", o.weight_decay},
            {"beta1", o.beta1},
            {"beta2", o.beta2},
            {"eps", o.eps},
            {"clip", o.clip}}},
          {"train",
           {{"steps", t.steps},
            {"micro_batch", t.micro_batch},
            {"grad_accum", t.grad_accum},
            {"seed", t.seed},
            {"eval_every", t.eval_every},
            {"eval_batches", t.eval_batches},
            {"log_every", t.log_every},
            {"checkpoint_every", t.checkpoint_every},
            {"keep_checkpoints", t.keep_checkpoints},
            {"out", t.out},
            {"threads", t.threads},
            {"global_batch", t.global_batch},
            {"zero_stage", t.zero_stage},
            {"spike_zscore", t.spike_zscore},
            {"spike_window", t.spike_window},
            {"step_timeout_s", t.step_timeout_s}}}};
}

}  // namespace borealis::train
