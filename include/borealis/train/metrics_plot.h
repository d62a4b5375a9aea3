#pragma once
// `borealis plot`: a training run's metrics.jsonl drawn as one SVG file (any
// browser opens it; no service, no account): training loss per step with the
// held-out evaluations as points, and throughput (tokens/s) per step.

#include <string>

namespace borealis::train {

// Reads metrics.jsonl lines ({"step", "loss", "tokens_per_s"} and
// {"step", "eval_loss"}; other lines ignored; for a step logged twice the
// last wins) and returns the SVG document. borealis::Error naming the file
// and line for JSON it cannot read, or when there is nothing to plot.
std::string plot_metrics_svg(const std::string& metrics_path);

}  // namespace borealis::train
