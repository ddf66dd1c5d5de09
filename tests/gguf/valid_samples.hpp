#pragma once
// Small, valid GGUF files built from scratch: every metadata value type, nested arrays, GGUF v2, a
// custom alignment and several tensor types, none of which the shared models exercise. Used by the
// tests and as fuzzer seeds.
#include <string>
#include <vector>

#include "gguf_image.hpp"

namespace plinth::gguf_test {

struct named_gguf {
    std::string name;
    bytes data;
};

// "all_value_types_v3" and "all_value_types_v2" hold (besides general.alignment = 64):
//   general.architecture "sample"; sample.u8 200; sample.i8 -100; sample.u16 60000; sample.i16 -30000;
//   sample.u32 4000000000; sample.i32 -2000000000; sample.f32 1.5; sample.bool true; sample.u64 2^40;
//   sample.i64 -2^40; sample.f64 2.25; sample.string_empty ""; sample.u8_array [1,2,3];
//   sample.i32_array [-1,7]; sample.f32_array [0.5,-2]; sample.bool_array [true,false,true];
//   sample.string_array ["alpha","","γ"]; sample.empty_array u64 x 0;
//   sample.nested_strings [["x","yz"],[]]; sample.nested_i16 [[1,2],[3]]; sample.deep [[[7]]]
// and the tensors, each filled with bytes (file offset % 251):
//   "weights.f32" F32 [4,2]; "weights.q8_0" Q8_0 [64,1]; "weights.f16_4d" F16 [3,1,1,2]; "weights.q4_k" Q4_K [256].
// "metadata_only": general.architecture "sample", sample.string_array as above, no tensors, no padding.
// "empty": no metadata, no tensors (the 24-byte header).
std::vector<named_gguf> make_valid_samples();

}  // namespace plinth::gguf_test
