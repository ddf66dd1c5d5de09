#include "store/model_selection.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <stdexcept>

namespace plinth::store {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
    return s;
}

bool is_gguf(const std::string& path) { return ends_with(lower(path), ".gguf"); }

std::string file_name(const std::string& path) {
    const auto slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'; }

bool is_repo_part(const std::string& s) {
    return !s.empty() && s != "." && s != ".." && std::all_of(s.begin(), s.end(), is_name_char);
}

std::string candidate_list(const std::vector<std::vector<remote_file>>& models) {
    std::string out;
    for (const auto& m : models) out += "\n  " + describe_model(m);
    return out.empty() ? " (none)" : out;
}

}  // namespace

bool contains_ignoring_case(const std::string& text, const std::string& part) {
    return lower(text).find(lower(part)) != std::string::npos;
}

model_reference parse_reference(const std::string& text) {
    model_reference r;
    const auto colon = text.find(':');
    r.repo = text.substr(0, colon);
    if (colon != std::string::npos) {
        r.selector = text.substr(colon + 1);
        if (r.selector.empty()) throw std::invalid_argument("'" + text + "': nothing after ':' (give a quantization such as Q4_K_M or a file)");
    }
    const auto slash = r.repo.find('/');
    if (slash == std::string::npos || !is_repo_part(r.repo.substr(0, slash)) || !is_repo_part(r.repo.substr(slash + 1)))
        throw std::invalid_argument("'" + text + "' is not a repository: expected OWNER/NAME[:QUANT|:FILE], e.g. ggml-org/gemma-3-1b-it-GGUF:Q4_K_M");
    return r;
}

std::optional<split_name> parse_split_name(const std::string& path) {
    // "-NNNNN-of-NNNNN.gguf" is 20 characters.
    if (path.size() <= 20 || !is_gguf(path)) return std::nullopt;
    const std::string tail = path.substr(path.size() - 20);
    const auto digits = [&](std::size_t from) {
        return std::all_of(tail.begin() + static_cast<long>(from), tail.begin() + static_cast<long>(from) + 5,
                           [](char c) { return c >= '0' && c <= '9'; });
    };
    if (tail[0] != '-' || !digits(1) || tail.compare(6, 4, "-of-") != 0 || !digits(10)) return std::nullopt;
    split_name s{path.substr(0, path.size() - 20), static_cast<unsigned>(std::stoul(tail.substr(1, 5))),
                 static_cast<unsigned>(std::stoul(tail.substr(10, 5)))};
    if (s.part == 0 || s.count == 0 || s.part > s.count) return std::nullopt;
    return s;
}

std::vector<std::vector<remote_file>> group_models(const std::vector<remote_file>& files) {
    std::vector<std::vector<remote_file>> models;
    std::map<std::pair<std::string, unsigned>, std::map<unsigned, remote_file>> splits;  // (stem, count) -> part -> file
    for (const auto& f : files) {
        if (!is_gguf(f.path)) continue;
        if (const auto s = parse_split_name(f.path)) splits[{s->stem, s->count}][s->part] = f;
        else models.push_back({f});
    }
    for (const auto& [key, parts] : splits) {
        std::vector<remote_file> set;
        for (unsigned part = 1; part <= key.second; ++part) {
            const auto it = parts.find(part);
            if (it == parts.end())
                throw std::runtime_error("split model " + key.first + " lists part " + std::to_string(part) + " of " +
                                         std::to_string(key.second) + " nowhere in the repository");
            set.push_back(it->second);
        }
        models.push_back(std::move(set));
    }
    std::sort(models.begin(), models.end(), [](const auto& a, const auto& b) { return a.front().path < b.front().path; });
    return models;
}

std::vector<remote_file> select_model(const std::vector<remote_file>& files, const std::string& selector) {
    const auto models = group_models(files);
    if (selector.empty()) {
        if (models.size() == 1) return models.front();
        throw std::runtime_error(std::string(models.empty() ? "the repository holds no .gguf model"
                                                            : "the repository holds several models; add :QUANT or :FILE to pick one:") +
                                 candidate_list(models));
    }
    std::vector<std::vector<remote_file>> matches;
    const bool by_path = is_gguf(selector);
    for (const auto& m : models) {
        const bool match = std::any_of(m.begin(), m.end(), [&](const remote_file& f) {
            return by_path ? f.path == selector : contains_ignoring_case(file_name(f.path), selector);
        });
        if (match) matches.push_back(m);
    }
    if (matches.size() == 1) return matches.front();
    const std::string what = by_path ? "file '" + selector + "'" : "quantization '" + selector + "'";
    if (matches.empty()) throw std::runtime_error("no model in the repository matches " + what + "; its models:" + candidate_list(models));
    throw std::runtime_error("several models match " + what + "; give the file instead:" + candidate_list(matches));
}

std::string describe_model(const std::vector<remote_file>& parts) {
    if (parts.size() == 1) return parts.front().path;
    return parts.front().path + " (+" + std::to_string(parts.size() - 1) + " more parts)";
}

}  // namespace plinth::store
