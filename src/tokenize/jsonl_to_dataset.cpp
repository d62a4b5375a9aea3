#include "borealis/tokenize/jsonl_to_dataset.h"

#include <algorithm>
#include <filesystem>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "borealis/data/indexed_dataset.h"
#include "borealis/data/indexed_dataset_writer.h"
#include "borealis/io/atomic_output_file.h"
#include "borealis/io/file_identity.h"
#include "borealis/io/line_reader.h"
#include "borealis/io/read_file.h"
#include "borealis/tokenize/jsonl_text.h"
#include "borealis/util/error.h"

namespace borealis::tokenize {

namespace {

// Everything that changes the output; equal records mean equal outputs.
nlohmann::json run_record(const Tokenizer& tokenizer, const std::string& tokenizer_path,
                          const std::vector<std::string>& inputs,
                          const JsonlTokenizeOptions& options) {
  nlohmann::json record;
  record["format"] = 1;
  record["tokenizer"] = io::file_identity(tokenizer_path);
  record["tokenizer"]["encoding"] = tokenizer.name();
  record["inputs"] = nlohmann::json::array();
  for (const auto& in : inputs) record["inputs"].push_back(io::file_identity(in));
  record["options"] = {{"json_key", options.json_key},
                       {"prepend_bos", options.prepend_bos},
                       {"append_eod", options.append_eod},
                       {"skip_bad_lines", options.skip_bad_lines},
                       {"drop_empty", options.drop_empty},
                       {"allow_special", options.allowed_special == SpecialTokens::kAll}};
  return record;
}

TokenId end_of_text_id(const Tokenizer& tokenizer) {
  const auto eod = tokenizer.end_of_document();
  if (!eod)
    throw Error(fmt::format("--append-eod: tokenizer {} has no end-of-document token", tokenizer.name()));
  return *eod;
}

// One input line, tokenized (or why it could not be).
struct LineResult {
  std::vector<TokenId> ids;
  std::string error;  // non-empty: a bad line
  std::uint64_t text_bytes = 0;
  std::uint64_t replaced = 0;  // invalid UTF-8 sequences replaced
  bool empty = false;
};

LineResult tokenize_line(const Tokenizer& tokenizer, const std::string& line,
                         JsonlTextExtractor& extractor, const JsonlTokenizeOptions& options,
                         TokenId bos, TokenId eod) {
  LineResult r;
  const auto doc = extractor.extract(line);
  r.replaced = doc.replaced;
  if (!doc.error.empty()) {
    r.error = doc.error;
    return r;
  }
  r.empty = doc.text.empty();
  r.text_bytes = doc.text.size();
  if (options.prepend_bos) r.ids.push_back(bos);
  tokenizer.encode(doc.text, r.ids, options.allowed_special);
  if (options.append_eod) r.ids.push_back(eod);
  return r;
}

}  // namespace

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(JsonlTokenizeSummary, documents, tokens, text_bytes, bad_lines,
                                   invalid_utf8_replaced, empty_documents)

JsonlTokenizeSummary tokenize_jsonl_to_dataset(const Tokenizer& tokenizer,
                                               const std::string& tokenizer_path,
                                               const std::vector<std::string>& inputs,
                                               const std::string& output_prefix_or_path,
                                               const JsonlTokenizeOptions& options,
                                               const JsonlTokenizeProgress& progress) {
  if (inputs.empty()) throw Error("tokenize: no input files given");
  const std::string prefix = data::dataset_prefix(output_prefix_or_path);
  const std::string done_path = prefix + ".done.json";
  io::create_parent_directories(prefix);
  const nlohmann::json record = run_record(tokenizer, tokenizer_path, inputs, options);

  // Resume: a complete earlier run with the same inputs and settings is kept.
  if (std::filesystem::exists(done_path)) {
    try {
      const auto previous = nlohmann::json::parse(io::read_file(done_path));
      if (previous.at("record") == record) {
        const auto ds = data::IndexedDataset::open(prefix, data::Verify::kFull);
        JsonlTokenizeSummary summary = previous.at("summary").get<JsonlTokenizeSummary>();
        if (ds.document_count() == summary.documents && ds.token_count() == summary.tokens) {
          summary.reused = true;
          return summary;
        }
      }
    } catch (const std::exception&) {
      // Unreadable record or dataset: fall through and rebuild.
    }
  }
  std::filesystem::remove(done_path);

  const TokenId eod = options.append_eod ? end_of_text_id(tokenizer) : 0;
  TokenId bos = 0;
  if (options.prepend_bos) {
    const auto id = tokenizer.beginning_of_document();
    if (!id)
      throw Error(fmt::format("--prepend-bos: tokenizer {} has no beginning-of-document token",
                              tokenizer.name()));
    bos = *id;
  }
  data::IndexedDatasetWriter writer(prefix, data::optimal_token_dtype(tokenizer.vocab_size()));
  JsonlTokenizeSummary summary;
  const unsigned workers = std::max(1u, options.workers);

  // Lines are read in batches on this thread, turned into token ids by the
  // workers (each a contiguous slice of the batch), and written here in input
  // order -- so the output is identical for any number of workers, and so is
  // which bad line is reported first.
  constexpr std::size_t kBatchLines = 8192;
  std::vector<std::string> batch(kBatchLines);
  std::vector<std::uint64_t> line_numbers(kBatchLines);
  std::vector<LineResult> results(kBatchLines);
  auto process = [&](std::size_t begin, std::size_t end) {
    JsonlTextExtractor extractor(options.json_key);
    for (std::size_t k = begin; k < end; ++k) {
      try {
        results[k] = tokenize_line(tokenizer, batch[k], extractor, options, bos, eod);
      } catch (const std::exception& e) {  // never let an exception end a worker thread
        results[k] = LineResult{};
        results[k].error = e.what();
      }
    }
  };
  std::uint64_t bytes_before = 0;
  for (const auto& input : inputs) {
    io::LineReader reader(input);
    bool more = true;
    while (more) {
      std::size_t n = 0;
      while (n < kBatchLines && (more = reader.next(batch[n]))) {
        if (batch[n].empty()) continue;
        line_numbers[n] = reader.line_number();
        ++n;
      }
      if (n == 0) break;
      if (workers == 1 || n < 64) {
        process(0, n);
      } else {
        std::vector<std::jthread> threads;
        const std::size_t per = (n + workers - 1) / workers;
        for (unsigned w = 0; w < workers; ++w) {
          const std::size_t begin = std::min(n, w * per), end = std::min(n, begin + per);
          if (begin < end) threads.emplace_back(process, begin, end);
        }
      }  // jthreads join here
      for (std::size_t k = 0; k < n; ++k) {
        LineResult& r = results[k];
        summary.invalid_utf8_replaced += r.replaced;
        if (!r.error.empty()) {
          if (!options.skip_bad_lines)
            throw_file_error(input, "line {}: {} (use --skip-bad-lines to skip such lines)",
                             line_numbers[k], r.error);
          ++summary.bad_lines;
          continue;
        }
        if (r.empty) {
          ++summary.empty_documents;
          if (options.drop_empty) continue;
        }
        writer.add_document(std::span<const TokenId>(r.ids));
        ++summary.documents;
        summary.tokens += r.ids.size();
        summary.text_bytes += r.text_bytes;
      }
      if (progress) progress(summary.documents, bytes_before + reader.bytes_read());
    }
    bytes_before += reader.bytes_read();
  }
  writer.finish();
  if (progress) progress(summary.documents, bytes_before);
  io::write_file_atomically(done_path,
                            nlohmann::json{{"record", record}, {"summary", summary}}.dump(2) + "\n");
  return summary;
}


}  // namespace borealis::tokenize
