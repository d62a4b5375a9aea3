#pragma once
// Training checkpoints: one folder per saved step under RUN/checkpoints/,
//   step_00000100/
//     model.safetensors      the weights (model_weights.h; config in its metadata)
//     optimizer.safetensors  AdamW's m and v as "m.NAME" / "v.NAME"
//     state.json             step, consumed samples, AdamW's step count, the
//                            training config, and the data provenance record:
//                            the index folder and every dataset in it (prefix,
//                            corpus, weight, its .idx content hash (XXH3-64),
//                            its .bin size)
//     tokenizer/             a copy of the tokenizer file(s) the data was made with
// A folder is written under a temporary name and renamed when complete, so a
// step_* folder is always whole; `latest` (atomic) names the newest. Only the
// newest `keep` are kept.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "borealis/data/blended_index.h"
#include "borealis/model/transformer.h"
#include "borealis/train/adamw.h"

namespace borealis::train {

struct CheckpointState {
  std::int64_t step = 0;               // optimizer steps completed
  std::uint64_t consumed_samples = 0;  // global training samples consumed
  nlohmann::json config;               // the training config (train_config.h to_json)
  nlohmann::json provenance;           // what the model was trained on
  nlohmann::json spike_window;         // SpikeDetector's history (null when off)
  int ranks = 1;                       // data-parallel ranks that trained it (informational)
};

// AdamW's state over the whole flat array (a ZeRO-1 run gathers its shards first).
struct OptimizerMoments {
  std::span<const float> m, v;
  std::uint64_t steps = 0;
  static OptimizerMoments of(const AdamW& a) { return {a.m(), a.v(), a.steps()}; }  // unsharded
};

// Writes the checkpoint folder for state.step under `run_dir`/checkpoints,
// updates `latest`, deletes all but the newest `keep`. Returns its path.
std::string write_checkpoint(const std::string& run_dir, const model::Transformer& model,
                             const OptimizerMoments& optimizer, const CheckpointState& state,
                             const std::vector<std::string>& tokenizer_files, std::int64_t keep);

// The newest complete checkpoint folder under run_dir/checkpoints, if any.
std::optional<std::string> latest_checkpoint(const std::string& run_dir);

// Reads a checkpoint folder's state.json (borealis::Error naming the file when bad).
CheckpointState read_checkpoint_state(const std::string& checkpoint_dir);
// Loads weights and optimizer state into model and optimizer, which must have
// the checkpoint's shapes (errors name the file and tensor); the optimizer
// takes its own range of m and v, whatever sharding wrote them.
void read_checkpoint(const std::string& checkpoint_dir, model::Transformer& model,
                     AdamW& optimizer);

// A checkpoint folder, or a run folder (then its newest checkpoint); the
// checkpoint folder's path (borealis::Error when there is none).
std::string resolve_checkpoint(const std::string& dir);
// The model of a checkpoint folder, weights loaded (config from the weights file).
std::unique_ptr<model::Transformer> load_checkpoint_model(const std::string& checkpoint_dir);

// The tokenizer file inside a checkpoint (its tokenizer/ folder), for generation.
std::string checkpoint_tokenizer(const std::string& checkpoint_dir);

// The data provenance record for an index folder and its index (see above).
nlohmann::json data_provenance(const std::string& index_dir, const data::BlendedIndex& index);

}  // namespace borealis::train
