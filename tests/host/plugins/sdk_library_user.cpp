// Compiled into the out-of-tree plugin of tests/cli/test_cli_swap_backend.cpp: the installed weight
// formats (a static library, which must link into a shared module) and node validator, used from a
// build that knows only the install prefix, with the consumer's compiler and warnings.
#include <plinth/sdk/node_validator.hpp>
#include <plinth/weight_formats.hpp>
#include <plinth/weight_formats/block_layouts.hpp>
#include <plinth/weight_formats/half.hpp>

#include <cmath>

// 1 when a Q8_0 round trip, a row size and the SDK's weight-type rule give what they should.
extern "C" __attribute__((visibility("default"))) int outside_uses_the_sdk_libraries() {
    namespace wf = plinth::weight_formats;
    float x[32], y[32];
    for (int i = 0; i < 32; ++i) x[i] = float(i) - 15.5f;
    wf::BlockQ8_0 block{};
    wf::quantize_row(PLINTH_TYPE_Q8_0, x, &block, 32);
    wf::dequantize_row(PLINTH_TYPE_Q8_0, &block, y, 32);
    const float step = wf::fp16_to_fp32(block.d);  // 15.5 / 127, as stored
    for (int i = 0; i < 32; ++i)
        if (std::fabs(x[i] - y[i]) > step) return 0;
    return wf::row_bytes(PLINTH_TYPE_Q4_K, 512) == 288 && plinth::sdk::is_weight_type(PLINTH_TYPE_Q4_K) &&
                   !plinth::sdk::is_weight_type(PLINTH_TYPE_I32)
               ? 1
               : 0;
}
