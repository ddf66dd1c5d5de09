// block_math.cuh as plain C++17 (this file is compiled with -std=c++17 and the project's warnings):
// the header's host path must need nothing newer, and no CUDA header.
#include "block_math.cuh"

#if __cplusplus > 201703L
#error "block_math_cxx17.cpp must be compiled as C++17"
#endif

// One use of each kind of function, so they are instantiated and compiled, not only parsed.
float block_math_cxx17_smoke() {
    using namespace plinth::cuda::bm;
    BlockQ4_K w{};
    BlockQ8_K a{};
    BlockQ8_0 q{};
    float x[32] = {};
    quantize_q8_0(x, q);
    return block_dot(w, a) + decode(w, 3) + block_dot(q, q) + f16_to_f32(f32_to_f16(1.5f));
}
