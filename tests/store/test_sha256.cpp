// SHA-256 against the FIPS 180-2 example vectors, in one piece, in pieces and from a file.
#include <catch2/catch.hpp>

#include <store/sha256.hpp>

#include <filesystem>
#include <fstream>

#include <unistd.h>

using namespace plinth::store;

TEST_CASE("store: sha256 of the standard test vectors", "[store][sha256]") {
    CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST_CASE("store: sha256 fed in pieces equals sha256 in one piece", "[store][sha256]") {
    const std::string million(1000000, 'a');
    sha256_hasher h;
    for (std::size_t at = 0; at < million.size(); at += 4093) h.update(million.data() + at, std::min<std::size_t>(4093, million.size() - at));
    CHECK(h.hex_digest() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    CHECK(sha256_hex(million) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("store: sha256 of a file, and a file that cannot be read", "[store][sha256]") {
    const auto file = std::filesystem::temp_directory_path() / ("plinth-sha-" + std::to_string(::getpid()));
    std::ofstream(file, std::ios::binary) << "abc";
    CHECK(sha256_hex_of_file(file) == sha256_hex("abc"));
    std::filesystem::remove(file);
    CHECK_THROWS_WITH(sha256_hex_of_file(file), Catch::Contains("cannot read"));
}
