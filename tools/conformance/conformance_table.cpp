#include "conformance_table.hpp"

#include <spdlog/fmt/fmt.h>

#include <map>

namespace plinth::conformance {

namespace {

struct tally {
    size_t passed = 0, refused = 0, failed = 0;
};

// "pass": every case passed; "refused": the backend takes none of the op's cases; "partial": it
// takes some (e.g. not every weight type); "FAIL": at least one case computed a wrong answer.
const char* verdict(const tally& t) {
    if (t.failed) return "FAIL";
    if (t.passed && t.refused) return "partial";
    if (t.refused) return "refused";
    return "pass";
}

}  // namespace

std::string render_table(const report& r, bool verbose) {
    std::map<std::string, tally> by_group;
    for (const auto& g : groups()) by_group[g];
    for (const auto& c : r.cases) {
        tally& t = by_group[c.group];
        if (c.result == outcome::passed) ++t.passed;
        else if (c.result == outcome::refused) ++t.refused;
        else ++t.failed;
    }
    std::string out = fmt::format("{:<16} {:>7} {:>8} {:>7}  {}\n", "OP", "PASSED", "REFUSED", "FAILED", "RESULT");
    tally total;
    for (const auto& g : groups()) {
        const tally& t = by_group[g];
        if (!t.passed && !t.refused && !t.failed) continue;  // a group that was not run
        out += fmt::format("{:<16} {:>7} {:>8} {:>7}  {}\n", g, t.passed, t.refused, t.failed, verdict(t));
        total.passed += t.passed;
        total.refused += t.refused;
        total.failed += t.failed;
    }
    out += fmt::format("{:<16} {:>7} {:>8} {:>7}  {}\n", "total", total.passed, total.refused, total.failed, verdict(total));
    for (const auto* c : r.with(outcome::failed)) out += fmt::format("FAILED  {}: {}\n", c->name, c->detail);
    if (verbose)
        for (const auto* c : r.with(outcome::refused)) out += fmt::format("refused {}: {}\n", c->name, c->detail);
    return out;
}

}  // namespace plinth::conformance
