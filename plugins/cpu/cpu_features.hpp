#pragma once
// Which instruction-set extensions this CPU has, found at run time.
#include <string>

namespace plinth::cpu {

struct isa_features {
    bool sse42 = false, avx = false, avx2 = false, fma = false, f16c = false;
    bool avx512f = false, avx512bw = false, avx512vl = false, avx512vnni = false, avx512vbmi = false, avx512bf16 = false;
    bool avxvnni = false;
    bool neon = false, dotprod = false;
};

const isa_features& detect_isa();
// Space-separated names of what was found, e.g. "avx2 fma f16c avx512f avx512vnni".
std::string describe(const isa_features& f);

}  // namespace plinth::cpu
