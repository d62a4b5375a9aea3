#include "borealis/train/trainer.h"

#include <cblas.h>
#include <omp.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "borealis/dist/launch_environment.h"
#include "borealis/dist/mpi_world.h"
#include "borealis/io/atomic_output_file.h"
#include "borealis/tokenize/tokenizer_loader.h"
#include "borealis/train/checkpoint.h"
#include "borealis/train/step_watchdog.h"
#include "borealis/util/error.h"

namespace borealis::train {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// The files a tokenizer spec needs (GPT-2's vocab.json comes with merges.txt or vocab.bpe).
std::vector<std::string> tokenizer_files(const std::string& spec) {
  std::vector<std::string> files{spec};
  const auto name = fs::path(spec).filename().string();
  if (name == "vocab.json" || name == "encoder.json")
    for (const char* merges : {"merges.txt", "vocab.bpe"})
      if (fs::exists(fs::path(spec).parent_path() / merges))
        files.push_back((fs::path(spec).parent_path() / merges).string());
  return files;
}

// Keeps the lines of metrics.jsonl up to `step` (a resumed run logs the
// steps after its checkpoint again).
void trim_metrics(const std::string& path, std::int64_t step) {
  std::ifstream in(path);
  if (!in) return;
  std::string kept, line;
  while (std::getline(in, line)) {
    try {
      const auto j = nlohmann::json::parse(line);
      if (j.value("step", std::int64_t{0}) <= step) kept += line + "\n";
    } catch (const nlohmann::json::exception&) {
      // a line cut by a crash: dropped
    }
  }
  io::write_file_atomically(path, kept);
}

void append_line(const std::string& path, const nlohmann::json& j) {
  std::ofstream out(path, std::ios::app);
  out << j.dump() << "\n";
  out.flush();
  if (!out) throw_system_error(path, "cannot append metrics", errno);
}

}  // namespace

double measure_sgemm_gflops() {
  const int n = 1024;
  std::vector<float> a(static_cast<std::size_t>(n) * n, 0.5f), b(a.size(), 0.25f), c(a.size());
  double best = 0;
  for (int rep = 0; rep < 4; ++rep) {
    const auto t = Clock::now();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a.data(), n, b.data(), n,
                0.0f, c.data(), n);
    best = std::max(best, 2.0 * n * n * n / seconds_since(t) / 1e9);
  }
  return best;
}

Trainer::Trainer(TrainConfig config) : config_(std::move(config)) {
  auto& c = config_;
  auto& world = dist::MpiWorld::get();
  if (c.train.threads > 0) {
    omp_set_num_threads(static_cast<int>(c.train.threads));
  } else if (std::getenv("OMP_NUM_THREADS") == nullptr && world.local_size() > 1) {
    // Ranks sharing a node split its cores; a launcher that bound each rank
    // to its own cores (a smaller affinity mask) has split them already.
    const int cores = dist::available_cores();
    const bool bound = cores < static_cast<int>(std::thread::hardware_concurrency());
    omp_set_num_threads(bound ? cores : dist::threads_per_rank(cores, world.local_size()));
  }
  if (c.data.index.empty())
    throw Error(fmt::format(
        "{}: data.index is required (an index folder from `borealis index build`)", c.source));
  loader_ = std::make_unique<data::GptSampleLoader>(data::GptSampleLoader::open(c.data.index));
  seq_len_ = static_cast<int>(loader_->sequence_length());
  if (c.model.max_seq_len == 0) c.model.max_seq_len = seq_len_;
  if (seq_len_ > c.model.max_seq_len)
    throw Error(fmt::format("{}: the index's sequence length {} exceeds model.max_seq_len {}",
                            c.source, seq_len_, c.model.max_seq_len));
  if (!c.data.tokenizer.empty()) {
    const auto tokenizer = tokenize::load_tokenizer(c.data.tokenizer);
    if (c.model.vocab_size == 0) c.model.vocab_size = static_cast<int>(tokenizer->vocab_size());
    if (c.model.vocab_size < static_cast<int>(tokenizer->vocab_size()))
      throw Error(fmt::format("{}: model.vocab_size {} is smaller than the tokenizer's {} ({})",
                              c.source, c.model.vocab_size, tokenizer->vocab_size(),
                              c.data.tokenizer));
    tokenizer_files_ = tokenizer_files(c.data.tokenizer);
  } else if (c.model.vocab_size == 0) {
    throw Error(fmt::format("{}: set data.tokenizer (or model.vocab_size)", c.source));
  }
  c.validate();

  const std::uint64_t total = loader_->size();
  if (c.data.eval_samples >= total)
    throw Error(
        fmt::format("{}: data.eval_samples {} leaves no training samples (the index holds {})",
                    c.source, c.data.eval_samples, total));
  training_samples_ = total - c.data.eval_samples;
  const std::int64_t ranks = world.size();
  accum_ = c.train.grad_accum;
  if (c.train.global_batch > 0) {
    const std::int64_t per = c.train.micro_batch * ranks;
    if (c.train.global_batch % per != 0)
      throw Error(fmt::format(
          "{}: train.global_batch {} is not a multiple of micro_batch {} x {} ranks = {}", c.source,
          c.train.global_batch, c.train.micro_batch, ranks, per));
    accum_ = c.train.global_batch / per;
  }
  const std::uint64_t per_step =
      static_cast<std::uint64_t>(c.train.micro_batch * accum_ * ranks);
  if (static_cast<std::uint64_t>(c.train.steps) * per_step > training_samples_)
    throw Error(fmt::format(
        "{}: {} steps x {} samples need {} training samples; the index {} holds {} (plus {} held "
        "out): build it with a larger --num-samples, or train fewer steps",
        c.source, c.train.steps, per_step, static_cast<std::uint64_t>(c.train.steps) * per_step,
        c.data.index, training_samples_, c.data.eval_samples));

  model_ = std::make_unique<model::Transformer>(c.model);
  model_->init_weights(c.train.seed);
  exchange_ = std::make_unique<dist::GradientExchange>(world, model_->layout().total(),
                                                       c.train.zero_stage == 1);
  optimizer_ = std::make_unique<AdamW>(
      model_->layout(),
      AdamWSettings{c.optim.beta1, c.optim.beta2, c.optim.eps, c.optim.weight_decay},
      exchange_->shard_begin(), exchange_->shard_end());
  spikes_ = SpikeDetector(c.train.spike_zscore, c.train.spike_window);
  schedule_ = {c.optim.lr, c.optim.min_lr, c.optim.warmup_steps, c.train.steps, c.optim.decay};
  provenance_ = data_provenance(c.data.index, loader_->index());

  if (const auto latest = latest_checkpoint(c.train.out)) {
    const auto state = read_checkpoint_state(*latest);
    const auto want = model::to_json(c.model);
    if (state.config.value("model", nlohmann::json()) != want)
      throw Error(fmt::format(
          "{}: checkpoint of another model ({} vs the config's {}); use another train.out", *latest,
          state.config.value("model", nlohmann::json()).dump(), want.dump()));
    if (state.provenance.value("datasets", nlohmann::json()) != provenance_.at("datasets") ||
        state.provenance.value("samples", 0ull) != provenance_.at("samples").get<std::uint64_t>())
      throw Error(fmt::format(
          "{}: checkpoint trained on other data than {} (datasets or their contents differ)",
          *latest, c.data.index));
    read_checkpoint(*latest, *model_, *optimizer_);
    spikes_.from_json(state.spike_window);
    step_ = state.step;
    consumed_ = state.consumed_samples;
    resumed_from_ = *latest;
  }
}

void Trainer::load_batch(const std::vector<std::uint64_t>& samples,
                         std::vector<std::int32_t>& tokens,
                         std::vector<std::int32_t>& targets) const {
  tokens.clear();
  targets.clear();
  std::vector<std::uint32_t> buf;
  for (auto k : samples) {
    buf.clear();
    loader_->sample(k, buf);
    for (std::size_t i = 0; i < buf.size(); ++i)
      if (buf[i] >= static_cast<std::uint32_t>(config_.model.vocab_size))
        throw Error(
            fmt::format("{}: sample {} holds token {}, outside the model's vocabulary of {}",
                        config_.data.index, k, buf[i], config_.model.vocab_size));
    tokens.insert(tokens.end(), buf.begin(), buf.end() - 1);
    targets.insert(targets.end(), buf.begin() + 1, buf.end());
  }
}

double Trainer::evaluate() {
  const auto& c = config_;
  const std::uint64_t first = training_samples_, total = loader_->size();
  const std::uint64_t micro = static_cast<std::uint64_t>(c.train.micro_batch);
  // Batch b of the held-out set goes to rank b % ranks; the mean is over all of them.
  double sum = 0;
  std::uint64_t batches = 0;
  std::vector<std::uint64_t> samples;
  std::vector<std::int32_t> tokens, targets;
  const auto ranks = static_cast<std::uint64_t>(exchange_->ranks());
  for (std::uint64_t k = first;
       k < total && batches < static_cast<std::uint64_t>(c.train.eval_batches); k += micro) {
    if (batches++ % ranks != static_cast<std::uint64_t>(exchange_->rank())) continue;
    samples.clear();
    for (std::uint64_t j = k; j < std::min(total, k + micro); ++j) samples.push_back(j);
    load_batch(samples, tokens, targets);
    sum += model_->forward(tokens, targets, static_cast<int>(samples.size()), seq_len_);
  }
  sum = exchange_->sum(sum);
  return batches == 0 ? std::nan("") : sum / static_cast<double>(batches);
}

std::string Trainer::save_checkpoint() {
  CheckpointState s;
  s.step = step_;
  s.consumed_samples = consumed_;
  s.config = to_json(config_);
  s.provenance = provenance_;
  s.spike_window = spikes_.to_json();
  s.ranks = exchange_->ranks();
  // ZeRO-1: rank 0 gathers the shards and writes whole tensors.
  const auto m = exchange_->gather_to_root(optimizer_->m());
  const auto v = exchange_->gather_to_root(optimizer_->v());
  std::string path;
  if (exchange_->rank() == 0)
    path = write_checkpoint(config_.train.out, *model_, OptimizerMoments{m, v, optimizer_->steps()},
                            s, tokenizer_files_, config_.train.keep_checkpoints);
  dist::MpiWorld::get().barrier();  // no rank runs on before the checkpoint is whole
  return path;
}

TrainSummary Trainer::run(const Callbacks& callbacks, std::int64_t until) {
  const auto& c = config_;
  const bool writer = exchange_->rank() == 0;  // rank 0 owns the run folder
  const std::string metrics = (fs::path(c.train.out) / "metrics.jsonl").string();
  if (writer) {
    std::error_code ec;
    fs::create_directories(c.train.out, ec);
    if (ec) throw_system_error(c.train.out, "cannot create the run folder", ec.value());
    {
      std::ofstream probe(metrics, std::ios::app);
      if (!probe)
        throw_system_error(metrics, "cannot write metrics (is the run folder writable?)", errno);
    }
    if (step_ == 0)
      io::write_file_atomically(metrics,
                                "");  // a fresh run (an earlier one died before its first checkpoint)
    else
      trim_metrics(metrics, step_);
    // Checkpoint folders a killed run left half-written (never published).
    for (const auto& e : fs::directory_iterator(fs::path(c.train.out) / "checkpoints", ec)) {
      const auto name = e.path().filename().string();
      if (name.starts_with(".step_") && name.find(".tmp.") != std::string::npos)
        fs::remove_all(e.path(), ec);
    }
  }
  auto log = [&](const nlohmann::json& j) {
    if (writer) append_line(metrics, j);
  };
  sgemm_gflops_ = measure_sgemm_gflops();

  TrainSummary summary;
  summary.first_step = step_;
  const auto start = Clock::now();
  const double flops_per_token = c.model.training_flops_per_token(seq_len_);
  const std::int64_t micro = c.train.micro_batch, accum = accum_;
  const int ranks = exchange_->ranks();
  if (step_ == 0) {
    log({{"event", "start"},
         {"step", 0},
         {"parameters", c.model.parameter_count()},
         {"flops_per_token", flops_per_token},
         {"sgemm_gflops", sgemm_gflops_},
         {"threads", omp_get_max_threads()},
         {"ranks", ranks},
         {"zero_stage", c.train.zero_stage},
         {"optimizer_floats_per_rank", optimizer_floats()},
         {"global_batch", global_batch()},
         {"training_samples", training_samples_}});
    const double before = evaluate();
    summary.eval_loss_before = before;
    log({{"step", 0}, {"eval_loss", before}});
    if (callbacks.on_eval && writer) callbacks.on_eval(0, before);
  }

  const int rank = exchange_->rank();
  StepWatchdog watchdog(c.train.step_timeout_s, [&c, rank](std::int64_t step, double seconds) {
    std::fprintf(stderr,
                 "borealis: error (rank %d): step %lld has run for %.0f s, past "
                 "train.step_timeout_s = %g (a rank wedged in a collective or in I/O?); "
                 "ending the job\n",
                 rank, static_cast<long long>(step), seconds, c.train.step_timeout_s);
    std::fflush(stderr);
    std::_Exit(3);  // the launcher sees a rank die and ends the others
  });

  data::PretrainingSampler sampler(training_samples_, consumed_, static_cast<std::uint64_t>(micro),
                                   static_cast<std::uint64_t>(rank),
                                   static_cast<std::uint64_t>(ranks));
  std::vector<std::uint64_t> samples;
  std::vector<std::int32_t> tokens, targets;
  std::uint64_t tokens_run = 0;
  auto grads = model_->gradients();
  const model::Transformer::GradientsReady start_exchange = [&](std::size_t off, std::size_t n) {
    exchange_->start(grads, off, n);
    exchange_->progress();
  };
  const std::int64_t stop = until > 0 ? std::min(until, c.train.steps) : c.train.steps;
  while (step_ < stop) {
    const auto step_start = Clock::now();
    watchdog.begin_step(step_ + 1);
    const double lr = schedule_.at(step_);
    model_->zero_grad();
    double local_loss = 0;
    for (std::int64_t a = 0; a < accum; ++a) {
      if (!sampler.next(samples))
        throw Error(fmt::format("{}: ran out of training samples", c.data.index));
      load_batch(samples, tokens, targets);
      const double l = model_->forward(tokens, targets, static_cast<int>(micro), seq_len_,
                                       model::Transformer::Pass::training);
      local_loss += l / static_cast<double>(accum);
      // Every rank runs every backward, even after a non-finite loss, so the
      // ranks stay in step through the collectives and stop together below.
      const bool last = a + 1 == accum;
      model_->backward(1.0f / static_cast<float>(accum),
                       last && ranks > 1 ? start_exchange : model::Transformer::GradientsReady{});
    }
    exchange_->finish(grads);
    const double loss = exchange_->sum(local_loss) / ranks;
    const double norm = exchange_->gradient_norm(grads);
    if (!std::isfinite(loss) || !std::isfinite(norm))
      throw Error(fmt::format(
          "training stopped at step {}: the {} is {} (lr {:.3g}); the last good checkpoint is {}",
          step_ + 1, std::isfinite(loss) ? "gradient norm" : "loss",
          std::isfinite(loss) ? norm : loss, lr,
          latest_checkpoint(c.train.out).value_or("none (no checkpoint written yet)")));
    const auto spike = spikes_.check(loss, norm);
    if (!spike) {
      // torch.nn.utils.clip_grad_norm_'s rule, applied inside the update
      optimizer_->step(model_->parameters(), grads, lr, clip_factor(norm, c.optim.clip));
      exchange_->gather_parameters(model_->parameters());
    } else {
      ++summary.skipped_steps;
      log({{"step", step_ + 1}, {"skipped", true}, {"reason", *spike}});
    }
    ++step_;
    consumed_ = sampler.consumed_samples();
    watchdog.end_step();
    const double dt = seconds_since(step_start);
    const double step_tokens = static_cast<double>(micro * accum * ranks) * seq_len_;
    tokens_run += static_cast<std::uint64_t>(step_tokens);

    StepMetrics m;
    m.step = step_;
    m.loss = loss;
    m.lr = lr;
    m.grad_norm = norm;
    m.tokens_per_s = step_tokens / dt;
    m.gflops = m.tokens_per_s * flops_per_token / 1e9;
    // The share is per rank: the job's rate over all ranks' SGEMM rates.
    m.sgemm_share = sgemm_gflops_ > 0 ? m.gflops / (sgemm_gflops_ * ranks) : 0;
    m.elapsed_s = seconds_since(start);
    m.consumed_samples = consumed_;
    if (step_ % c.train.log_every == 0 || step_ == c.train.steps)
      log({{"step", m.step},
           {"loss", m.loss},
           {"lr", m.lr},
           {"grad_norm", m.grad_norm},
           {"tokens_per_s", m.tokens_per_s},
           {"gflops", m.gflops},
           {"sgemm_share", m.sgemm_share},
           {"consumed_samples", m.consumed_samples},
           {"elapsed_s", m.elapsed_s}});
    if (callbacks.on_step && writer) callbacks.on_step(m);

    const bool last = step_ == stop;
    if ((c.train.eval_every > 0 && step_ % c.train.eval_every == 0) || last) {
      const double e = evaluate();
      log({{"step", step_}, {"eval_loss", e}});
      if (last) summary.eval_loss_after = e;
      if (callbacks.on_eval && writer) callbacks.on_eval(step_, e);
    }
    if ((c.train.checkpoint_every > 0 && step_ % c.train.checkpoint_every == 0) || last) {
      summary.last_checkpoint = save_checkpoint();
      if (callbacks.on_checkpoint && writer) callbacks.on_checkpoint(summary.last_checkpoint);
    }
  }
  summary.last_step = step_;
  summary.seconds = seconds_since(start);
  summary.tokens_per_s =
      summary.seconds > 0 ? static_cast<double>(tokens_run) / summary.seconds : 0;
  if (summary.last_checkpoint.empty())
    summary.last_checkpoint = latest_checkpoint(c.train.out).value_or("");
  return summary;
}

}  // namespace borealis::train
