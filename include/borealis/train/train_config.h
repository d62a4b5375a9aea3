#pragma once
// Everything `borealis train` needs, read from a TOML file with command-line
// overrides (`--set train.lr=1e-3`, TOML values). Sections and keys:
//
//   [model]  family, n_layers, d_model, n_heads, n_kv_heads, d_ff, vocab_size,
//            vocab_multiple, max_seq_len, rope_theta, norm_eps, tied_embeddings
//            (model_config.h; vocab_size 0 = the tokenizer's)
//   [data]   index       an index folder from `borealis index build`
//            tokenizer   the tokenizer file the data was made with (copied
//                        into every checkpoint, for generation)
//            eval_samples  global samples held out at the end of the index
//                          for evaluation (default 64)
//   [optim]  lr, min_lr, warmup_steps, decay ("cosine" | "linear" | "constant"),
//            weight_decay, beta1, beta2, eps, clip (0 = off)
//   [train]  steps, micro_batch, grad_accum, seed, eval_every, eval_batches,
//            log_every, checkpoint_every, keep_checkpoints, out, threads,
//            global_batch (samples per step over all ranks; 0 = micro_batch ×
//              grad_accum × ranks; else grad_accum follows from it),
//            zero_stage (0 | 1: ZeRO-1 shards AdamW's state across ranks),
//            spike_zscore, spike_window (skip a step whose loss or gradient
//              norm is that many standard deviations above the last
//              spike_window steps'; 0 = off),
//            step_timeout_s (a step running longer ends the job; 0 = off)
//
// Relative paths are resolved against the config file's folder. Unknown
// sections or keys, wrong types and inconsistent values are one-line errors
// naming the file (or the --set flag) and the key.

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "borealis/model/model_config.h"

namespace borealis::train {

struct DataSettings {
  std::string index;
  std::string tokenizer;
  std::uint64_t eval_samples = 64;
};

struct OptimSettings {
  double lr = 3e-4;
  double min_lr = 3e-5;
  std::int64_t warmup_steps = 100;
  std::string decay = "cosine";
  double weight_decay = 0.1;
  double beta1 = 0.9;
  double beta2 = 0.95;
  double eps = 1e-8;
  double clip = 1.0;
};

struct RunSettings {
  std::int64_t steps = 1000;
  std::int64_t micro_batch = 8;
  std::int64_t grad_accum = 1;
  std::uint64_t seed = 1234;
  std::int64_t eval_every = 100;  // 0 = only at the start and the end
  std::int64_t eval_batches = 4;
  std::int64_t log_every = 1;
  std::int64_t checkpoint_every = 100;  // 0 = only at the end
  std::int64_t keep_checkpoints = 3;
  std::string out = "run";
  std::int64_t threads = 0;  // 0 = OMP_NUM_THREADS, or the node's cores shared by its ranks
  std::int64_t global_batch = 0;   // 0 = micro_batch × grad_accum × ranks
  std::int64_t zero_stage = 0;     // 1 = optimizer state sharded across ranks
  double spike_zscore = 0;         // 0 = never skip
  std::int64_t spike_window = 50;  // steps the z-score looks back over
  double step_timeout_s = 1800;    // watchdog; 0 = off
};

struct TrainConfig {
  model::ModelConfig model;
  DataSettings data;
  OptimSettings optim;
  RunSettings train;
  std::string source;  // the file it came from, for messages

  void validate() const;  // borealis::Error naming source and key
};

// Reads `path` and applies `overrides` ("section.key=value", value in TOML
// syntax; a bare word is taken as a string). Validates the model section
// only when its vocab_size is set (otherwise the caller fills it from the
// tokenizer and validates).
TrainConfig read_train_config(const std::string& path,
                              const std::vector<std::string>& overrides = {});
// The same from TOML text (source names it in errors; paths resolve against base_dir).
TrainConfig parse_train_config(const std::string& toml_text, const std::string& source,
                               const std::string& base_dir,
                               const std::vector<std::string>& overrides = {});

nlohmann::json to_json(const TrainConfig& c);

}  // namespace borealis::train
