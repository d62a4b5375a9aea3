// `borealis train`: trains a transformer from a TOML config (train_config.h),
// resuming from the run folder's newest checkpoint when there is one.

#include <cstdio>

#include <fmt/format.h>

#include <omp.h>
#include <unistd.h>

#include "borealis/dist/launch_environment.h"
#include "borealis/dist/mpi_world.h"
#include "borealis/train/trainer.h"
#include "borealis/util/progress.h"
#include "commands.h"

namespace borealis::cli {

void add_train_command(CLI::App& app) {
  struct Options {
    std::string config;
    std::vector<std::string> set;
    std::string out;
    std::int64_t until = 0;
  };
  auto opt = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "train",
      "Train a GPT-2 or Llama style model on an index folder (see docs/training.md). Under "
      "mpirun, mpiexec or srun the ranks train data-parallel (train.zero_stage=1 shards the "
      "optimizer state); `borealis launch` builds that command for PBS and Slurm jobs");
  cmd->add_option("--config", opt->config,
                  "TOML file with [model], [data], [optim] and [train] sections (docs/training.md "
                  "lists every key)")
      ->required();
  cmd->add_option("--set", opt->set,
                  "Override one config value, as section.key=value in TOML syntax (repeatable), "
                  "e.g. --set train.steps=50 "
                  "--set optim.lr=1e-3");
  cmd->add_option("--out", opt->out,
                  "Run folder (metrics.jsonl, checkpoints/); same as --set train.out=DIR");
  cmd->add_option("--until-step", opt->until,
                  "Stop after this step with a checkpoint (the schedule still runs to "
                  "train.steps); run again to "
                  "continue, e.g. one slice per batch job");
  cmd->callback([opt] {
    auto overrides = opt->set;
    if (!opt->out.empty()) overrides.push_back("train.out=\"" + opt->out + "\"");
    auto config = train::read_train_config(opt->config, overrides);
    train::Trainer trainer(std::move(config));
    const auto& c = trainer.config();
    auto& world = dist::MpiWorld::get();
    if (world.local_rank() == 0 && world.size() > 1) {  // one line per node
      char host[256] = {};
      ::gethostname(host, sizeof(host) - 1);
      fmt::print(stderr, "{}\n",
                 dist::node_summary(host, world.node_ranks(), world.size(), omp_get_max_threads(),
                                    dist::LaunchEnvironment::detect().launcher));
      std::fflush(stderr);
    }
    world.barrier();
    if (trainer.rank() != 0) {  // rank 0 speaks for the job
      trainer.run({}, opt->until);
      return;
    }
    fmt::print(
        "model    {} {} layers, d_model {}, {} heads ({} kv), d_ff {}, vocab {} (padded {}), "
        "context {}: {} "
        "parameters, {:.1f} MFLOP per token\n",
        model::family_name(c.model.family), c.model.n_layers, c.model.d_model, c.model.n_heads,
        c.model.kv_heads(), c.model.ffn_dim(), c.model.vocab_size, c.model.padded_vocab(),
        c.model.max_seq_len, util::format_count(c.model.parameter_count()),
        c.model.training_flops_per_token(c.model.max_seq_len) / 1e6);
    fmt::print("data     {}: {} training samples, {} held out\n", c.data.index,
               util::format_count(trainer.training_samples()), c.data.eval_samples);
    fmt::print(
        "train    {} steps x {} samples ({} x {} accumulation x {} rank{}), lr {:.3g} -> {:.3g} "
        "({} decay, {} warmup), run in {}\n",
        c.train.steps, trainer.global_batch(), c.train.micro_batch, trainer.grad_accum(),
        trainer.ranks(), trainer.ranks() == 1 ? "" : "s", c.optim.lr, c.optim.min_lr,
        c.optim.decay, c.optim.warmup_steps, c.train.out);
    fmt::print("optimizer AdamW state {:.1f} MB per rank{}\n",
               static_cast<double>(trainer.optimizer_floats()) * 4 / 1e6,
               c.train.zero_stage == 1 && trainer.ranks() > 1
                   ? fmt::format(" (ZeRO-1: 1/{} of it)", trainer.ranks())
                   : "");
    const std::int64_t target =
        opt->until > 0 ? std::min(opt->until, c.train.steps) : c.train.steps;
    if (trainer.resumed_from() && trainer.step() >= target) {
      // (the other ranks see the same checkpoint and return too)
      fmt::print("already trained to step {} ({}); nothing to do\n", trainer.step(),
                 *trainer.resumed_from());
      return;
    }
    if (trainer.resumed_from())
      fmt::print("resuming from step {} ({})\n", trainer.step(), *trainer.resumed_from());
    std::fflush(stdout);

    const bool tty = util::ProgressLine::stderr_is_terminal();
    const std::int64_t every = std::max<std::int64_t>(1, c.train.steps / 20);
    train::Trainer::Callbacks cb;
    cb.on_step = [&](const train::StepMetrics& m) {
      const std::string line = fmt::format(
          "step {:>6}/{}  loss {:.4f}  lr {:.2e}  grad norm {:.3f}  {:.0f} tok/s  {:.1f} GFLOP/s "
          "({:.0f}% "
          "of SGEMM)",
          m.step, c.train.steps, m.loss, m.lr, m.grad_norm, m.tokens_per_s, m.gflops,
          100 * m.sgemm_share);
      if (tty)
        fmt::print(stderr, "\r\033[K{}", line);
      else if (m.step % every == 0 || m.step == c.train.steps)
        fmt::print(stderr, "{}\n", line);
    };
    cb.on_eval = [&](std::int64_t step, double loss) {
      fmt::print(stderr, "{}eval at step {}: held-out loss {:.4f}\n", tty ? "\r\033[K" : "", step,
                 loss);
    };
    cb.on_checkpoint = [&](const std::string& dir) {
      if (tty) fmt::print(stderr, "\r\033[Kcheckpoint {}\n", dir);
    };
    const auto s = trainer.run(cb, opt->until);
    if (tty) fmt::print(stderr, "\n");
    fmt::print("trained steps {}..{} in {:.1f}s, {:.0f} tokens/s", s.first_step + 1, s.last_step,
               s.seconds, s.tokens_per_s);
    if (s.skipped_steps > 0)
      fmt::print(" ({} step{} skipped as spikes, see metrics.jsonl)", s.skipped_steps,
                 s.skipped_steps == 1 ? "" : "s");
    if (s.eval_loss_before)
      fmt::print("; held-out loss {:.4f} -> {:.4f}", *s.eval_loss_before,
                 s.eval_loss_after.value_or(0));
    else if (s.eval_loss_after)
      fmt::print("; held-out loss {:.4f}", *s.eval_loss_after);
    fmt::print(
        "\ncheckpoint {}\nmetrics    {}/metrics.jsonl (plot: borealis plot {}/metrics.jsonl -o "
        "loss.svg)\n",
        s.last_checkpoint, c.train.out, c.train.out);
  });
}

}  // namespace borealis::cli
