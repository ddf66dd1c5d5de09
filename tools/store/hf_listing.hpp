#pragma once
// The file listing of a Hugging Face repository, from GET {endpoint}/api/models/{repo}/tree/{revision}:
// a JSON array of entries {type: "file"|"directory", path, size, oid, lfs?: {oid, size}}, where
// lfs.oid is the SHA-256 of a large file's content.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace plinth::store {

struct remote_file {
    std::string path;    // relative to the repository root, '/'-separated
    uint64_t size = 0;   // bytes of the content (lfs.size for LFS files)
    std::string sha256;  // lowercase hex; empty for small files stored in git itself (no checksum listed)
};

// The files of a listing (directories are skipped). Throws std::runtime_error saying what is wrong
// for text that is not JSON or not shaped like a listing, and for unsafe paths ("..", absolute).
std::vector<remote_file> parse_listing(std::string_view json);

}  // namespace plinth::store
