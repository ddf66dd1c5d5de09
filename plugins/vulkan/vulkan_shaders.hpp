#pragma once
// The compute shaders (shaders/*.comp), compiled to SPIR-V by glslc at build time and embedded by
// embed_spirv.cmake: one blob per variant, named as in CMakeLists.txt ("matmul_q4_k", ...).
#include <cstddef>
#include <cstdint>

namespace plinth::vk {

struct shader_blob {
    const char* name;
    const uint32_t* words;
    size_t word_count;
};

extern const shader_blob shader_blobs[];
extern const size_t shader_blob_count;

}  // namespace plinth::vk
