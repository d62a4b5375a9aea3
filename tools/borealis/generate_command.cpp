// `borealis generate`: continues text with a trained checkpoint (KV cache,
// greedy or sampled), using the tokenizer stored in the checkpoint.

#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "borealis/model/generator.h"
#include "borealis/model/model_weights.h"
#include "borealis/tokenize/tokenizer_loader.h"
#include "borealis/train/checkpoint.h"
#include "borealis/util/error.h"
#include "commands.h"

namespace borealis::cli {

namespace fs = std::filesystem;

namespace {

struct Completion {
  std::string text;
  std::size_t tokens = 0;
  std::string finish_reason;  // "stop" (end of document or a stop string) or "length"
};

Completion complete(const model::Transformer& model, const tokenize::Tokenizer& tokenizer,
                    const std::string& prompt, const model::SamplingOptions& sampling,
                    int max_tokens, const std::vector<std::string>& stop, std::mt19937_64& rng) {
  std::vector<std::int32_t> ids;
  // Training documents start right after an end-of-document token (or with
  // the tokenizer's <s>), so a prompt does too.
  if (const auto bos = tokenizer.beginning_of_document())
    ids.push_back(static_cast<std::int32_t>(*bos));
  else if (const auto eod = tokenizer.end_of_document())
    ids.push_back(static_cast<std::int32_t>(*eod));
  for (auto t : tokenizer.encode(prompt)) ids.push_back(static_cast<std::int32_t>(t));
  const int room = model.config().max_seq_len - static_cast<int>(ids.size());
  if (room < 1)
    throw Error(fmt::format("generate: the prompt is {} tokens; the model's context is {}",
                            ids.size(), model.config().max_seq_len));
  model::Generator g(model);
  auto logits = g.feed(ids);
  Completion c;
  std::vector<tokenize::TokenId> out;
  const auto eod = tokenizer.end_of_document();
  for (int i = 0; i < std::min(max_tokens, room); ++i) {
    const int next = model::sample_token(logits, model.config().vocab_size, sampling, rng);
    if (eod && static_cast<tokenize::TokenId>(next) == *eod) {
      c.finish_reason = "stop";
      break;
    }
    out.push_back(static_cast<tokenize::TokenId>(next));
    c.text = tokenizer.decode(out);
    for (const auto& s : stop)
      if (const auto at = c.text.find(s); !s.empty() && at != std::string::npos) {
        c.text.resize(at);
        c.finish_reason = "stop";
      }
    if (!c.finish_reason.empty()) break;
    if (i + 1 < std::min(max_tokens, room))
      logits = g.feed(std::span<const std::int32_t>(&next, 1));
  }
  c.tokens = out.size();
  if (c.finish_reason.empty()) c.finish_reason = "length";
  return c;
}

}  // namespace

void add_generate_command(CLI::App& app) {
  struct Options {
    std::string checkpoint, prompt, input;
    int max_tokens = 64;
    model::SamplingOptions sampling;
    std::uint64_t seed = 0;
    std::vector<std::string> stop;
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
  cmd->add_option("--max-tokens", opt->max_tokens, "Most tokens to generate per prompt")
      ->capture_default_str();
  cmd->add_option("--temperature", opt->sampling.temperature, "Sampling temperature; 0 = greedy")
      ->capture_default_str();
  cmd->add_option("--top-k", opt->sampling.top_k, "Sample among the k most likely tokens (0 = all)")
      ->capture_default_str();
  cmd->add_option("--top-p", opt->sampling.top_p,
                  "Nucleus sampling: smallest set of tokens reaching this probability")
      ->capture_default_str();
  cmd->add_option("--seed", opt->seed, "Random seed for sampling")->capture_default_str();
  cmd->add_option("--stop", opt->stop,
                  "Stop when this text appears (repeatable); it is not printed");
  cmd->callback([opt] {
    if (opt->prompt.empty() && opt->input.empty())
      throw Error("generate: give --prompt TEXT or --input FILE.jsonl");
    if (opt->max_tokens < 1) throw Error("generate: --max-tokens must be at least 1");
    if (opt->sampling.temperature < 0 || !(opt->sampling.top_p > 0 && opt->sampling.top_p <= 1) ||
        opt->sampling.top_k < 0)
      throw Error("generate: --temperature must be >= 0, --top-p in (0, 1], --top-k >= 0");
    std::string dir = opt->checkpoint;
    if (fs::exists(fs::path(dir) / "checkpoints")) {
      const auto latest = train::latest_checkpoint(dir);
      if (!latest) throw Error(fmt::format("{}: the run folder holds no checkpoint yet", dir));
      dir = *latest;
    }
    const std::string weights = (fs::path(dir) / "model.safetensors").string();
    if (!fs::exists(weights))
      throw Error(fmt::format("{}: not a checkpoint (no model.safetensors)", dir));
    model::Transformer model(model::read_model_config(weights));
    model::read_model_weights(model, weights);
    const auto tokenizer = tokenize::load_tokenizer(train::checkpoint_tokenizer(dir));
    std::mt19937_64 rng(opt->seed);
    if (!opt->prompt.empty()) {
      const auto c =
          complete(model, *tokenizer, opt->prompt, opt->sampling, opt->max_tokens, opt->stop, rng);
      fmt::print("{}{}\n", opt->prompt, c.text);
      return;
    }
    std::ifstream in(opt->input);
    if (!in) throw_system_error(opt->input, "cannot open", errno);
    std::string line;
    std::uint64_t line_no = 0;
    while (std::getline(in, line)) {
      ++line_no;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      nlohmann::json j;
      try {
        j = nlohmann::json::parse(line);
      } catch (const nlohmann::json::exception&) {
        throw Error(fmt::format("{}:{}: not valid JSON", opt->input, line_no));
      }
      if (!j.is_object() || !j.contains("prompt") || !j["prompt"].is_string())
        throw Error(fmt::format("{}:{}: needs a string \"prompt\"", opt->input, line_no));
      const std::string p = j["prompt"];
      const auto c = complete(model, *tokenizer, p, opt->sampling, opt->max_tokens, opt->stop, rng);
      fmt::print("{}\n", nlohmann::json{{"prompt", p},
                                        {"completion", c.text},
                                        {"tokens", c.tokens},
                                        {"finish_reason", c.finish_reason}}
                             .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    }
  });
}

}  // namespace borealis::cli
