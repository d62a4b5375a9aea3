#pragma once
// A model's weights as one safetensors file: every tensor of the layout
// (parameter_layout.h) by name, F32, vocabulary padding included, and the
// model config as JSON in the metadata ("borealis.model_config"), so the file
// alone says what it holds.

#include <string>

#include "borealis/model/model_config.h"
#include "borealis/model/transformer.h"

namespace borealis::model {

// Atomic (temporary name, fsync, rename).
void write_model_weights(const Transformer& model, const std::string& path);
// The config stored in a weights file (borealis::Error naming the file when absent or invalid).
ModelConfig read_model_config(const std::string& path);
// Loads every tensor of model's layout; a missing tensor, another dtype or
// another shape is an error naming the file and the tensor.
void read_model_weights(Transformer& model, const std::string& path);

}  // namespace borealis::model
