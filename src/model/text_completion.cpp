#include "borealis/model/text_completion.h"

#include <algorithm>

#include <fmt/format.h>

#include "borealis/util/error.h"

namespace borealis::model {

TextCompletion complete_text(const Transformer& model, const tokenize::Tokenizer& tokenizer,
                             const std::string& prompt, const CompletionOptions& options,
                             std::mt19937_64& rng) {
  std::vector<std::int32_t> ids;
  if (const auto bos = tokenizer.beginning_of_document())
    ids.push_back(static_cast<std::int32_t>(*bos));
  else if (const auto eod = tokenizer.end_of_document())
    ids.push_back(static_cast<std::int32_t>(*eod));
  for (auto t : tokenizer.encode(prompt)) ids.push_back(static_cast<std::int32_t>(t));
  const int room = model.config().max_seq_len - static_cast<int>(ids.size());
  if (room < 1)
    throw Error(fmt::format("generate: the prompt is {} tokens; the model's context is {}",
                            ids.size(), model.config().max_seq_len));
  TextCompletion c;
  c.prompt_tokens = ids.size();
  Generator g(model);
  auto logits = g.feed(ids);
  std::vector<tokenize::TokenId> out;
  const auto eod = tokenizer.end_of_document();
  const int limit = std::min(options.max_tokens, room);
  for (int i = 0; i < limit; ++i) {
    const int next = sample_token(logits, model.config().vocab_size, options.sampling, rng);
    if (eod && static_cast<tokenize::TokenId>(next) == *eod) {
      c.finish_reason = "stop";
      break;
    }
    out.push_back(static_cast<tokenize::TokenId>(next));
    c.text = tokenizer.decode(out);
    for (const auto& s : options.stop)
      if (const auto at = c.text.find(s); !s.empty() && at != std::string::npos) {
        c.text.resize(at);
        c.finish_reason = "stop";
      }
    if (!c.finish_reason.empty()) break;
    if (i + 1 < limit) logits = g.feed(std::span<const std::int32_t>(&next, 1));
  }
  c.tokens = out.size();
  if (c.finish_reason.empty()) c.finish_reason = "length";
  return c;
}

}  // namespace borealis::model
