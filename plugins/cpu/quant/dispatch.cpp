// Run-time choice of the kernels: the best level this CPU runs, each type falling back to the level
// below where a level has no kernel of its own. quantize_row goes through here too: its SIMD kernels
// (the activation types) write the reference quantizer's exact bytes, only faster.
#include <atomic>
#include <cstring>

#if PLINTH_QUANT_X86_SIMD
#include <cpuid.h>
#endif
#if PLINTH_QUANT_NEON
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif

#include "kernel_tables.hpp"
#include "cpu_kernels.hpp"
#include "prefetch_target.hpp"

namespace plinth::quant {
namespace {

using detail::KernelTable;

enum class Level { scalar, avx2, avx512, neon };

#if PLINTH_QUANT_X86_SIMD
// F16C straight from CPUID leaf 1: clang 14's __builtin_cpu_supports does not know it.
bool has_f16c() {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    return __get_cpuid(1, &eax, &ebx, &ecx, &edx) != 0 && (ecx & bit_F16C) != 0;
}
#endif

bool cpu_runs(Level level) {
    if (level == Level::scalar) return true;
#if PLINTH_QUANT_X86_SIMD
    // __builtin_cpu_supports also checks that the OS saves the AVX / AVX-512 registers.
    const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && has_f16c();
    const bool avx512 = avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
    if (level == Level::avx2) return avx2;
    if (level == Level::avx512) return avx512;
#endif
#if PLINTH_QUANT_NEON
    if (level == Level::neon) return (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0;  // the dot-product extension
#endif
    return false;
}

// The scalar level: the formats' reference dot products; no quantizers (the reference quantizer
// serves every type there).
KernelTable reference_table() {
    KernelTable t{};
    t.name = "scalar";
    for (uint32_t type = 0; type < PLINTH_TYPE_COUNT_; ++type) {
        t.dot[type] = weight_formats::reference_dot_kernel(type, sum_order::lanes);
        t.dot_blocks[type] = weight_formats::reference_dot_kernel(type, sum_order::blocks);
        t.interleaved[type] = detail::reference_interleaved_kernel(type);
    }
    return t;
}

// One level's kernels merged with the levels below it.
KernelTable merged([[maybe_unused]] Level level) {
    KernelTable t = reference_table();
    auto add = [&t](const KernelTable& above) {
        t.name = above.name;
        for (int type = 0; type < PLINTH_TYPE_COUNT_; ++type) {
            // A gemm kernel must match its level's dot bit for bit: a level with a dot of its own
            // brings its gemm too (null where it has none), never keeping the one below.
            if (above.dot[type] != nullptr) {
                t.dot[type] = above.dot[type];
                t.gemm[type] = above.gemm[type];
            }
            if (above.dot_blocks[type] != nullptr) {
                t.dot_blocks[type] = above.dot_blocks[type];
                t.gemm_blocks[type] = above.gemm_blocks[type];
            }
            if (above.quantize[type] != nullptr) t.quantize[type] = above.quantize[type];
            if (above.interleaved[type] != nullptr) t.interleaved[type] = above.interleaved[type];
        }
    };
#if PLINTH_QUANT_X86_SIMD
    if (level == Level::avx2 || level == Level::avx512) add(detail::kAvx2Table);
    if (level == Level::avx512) {
        add(detail::kAvx512Table);
        // The same bits from fewer instructions where the CPU has VBMI's byte permutes.
        if (__builtin_cpu_supports("avx512vbmi")) t.gemm_blocks[PLINTH_TYPE_Q4_0] = detail::avx512::gemm_q4_0_blocks_vbmi;
    }
#endif
#if PLINTH_QUANT_NEON
    if (level == Level::neon) add(detail::kNeonTable);
#endif
    return t;
}

const KernelTable& table_for(Level level) {
    static const KernelTable tables[] = {merged(Level::scalar), merged(Level::avx2), merged(Level::avx512), merged(Level::neon)};
    return tables[int(level)];
}

Level best_level() {
    for (Level l : {Level::avx512, Level::avx2, Level::neon})
        if (cpu_runs(l)) return l;
    return Level::scalar;
}

std::atomic<const KernelTable*>& active() {
    static std::atomic<const KernelTable*> table{&table_for(best_level())};
    return table;
}

}  // namespace

const char* dispatch_name() { return active().load(std::memory_order_relaxed)->name; }

const detail::KernelTable& detail::active_table() { return *active().load(std::memory_order_relaxed); }
const detail::KernelTable& detail::best_table() { return table_for(best_level()); }

namespace {
// AMD's (and Hygon's, the same cores) weight prefetches go to the second level: prefetch_target.hpp.
bool prefetch_to_l2_by_default() {
#if PLINTH_QUANT_X86_SIMD
    unsigned eax = 0, regs[3] = {0, 0, 0};
    if (__get_cpuid(0, &eax, &regs[0], &regs[2], &regs[1]) == 0) return false;  // vendor: ebx, edx, ecx
    char vendor[13] = {};
    std::memcpy(vendor, regs, 12);
    return std::strcmp(vendor, "AuthenticAMD") == 0 || std::strcmp(vendor, "HygonGenuine") == 0;
#else
    return false;
#endif
}
}  // namespace

bool detail::prefetch_to_l2 = prefetch_to_l2_by_default();

bool set_weight_prefetch(const char* name) {
    if (name == nullptr) return false;
    bool l2;
    if (std::strcmp(name, "auto") == 0) l2 = prefetch_to_l2_by_default();
    else if (std::strcmp(name, "l1") == 0) l2 = false;
    else if (std::strcmp(name, "l2") == 0) l2 = true;
    else return false;
    detail::prefetch_to_l2 = l2;
    return true;
}

bool set_dispatch_for_testing(const char* name) {
    Level level;
    if (name == nullptr || std::strcmp(name, "auto") == 0) level = best_level();
    else if (std::strcmp(name, "avx512") == 0) level = Level::avx512;
    else if (std::strcmp(name, "avx2") == 0) level = Level::avx2;
    else if (std::strcmp(name, "scalar") == 0) level = Level::scalar;
    else if (std::strcmp(name, "neon") == 0) level = Level::neon;
    else return false;
    if (!cpu_runs(level)) return false;
    active().store(&table_for(level), std::memory_order_relaxed);
    return true;
}

namespace {
// The kernel for a type and order: the blocks order where the type has one, else its only order.
detail::DotFn kernel(const KernelTable& t, uint32_t weight_type, sum_order order) {
    if (order == sum_order::blocks && t.dot_blocks[weight_type] != nullptr) return t.dot_blocks[weight_type];
    return t.dot[weight_type];
}
}  // namespace

float dot(uint32_t weight_type, int64_t n, const void* w_row, const void* act_row, sum_order order) {
    weight_formats::check_row(weight_type, n, "dot");
    return kernel(*active().load(std::memory_order_relaxed), weight_type, order)(n, w_row, act_row);
}

void quantize_row(uint32_t type, const float* src, void* dst, int64_t n) {
    weight_formats::check_row(type, n, "quantize_row");
    if (const detail::QuantizeFn fn = active().load(std::memory_order_relaxed)->quantize[type]) return fn(src, dst, n);
    weight_formats::quantize_row(type, src, dst, n);
}

void matvec(uint32_t weight_type, int64_t rows, int64_t n, const void* w, size_t w_row_stride_bytes,
            const void* act, float* out, sum_order order) {
    weight_formats::check_row(weight_type, n, "matvec");
    const detail::DotFn fn = kernel(*active().load(std::memory_order_relaxed), weight_type, order);
    const auto* row = static_cast<const unsigned char*>(w);
    for (int64_t r = 0; r < rows; ++r) out[r] = fn(n, row + size_t(r) * w_row_stride_bytes, act);
}

void gemm(uint32_t weight_type, int64_t rows, int64_t n, const void* w, size_t w_row_stride_bytes, int64_t cols,
          const void* act, size_t act_col_stride_bytes, float* out, int64_t out_col_stride, sum_order order) {
    weight_formats::check_row(weight_type, n, "gemm");
    const KernelTable& t = *active().load(std::memory_order_relaxed);
    const bool blocks = order == sum_order::blocks && t.dot_blocks[weight_type] != nullptr;
    if (const detail::GemmFn g = blocks ? t.gemm_blocks[weight_type] : t.gemm[weight_type])
        return g(rows, n, w, w_row_stride_bytes, cols, act, act_col_stride_bytes, out, out_col_stride);
    const detail::DotFn fn = kernel(t, weight_type, order);
    const auto* row = static_cast<const unsigned char*>(w);
    const auto* a = static_cast<const unsigned char*>(act);
    for (int64_t c = 0; c < cols; ++c)
        for (int64_t r = 0; r < rows; ++r)
            out[c * out_col_stride + r] = fn(n, row + size_t(r) * w_row_stride_bytes, a + size_t(c) * act_col_stride_bytes);
}

}  // namespace plinth::quant
