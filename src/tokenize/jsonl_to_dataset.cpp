#include "borealis/tokenize/jsonl_to_dataset.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <filesystem>
#include <functional>
#include <optional>
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

// Fills `r` in place: its ids keep their capacity from batch to batch, so a
// line costs no allocation once the buffers have grown.
void tokenize_line(const Tokenizer& tokenizer, const std::string& line, JsonlTextExtractor& extractor,
                   const JsonlTokenizeOptions& options, TokenId bos, TokenId eod, LineResult& r) {
  r.ids.clear();
  r.error.clear();
  r.text_bytes = 0;
  r.empty = false;
  const auto doc = extractor.extract(line);
  r.replaced = doc.replaced;
  if (!doc.error.empty()) {
    r.error = doc.error;
    return;
  }
  r.empty = doc.text.empty();
  r.text_bytes = doc.text.size();
  if (options.prepend_bos) r.ids.push_back(bos);
  tokenizer.encode(doc.text, r.ids, options.allowed_special);
  if (options.append_eod) r.ids.push_back(eod);
}

// A batch of input lines on their way through the pipeline.
struct LineBatch {
  static constexpr std::size_t kLines = 8192;
  std::vector<std::string> lines = std::vector<std::string>(kLines);
  std::vector<std::uint64_t> line_numbers = std::vector<std::uint64_t>(kLines);
  std::vector<LineResult> results = std::vector<LineResult>(kLines);
  std::size_t size = 0;
  std::size_t input = 0;            // index of the input file the lines came from
  std::uint64_t bytes_through = 0;  // input bytes read once this batch was read, all files

  // A document of millions of tokens should not pin its buffer forever.
  void trim() {
    for (auto& r : results)
      if (r.ids.capacity() > (1u << 20)) std::vector<TokenId>().swap(r.ids);
  }
};

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
  // which bad line is reported first. With several workers the stages
  // overlap: while the workers encode batch k, this thread writes batch k-1
  // and reads batch k+1, then encodes with them; N workers are N threads in
  // all. One worker runs everything on this thread.
  std::size_t input_index = 0;
  std::uint64_t bytes_before = 0;
  std::optional<io::LineReader> reader;
  auto read_batch = [&](LineBatch& b) {
    b.size = 0;
    while (b.size == 0 && input_index < inputs.size()) {
      if (!reader) reader.emplace(inputs[input_index]);
      bool more = true;
      while (b.size < LineBatch::kLines && (more = reader->next(b.lines[b.size]))) {
        if (b.lines[b.size].empty()) continue;
        b.line_numbers[b.size] = reader->line_number();
        ++b.size;
      }
      b.input = input_index;
      b.bytes_through = bytes_before + reader->bytes_read();
      if (!more) {  // this input is done; the next batch starts the next one
        bytes_before += reader->bytes_read();
        reader.reset();
        ++input_index;
      }
    }
    return b.size > 0;
  };
  auto encode_slice = [&](LineBatch& b, std::size_t begin, std::size_t end,
                          JsonlTextExtractor& extractor) {
    for (std::size_t k = begin; k < end; ++k) {
      try {
        tokenize_line(tokenizer, b.lines[k], extractor, options, bos, eod, b.results[k]);
      } catch (const std::exception& e) {  // never let an exception end a worker thread
        b.results[k].ids.clear();
        b.results[k].error = e.what();
      }
    }
  };
  auto write_batch = [&](LineBatch& b) {
    for (std::size_t k = 0; k < b.size; ++k) {
      LineResult& r = b.results[k];
      summary.invalid_utf8_replaced += r.replaced;
      if (!r.error.empty()) {
        if (!options.skip_bad_lines)
          throw_file_error(inputs[b.input], "line {}: {} (use --skip-bad-lines to skip such lines)",
                           b.line_numbers[k], r.error);
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
    b.trim();
    if (progress) progress(summary.documents, b.bytes_through);
  };

  if (workers == 1) {
    LineBatch batch;
    JsonlTextExtractor extractor(options.json_key);
    while (read_batch(batch)) {
      encode_slice(batch, 0, batch.size, extractor);
      write_batch(batch);
    }
  } else {
    LineBatch batches[2];
    // A read error (a truncated .zst) surfaces after the lines before it are
    // written, as with one worker, so the same input gives the same error.
    std::exception_ptr read_error;
    auto read_ahead = [&](LineBatch& b) {
      try {
        return read_batch(b);
      } catch (...) {
        read_error = std::current_exception();
        return false;
      }
    };
    std::size_t cur = 0;
    bool have = read_ahead(batches[cur]), written = true;
    while (have) {
      LineBatch& b = batches[cur];
      LineBatch& other = batches[cur ^ 1];
      {
        // Workers take chunks of lines as they go (documents differ in
        // length, so fixed halves would leave a core idle); this thread
        // joins them once its writing and reading are done.
        std::atomic<std::size_t> next_line{0};
        auto encode_chunks = [&] {
          constexpr std::size_t kChunk = 64;
          JsonlTextExtractor extractor(options.json_key);
          for (std::size_t k; (k = next_line.fetch_add(kChunk)) < b.size;)
            encode_slice(b, k, std::min(b.size, k + kChunk), extractor);
        };
        std::vector<std::jthread> threads;
        for (unsigned w = 1; w < workers; ++w) threads.emplace_back(encode_chunks);
        // While they encode b: write the batch before it, then read the next
        // one into its buffer, then help.
        if (!written) write_batch(other);
        have = read_ahead(other);
        encode_chunks();
      }  // jthreads join here (also when writing threw)
      written = false;
      cur ^= 1;
    }
    if (!written) write_batch(batches[cur ^ 1]);
    if (read_error) std::rethrow_exception(read_error);
  }
  writer.finish();
  if (progress) progress(summary.documents, bytes_before);
  io::write_file_atomically(done_path,
                            nlohmann::json{{"record", record}, {"summary", summary}}.dump(2) + "\n");
  return summary;
}


}  // namespace borealis::tokenize
