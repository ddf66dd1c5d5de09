#pragma once
// A graph node as the tests describe it: op, destination and sources, unused sources marked
// PLINTH_NO_TENSOR (shared by the conformance harness and the CPU tests' graph builders).
#include <plinth/compute.h>

#include <cstdint>
#include <initializer_list>

namespace plinth::test {

inline plinth_node make_node(uint32_t op, uint32_t dst, std::initializer_list<uint32_t> srcs) {
    plinth_node n{};
    n.op = op;
    n.dst = dst;
    for (auto& s : n.src) s = PLINTH_NO_TENSOR;
    int k = 0;
    for (uint32_t s : srcs) n.src[k++] = s;
    return n;
}

}  // namespace plinth::test
