#pragma once
// SHA-256 through OpenSSL's EVP interface: the checksum Hugging Face lists for every LFS file
// (lfs.oid), checked before a download is moved into the store.
#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace plinth::store {

class sha256_hasher {
public:
    sha256_hasher();
    ~sha256_hasher();
    sha256_hasher(const sha256_hasher&) = delete;
    sha256_hasher& operator=(const sha256_hasher&) = delete;

    void update(const void* data, std::size_t size);
    // The digest as 64 lowercase hex digits; the hasher cannot be updated afterwards.
    std::string hex_digest();

private:
    struct state;
    std::unique_ptr<state> state_;
};

std::string sha256_hex(std::string_view bytes);
// Throws std::runtime_error when the file cannot be read.
std::string sha256_hex_of_file(const std::filesystem::path& file);

}  // namespace plinth::store
