#pragma once
// The CPU as a device: its name, core counts and memory, read from the OS.
#include <cstdint>
#include <string>

namespace plinth::cpu {

struct cpu_description {
    std::string model_name;     // "Intel(R) Xeon(R) ..."
    uint32_t logical_cores = 1;
    uint32_t physical_cores = 1;
};

const cpu_description& describe_cpu();
uint64_t memory_total_bytes();
uint64_t memory_available_bytes();

}  // namespace plinth::cpu
