// `borealis export`: a checkpoint in another ecosystem's layout. For now the
// Hugging Face one (model/hf_export.h): model.safetensors + config.json, the
// checkpoint's tokenizer files, and borealis_provenance.json -- what the
// model was trained on travels with it.

#include <unistd.h>

#include <filesystem>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "borealis/io/atomic_output_file.h"
#include "borealis/model/hf_export.h"
#include "borealis/train/checkpoint.h"
#include "borealis/util/error.h"
#include "borealis/version.h"
#include "commands.h"

namespace borealis::cli {

namespace fs = std::filesystem;

void add_export_command(CLI::App& app) {
  struct Options {
    std::string checkpoint, format = "hf", out;
  };
  auto opt = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "export", "Write a checkpoint in the Hugging Face layout (LlamaForCausalLM / GPT2LMHeadModel)");
  cmd->add_option("--checkpoint", opt->checkpoint,
                  "A checkpoint folder, or a run folder (its newest checkpoint)")
      ->required();
  cmd->add_option("--format", opt->format, "Output layout: hf (Hugging Face Transformers)")
      ->capture_default_str();
  cmd->add_option("out", opt->out, "Folder to create (must not exist yet)")->required();
  cmd->callback([opt] {
    if (opt->format != "hf")
      throw Error(fmt::format("--format {}: the only export format is hf", opt->format));
    if (fs::exists(opt->out))
      throw Error(fmt::format("{}: already exists; export into a new folder", opt->out));
    const auto dir = train::resolve_checkpoint(opt->checkpoint);
    const auto state = train::read_checkpoint_state(dir);
    const auto model = train::load_checkpoint_model(dir);

    // Built under a temporary name, renamed when whole.
    const fs::path out = fs::absolute(opt->out);
    const fs::path temp = out.parent_path() / fmt::format(".{}.tmp.{}", out.filename().string(), ::getpid());
    std::error_code ec;
    fs::remove_all(temp, ec);
    fs::create_directories(temp, ec);
    if (ec) throw_system_error(temp.string(), "cannot create the export folder", ec.value());
    try {
      model::write_hugging_face(*model, temp.string());
      std::vector<std::string> tokenizer_files;
      for (const auto& e : fs::directory_iterator(fs::path(dir) / "tokenizer", ec)) {
        fs::copy_file(e.path(), temp / e.path().filename(), fs::copy_options::overwrite_existing);
        tokenizer_files.push_back(e.path().filename().string());
      }
      const nlohmann::json provenance = {
          {"exported_by", fmt::format("borealis {} (commit {})", kVersion, kGitCommit)},
          {"checkpoint", fs::absolute(dir).string()},
          {"step", state.step},
          {"consumed_samples", state.consumed_samples},
          {"training_config", state.config},
          {"data", state.provenance}};
      io::write_file_atomically((temp / "borealis_provenance.json").string(),
                                provenance.dump(2) + "\n");
      fs::rename(temp, out);
      const auto& c = model->config();
      fmt::print("exported {} (step {}) to {}: {}, {} parameters\n", dir, state.step,
                 out.string(), model::hugging_face_config(c)["architectures"][0].get<std::string>(),
                 c.parameter_count());
      fmt::print("files    model.safetensors config.json borealis_provenance.json{}{}\n",
                 tokenizer_files.empty() ? "" : " ", fmt::join(tokenizer_files, " "));
    } catch (...) {
      fs::remove_all(temp, ec);
      throw;
    }
  });
}

}  // namespace borealis::cli
