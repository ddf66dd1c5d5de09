#pragma once
#include <cstdint>
#include <string>

namespace plinth::cli {

// 1536 -> "1.5 KiB": binary units, one decimal.
std::string format_bytes(uint64_t bytes);

}  // namespace plinth::cli
