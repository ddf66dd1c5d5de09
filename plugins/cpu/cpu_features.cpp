#include "cpu_features.hpp"

#if defined(__aarch64__) && defined(__linux__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif

namespace plinth::cpu {

const isa_features& detect_isa() {
    static const isa_features features = [] {
        isa_features f;
#if defined(__x86_64__) || defined(__i386__)
        __builtin_cpu_init();
        f.sse42 = __builtin_cpu_supports("sse4.2");
        f.avx = __builtin_cpu_supports("avx");
        f.avx2 = __builtin_cpu_supports("avx2");
        f.fma = __builtin_cpu_supports("fma");
        f.avx512f = __builtin_cpu_supports("avx512f");
        f.avx512bw = __builtin_cpu_supports("avx512bw");
        f.avx512vl = __builtin_cpu_supports("avx512vl");
        f.avx512vnni = __builtin_cpu_supports("avx512vnni");
        f.avx512vbmi = __builtin_cpu_supports("avx512vbmi");
        // f16c, avx512bf16 and avx-vnni are not known to every compiler's __builtin_cpu_supports;
        // read them from CPUID directly.
        unsigned a, b, c, d;
        __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
        f.f16c = (c >> 29) & 1u;
        __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(7), "c"(1));
        f.avxvnni = (a >> 4) & 1u;
        f.avx512bf16 = (a >> 5) & 1u;
#elif defined(__aarch64__)
        f.neon = true;  // mandatory on AArch64
#if defined(__linux__)
        f.dotprod = (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0;
#endif
#endif
        return f;
    }();
    return features;
}

std::string describe(const isa_features& f) {
    std::string out;
    const auto add = [&](bool present, const char* name) {
        if (!present) return;
        if (!out.empty()) out += ' ';
        out += name;
    };
    add(f.sse42, "sse4.2");
    add(f.avx, "avx");
    add(f.avx2, "avx2");
    add(f.fma, "fma");
    add(f.f16c, "f16c");
    add(f.avxvnni, "avx-vnni");
    add(f.avx512f, "avx512f");
    add(f.avx512bw, "avx512bw");
    add(f.avx512vl, "avx512vl");
    add(f.avx512vnni, "avx512vnni");
    add(f.avx512vbmi, "avx512vbmi");
    add(f.avx512bf16, "avx512bf16");
    add(f.neon, "neon");
    add(f.dotprod, "dotprod");
    return out;
}

}  // namespace plinth::cpu
