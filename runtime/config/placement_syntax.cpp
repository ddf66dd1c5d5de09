// The placement syntax shared by the config file and the command line: device ids ("vulkan:0"),
// layer selections ("0-2", "3-", "5") and the --placement flag ("0-2:vulkan:0,3-:cpu:0").
#include <plinth/config.hpp>

#include <algorithm>
#include <charconv>
#include <limits>
#include <stdexcept>

namespace plinth {

namespace {

std::string_view trim(std::string_view s) {
    const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

// A non-negative decimal integer that fits in uint32_t; nullopt for anything else.
std::optional<uint32_t> parse_u32(std::string_view s) {
    if (s.empty()) return std::nullopt;
    for (char c : s)
        if (c < '0' || c > '9') return std::nullopt;
    uint32_t value = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
    return value;
}

bool all_digits(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return true;
}

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string range_str(const layer_range& r) {
    if (r.to_last) return std::to_string(r.first) + "-";
    if (r.first == r.last) return std::to_string(r.first);
    return std::to_string(r.first) + "-" + std::to_string(r.last);
}

}  // namespace

std::string device_id::str() const { return backend + ":" + std::to_string(index); }

device_id parse_device_id(std::string_view text) {
    const std::string_view s = trim(text);
    const auto fail = [&](const std::string& why) {
        throw std::invalid_argument("invalid device id " + quoted(s) + ": " + why);
    };
    const auto colon = s.find(':');
    if (colon == std::string_view::npos) fail("expected <backend>:<index>, e.g. cpu:0");
    const std::string_view backend = s.substr(0, colon);
    const std::string_view index = s.substr(colon + 1);
    if (backend.empty()) fail("the backend name is missing (expected <backend>:<index>, e.g. cpu:0)");
    bool backend_ok = backend.front() >= 'a' && backend.front() <= 'z';
    for (char c : backend)
        backend_ok = backend_ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
    if (!backend_ok) fail("the backend name must match [a-z][a-z0-9_]*");
    if (index.empty()) fail("the device index is missing (expected <backend>:<index>, e.g. cpu:0)");
    if (!all_digits(index)) fail("the device index must be a non-negative integer");
    const auto value = parse_u32(index);
    if (!value) fail("the device index is too large");
    return device_id{std::string(backend), *value};
}

layer_selection parse_layer_selection(std::string_view text) {
    const std::string_view s = trim(text);
    const auto fail = [&](const std::string& why) {
        throw std::invalid_argument("invalid layer range " + quoted(s) + ": " + why);
    };
    const std::string expected = "expected A-B, A- or a single layer number (e.g. 0-2, 3-, 5)";
    const auto number = [&](std::string_view part) {
        if (!all_digits(part)) fail(expected);
        const auto value = parse_u32(part);
        if (!value) fail("layer number " + std::string(part) + " is too large");
        return *value;
    };
    if (s.empty()) fail(expected);
    const auto dash = s.find('-');
    if (dash == std::string_view::npos) {
        const uint32_t layer = number(s);
        return layer_selection{{layer_range{layer, layer, false}}};
    }
    const std::string_view first_text = s.substr(0, dash);
    const std::string_view last_text = s.substr(dash + 1);
    const uint32_t first = number(first_text);
    if (last_text.empty()) return layer_selection{{layer_range{first, 0, true}}};
    const uint32_t last = number(last_text);
    if (first > last)
        fail("the first layer (" + std::to_string(first) + ") is after the last (" +
             std::to_string(last) + ")");
    return layer_selection{{layer_range{first, last, false}}};
}

bool layer_selection::contains(uint32_t layer) const {
    for (const auto& r : ranges)
        if (layer >= r.first && (r.to_last || layer <= r.last)) return true;
    return false;
}

std::optional<uint32_t> layer_selection::first_common_layer(const layer_selection& other) const {
    // Both sides as sorted, disjoint [first, last] intervals, then one sweep: O((a + b) log(a + b)), so a
    // long list of single layers against another stays cheap.
    const auto intervals = [](const std::vector<layer_range>& list) {
        std::vector<std::pair<uint32_t, uint32_t>> out;
        out.reserve(list.size());
        for (const auto& r : list) out.emplace_back(r.first, r.to_last ? std::numeric_limits<uint32_t>::max() : r.last);
        std::sort(out.begin(), out.end());
        std::vector<std::pair<uint32_t, uint32_t>> merged;  // disjoint, for the sweep below
        for (const auto& iv : out) {
            if (!merged.empty() && iv.first <= merged.back().second) merged.back().second = std::max(merged.back().second, iv.second);
            else merged.push_back(iv);
        }
        return merged;
    };
    const auto a = intervals(ranges);
    const auto b = intervals(other.ranges);
    std::size_t i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
        const uint32_t lo = std::max(a[i].first, b[j].first);
        const uint32_t hi = std::min(a[i].second, b[j].second);
        if (lo <= hi) return lo;  // the sweep meets intersections in increasing order
        if (a[i].second < b[j].second) ++i;
        else ++j;
    }
    return std::nullopt;
}

std::string layer_selection::str() const {
    if (ranges.size() == 1) return range_str(ranges.front());
    std::string out = "[";
    for (std::size_t i = 0; i < ranges.size(); ++i) {
        if (i != 0) out += ", ";
        out += range_str(ranges[i]);
    }
    return out + "]";
}

std::vector<placement_rule> parse_placement_flag(std::string_view text) {
    const std::string_view all = trim(text);
    if (all.empty())
        throw std::invalid_argument(
            "empty placement: expected <layers>:<backend>:<index>[,...], e.g. 0-2:vulkan:0,3-:cpu:0");
    std::vector<placement_rule> rules;
    std::size_t start = 0;
    while (start <= all.size()) {
        const auto comma = all.find(',', start);
        const std::size_t end = comma == std::string_view::npos ? all.size() : comma;
        const std::string_view item = trim(all.substr(start, end - start));
        const std::string where = "placement rule " + std::to_string(rules.size() + 1);
        if (item.empty())
            throw std::invalid_argument(where + " is empty (expected <layers>:<backend>:<index>)");
        const auto colon = item.find(':');
        if (colon == std::string_view::npos)
            throw std::invalid_argument(where + " " + quoted(item) +
                                        ": expected <layers>:<backend>:<index>, e.g. 0-2:vulkan:0");
        placement_rule rule;
        try {
            rule.layers = parse_layer_selection(item.substr(0, colon));
            rule.device = parse_device_id(item.substr(colon + 1));
        } catch (const std::invalid_argument& e) {
            throw std::invalid_argument(where + " " + quoted(item) + ": " + e.what());
        }
        for (std::size_t i = 0; i < rules.size(); ++i) {
            if (const auto layer = rules[i].layers->first_common_layer(*rule.layers))
                throw std::invalid_argument(where + " " + quoted(item) + " overlaps placement rule " +
                                            std::to_string(i + 1) + " (both contain layer " +
                                            std::to_string(*layer) + ")");
        }
        rules.push_back(std::move(rule));
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    return rules;
}

}  // namespace plinth
