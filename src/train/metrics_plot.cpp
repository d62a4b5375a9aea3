#include "borealis/train/metrics_plot.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "borealis/io/json_lines.h"
#include "borealis/util/error.h"

namespace borealis::train {

namespace {

using Series = std::map<double, double>;  // x -> y, sorted by step

// "Nice" tick step for a span (1, 2 or 5 times a power of ten).
double tick_step(double span, int target) {
  const double raw = span / std::max(1, target);
  const double p = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (raw <= m * p) return m * p;
  return 10 * p;
}

std::string number(double v) {
  if (v != 0 && (std::fabs(v) >= 1e5 || std::fabs(v) < 1e-3)) return fmt::format("{:.1e}", v);
  return fmt::format("{:g}", v);
}

// One panel: series drawn as lines (or points), axes with ticks and labels.
struct Panel {
  double x0, y0, w, h;  // placement in the SVG
  std::string title, y_label;
};

void draw_panel(std::string& svg, const Panel& p,
                const std::vector<std::pair<const Series*, std::string>>& lines,
                const Series* points, const std::string& point_color, double x_max) {
  double lo = INFINITY, hi = -INFINITY;
  for (const auto& [s, color] : lines)
    for (const auto& [x, y] : *s) lo = std::min(lo, y), hi = std::max(hi, y);
  if (points)
    for (const auto& [x, y] : *points) lo = std::min(lo, y), hi = std::max(hi, y);
  if (!std::isfinite(lo)) lo = 0, hi = 1;
  if (hi - lo < 1e-12) hi = lo + 1;
  const double pad = (hi - lo) * 0.05;
  lo -= pad;
  hi += pad;
  const double xmax = std::max(1.0, x_max);
  auto X = [&](double x) { return p.x0 + x / xmax * p.w; };
  auto Y = [&](double y) { return p.y0 + p.h - (y - lo) / (hi - lo) * p.h; };
  svg += fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="#888"/>)"
                     "\n",
                     p.x0, p.y0, p.w, p.h);
  svg += fmt::format(R"(<text x="{}" y="{}" font-size="14" font-weight="bold">{}</text>)"
                     "\n",
                     p.x0, p.y0 - 8, p.title);
  const double ys = tick_step(hi - lo, 5);
  for (double t = std::ceil(lo / ys) * ys; t <= hi; t += ys)
    svg += fmt::format(R"(<line x1="{0}" x2="{1}" y1="{2:.1f}" y2="{2:.1f}" stroke="#eee"/>)"
                       R"(<text x="{3}" y="{4:.1f}" font-size="11" text-anchor="end">{5}</text>)"
                       "\n",
                       p.x0, p.x0 + p.w, Y(t), p.x0 - 4, Y(t) + 4, number(t));
  const double xs = tick_step(xmax, 8);
  for (double t = 0; t <= xmax; t += xs)
    svg += fmt::format(R"(<text x="{:.1f}" y="{}" font-size="11" text-anchor="middle">{}</text>)"
                       "\n",
                       X(t), p.y0 + p.h + 14, number(t));
  svg += fmt::format(
      R"svg(<text x="{}" y="{}" font-size="11" transform="rotate(-90 {} {})" text-anchor="middle">{}</text>)svg"
      "\n",
      p.x0 - 48, p.y0 + p.h / 2, p.x0 - 48, p.y0 + p.h / 2, p.y_label);
  for (const auto& [s, color] : lines) {
    if (s->empty()) continue;
    std::string pts;
    for (const auto& [x, y] : *s) pts += fmt::format("{:.1f},{:.1f} ", X(x), Y(y));
    svg += fmt::format(R"(<polyline fill="none" stroke="{}" stroke-width="1.5" points="{}"/>)"
                       "\n",
                       color, pts);
  }
  if (points)
    for (const auto& [x, y] : *points)
      svg += fmt::format(
          R"(<circle cx="{:.1f}" cy="{:.1f}" r="4" fill="{}"><title>step {}: {:.4f}</title></circle>)"
          "\n",
          X(x), Y(y), point_color, x, y);
}

}  // namespace

std::string plot_metrics_svg(const std::string& metrics_path) {
  Series loss, eval, throughput;
  io::for_each_json_line(metrics_path, [&](const nlohmann::json& j, std::uint64_t) {
    if (!j.is_object() || !j.contains("step") || !j["step"].is_number()) return;
    const double step = j["step"].get<double>();
    auto take = [&](const char* key, Series& s) {
      if (j.contains(key) && j[key].is_number() && std::isfinite(j[key].get<double>()))
        s[step] = j[key].get<double>();
    };
    take("loss", loss);
    take("eval_loss", eval);
    take("tokens_per_s", throughput);
  });
  if (loss.empty() && eval.empty())
    throw Error(fmt::format("{}: no loss to plot (expected lines with \"step\" and \"loss\")",
                            metrics_path));
  double x_max = 0;
  for (const Series* s : {&loss, &eval, &throughput})
    if (!s->empty()) x_max = std::max(x_max, s->rbegin()->first);
  // Smoothed training loss (exponential moving average, 0.9), drawn over the raw one.
  Series smooth;
  double ema = 0;
  bool first = true;
  for (const auto& [x, y] : loss) {
    ema = first ? y : 0.9 * ema + 0.1 * y;
    first = false;
    smooth[x] = ema;
  }
  const double W = 900, H = 640;
  std::string svg = fmt::format(
      R"(<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" font-family="sans-serif">)"
      "\n"
      R"(<rect width="100%" height="100%" fill="white"/>)"
      "\n",
      W, H);
  draw_panel(svg,
             {70, 40, 800, 320,
              "Loss (training: light = per step, dark = smoothed; dots = held-out)", "loss"},
             {{&loss, "#9ecae1"}, {&smooth, "#08519c"}}, &eval, "#d94801", x_max);
  draw_panel(svg, {70, 420, 800, 170, "Throughput", "tokens/s"}, {{&throughput, "#31a354"}},
             nullptr, "", x_max);
  svg += fmt::format(R"(<text x="{}" y="{}" font-size="12" text-anchor="middle">step</text>)"
                     "\n</svg>\n",
                     70 + 400, H - 14);
  return svg;
}

}  // namespace borealis::train
