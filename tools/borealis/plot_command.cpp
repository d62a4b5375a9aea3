// `borealis plot`: draws a run's metrics.jsonl as an SVG (loss and throughput).

#include <fmt/format.h>

#include "borealis/io/atomic_output_file.h"
#include "borealis/train/metrics_plot.h"
#include "commands.h"

namespace borealis::cli {

void add_plot_command(CLI::App& app) {
  struct Options {
    std::string metrics, out = "loss.svg";
  };
  auto opt = std::make_shared<Options>();
  auto* cmd =
      app.add_subcommand("plot", "Draw a training run's loss and throughput curves as an SVG file");
  cmd->add_option("metrics", opt->metrics,
                  "metrics.jsonl of a run (borealis train writes RUN/metrics.jsonl)")
      ->required();
  cmd->add_option("-o,--output", opt->out, "SVG file to write (open it in any browser)")
      ->capture_default_str();
  cmd->callback([opt] {
    io::write_file_atomically(opt->out, train::plot_metrics_svg(opt->metrics));
    fmt::print("wrote {}\n", opt->out);
  });
}

}  // namespace borealis::cli
