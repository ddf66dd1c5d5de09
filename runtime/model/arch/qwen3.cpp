// Qwen 3 and Qwen 3 MoE: the pre-norm decoder with NeoX rope and an RMS norm on each q and k head
// before rope; the MoE variant's FFN is a mixture of experts (expert_count in the file).
#include "pre_norm_decoder.hpp"

namespace plinth::arch {

std::unique_ptr<architecture> load_qwen3(const model_file& f) {
    pre_norm_options o;
    o.rope_mode = 2;
    o.rope_style = "NeoX halves";
    o.qk_norm = qk_norm_kind::per_head;
    return std::make_unique<pre_norm_decoder>(f, o);
}

}  // namespace plinth::arch
