#include <gtest/gtest.h>

#include "borealis/train/metrics_plot.h"
#include "test_util.h"

namespace borealis::train {
namespace {

std::size_t count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (auto at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

TEST(MetricsPlot, DrawsLossEvalAndThroughput) {
  test::TempDir dir;
  std::string lines = R"({"event":"start","step":0,"parameters":10})"
                      "\n"
                      R"({"step":0,"eval_loss":5.0})"
                      "\n";
  for (int s = 1; s <= 30; ++s)
    lines += fmt::format(R"({{"step":{},"loss":{},"tokens_per_s":{}}})"
                         "\n",
                         s, 5.0 - s * 0.1, 1000 + s);
  lines += R"({"step":30,"eval_loss":2.5})"
           "\n";
  test::write_text(dir / "m.jsonl", lines);
  const auto svg = plot_metrics_svg(dir / "m.jsonl");
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  EXPECT_EQ(count(svg, "<polyline"), 3u);  // raw loss, smoothed loss, throughput
  EXPECT_EQ(count(svg, "<circle"), 2u);    // two held-out evaluations
  EXPECT_NE(svg.find("<title>step 30: 2.5000</title>"), std::string::npos);
  // 30 points in the raw loss line
  const auto start = svg.find("<polyline");
  const auto points = svg.substr(start, svg.find("/>", start) - start);
  EXPECT_EQ(count(points, ","), 30u);
}

TEST(MetricsPlot, BadInputIsNamed) {
  test::TempDir dir;
  test::write_text(dir / "m.jsonl", "{\"step\":1,\"loss\":2}\n{oops\n");
  EXPECT_EQ(test::error_of([&] { plot_metrics_svg(dir / "m.jsonl"); }),
            dir / "m.jsonl" + ":2: not valid JSON");
  test::write_text(dir / "e.jsonl", "{\"event\":\"start\",\"step\":0}\n");
  EXPECT_EQ(test::error_of([&] { plot_metrics_svg(dir / "e.jsonl"); }),
            dir / "e.jsonl" + ": no loss to plot (expected lines with \"step\" and \"loss\")");
}

}  // namespace
}  // namespace borealis::train
