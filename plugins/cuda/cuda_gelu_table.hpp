#pragma once
// GEGLU's gelu as a 64K-entry table of F16 results, one per F16 input (plinth/compute.h's
// intended form), made on the host with the SDK's gelu_tanh so that it holds the CPU backend's
// bits, and uploaded once per device.
#include <cstdint>

namespace plinth::cuda {

constexpr uint32_t gelu_table_entries = 65536;

// out[h] = F16(gelu_tanh(float(h))) for every F16 bit pattern h.
void fill_gelu_table(uint16_t* out);

}  // namespace plinth::cuda
