#include "borealis/model/model_weights.h"

#include <nlohmann/json.hpp>

#include "borealis/io/safetensors.h"
#include "borealis/util/error.h"

namespace borealis::model {

namespace {
constexpr const char* kConfigKey = "borealis.model_config";
}

void write_model_weights(const Transformer& model, const std::string& path) {
  io::SafetensorsWriter writer;
  const auto params = model.parameters();
  for (const auto& t : model.layout().tensors())
    writer.add_f32(t.name, t.shape, params.subspan(t.offset, t.size));
  writer.set_metadata(kConfigKey, to_json(model.config()).dump());
  writer.set_metadata("format", "pt");  // what Hugging Face readers expect to find
  writer.write(path);
}

ModelConfig read_model_config(const std::string& path) {
  const io::SafetensorsReader reader(path);
  const auto it = reader.metadata().find(kConfigKey);
  if (it == reader.metadata().end())
    throw_file_error(path, "no model config in the safetensors metadata ('{}')", kConfigKey);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(it->second);
  } catch (const nlohmann::json::exception& e) {
    throw_file_error(path, "the stored model config is not valid JSON ({})", e.what());
  }
  return model_config_from_json(j, path);
}

void read_model_weights(Transformer& model, const std::string& path) {
  const io::SafetensorsReader reader(path);
  auto params = model.parameters();
  for (const auto& t : model.layout().tensors())
    reader.read_f32(t.name, t.shape, params.subspan(t.offset, t.size));
}

}  // namespace borealis::model
