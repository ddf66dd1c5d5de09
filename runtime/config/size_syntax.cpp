// Sizes for placement budgets and the command line: "1073741824", "2GiB", "1.5 GiB", "512MB".
#include <plinth/config.hpp>

#include <array>
#include <cstddef>
#include <limits>
#include <stdexcept>
#include <utility>

namespace plinth {

namespace {

constexpr uint64_t kib = 1024;
constexpr std::array<std::pair<std::string_view, uint64_t>, 9> units{{
    {"B", 1},
    {"KiB", kib},
    {"MiB", kib * kib},
    {"GiB", kib * kib * kib},
    {"TiB", kib * kib * kib * kib},
    {"KB", 1000},
    {"MB", 1000 * 1000},
    {"GB", 1000 * 1000 * 1000},
    {"TB", uint64_t{1000} * 1000 * 1000 * 1000},
}};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

uint64_t parse_size(std::string_view text) {
    std::string_view s = text;
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    const std::string shown = "\"" + std::string(s) + "\"";
    const auto invalid = [&](const std::string& hint) -> uint64_t {
        throw std::invalid_argument("invalid size " + shown +
                                    ": expected a number of bytes or a number with a unit (B, KiB, "
                                    "MiB, GiB, TiB, KB, MB, GB, TB), e.g. 2GiB" + hint);
    };
    const auto out_of_range = [&](const std::string& why) -> uint64_t {
        throw std::out_of_range("size " + shown + " is out of range: " + why);
    };

    std::size_t pos = 0;
    bool negative = false;
    if (pos < s.size() && (s[pos] == '-' || s[pos] == '+')) negative = s[pos++] == '-';
    const std::size_t int_begin = pos;
    while (pos < s.size() && is_digit(s[pos])) ++pos;
    const std::string_view int_part = s.substr(int_begin, pos - int_begin);
    std::string_view frac_part;
    if (pos < s.size() && s[pos] == '.') {
        const std::size_t frac_begin = ++pos;
        while (pos < s.size() && is_digit(s[pos])) ++pos;
        frac_part = s.substr(frac_begin, pos - frac_begin);
    }
    if (int_part.empty() && frac_part.empty()) return invalid("");
    while (pos < s.size() && s[pos] == ' ') ++pos;
    const std::string_view unit_text = s.substr(pos);

    uint64_t multiplier = 1;
    if (!unit_text.empty()) {
        bool found = false;
        for (const auto& [name, value] : units) {
            if (name == unit_text) {
                multiplier = value;
                found = true;
            }
        }
        if (!found) {
            std::vector<std::string_view> names;
            for (const auto& unit : units) names.push_back(unit.first);
            const auto near = nearest_key(unit_text, names);
            return invalid(near ? "; did you mean '" + *near + "'?" : std::string());
        }
    }

    bool any_nonzero = false;
    for (char c : int_part) any_nonzero = any_nonzero || c != '0';
    for (char c : frac_part) any_nonzero = any_nonzero || c != '0';
    if (negative && any_nonzero) return out_of_range("it must be greater than zero");

    constexpr uint64_t max = std::numeric_limits<uint64_t>::max();
    uint64_t whole = 0;
    for (char c : int_part) {
        const uint64_t digit = static_cast<uint64_t>(c - '0');
        if (whole > (max - digit) / 10) return out_of_range("it is too large");
        whole = whole * 10 + digit;
    }
    if (whole > max / multiplier) return out_of_range("it is too large");
    uint64_t bytes = whole * multiplier;

    // The fractional part in bytes, rounded down. Digits past the 18th cannot change the result
    // by a whole byte for any unit here (the largest is 2^40), so they are ignored.
    __extension__ using u128 = unsigned __int128;
    uint64_t fraction_bytes = 0;
    if (!frac_part.empty()) {
        u128 numerator = 0;
        u128 scale = 1;
        bool exact = true;
        for (std::size_t i = 0; i < frac_part.size(); ++i) {
            const unsigned digit = static_cast<unsigned>(frac_part[i] - '0');
            if (i >= 18) {
                exact = exact && digit == 0;
                continue;
            }
            numerator = numerator * 10 + digit;
            scale *= 10;
        }
        if (multiplier == 1 && (numerator != 0 || !exact))
            return invalid(" (a number of bytes must be a whole number)");
        fraction_bytes = static_cast<uint64_t>(numerator * multiplier / scale);
    }
    if (fraction_bytes > max - bytes) return out_of_range("it is too large");
    bytes += fraction_bytes;
    if (bytes == 0) return out_of_range("it must be greater than zero");
    return bytes;
}

}  // namespace plinth
