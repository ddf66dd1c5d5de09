// The ABI 1.0 headers abi10 is built against stay the bytes they were at ABI 1.0 (git show
// 4ab7982^:plugin-api/include/plinth/<file>): a plugin compiled years ago has them baked in, so
// editing them would test a plugin that never existed.
#include <catch2/catch.hpp>

#include "run_command.hpp"

#include <cstdint>
#include <string>

namespace {

// FNV-1a, 64 bits: enough to notice any edit.
uint64_t fingerprint(const std::string& bytes) {
    uint64_t h = 0xcbf29ce484222325u;
    for (unsigned char c : bytes) h = (h ^ c) * 0x100000001b3u;
    return h;
}

}  // namespace

TEST_CASE("the frozen ABI 1.0 headers are unchanged", "[abi]") {
    struct frozen {
        const char* file;
        size_t size;
        uint64_t fnv;
    };
    for (const frozen& f : {frozen{"plugin_api.h", 15016, 0x8c94245d3b29297fu}, frozen{"compute.h", 9247, 0x34f52cf01b32b670u},
                            frozen{"weight_types.h", 4161, 0x25c55455a68c2662u}}) {
        INFO(f.file << " was edited: restore it with git show 4ab7982^:plugin-api/include/plinth/" << f.file);
        const std::string bytes = plinth::test::read_file(std::string(PLINTH_ABI10_HEADERS) + "/" + f.file);
        CHECK(bytes.size() == f.size);
        CHECK(fingerprint(bytes) == f.fnv);
    }
    const std::string api = plinth::test::read_file(std::string(PLINTH_ABI10_HEADERS) + "/plugin_api.h");
    CHECK_THAT(api, Catch::Contains("#define PLINTH_ABI_MAJOR 1\n#define PLINTH_ABI_MINOR 0\n"));
}
