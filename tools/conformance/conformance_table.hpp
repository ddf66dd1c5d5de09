#pragma once
// The conformance kit's per-op table, as `plinth conformance` prints it: one row per op group with
// its passed, refused and failed cases and a verdict, then every failure with its reason.
#include "backend_conformance.hpp"

#include <string>

namespace plinth::conformance {

// verbose: also list each refused case with the backend's reason.
std::string render_table(const report& r, bool verbose);

}  // namespace plinth::conformance
