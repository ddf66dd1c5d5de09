#include "store/sha256.hpp"

#include <openssl/evp.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace plinth::store {

struct sha256_hasher::state {
    EVP_MD_CTX* ctx = nullptr;
    ~state() { EVP_MD_CTX_free(ctx); }
};

sha256_hasher::sha256_hasher() : state_(std::make_unique<state>()) {
    state_->ctx = EVP_MD_CTX_new();
    if (!state_->ctx || EVP_DigestInit_ex(state_->ctx, EVP_sha256(), nullptr) != 1)
        throw std::runtime_error("OpenSSL cannot start a SHA-256 digest");
}

sha256_hasher::~sha256_hasher() = default;

void sha256_hasher::update(const void* data, std::size_t size) {
    if (EVP_DigestUpdate(state_->ctx, data, size) != 1) throw std::runtime_error("OpenSSL SHA-256 update failed");
}

std::string sha256_hex(std::string_view bytes) {
    sha256_hasher h;
    h.update(bytes.data(), bytes.size());
    return h.hex_digest();
}

std::string sha256_hasher::hex_digest() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_DigestFinal_ex(state_->ctx, digest, &length) != 1) throw std::runtime_error("OpenSSL SHA-256 final failed");
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < length; ++i) {
        out += hex[digest[i] >> 4];
        out += hex[digest[i] & 15];
    }
    return out;
}

std::string sha256_hex_of_file(const std::filesystem::path& file) {
    const std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(file.c_str(), "rb"), &std::fclose);
    if (!f) throw std::runtime_error("cannot read " + file.string() + ": " + std::strerror(errno));
    sha256_hasher h;
    std::vector<char> buffer(1 << 20);
    while (const std::size_t n = std::fread(buffer.data(), 1, buffer.size(), f.get())) h.update(buffer.data(), n);
    if (std::ferror(f.get())) throw std::runtime_error("cannot read " + file.string() + ": " + std::strerror(errno));
    return h.hex_digest();
}

}  // namespace plinth::store
