// The x86 kernels that stream weights from memory ask for them ahead of time (prefetch_ahead), and
// nothing but the machine code shows whether the compiler kept those requests: GCC 12 once removed
// every one of Sym32PairPanel's (a server's batched decode) without changing a result, and its
// weights then came from memory at 0.74-0.87x the speed. This test disassembles its own binary
// (objdump, from binutils) and holds every row kernel and panel driver to having a prefetch.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#if defined(__x86_64__) && defined(__GNUC__)  // where plugins/cpu/quant builds its x86 SIMD kernels

namespace {

// Demangled function name -> prefetch instructions in it, for the quant kernels of this binary.
std::map<std::string, int> prefetches_by_function() {
    std::map<std::string, int> found;
    std::error_code ec;
    const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);  // (objdump's own /proc/self is objdump)
    if (ec) return found;
    const std::string command = "objdump -d --no-show-raw-insn -C '" + self.string() + "' 2>/dev/null";
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
    if (!pipe) return found;
    std::string line, current;
    char* buffer = nullptr;
    size_t capacity = 0;
    while (getline(&buffer, &capacity, pipe.get()) > 0) {  // demangled names run to thousands of characters
        line = buffer;
        // "0000000000061320 <void plinth::quant::...>:" starts a function
        if (const auto open = line.find(" <"); open != std::string::npos && line.size() > 3 && line.compare(line.size() - 3, 3, ">:\n") == 0) {
            current = line.substr(open + 2, line.size() - 3 - open - 2);
            if (current.find("quant::detail") == std::string::npos || current.rfind("std::", 0) == 0) current.clear();
            else found.emplace(current, 0);
        } else if (!current.empty() && line.find("prefetch") != std::string::npos) {
            ++found[current];
        }
    }
    std::free(buffer);
    return found;
}

bool streams_weights(const std::string& name) {
    return name.find("panel_gemm<") != std::string::npos || name.find("Rows<") != std::string::npos ||
           name.find("rows4<") != std::string::npos || name.find("gemm_rows<") != std::string::npos;
}

}  // namespace

TEST_CASE("the x86 row kernels and panel drivers keep their prefetches", "[quant][gemm]") {
    const auto functions = prefetches_by_function();
    if (functions.empty()) {
        WARN("objdump is not installed or found no kernels in this binary: prefetch check skipped");
        return;
    }
    int checked = 0;
    for (const auto& [name, count] : functions) {
        if (!streams_weights(name)) continue;
        ++checked;
        INFO(name);
        CHECK(count > 0);
    }
    // The Q4_0/Q8_0 pair panels at least (batched decode), so that a renamed kernel cannot pass unseen.
    CHECK(checked >= 10);
    int pair_panels = 0;
    for (const auto& [name, count] : functions)
        if (name.find("panel_gemm<") != std::string::npos && name.find("Sym32PairPanel<") != std::string::npos &&
            name.find("Sym32Panel<") == std::string::npos)
            ++pair_panels;
    CHECK(pair_panels >= 2);
}

#endif
