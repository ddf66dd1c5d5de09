// The real model's vocabulary: every golden prompt of stories260K tokenizes (with BOS) exactly as
// the reference did.
#include <catch2/catch.hpp>

#include "tokenizer_test_support.hpp"

#include <stdexcept>

using namespace plinth;

namespace {

struct golden_prompt {
    std::string prompt;
    std::vector<int32_t> tokens;
};

// Appends code point cp as UTF-8.
void append_utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

// The JSON string value of "key" in one JSON line (enough JSON for the golden files).
std::string json_string(const std::string& line, const std::string& key) {
    size_t pos = line.find("\"" + key + "\"");
    if (pos == std::string::npos) throw std::runtime_error("no key " + key);
    pos = line.find('"', line.find(':', pos) + 1);
    std::string out;
    for (++pos; pos < line.size() && line[pos] != '"'; ++pos) {
        if (line[pos] != '\\') {
            out += line[pos];
            continue;
        }
        const char e = line[++pos];
        switch (e) {
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'u': {
            uint32_t cp = std::stoul(line.substr(pos + 1, 4), nullptr, 16);
            pos += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF && line.compare(pos + 1, 2, "\\u") == 0) {
                const uint32_t lo = std::stoul(line.substr(pos + 3, 4), nullptr, 16);
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                pos += 6;
            }
            append_utf8(out, cp);
            break;
        }
        default: out += e; break;
        }
    }
    return out;
}

std::vector<int32_t> json_int_array(const std::string& line, const std::string& key) {
    size_t pos = line.find("\"" + key + "\"");
    if (pos == std::string::npos) throw std::runtime_error("no key " + key);
    pos = line.find('[', pos);
    const size_t end = line.find(']', pos);
    std::vector<int32_t> out;
    std::string body = line.substr(pos + 1, end - pos - 1);
    for (size_t p = 0; p < body.size();) {
        size_t used = 0;
        out.push_back(static_cast<int32_t>(std::stol(body.substr(p), &used)));
        p += used;
        while (p < body.size() && (body[p] == ',' || body[p] == ' ')) ++p;
    }
    return out;
}

std::vector<golden_prompt> read_golden(const std::string& file) {
    std::vector<golden_prompt> out;
    std::istringstream lines(test::read_file(test::shared_dir() / "golden" / file));
    for (std::string line; std::getline(lines, line);) {
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        out.push_back({json_string(line, "prompt"), json_int_array(line, "prompt_tokens")});
    }
    return out;
}

}  // namespace

TEST_CASE("stories260K: 'Once upon a time' with BOS", "[tokenizer][stories]") {
    const auto& tok = test::shared_tokenizer("stories260K.gguf");
    CHECK(tok.model_type() == "llama");
    CHECK(tok.vocab_size() == 512);
    CHECK(tok.bos() == 1);
    CHECK(tok.eos() == 2);
    CHECK(tok.padding() == -1);  // stored as 0xFFFFFFFF: no token
    CHECK(tok.encode("Once upon a time", true, false) == std::vector<int32_t>{1, 403, 407, 261, 378});
}

TEST_CASE("stories260K: every golden prompt tokenizes as the reference did", "[tokenizer][stories]") {
    const auto& tok = test::shared_tokenizer("stories260K.gguf");
    for (const char* file : {"stories260K.greedy.jsonl", "stories260K-Q8_0.greedy.jsonl", "stories260K-Q4_0.greedy.jsonl"}) {
        const auto prompts = read_golden(file);
        REQUIRE(prompts.size() >= 6);
        for (const auto& p : prompts) {
            INFO(file << ": " << test::escaped(p.prompt));
            const auto got = tok.encode(p.prompt, true, false);
            CHECK(test::ids_text(got) == test::ids_text(p.tokens));
            CHECK(tok.decode(got) == p.prompt);
        }
    }
}
