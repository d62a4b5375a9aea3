// `borealis generate`: continues text with a trained checkpoint (KV cache,
// greedy or sampled), using the tokenizer stored in the checkpoint.

#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "borealis/io/json_lines.h"
#include "borealis/model/model_weights.h"
#include "borealis/model/text_completion.h"
#include "borealis/tokenize/tokenizer_loader.h"
#include "borealis/train/checkpoint.h"
#include "borealis/util/error.h"
#include "commands.h"

namespace borealis::cli {

namespace fs = std::filesystem;

void add_generate_command(CLI::App& app) {
  struct Options {
    std::string checkpoint, prompt, input;
    model::CompletionOptions completion;
    std::uint64_t seed = 0;
  };
  auto opt = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("generate", "Continue text with a trained checkpoint");
  cmd->add_option("--checkpoint", opt->checkpoint,
                  "A checkpoint folder, or a run folder (its newest checkpoint)")
      ->required();
  auto* prompt =
      cmd->add_option("--prompt", opt->prompt, "Text to continue; the continuation goes to stdout");
  auto* input =
      cmd->add_option("--input", opt->input,
                      "JSONL with a \"prompt\" per line; writes one JSON line per prompt to stdout "
                      "({prompt, completion, tokens, finish_reason})");
  prompt->excludes(input);
  cmd->add_option("--max-tokens", opt->completion.max_tokens, "Most tokens to generate per prompt")
      ->capture_default_str();
  cmd->add_option("--temperature", opt->completion.sampling.temperature,
                  "Sampling temperature; 0 = greedy")
      ->capture_default_str();
  cmd->add_option("--top-k", opt->completion.sampling.top_k,
                  "Sample among the k most likely tokens (0 = all)")
      ->capture_default_str();
  cmd->add_option("--top-p", opt->completion.sampling.top_p,
                  "Nucleus sampling: smallest set of tokens reaching this probability")
      ->capture_default_str();
  cmd->add_option("--seed", opt->seed, "Random seed for sampling")->capture_default_str();
  cmd->add_option("--stop", opt->completion.stop,
                  "Stop when this text appears (repeatable); it is not printed");
  cmd->callback([opt] {
    if (opt->prompt.empty() && opt->input.empty())
      throw Error("generate: give --prompt TEXT or --input FILE.jsonl");
    if (opt->completion.max_tokens < 1) throw Error("generate: --max-tokens must be at least 1");
    if (opt->completion.sampling.temperature < 0 ||
        !(opt->completion.sampling.top_p > 0 && opt->completion.sampling.top_p <= 1) ||
        opt->completion.sampling.top_k < 0)
      throw Error("generate: --temperature must be >= 0, --top-p in (0, 1], --top-k >= 0");
    const std::string dir = train::resolve_checkpoint(opt->checkpoint);
    const auto model_ptr = train::load_checkpoint_model(dir);
    const auto& model = *model_ptr;
    const auto tokenizer = tokenize::load_tokenizer(train::checkpoint_tokenizer(dir));
    std::mt19937_64 rng(opt->seed);
    if (!opt->prompt.empty()) {
      const auto c = model::complete_text(model, *tokenizer, opt->prompt, opt->completion, rng);
      fmt::print("{}{}\n", opt->prompt, c.text);
      return;
    }
    io::for_each_json_line(opt->input, [&](const nlohmann::json& j, std::uint64_t line_no) {
      if (!j.is_object() || !j.contains("prompt") || !j["prompt"].is_string())
        throw Error(fmt::format("{}:{}: needs a string \"prompt\"", opt->input, line_no));
      const std::string p = j["prompt"];
      const auto c = model::complete_text(model, *tokenizer, p, opt->completion, rng);
      fmt::print("{}\n", nlohmann::json{{"prompt", p},
                                        {"completion", c.text},
                                        {"tokens", c.tokens},
                                        {"finish_reason", c.finish_reason}}
                             .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    });
  });
}

}  // namespace borealis::cli
