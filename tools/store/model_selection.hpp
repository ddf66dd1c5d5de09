#pragma once
// Which files of a repository `plinth pull REPO[:FILE|:QUANT]` fetches. A model is one .gguf file,
// or all the parts of a split one (name-00001-of-00003.gguf ... name-00003-of-00003.gguf), which
// are always fetched together.
#include "store/hf_listing.hpp"

#include <optional>
#include <string>
#include <vector>

namespace plinth::store {

// "owner/repo" plus what follows a ':' (a quantization such as Q4_K_M, or a file path).
struct model_reference {
    std::string repo;
    std::string selector;  // empty: the repository's only model
};
// Throws std::invalid_argument unless the repository is "owner/name" of safe characters.
model_reference parse_reference(const std::string& text);

// "name-00002-of-00003.gguf" -> {stem "name", part 2, count 3}; nullopt for other names.
struct split_name {
    std::string stem;  // the path before "-NNNNN-of-NNNNN.gguf"
    unsigned part = 0;
    unsigned count = 0;
};
std::optional<split_name> parse_split_name(const std::string& path);

// The models of a listing: each a single .gguf or a complete split set (parts in order). A split
// set with missing parts is refused (std::runtime_error naming the missing part).
std::vector<std::vector<remote_file>> group_models(const std::vector<remote_file>& files);

// The files of the model the selector names: a path (ends in .gguf; a part of a split model
// selects all of its parts), a quantization (case-insensitive substring of the file name; exactly
// one model must match), or nothing (the repository must hold exactly one model). Throws
// std::runtime_error listing the candidates otherwise.
std::vector<remote_file> select_model(const std::vector<remote_file>& files, const std::string& selector);

// How a model is shown in lists: its path, or "stem-000{01..N}-of-0000N.gguf (N parts)".
std::string describe_model(const std::vector<remote_file>& parts);

bool contains_ignoring_case(const std::string& text, const std::string& part);

}  // namespace plinth::store
