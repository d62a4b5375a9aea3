// JsonlTextExtractor: the simdjson fast path and the careful nlohmann path
// must agree on every line -- the text for good lines (escapes, duplicate
// keys: the last wins), and the error for bad ones.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "borealis/tokenize/jsonl_text.h"

namespace borealis::tokenize {
namespace {

TEST(JsonlText, GoodLinesGiveNlohmannsText) {
  JsonlTextExtractor x("text");
  const std::vector<std::string> lines = {
      R"({"text": "plain"})",
      R"({"id": 7, "text": "tab\tnewline\nquote\" slash\/ \u00e9 \ud83e\uddec", "meta": {"a": [1, 2.5e3, null, true]}})",
      R"({"text": "first", "text": "last"})",
      R"(  {"text": ""}  )",
      R"({"te\u0078t": "escaped key"})",
  };
  for (const auto& line : lines) {
    const auto r = x.extract(line);
    EXPECT_TRUE(r.error.empty()) << line;
    EXPECT_EQ(r.replaced, 0u);
    EXPECT_EQ(std::string(r.text), nlohmann::json::parse(line)["text"].get<std::string>()) << line;
  }
}

TEST(JsonlText, BadLinesAreReported) {
  JsonlTextExtractor x("text");
  EXPECT_EQ(x.extract("not json").error, "not a JSON object");
  EXPECT_EQ(x.extract(R"(["text", "array"])").error, "not a JSON object");
  EXPECT_EQ(x.extract(R"({"text": "a"} trailing)").error, "not a JSON object");
  EXPECT_EQ(x.extract(R"({"text": "a", "x": [1, 2})").error, "not a JSON object");
  EXPECT_EQ(x.extract(R"({"body": "no text"})").error, "no string key \"text\"");
  EXPECT_EQ(x.extract(R"({"text": 42})").error, "no string key \"text\"");
}

TEST(JsonlText, InvalidUtf8IsReplacedAndCounted) {
  JsonlTextExtractor x("text");
  const auto r = x.extract("{\"text\": \"a\xff" "b\xc3\"}");
  EXPECT_TRUE(r.error.empty());
  EXPECT_EQ(r.replaced, 2u);
  EXPECT_EQ(std::string(r.text), "a\xEF\xBF\xBD" "b\xEF\xBF\xBD");
}

}  // namespace
}  // namespace borealis::tokenize
