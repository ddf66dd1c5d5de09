// Qwen 2 / 2.5: the pre-norm decoder with NeoX rope and biases on the Q, K and V projections.
#include "pre_norm_decoder.hpp"

namespace plinth::arch {

std::unique_ptr<architecture> load_qwen2(const model_file& f) {
    pre_norm_options o;
    o.rope_mode = 2;
    o.rope_style = "NeoX halves";
    o.qkv_bias = true;
    return std::make_unique<pre_norm_decoder>(f, o);
}

}  // namespace plinth::arch
