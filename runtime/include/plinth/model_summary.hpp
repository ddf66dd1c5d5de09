#pragma once
// What `plinth inspect` reports about a model: its shape from the metadata and its weight-type mix.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace plinth {

class model_file;

struct weight_type_share {
    std::string type;       // "Q8_0"
    uint64_t tensors = 0;
    uint64_t parameters = 0;
    uint64_t bytes = 0;
};

struct model_summary {
    std::string format;
    std::string architecture;
    std::string name;
    std::string file_type;  // the file's declared quantization ("Q8_0", "F32", ...), if any
    uint64_t parameters = 0;
    uint64_t tensor_bytes = 0;
    uint64_t tensor_count = 0;
    std::optional<uint64_t> context_length, layers, heads, kv_heads, embedding, ffn, vocab;
    std::vector<weight_type_share> type_mix;  // most parameters first
};

model_summary summarize(const model_file& file);

// GGUF's general.file_type number as its usual name ("MOSTLY_Q4_K_M" -> "Q4_K_M").
std::string file_type_name(uint64_t file_type);

}  // namespace plinth
