// The type table: which types this library handles, their row sizes, and what activations meet them.
#include <stdexcept>
#include <string>

#include <plinth/weight_formats.hpp>

namespace plinth::weight_formats {

bool is_supported(uint32_t type) {
    switch (type) {
    case PLINTH_TYPE_F32: case PLINTH_TYPE_F16: case PLINTH_TYPE_BF16:
    case PLINTH_TYPE_Q4_0: case PLINTH_TYPE_Q4_1: case PLINTH_TYPE_Q5_0: case PLINTH_TYPE_Q5_1:
    case PLINTH_TYPE_Q8_0: case PLINTH_TYPE_Q8_1:
    case PLINTH_TYPE_Q2_K: case PLINTH_TYPE_Q3_K: case PLINTH_TYPE_Q4_K: case PLINTH_TYPE_Q5_K:
    case PLINTH_TYPE_Q6_K: case PLINTH_TYPE_Q8_K:
        return true;
    default:
        return false;
    }
}

void check_row(uint32_t type, int64_t n, const char* what) {
    if (!is_supported(type)) {
        const char* name = plinth_weight_type_info(type).name;
        throw std::invalid_argument(std::string(what) + ": unsupported weight type " +
                                    (name ? name : std::to_string(type)));
    }
    const plinth_weight_type_traits t = plinth_weight_type_info(type);
    if (n < 0 || n % t.block_size != 0)
        throw std::invalid_argument(std::string(what) + ": " + std::to_string(n) + " elements of " + t.name +
                                    " is not a whole number of " + std::to_string(t.block_size) +
                                    "-element blocks");
}

size_t row_bytes(uint32_t type, int64_t n) {
    check_row(type, n, "row_bytes");
    const plinth_weight_type_traits t = plinth_weight_type_info(type);
    return size_t(n / t.block_size) * t.block_bytes;
}

uint32_t activation_type(uint32_t weight_type) {
    switch (weight_type) {
    case PLINTH_TYPE_Q4_0: case PLINTH_TYPE_Q5_0: case PLINTH_TYPE_Q8_0: case PLINTH_TYPE_Q8_1:
        return PLINTH_TYPE_Q8_0;
    case PLINTH_TYPE_Q4_1: case PLINTH_TYPE_Q5_1:
        return PLINTH_TYPE_Q8_1;
    case PLINTH_TYPE_Q2_K: case PLINTH_TYPE_Q3_K: case PLINTH_TYPE_Q4_K: case PLINTH_TYPE_Q5_K:
    case PLINTH_TYPE_Q6_K: case PLINTH_TYPE_Q8_K:
        return PLINTH_TYPE_Q8_K;
    case PLINTH_TYPE_F16:
        return PLINTH_TYPE_F16;
    case PLINTH_TYPE_F32: case PLINTH_TYPE_BF16:
        return PLINTH_TYPE_F32;
    default:
        check_row(weight_type, 0, "activation_type");  // throws: unsupported
        return PLINTH_TYPE_F32;
    }
}

}  // namespace plinth::weight_formats
