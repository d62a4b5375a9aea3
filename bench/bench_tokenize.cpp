// Tokenizer throughput on the embedded science corpus, one thread, against
// the official tiktoken (npm tiktoken@1.0.22, WASM) on the same documents.
// Usage: bench_tokenize [MB=20]   (needs scripts/fetch-test-data for the vocabularies)

#include <unistd.h>
#include <zstd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "borealis/curate/default_corpus.h"
#include "borealis/tokenize/bpe_tokenizer.h"
#include "borealis/tokenize/bpe_tokenizer.h"
#include "borealis/tokenize/jsonl_to_dataset.h"

using namespace borealis;

int main(int argc, char** argv) {
  const double megabytes = argc > 1 ? std::atof(argv[1]) : 20.0;
  const std::string vocab = std::string(BOREALIS_SOURCE_DIR) + "/tests/data/vocab";
  const std::filesystem::path work =
      std::filesystem::temp_directory_path() / fmt::format("borealis-bench-tok-{}", ::getpid());
  std::filesystem::create_directories(work);

  // Documents: the embedded corpus (gcide + foldoc + elements + codata), repeated to size.
  curate::build_default_corpus((work / "corpus").string());
  std::vector<std::string> corpus_docs;
  for (const char* name : {"gcide", "foldoc", "elements", "codata"}) {
    std::ifstream in(work / "corpus" / (std::string(name) + ".jsonl"));
    std::string line;
    while (std::getline(in, line)) corpus_docs.push_back(nlohmann::json::parse(line)["text"]);
  }
  std::vector<std::string> docs;
  std::size_t bytes = 0;
  for (std::size_t i = 0; bytes < megabytes * 1e6; i = (i + 1) % corpus_docs.size()) {
    docs.push_back(corpus_docs[i]);
    bytes += corpus_docs[i].size();
  }
  const std::string docs_path = (work / "docs.jsonl").string();
  {
    std::ofstream out(docs_path);
    for (const auto& d : docs) out << nlohmann::json{{"text", d}}.dump() << "\n";
  }
  fmt::print("bench_tokenize: {} documents, {:.1f} MB of science text, 1 thread\n", docs.size(),
             static_cast<double>(bytes) / 1e6);
  fmt::print("{:<12} {:>14} {:>16} {:>8} {:>12}\n", "encoding", "borealis MB/s", "tiktoken MB/s",
             "ratio", "tokens");
  for (const char* enc : {"r50k_base", "cl100k_base", "o200k_base"}) {
    const auto tok = tokenize::BpeTokenizer::from_tiktoken(vocab + "/" + enc + ".tiktoken");
    std::vector<tokenize::TokenId> ids;
    std::size_t tokens = 0;
    const auto start = std::chrono::steady_clock::now();
    for (const auto& d : docs) {
      ids.clear();
      tok.encode(d, ids);
      tokens += ids.size();
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double ours = static_cast<double>(bytes) / seconds / 1e6;
    double peer = 0;
    std::size_t peer_tokens = 0;
    const std::string cmd = fmt::format("node '{}/bench/tiktoken_peer.cjs' '{}/tiktoken' '{}' {}",
                                        BOREALIS_SOURCE_DIR, vocab, docs_path, enc);
    if (FILE* p = ::popen(cmd.c_str(), "r")) {
      if (std::fscanf(p, "%lf %zu", &peer, &peer_tokens) != 2) peer = 0;
      ::pclose(p);
    }
    fmt::print("{:<12} {:>14.2f} {:>16.2f} {:>7.2f}x {:>12}{}\n", enc, ours, peer,
               peer > 0 ? ours / peer : 0.0, tokens,
               peer_tokens == tokens ? "" : "  (token counts differ from tiktoken!)");
  }

  // End to end: JSONL.zst -> .bin/.idx with `borealis tokenize`'s library call.
  {
    std::ifstream in(docs_path, std::ios::binary);
    const std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::string packed(ZSTD_compressBound(raw.size()), '\0');
    packed.resize(ZSTD_compress(packed.data(), packed.size(), raw.data(), raw.size(), 3));
    std::ofstream((work / "docs.jsonl.zst").string(), std::ios::binary) << packed;
  }
  const auto cl100k = tokenize::BpeTokenizer::from_tiktoken(vocab + "/cl100k_base.tiktoken");
  double single = 0;
  for (unsigned workers : {1u, 2u}) {
    tokenize::JsonlTokenizeOptions opt;
    opt.workers = workers;
    opt.append_eod = true;
    const auto start = std::chrono::steady_clock::now();
    const auto s = tokenize::tokenize_jsonl_to_dataset(
        cl100k, vocab + "/cl100k_base.tiktoken", {(work / "docs.jsonl.zst").string()},
        (work / fmt::format("out{}", workers)).string(), opt);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double rate = static_cast<double>(s.text_bytes) / seconds / 1e6;
    if (workers == 1) single = rate;
    fmt::print("end to end  cl100k .jsonl.zst -> .bin/.idx, {} worker{}: {:.2f} MB/s of text{}\n",
               workers, workers == 1 ? " " : "s", rate,
               workers == 1 ? "" : fmt::format(" ({:.2f}x one worker)", rate / single));
  }
  std::filesystem::remove_all(work);
  return 0;
}
