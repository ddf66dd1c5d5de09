// UTF-8 decoding and encoding, White_Space, and the byte <-> code point stand-ins of byte-level BPE.
#include "unicode.hpp"

#include <array>

namespace plinth::unicode {

bool is_whitespace(uint32_t cp) {
    if (cp < 0x80) return cp == 0x20 || (cp >= 0x09 && cp <= 0x0D);
    switch (cp) {
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
        return true;
    default:
        return cp >= 0x2000 && cp <= 0x200A;
    }
}

namespace {

bool is_continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

}  // namespace

size_t sequence_length(std::string_view s, size_t pos) {
    const auto c0 = static_cast<unsigned char>(s[pos]);
    if (c0 < 0x80) return 1;
    size_t len = 0;
    uint32_t min = 0;
    if (c0 >= 0xC2 && c0 <= 0xDF) { len = 2; min = 0x80; }
    else if (c0 >= 0xE0 && c0 <= 0xEF) { len = 3; min = 0x800; }
    else if (c0 >= 0xF0 && c0 <= 0xF4) { len = 4; min = 0x10000; }
    else return 1;
    if (pos + len > s.size()) return 1;
    for (size_t i = 1; i < len; ++i)
        if (!is_continuation(static_cast<unsigned char>(s[pos + i]))) return 1;
    const uint32_t cp = decode_at(s, pos, len);
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 1;
    return len;
}

uint32_t decode_at(std::string_view s, size_t pos, size_t len) {
    const auto c0 = static_cast<unsigned char>(s[pos]);
    if (len == 1) return c0 < 0x80 ? c0 : invalid_base + c0;
    uint32_t cp = c0 & (0x7Fu >> len);
    for (size_t i = 1; i < len; ++i) cp = (cp << 6) | (static_cast<unsigned char>(s[pos + i]) & 0x3Fu);
    return cp;
}

std::vector<code_point> decode(std::string_view s) {
    std::vector<code_point> out;
    out.reserve(s.size());
    for (size_t pos = 0; pos < s.size();) {
        const size_t len = sequence_length(s, pos);
        out.push_back({decode_at(s, pos, len), static_cast<uint32_t>(pos)});
        pos += len;
    }
    return out;
}

void append_utf8(std::string& out, uint32_t cp) {
    if (cp >= invalid_base) {
        out.push_back(static_cast<char>(cp - invalid_base));
    } else if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

size_t incomplete_tail(std::string_view s) {
    // Walk back over at most three continuation bytes to the lead byte.
    const size_t n = s.size();
    for (size_t back = 1; back <= 4 && back <= n; ++back) {
        const auto c = static_cast<unsigned char>(s[n - back]);
        if (is_continuation(c)) continue;
        size_t need = 0;
        if (c >= 0xC2 && c <= 0xDF) need = 2;
        else if (c >= 0xE0 && c <= 0xEF) need = 3;
        else if (c >= 0xF0 && c <= 0xF4) need = 4;
        if (need == 0 || back >= need) return 0;  // ASCII, invalid lead, or complete
        // The bytes seen so far must be a valid start of a sequence (no overlong / surrogate /
        // out-of-range second byte), else no continuation can make it valid.
        if (back >= 2) {
            const auto c1 = static_cast<unsigned char>(s[n - back + 1]);
            if (c == 0xE0 && c1 < 0xA0) return 0;
            if (c == 0xED && c1 > 0x9F) return 0;
            if (c == 0xF0 && c1 < 0x90) return 0;
            if (c == 0xF4 && c1 > 0x8F) return 0;
        }
        return back;
    }
    return 0;
}

namespace {

struct byte_tables {
    std::array<uint32_t, 256> to_cp{};
    std::array<int, 512> to_byte{};
    byte_tables() {
        to_byte.fill(-1);
        uint32_t next = 256;
        for (int b = 0; b < 256; ++b) {
            const bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
            to_cp[static_cast<size_t>(b)] = printable ? static_cast<uint32_t>(b) : next++;
            to_byte[to_cp[static_cast<size_t>(b)]] = b;
        }
    }
};

const byte_tables& tables() {
    static const byte_tables t;
    return t;
}

}  // namespace

uint32_t byte_to_code_point(uint8_t b) { return tables().to_cp[b]; }

int code_point_to_byte(uint32_t cp) { return cp < 512 ? tables().to_byte[cp] : -1; }

}  // namespace plinth::unicode
