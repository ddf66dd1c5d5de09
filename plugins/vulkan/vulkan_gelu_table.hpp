#pragma once
// GEGLU's table of F16 gelu results (shaders/elementwise.comp reads it from the aux buffer).
//
// The CPU backend looks gelu up in a 64K-entry table of F16 values made with the C library's
// tanhf; a GPU's tanh (or an independent double evaluation) may differ from it by an ulp, and
// near an F16 rounding boundary that becomes a whole F16 step in the output. The host fills the
// same table with the same code (sdk::gelu_tanh), so both backends give the same bits.
#include <cstdint>

namespace plinth::vk {

constexpr uint32_t gelu_table_words = 65536 / 2;  // two F16 entries per 32-bit word

// out[h] = F16(gelu(x)) for every F16 bit pattern h of x (round to nearest even).
void fill_gelu_table(uint16_t* out);

}  // namespace plinth::vk
