#pragma once
// The backend conformance suite: every op of compute.h, with every weight type, odd sizes, several
// batch sizes, GQA, both ROPE modes, F16 and F32 caches, a paged block table, in-place forms, a
// chained multi-node graph in one scratch buffer, and bad index values; each graph runs on the
// backend under test and on a reference backend (the CPU plugin) through the same code, and the
// results are compared with the tolerances docs/backends.md states.
//
// It knows nothing of any backend but the C ABI: a new backend runs it unchanged, and `plinth
// conformance --plugin` runs it on a plugin built out of tree. A case whose graph has a node the
// backend's supports_node refuses, or a node of an ABI minor newer than the plugin speaks, is
// recorded as refused, not failed.
#include <plinth/plugin_host.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace plinth::conformance {

enum class outcome { passed, failed, refused };

struct case_result {
    std::string group;   // "MATMUL" (groups())
    std::string name;    // "MATMUL Q4_K K=256 N=17 T=7"
    outcome result = outcome::passed;
    std::string detail;  // why it failed or was refused
};

struct report {
    std::vector<case_result> cases;
    size_t count(outcome o) const;
    std::vector<const case_result*> with(outcome o) const;
};

// The groups of cases: one per op ("GET_ROWS", ..., "COPY"), and "GRAPH" (chained nodes, index
// errors, validation).
const std::vector<std::string>& groups();

// Runs the cases of `group` ("" for all) on `backend`'s `device`, and on `reference`'s device 0.
report run(const loaded_plugin& backend, uint32_t device, const loaded_plugin& reference, const std::string& group = "");

}  // namespace plinth::conformance
