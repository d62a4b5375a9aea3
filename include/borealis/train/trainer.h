#pragma once
// The training loop behind `borealis train`: samples from an index folder
// (GptSampleLoader, Megatron's pretraining sampler, exact consumed_samples),
// the transformer, AdamW with warmup + decay, gradient clipping and
// accumulation, held-out evaluation, metrics as JSONL, checkpoints.
//
// A run lives in one folder (train.out): metrics.jsonl and checkpoints/. If
// the folder already holds a checkpoint, the run resumes from the newest one
// (weights, AdamW state, step, consumed samples) and continues bit for bit as
// if it had never stopped, on the same thread count. A checkpoint whose model
// or data differ from the config is refused. A loss or gradient norm that is
// not finite stops the run with an error; the last checkpoint stays.
//
// Under an MPI launcher (mpirun, mpiexec, srun) the ranks train one model
// data-parallel (dist/gradient_exchange.h): each reads its share of every
// global batch through Megatron's sampler, gradients are averaged across
// ranks, and with train.zero_stage = 1 AdamW's state is sharded (ZeRO-1).
// Rank 0 writes metrics and checkpoints; checkpoints hold whole tensors, so
// a run resumes on any number of ranks.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include "borealis/data/sample_loader.h"
#include "borealis/model/transformer.h"
#include "borealis/dist/gradient_exchange.h"
#include "borealis/train/adamw.h"
#include "borealis/train/spike_detector.h"

#include "borealis/train/lr_schedule.h"
#include "borealis/train/train_config.h"

namespace borealis::train {

struct StepMetrics {
  std::int64_t step = 0;  // optimizer steps completed
  double loss = 0, lr = 0, grad_norm = 0;
  double tokens_per_s = 0, gflops = 0, sgemm_share = 0, elapsed_s = 0;
  std::uint64_t consumed_samples = 0;
};

struct TrainSummary {
  std::int64_t first_step = 0, last_step = 0;  // steps run: (first_step, last_step]
  std::int64_t skipped_steps = 0;              // spikes (train.spike_zscore)
  std::optional<double> eval_loss_before, eval_loss_after;
  double seconds = 0, tokens_per_s = 0;
  std::string last_checkpoint;
};

class Trainer {
 public:
  // Opens data and tokenizer, fills model.vocab_size from the tokenizer when
  // 0, validates, and resumes from train.out's newest checkpoint if any.
  explicit Trainer(TrainConfig config);

  struct Callbacks {
    std::function<void(const StepMetrics&)> on_step;
    std::function<void(std::int64_t step, double eval_loss)> on_eval;
    std::function<void(const std::string& checkpoint)> on_checkpoint;
  };
  // Trains to train.steps, or stops after step `until` (0: no early stop)
  // with a checkpoint there, the schedule unchanged: a job with a wall-time
  // limit runs a slice and the next job resumes.
  TrainSummary run(const Callbacks& callbacks = {}, std::int64_t until = 0);

  // Mean loss over the held-out samples (at most eval_batches micro-batches).
  double evaluate();

  const TrainConfig& config() const { return config_; }
  const model::Transformer& model() const { return *model_; }
  std::int64_t step() const { return step_; }
  std::optional<std::string> resumed_from() const { return resumed_from_; }
  std::uint64_t training_samples() const { return training_samples_; }
  double sgemm_gflops() const { return sgemm_gflops_; }
  int rank() const { return exchange_->rank(); }
  int ranks() const { return exchange_->ranks(); }
  std::int64_t grad_accum() const { return accum_; }  // per rank and step
  std::int64_t global_batch() const {  // samples per step over all ranks
    return config_.train.micro_batch * accum_ * static_cast<std::int64_t>(exchange_->ranks());
  }
  // Floats of AdamW state (m and v) this rank holds.
  std::size_t optimizer_floats() const { return optimizer_->m().size() * 2; }

 private:
  void load_batch(const std::vector<std::uint64_t>& samples, std::vector<std::int32_t>& tokens,
                  std::vector<std::int32_t>& targets) const;
  std::string save_checkpoint();

  TrainConfig config_;
  std::unique_ptr<data::GptSampleLoader> loader_;
  std::vector<std::string> tokenizer_files_;
  std::unique_ptr<model::Transformer> model_;
  std::unique_ptr<dist::GradientExchange> exchange_;
  std::unique_ptr<AdamW> optimizer_;
  std::int64_t accum_ = 1;
  SpikeDetector spikes_{0, 50};
  LearningRateSchedule schedule_;
  std::int64_t step_ = 0;
  std::uint64_t consumed_ = 0, training_samples_ = 0;
  int seq_len_ = 0;
  std::optional<std::string> resumed_from_;
  nlohmann::json provenance_;
  double sgemm_gflops_ = 0;
};

// The machine's SGEMM rate with the current threads (GFLOP/s, best of a few 1024³ products).
double measure_sgemm_gflops();

}  // namespace borealis::train
