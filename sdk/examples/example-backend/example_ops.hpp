#pragma once
// The example device's kernels: one function per op of compute.h it computes, each on a node the
// SDK's node validator has already checked (types, shapes, buffer bounds), following compute.h's
// precision contract in plain scalar C++. What is left to check here is the data itself: row ids,
// positions and cache slots that point outside their tensors.
#include <plinth/sdk/node_validator.hpp>

namespace example {

// A checked tensor: the SDK's view plus where its bytes are.
struct tensor : plinth::sdk::tensor_view {
    char* data = nullptr;
    template <class T>
    T* as() const { return reinterpret_cast<T*>(data); }
    char* row(int64_t r) const { return data + uint64_t(r) * row_bytes; }
};
using node = plinth::sdk::basic_node_view<tensor>;

// The ops this example computes (every ABI 1.0 op); the 1.1 ones (GEGLU, SCALE, SOFTCAP,
// MOE_ROUTE, MATMUL_EXPERTS) it refuses, so the host runs them on another device.
bool computes(uint32_t op);
// The weight types GET_ROWS and MATMUL read here: a small model's (F32, F16, Q8_0, Q4_0).
bool decodes(uint32_t weight_type);

// Runs one checked node; err gets "node N (OP): ..." on bad data.
plinth_status run(const node& n, plinth_message* err);

}  // namespace example
