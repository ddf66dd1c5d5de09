#pragma once
// Which weight type each tensor gets for a target file type ("Q4_K_M", "Q8_0", ...): the mixes
// llama.cpp's quantizer publishes, written down in docs/quantization-mixes.md. Shared by
// `plinth quantize` and `plinth make-model`.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace plinth::cli {

struct file_type {
    const char* name;       // "Q4_K_M"
    uint32_t id;            // general.file_type (llama_ftype numbering)
    uint32_t base;          // the weight type most tensors get (plinth_weight_type)
};

// Every file type the tools can produce, in the order `--help` lists them.
const std::vector<file_type>& file_types();
// By name, case-insensitively; nullptr when unknown.
const file_type* find_file_type(std::string_view name);
// "F32, F16, BF16, Q4_0, ..." for messages.
std::string file_type_names();
// The name of a general.file_type value ("Q4_K_M"), or "unknown (N)".
std::string file_type_name(uint32_t id);

// What the mix rules need to know about the whole model.
struct mix_context {
    uint32_t n_attn_v = 0;    // tensors whose name contains "attn_v.weight"
    uint32_t n_ffn_down = 0;  // tensors whose name contains "ffn_down"
    uint32_t n_gqa = 1;       // attention.head_count / attention.head_count_kv
    bool has_output = true;   // an "output.weight" tensor exists (else token_embd doubles as it)
};

struct tensor_desc {
    std::string_view name;
    uint32_t n_dims = 0;
    uint64_t row = 0;       // shape[0]
    uint32_t type = 0;      // current type
};

// True when the tensor is quantized at all: 2-D or more, and not a norm.
bool is_quantizable(const tensor_desc& tensor);
// The type `tensor` gets in a file of type `target` (its current type when it is not quantizable).
uint32_t choose_type(const file_type& target, const tensor_desc& tensor, const mix_context& context);
// The mix's choice before fit_row: what choose_type would give if every row fitted its blocks.
uint32_t mix_type(const file_type& target, const tensor_desc& tensor, const mix_context& context);
// `type`, or llama.cpp's replacement for it when `row` is not a multiple of its block size.
uint32_t fit_row(uint32_t type, uint64_t row);
// The block index N of a name "blk.N.xxx", or -1.
int block_index(std::string_view name);

}  // namespace plinth::cli
