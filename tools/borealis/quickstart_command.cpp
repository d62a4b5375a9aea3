// `borealis quickstart`: the main job, end to end on the embedded corpus.
// Each step writes its outputs atomically and is skipped when they are
// already complete, so re-running is cheap and an interrupted run resumes.

#include <unistd.h>
#include <algorithm>

#include <chrono>
#include <filesystem>
#include <random>
#include <string>
#include <thread>

#include <fmt/format.h>

#include "borealis/curate/default_corpus.h"
#include "borealis/data/index_folder.h"
#include "borealis/io/atomic_output_file.h"
#include "borealis/model/text_completion.h"
#include "borealis/tokenize/jsonl_to_bpe.h"
#include "borealis/tokenize/jsonl_to_dataset.h"
#include "borealis/tokenize/tokenizer_loader.h"
#include "borealis/train/checkpoint.h"
#include "borealis/train/trainer.h"
#include "borealis/util/progress.h"
#include "commands.h"
#include "corpus_report.h"

namespace borealis::cli {

namespace {
// The quickstart's model: Llama-style, ~5M parameters, the tokenizer's
// vocabulary and the index's context (256). Training steps come from --train-steps.
constexpr const char* kQuickstartTrainConfig =
    R"toml(# Written by `borealis quickstart`; `borealis train --config train.toml` runs it again.
[model]
family = "llama"
n_layers = 4
d_model = 256
n_heads = 8
n_kv_heads = 4

[data]
index = "index"
tokenizer = "tokenizer/tokenizer.json"
eval_samples = 64

[optim]
lr = 2e-3
min_lr = 2e-4
warmup_steps = 20

[train]
steps = {}
micro_batch = 8
eval_every = 0
eval_batches = 8
checkpoint_every = 50
out = "run"
)toml";
}  // namespace

void add_quickstart_command(CLI::App& app) {
  struct Options {
    std::string workdir = "borealis-quickstart";
    bool force = false;
    std::int64_t train_steps = 240;
  };
  auto opt = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "quickstart", "Run the whole pipeline on the embedded science corpus (no downloads)");
  cmd->add_option("--workdir", opt->workdir, "Where every step writes its outputs")
      ->capture_default_str();
  cmd->add_flag("--force", opt->force, "Redo every step even if its outputs are complete");
  cmd->add_option("--train-steps", opt->train_steps,
                  "Training steps for the small Llama-style model (8 x 256 tokens each; ~0.6 s a "
                  "step on 2 cores)")
      ->capture_default_str();
  cmd->callback([opt] {
    const auto start = std::chrono::steady_clock::now();
    const std::filesystem::path workdir(opt->workdir);
    const std::string corpus_dir = (workdir / "corpus").string();
    const std::string tokenizer_dir = (workdir / "tokenizer").string();
    const std::string tokens_dir = (workdir / "tokens").string();
    const std::string index_dir = (workdir / "index").string();
    const std::string run_dir = (workdir / "run").string();
    tokenize::BpeTrainerOptions trainer;  // 8,192 tokens, cl100k_base's split pattern
    fmt::print("Borealis quickstart in {}\n", opt->workdir);
    fmt::print("Plan:\n");
    fmt::print("  1. corpus     Debian dictionaries -> science JSONL corpora      ({})\n",
               corpus_dir);
    fmt::print("  2. tokenizer  train a {}-token byte-level BPE on the corpus  ({})\n",
               util::format_count(trainer.vocab_size), tokenizer_dir);
    fmt::print("  3. tokens     tokenize each corpus into a Megatron .bin/.idx    ({})\n",
               tokens_dir);
    fmt::print("  4. index      blend the corpora into training samples           ({})\n",
               index_dir);
    fmt::print("  (training and generation join as they land)\n\n");

    fmt::print("[1/4] corpus\n");
    const auto corpus = build_default_corpus_with_progress(corpus_dir, {}, opt->force);
    print_corpus_summary(corpus);

    fmt::print("\n[2/6] tokenizer\n");
    if (opt->force)
      std::filesystem::remove(std::filesystem::path(tokenizer_dir) / "train.done.json");
    std::vector<std::string> inputs;
    for (const auto& c : corpus.corpora) inputs.push_back(c.path);
    util::ProgressLine merging("tokenizer train: merging", trainer.vocab_size, "tokens");
    tokenize::BpeTrainingProgress progress;
    progress.merging = [&](std::size_t tokens, std::size_t) { merging.update(tokens); };
    const auto trained =
        tokenize::train_bpe_from_jsonl(inputs, "text", trainer, tokenizer_dir, "science", progress);
    if (trained.reused) {
      fmt::print("reused {} (already trained on these corpora)\n", trained.tokenizer_json);
    } else {
      merging.finish();
      print_training_summary(trained, trainer);
    }

    fmt::print("\n[3/6] tokens\n");
    const auto tokenizer = tokenize::load_tokenizer(trained.tokenizer_json);
    tokenize::JsonlTokenizeOptions run;
    run.append_eod = true;
    run.workers = std::max(1u, std::thread::hardware_concurrency());
    fmt::print("{:<10} {:>10} {:>12} {:>12} {:>8}  {}\n", "corpus", "documents", "tokens", "text",
               "B/token", "dataset");
    std::uint64_t total_docs = 0, total_tokens = 0, total_bytes = 0;
    for (const auto& c : corpus.corpora) {
      const std::string prefix = (std::filesystem::path(tokens_dir) / c.name).string();
      if (opt->force) std::filesystem::remove(prefix + ".done.json");
      const auto s = tokenize::tokenize_jsonl_to_dataset(*tokenizer, trained.tokenizer_json,
                                                         {c.path}, prefix, run);
      fmt::print(
          "{:<10} {:>10} {:>12} {:>12} {:>8.2f}  {}.bin/.idx{}\n", c.name,
          util::format_count(s.documents), util::format_count(s.tokens),
          util::format_bytes(s.text_bytes),
          s.tokens > 0 ? static_cast<double>(s.text_bytes) / static_cast<double>(s.tokens) : 0.0,
          prefix, s.reused ? " (reused)" : "");
      total_docs += s.documents;
      total_tokens += s.tokens;
      total_bytes += s.text_bytes;
    }
    fmt::print("{:<10} {:>10} {:>12} {:>12} {:>8.2f}\n", "total", util::format_count(total_docs),
               util::format_count(total_tokens), util::format_bytes(total_bytes),
               total_tokens > 0
                   ? static_cast<double>(total_bytes) / static_cast<double>(total_tokens)
                   : 0.0);

    // An AuroraGPT-style data file list: one corpus per line, weights chosen
    // to over-sample the small, dense corpora (the realised mix is printed).
    fmt::print("\n[4/6] index\n");
    std::filesystem::create_directories(index_dir);
    const std::string list = (std::filesystem::path(index_dir) / "data_file_list.txt").string();
    std::string lines;
    for (const auto& c : corpus.corpora) {
      const double weight = c.name == "gcide"      ? 0.4
                            : c.name == "foldoc"   ? 0.3
                            : c.name == "elements" ? 0.2
                                                   : 0.1;
      lines += fmt::format("{} ../tokens/{} {}\n", weight, c.name, c.name);
    }
    io::write_file_atomically(list, lines);
    data::BlendOptions blend;
    blend.flavor = data::IndexFlavor::kMegatronDeepSpeed;
    blend.sequence_length = 256;
    blend.num_samples =
        std::max<std::uint64_t>(1, total_tokens / blend.sequence_length);  // about one pass
    blend.shuffle_sample_in_corpus = true;                                 // ALCF's default
    data::IndexBuildOptions build;
    build.threads = std::max(1u, std::thread::hardware_concurrency());
    data::IndexBuildReport report;
    const auto index =
        data::build_index_folder(index_dir, data::read_data_file_list(list), blend, build, &report);
    print_index_mix(index);
    fmt::print("{} samples of {} tokens from {} ({}){}\n", util::format_count(index.size()),
               blend.sequence_length + 1, list,
               "megatron-deepspeed flavour, --shuffle-sample-in-corpus",
               report.datasets_built == 0 && !report.blend_built ? " (reused)" : "");

    fmt::print("\n[5/6] train\n");
    if (opt->force) std::filesystem::remove_all(run_dir);
    const std::string config_path = (workdir / "train.toml").string();
    io::write_file_atomically(config_path, fmt::format(kQuickstartTrainConfig, opt->train_steps));
    train::Trainer model_trainer(train::read_train_config(config_path));
    const auto& tc = model_trainer.config();
    fmt::print(
        "{} ({}): {} layers, d_model {}, {} heads ({} kv), vocab {}, context {}: {} parameters\n",
        config_path, model::family_name(tc.model.family), tc.model.n_layers, tc.model.d_model,
        tc.model.n_heads, tc.model.kv_heads(), tc.model.vocab_size, tc.model.max_seq_len,
        util::format_count(tc.model.parameter_count()));
    double before = 0, after = 0;
    if (model_trainer.step() >= tc.train.steps) {
      after = model_trainer.evaluate();
      fmt::print("reused {} (already trained {} steps): held-out loss {:.3f}\n",
                 *model_trainer.resumed_from(), model_trainer.step(), after);
    } else {
      if (model_trainer.resumed_from()) fmt::print("resuming from step {}\n", model_trainer.step());
      util::ProgressLine progress("train", static_cast<std::uint64_t>(tc.train.steps), "steps");
      train::Trainer::Callbacks cb;
      double last_loss = 0, last_rate = 0;
      cb.on_step = [&](const train::StepMetrics& m) {
        last_loss = m.loss;
        last_rate = m.tokens_per_s;
        progress.update(static_cast<std::uint64_t>(m.step),
                        fmt::format("loss {:.3f}, {:.0f} tokens/s", m.loss, m.tokens_per_s));
      };
      const auto s = model_trainer.run(cb);
      progress.finish(fmt::format("loss {:.3f}, {:.0f} tokens/s", last_loss, last_rate));
      if (s.eval_loss_before) before = *s.eval_loss_before;
      after = s.eval_loss_after.value_or(0);
      if (s.eval_loss_before)
        fmt::print(
            "held-out loss {:.3f} before training, {:.3f} after ({} steps, {:.0f}s, {:.0f} "
            "tokens/s)\n",
            before, after, s.last_step, s.seconds, s.tokens_per_s);
      else
        fmt::print("held-out loss {:.3f} after {} steps\n", after, s.last_step);
    }

    fmt::print("\n[6/6] generate (temperature 0.7, top-k 40, seed 1)\n");
    const std::string checkpoint = train::resolve_checkpoint(run_dir);
    const auto model = train::load_checkpoint_model(checkpoint);
    const auto tok = tokenize::load_tokenizer(train::checkpoint_tokenizer(checkpoint));
    model::CompletionOptions completion;
    completion.sampling.temperature = 0.7;
    completion.sampling.top_k = 40;
    completion.max_tokens = 40;
    completion.stop = {"\n"};
    const bool bold =
        ::isatty(1) != 0;  // the continuation in bold on a terminal, after ">>>" elsewhere
    for (const char* prompt : {"Hydrogen is", "The atomic number of carbon", "A compiler is"}) {
      std::mt19937_64 rng(1);
      const auto c = model::complete_text(*model, *tok, prompt, completion, rng);
      if (bold)
        fmt::print("  {}\033[1m{}\033[0m\n", prompt, c.text);
      else
        fmt::print("  {} >>>{}\n", prompt, c.text);
    }

    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    fmt::print(
        "\nDone in {:.1f}s. Next:\n"
        "  borealis plot {}/metrics.jsonl -o loss.svg          the loss and throughput curves\n"
        "  borealis generate --checkpoint {} --prompt \"...\"   more text from the model\n"
        "  borealis index inspect {} --sample 0 --tokenizer {}\n"
        "See docs/quickstart.md for what comes next.\n",
        seconds, run_dir, run_dir, index_dir, trained.tokenizer_json);
  });
}

}  // namespace borealis::cli
