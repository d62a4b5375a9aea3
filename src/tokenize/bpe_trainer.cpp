#include "borealis/tokenize/bpe_trainer.h"

#include <algorithm>
#include <filesystem>
#include <queue>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "borealis/io/atomic_output_file.h"
#include "borealis/tokenize/bpe_tokenizer.h"
#include "borealis/tokenize/byte_level_alphabet.h"
#include "borealis/util/error.h"

namespace borealis::tokenize {

namespace {

const std::string& pattern_of(const std::string& name) {
  const EncodingSpec* spec = find_encoding(name);
  if (spec == nullptr)
    throw Error(fmt::format("unknown pre-tokenizer pattern '{}' (known: {})", name, known_encoding_names()));
  return spec->pattern;
}

std::uint64_t pair_key(TokenId left, TokenId right) {
  return (static_cast<std::uint64_t>(left) << 32) | right;
}

std::string base64(std::string_view bytes) {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    std::uint32_t n = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    if (i + 1 < bytes.size()) n |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    if (i + 2 < bytes.size()) n |= static_cast<unsigned char>(bytes[i + 2]);
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? alphabet[(n >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? alphabet[n & 63] : '=';
  }
  return out;
}

}  // namespace

BpeTrainer::BpeTrainer(BpeTrainerOptions options)
    : options_(std::move(options)), splitter_(pattern_of(options_.pattern_name)) {
  const std::size_t minimum = 256 + options_.special_tokens.size();
  if (options_.vocab_size < minimum)
    throw Error(fmt::format("vocabulary size {} is too small: the 256 byte tokens and {} special "
                            "tokens need {}", options_.vocab_size, options_.special_tokens.size(), minimum));
  if (options_.min_frequency == 0) options_.min_frequency = 1;
}

void BpeTrainer::add_text(std::string_view text) {
  splitter_.split(text, [&](std::string_view word) { ++word_counts_[std::string(word)]; });
}

TrainedBpe BpeTrainer::train(const std::function<void(std::size_t, std::size_t)>& on_merge) const {
  TrainedBpe result;
  result.pattern = splitter_.pattern();
  result.special_tokens = options_.special_tokens;
  for (int b = 0; b < 256; ++b) result.token_bytes.emplace_back(1, static_cast<char>(b));
  const std::size_t target = options_.vocab_size - options_.special_tokens.size();  // ordinary tokens
  std::unordered_map<std::string, TokenId> id_of_bytes;
  for (TokenId b = 0; b < 256; ++b) id_of_bytes.emplace(result.token_bytes[b], b);

  // Words in byte order, so every container below is filled deterministically.
  std::vector<std::pair<std::string_view, std::uint64_t>> sorted(word_counts_.begin(), word_counts_.end());
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::vector<TokenId>> words(sorted.size());
  std::vector<std::uint64_t> counts(sorted.size());
  std::unordered_map<std::uint64_t, std::int64_t> pair_count;
  std::unordered_map<std::uint64_t, std::vector<std::uint32_t>> where;  // words holding a pair
  for (std::size_t w = 0; w < sorted.size(); ++w) {
    counts[w] = sorted[w].second;
    for (const char c : sorted[w].first) words[w].push_back(static_cast<unsigned char>(c));
    for (std::size_t i = 0; i + 1 < words[w].size(); ++i) {
      const auto key = pair_key(words[w][i], words[w][i + 1]);
      pair_count[key] += static_cast<std::int64_t>(counts[w]);
      where[key].push_back(static_cast<std::uint32_t>(w));
    }
  }

  // Max-heap of (count, pair), smaller pair first on ties. Entries go stale
  // when counts drop; a popped stale entry is pushed back with its count.
  struct Entry {
    std::int64_t count;
    std::uint64_t key;
    bool operator<(const Entry& o) const { return count != o.count ? count < o.count : key > o.key; }
  };
  std::priority_queue<Entry> heap;
  for (const auto& [key, count] : pair_count) heap.push({count, key});

  std::vector<std::uint64_t> touched;
  while (result.token_bytes.size() < target && !heap.empty()) {
    const Entry top = heap.top();
    heap.pop();
    const std::int64_t current = pair_count[top.key];
    if (current != top.count) {
      if (current > 0) heap.push({current, top.key});
      continue;
    }
    if (static_cast<std::uint64_t>(current) < options_.min_frequency) break;
    const auto left = static_cast<TokenId>(top.key >> 32), right = static_cast<TokenId>(top.key & 0xFFFFFFFFu);
    std::string bytes = result.token_bytes[left] + result.token_bytes[right];
    const auto [it, is_new] = id_of_bytes.emplace(std::move(bytes), static_cast<TokenId>(result.token_bytes.size()));
    const TokenId id = it->second;
    if (is_new) result.token_bytes.push_back(it->first);
    result.merges.push_back({left, right, id});

    auto holders = std::move(where[top.key]);
    where.erase(top.key);
    std::sort(holders.begin(), holders.end());
    holders.erase(std::unique(holders.begin(), holders.end()), holders.end());
    touched.clear();
    for (const std::uint32_t w : holders) {
      auto& word = words[w];
      const auto c = static_cast<std::int64_t>(counts[w]);
      bool has = false;
      for (std::size_t i = 0; i + 1 < word.size() && !has; ++i) has = word[i] == left && word[i + 1] == right;
      if (!has) continue;
      // Take the word's pairs out, merge left to right, put them back.
      for (std::size_t i = 0; i + 1 < word.size(); ++i) pair_count[pair_key(word[i], word[i + 1])] -= c;
      std::size_t out = 0;
      for (std::size_t i = 0; i < word.size(); ++i) {
        if (i + 1 < word.size() && word[i] == left && word[i + 1] == right) {
          word[out++] = id;
          ++i;
        } else {
          word[out++] = word[i];
        }
      }
      word.resize(out);
      for (std::size_t i = 0; i + 1 < word.size(); ++i) {
        const auto key = pair_key(word[i], word[i + 1]);
        pair_count[key] += c;
        if (word[i] == id || word[i + 1] == id) {
          where[key].push_back(w);
          touched.push_back(key);
        }
      }
    }
    pair_count.erase(top.key);
    std::sort(touched.begin(), touched.end());
    touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
    for (const auto key : touched) heap.push({pair_count[key], key});
    if (on_merge && result.merges.size() % 64 == 0) on_merge(result.token_bytes.size(), target);
  }
  if (on_merge) on_merge(result.token_bytes.size(), target);
  return result;
}

std::vector<std::string> write_trained_bpe(const TrainedBpe& bpe, const std::string& directory,
                                           const std::string& name) {
  std::filesystem::create_directories(directory);
  const auto special_base = static_cast<TokenId>(bpe.token_bytes.size());

  // tokenizer.json, in the layout the `tokenizers` library itself saves.
  nlohmann::ordered_json added = nlohmann::ordered_json::array();
  for (std::size_t i = 0; i < bpe.special_tokens.size(); ++i) {
    added.push_back({{"id", special_base + i}, {"content", bpe.special_tokens[i]}, {"single_word", false},
                     {"lstrip", false}, {"rstrip", false}, {"normalized", false}, {"special", true}});
  }
  nlohmann::ordered_json vocab = nlohmann::ordered_json::object();
  for (std::size_t id = 0; id < bpe.token_bytes.size(); ++id) vocab[byte_level_encode(bpe.token_bytes[id])] = id;
  nlohmann::ordered_json merges = nlohmann::ordered_json::array();
  for (const auto& m : bpe.merges)
    merges.push_back({byte_level_encode(bpe.token_bytes[m.left]), byte_level_encode(bpe.token_bytes[m.right])});
  nlohmann::ordered_json root;
  root["version"] = "1.0";
  root["truncation"] = nullptr;
  root["padding"] = nullptr;
  root["added_tokens"] = added;
  root["normalizer"] = nullptr;
  root["pre_tokenizer"] = {
      {"type", "Sequence"},
      {"pretokenizers",
       {{{"type", "Split"}, {"pattern", {{"Regex", bpe.pattern}}}, {"behavior", "Isolated"}, {"invert", false}},
        {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", false}}}}};
  root["post_processor"] = nullptr;
  root["decoder"] = {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true}, {"use_regex", true}};
  root["model"] = {{"type", "BPE"},           {"dropout", nullptr},
                   {"unk_token", nullptr},    {"continuing_subword_prefix", nullptr},
                   {"end_of_word_suffix", nullptr}, {"fuse_unk", false},
                   {"byte_fallback", false},  {"ignore_merges", false},
                   {"vocab", vocab},          {"merges", merges}};
  const std::string json_path = (std::filesystem::path(directory) / "tokenizer.json").string();
  io::write_file_atomically(json_path, root.dump(2) + "\n");

  std::string ranks;
  for (std::size_t id = 0; id < bpe.token_bytes.size(); ++id)
    ranks += fmt::format("{} {}\n", base64(bpe.token_bytes[id]), id);
  const std::string tiktoken_path = (std::filesystem::path(directory) / (name + ".tiktoken")).string();
  io::write_file_atomically(tiktoken_path, ranks);
  return {json_path, tiktoken_path};
}

}  // namespace borealis::tokenize
