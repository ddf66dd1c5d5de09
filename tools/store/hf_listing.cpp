#include "store/hf_listing.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace plinth::store {
namespace {

[[noreturn]] void malformed(const std::string& why) {
    throw std::runtime_error("the repository's file listing is malformed: " + why);
}

uint64_t size_of(const nlohmann::json& entry, const std::string& where) {
    const auto it = entry.find("size");
    if (it == entry.end() || !it->is_number_unsigned()) malformed(where + " has no non-negative integer 'size'");
    return it->get<uint64_t>();
}

bool is_sha256_hex(const std::string& s) {
    return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

// A path written into the store must stay inside it.
bool is_safe_path(const std::string& path) {
    if (path.empty() || path.front() == '/' || path.find('\\') != std::string::npos || path.find('\0') != std::string::npos)
        return false;
    std::size_t start = 0;
    while (start <= path.size()) {
        const std::size_t end = std::min(path.find('/', start), path.size());
        const std::string part = path.substr(start, end - start);
        if (part.empty() || part == "." || part == "..") return false;
        start = end + 1;
    }
    return true;
}

}  // namespace

std::vector<remote_file> parse_listing(std::string_view json) {
    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(json);
    } catch (const nlohmann::json::exception& e) {  // parse_error, and out_of_range for a number past a double's range
        malformed(std::string("not valid JSON (") + e.what() + ")");
    }
    if (!doc.is_array()) malformed("expected a JSON array of entries, got " + std::string(doc.type_name()));
    std::vector<remote_file> files;
    for (std::size_t i = 0; i < doc.size(); ++i) {
        const auto& entry = doc[i];
        const std::string where = "entry " + std::to_string(i);
        if (!entry.is_object()) malformed(where + " is not an object");
        const auto type = entry.find("type");
        const auto path = entry.find("path");
        if (type == entry.end() || !type->is_string()) malformed(where + " has no string 'type'");
        if (path == entry.end() || !path->is_string()) malformed(where + " has no string 'path'");
        if (*type != "file") continue;  // directories (and anything newer) hold nothing to fetch
        remote_file f;
        f.path = path->get<std::string>();
        if (!is_safe_path(f.path)) malformed(where + " has an unsafe path '" + f.path + "'");
        f.size = size_of(entry, where);
        if (const auto lfs = entry.find("lfs"); lfs != entry.end() && !lfs->is_null()) {
            if (!lfs->is_object()) malformed(where + ": 'lfs' is not an object");
            const auto oid = lfs->find("oid");
            if (oid == lfs->end() || !oid->is_string() || !is_sha256_hex(oid->get<std::string>()))
                malformed(where + ": 'lfs.oid' is not a SHA-256 in hex");
            f.sha256 = oid->get<std::string>();
            std::transform(f.sha256.begin(), f.sha256.end(), f.sha256.begin(), [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
            f.size = size_of(*lfs, where + "'s 'lfs'");
        }
        files.push_back(std::move(f));
    }
    return files;
}

}  // namespace plinth::store
