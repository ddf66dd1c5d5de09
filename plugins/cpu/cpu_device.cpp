#include "cpu_device.hpp"

#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <utility>

#include <unistd.h>

namespace plinth::cpu {
namespace {

// Value of a "key : value" line in a /proc file.
std::string field_value(const std::string& line) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) return {};
    const auto start = line.find_first_not_of(" \t", colon + 1);
    return start == std::string::npos ? std::string{} : line.substr(start);
}

// A /proc/meminfo entry in bytes, or 0 when absent.
uint64_t meminfo_bytes(const std::string& key) {
    std::ifstream in("/proc/meminfo");
    for (std::string line; std::getline(in, line);)
        if (line.rfind(key + ":", 0) == 0) return std::stoull(field_value(line)) * 1024;  // values are kB
    return 0;
}

}  // namespace

const cpu_description& describe_cpu() {
    static const cpu_description description = [] {
        cpu_description d;
        d.logical_cores = std::max(1u, std::thread::hardware_concurrency());
        // Physical cores are the distinct (package, core id) pairs; SMT siblings share one.
        std::set<std::pair<std::string, std::string>> cores;
        std::string package;
        std::ifstream in("/proc/cpuinfo");
        for (std::string line; std::getline(in, line);) {
            if (line.rfind("model name", 0) == 0 && d.model_name.empty()) d.model_name = field_value(line);
            else if (line.rfind("physical id", 0) == 0) package = field_value(line);
            else if (line.rfind("core id", 0) == 0) cores.emplace(package, field_value(line));
        }
        if (!cores.empty()) d.physical_cores = static_cast<uint32_t>(cores.size());
        else d.physical_cores = d.logical_cores;
        if (d.model_name.empty()) d.model_name = "CPU";
        return d;
    }();
    return description;
}

uint64_t memory_total_bytes() {
    const long pages = sysconf(_SC_PHYS_PAGES);
    const long page_size = sysconf(_SC_PAGESIZE);
    return pages > 0 && page_size > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(page_size) : 0;
}

uint64_t memory_available_bytes() {
    const uint64_t available = meminfo_bytes("MemAvailable");
    return available ? available : meminfo_bytes("MemFree");
}

}  // namespace plinth::cpu
