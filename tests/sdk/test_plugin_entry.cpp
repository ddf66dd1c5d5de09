// The SDK's side of the compatibility promise: a plugin built against these headers meets hosts
// of older and newer minors and answers with the minor both speak; another major is refused with
// both numbers named.
#include <catch2/catch.hpp>

#include <plinth/sdk/plugin_entry.hpp>

#include <string>

namespace {

plinth_host_info host(uint32_t major, uint32_t minor) {
    plinth_host_info h{};
    h.struct_size = sizeof(h);
    h.abi_major = major;
    h.abi_minor_max = minor;
    return h;
}

plinth_plugin_descriptor descriptor() {
    static const plinth_backend_api api{};
    return plinth::sdk::backend_descriptor("mine", "1.0", "a test", nullptr, nullptr, nullptr, &api);
}

}  // namespace

TEST_CASE("a plugin newer than the host negotiates down to the host's minor", "[sdk][abi]") {
    for (uint32_t host_minor = 0; host_minor < PLINTH_ABI_MINOR; ++host_minor) {
        auto d = descriptor();
        const auto h = host(PLINTH_ABI_MAJOR, host_minor);
        plinth_message refusal{};
        const plinth_plugin_descriptor* answer = plinth::sdk::negotiate(d, &h, &refusal);
        REQUIRE(answer == &d);
        CHECK(answer->abi_major == PLINTH_ABI_MAJOR);
        CHECK(answer->abi_minor == host_minor);
    }
}

TEST_CASE("a plugin older than the host answers with its own minor", "[sdk][abi]") {
    auto d = descriptor();
    const auto h = host(PLINTH_ABI_MAJOR, PLINTH_ABI_MINOR + 7);
    plinth_message refusal{};
    REQUIRE(plinth::sdk::negotiate(d, &h, &refusal) == &d);
    CHECK(d.abi_minor == PLINTH_ABI_MINOR);
}

TEST_CASE("a host of another major is refused, naming both majors", "[sdk][abi]") {
    auto d = descriptor();
    const auto h = host(PLINTH_ABI_MAJOR + 1, 0);
    plinth_message refusal{};
    CHECK(plinth::sdk::negotiate(d, &h, &refusal) == nullptr);
    CHECK(std::string(refusal.text) == "mine plugin speaks plinth ABI major " + std::to_string(PLINTH_ABI_MAJOR) + ", the host major " +
                                           std::to_string(PLINTH_ABI_MAJOR + 1));
    CHECK(plinth::sdk::negotiate(d, nullptr, &refusal) == nullptr);
}
