#pragma once
// Shared helpers of the tokenizer tests: one plugin host, cached tokenizers for the shared
// vocabularies, and the .inp/.out test-vector reader.
#include <plinth/error.hpp>
#include <plinth/model_file.hpp>
#include <plinth/plugin_host.hpp>
#include <plinth/tokenizer.hpp>

#include "shared_dir.hpp"
#include "test_host.hpp"

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace plinth::test {

inline const plugin_host& tokenizer_host() { return test::built_plugins(); }

inline std::filesystem::path vocab_path(const std::string& name) {
    return shared_dir() / "vocab" / ("ggml-vocab-" + name + ".gguf");
}

// Tokenizer of ggml-vocab-<name>.gguf (or of a file under models/ when name ends in .gguf),
// built once per test run.
inline const tokenizer& shared_tokenizer(const std::string& name) {
    static std::map<std::string, std::unique_ptr<tokenizer>> cache;
    auto& slot = cache[name];
    if (!slot) {
        const auto path = name.size() > 5 && name.compare(name.size() - 5, 5, ".gguf") == 0 ? shared_model(name)
                                                                                           : vocab_path(name);
        const auto file = model_file::open(tokenizer_host(), path);
        slot = tokenizer::from_model(*file);
    }
    return *slot;
}

inline std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path.string());
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

struct vocab_vector {
    std::string text;
    std::vector<int32_t> expected;
};

// The .inp file holds the strings, each followed by "\n__ggml_vocab_test__\n"; the .out file one
// line of space-separated ids per string.
inline std::vector<vocab_vector> read_vocab_vectors(const std::string& name) {
    const std::string inp = read_file(vocab_path(name).string() + ".inp");
    const std::string out = read_file(vocab_path(name).string() + ".out");
    const std::string separator = "\n__ggml_vocab_test__\n";

    std::vector<std::string> texts;
    size_t pos = 0;
    while (pos < inp.size()) {
        const size_t next = inp.find(separator, pos);
        if (next == std::string::npos) {
            texts.push_back(inp.substr(pos));
            break;
        }
        texts.push_back(inp.substr(pos, next - pos));
        pos = next + separator.size();
    }

    std::vector<std::vector<int32_t>> ids;
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);) {
        std::istringstream words(line);
        std::vector<int32_t> row;
        for (int64_t id; words >> id;) row.push_back(static_cast<int32_t>(id));
        ids.push_back(std::move(row));
    }
    if (texts.size() != ids.size())
        throw std::runtime_error(name + ": " + std::to_string(texts.size()) + " strings in .inp but " +
                                 std::to_string(ids.size()) + " lines in .out");
    std::vector<vocab_vector> vectors;
    for (size_t i = 0; i < texts.size(); ++i) vectors.push_back({texts[i], ids[i]});
    return vectors;
}

// Printable form of test text: control characters and non-ASCII bytes escaped.
inline std::string escaped(const std::string& s) {
    std::string out = "\"";
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '\n') out += "\\n";
        else if (c == '\t') out += "\\t";
        else if (c == '\r') out += "\\r";
        else if (c == '"' || c == '\\') { out += '\\'; out += c; }
        else if (u < 0x20 || u >= 0x7F) {
            static const char* hex = "0123456789abcdef";
            out += "\\x";
            out += hex[u >> 4];
            out += hex[u & 15];
        } else out += c;
    }
    return out + "\"";
}

inline std::string ids_text(const std::vector<int32_t>& ids) {
    std::string out = "[";
    for (size_t i = 0; i < ids.size(); ++i) {
        if (i) out += ' ';
        out += std::to_string(ids[i]);
    }
    return out + "]";
}

}  // namespace plinth::test
