// The syntax shared with the command line: device ids, layer selections, --placement, sizes,
// and the nearest-key hint.
#include <plinth/config.hpp>

#include <catch2/catch.hpp>

#include <limits>
#include <stdexcept>

using namespace plinth;
using Catch::Matchers::Contains;

TEST_CASE("parse_device_id", "[config][syntax]") {
    CHECK(parse_device_id("cpu:0") == device_id{"cpu", 0});
    CHECK(parse_device_id("vulkan:12") == device_id{"vulkan", 12});
    CHECK(parse_device_id("my_backend2:3") == device_id{"my_backend2", 3});
    CHECK(parse_device_id("vulkan:1").str() == "vulkan:1");

    CHECK_THROWS_WITH(parse_device_id("vulkan"), Contains("invalid device id \"vulkan\"") && Contains("<backend>:<index>"));
    CHECK_THROWS_WITH(parse_device_id(":0"), Contains("backend name is missing"));
    CHECK_THROWS_WITH(parse_device_id("cpu:"), Contains("device index is missing"));
    CHECK_THROWS_WITH(parse_device_id("Vulkan:0"), Contains("[a-z][a-z0-9_]*"));
    CHECK_THROWS_WITH(parse_device_id("2gpu:0"), Contains("[a-z][a-z0-9_]*"));
    CHECK_THROWS_WITH(parse_device_id("vulkan-x:0"), Contains("[a-z][a-z0-9_]*"));
    CHECK_THROWS_WITH(parse_device_id("cpu:-1"), Contains("non-negative integer"));
    CHECK_THROWS_WITH(parse_device_id("cpu:x"), Contains("non-negative integer"));
    CHECK_THROWS_WITH(parse_device_id("cpu:0:1"), Contains("non-negative integer"));
    CHECK_THROWS_WITH(parse_device_id("cpu:99999999999"), Contains("too large"));
    CHECK_THROWS_AS(parse_device_id(""), std::invalid_argument);
}

TEST_CASE("parse_layer_selection", "[config][syntax]") {
    CHECK(parse_layer_selection("0-2").ranges == std::vector<layer_range>{{0, 2, false}});
    CHECK(parse_layer_selection("3-").ranges == std::vector<layer_range>{{3, 0, true}});
    CHECK(parse_layer_selection("7").ranges == std::vector<layer_range>{{7, 7, false}});
    CHECK(parse_layer_selection("4-4").ranges == std::vector<layer_range>{{4, 4, false}});
    CHECK(parse_layer_selection("0-2").str() == "0-2");
    CHECK(parse_layer_selection("3-").str() == "3-");
    CHECK(parse_layer_selection("7").str() == "7");

    CHECK_THROWS_WITH(parse_layer_selection("3-1"), Contains("the first layer (3) is after the last (1)"));
    CHECK_THROWS_WITH(parse_layer_selection("a-b"), Contains("invalid layer range \"a-b\""));
    for (const char* bad : {"", "-", "-3", "1-2-3", "1..3", "x", "1,2", "+1", "4294967296"}) {
        INFO(bad);
        CHECK_THROWS_AS(parse_layer_selection(bad), std::invalid_argument);
    }
}

TEST_CASE("layer_selection membership and overlap", "[config][syntax]") {
    const auto low = parse_layer_selection("0-2");
    const auto rest = parse_layer_selection("3-");
    const layer_selection list{{{1, 1, false}, {5, 5, false}}};
    CHECK(low.contains(0));
    CHECK(low.contains(2));
    CHECK_FALSE(low.contains(3));
    CHECK(rest.contains(3));
    CHECK(rest.contains(std::numeric_limits<uint32_t>::max()));
    CHECK_FALSE(rest.contains(2));
    CHECK(list.contains(5));
    CHECK_FALSE(list.contains(3));

    CHECK_FALSE(low.first_common_layer(rest).has_value());
    CHECK(low.first_common_layer(list) == 1u);
    CHECK(rest.first_common_layer(list) == 5u);
    CHECK(parse_layer_selection("10-").first_common_layer(parse_layer_selection("4-")) == 10u);
    CHECK(list.str() == "[1, 5]");
}

TEST_CASE("parse_placement_flag", "[config][syntax]") {
    const auto rules = parse_placement_flag("0-2:vulkan:0,3-:cpu:0");
    REQUIRE(rules.size() == 2);
    REQUIRE(rules[0].layers.has_value());
    CHECK(rules[0].layers->ranges == std::vector<layer_range>{{0, 2, false}});
    CHECK(rules[0].device == device_id{"vulkan", 0});
    CHECK_FALSE(rules[0].tensors.has_value());
    CHECK(rules[0].where.line == 0);
    REQUIRE(rules[1].layers.has_value());
    CHECK(rules[1].layers->ranges == std::vector<layer_range>{{3, 0, true}});
    CHECK(rules[1].device == device_id{"cpu", 0});

    const auto spaced = parse_placement_flag(" 5:cpu:1 , 0-4:cpu:0 ");
    REQUIRE(spaced.size() == 2);
    CHECK(spaced[0].layers->ranges == std::vector<layer_range>{{5, 5, false}});
    CHECK(spaced[0].device == device_id{"cpu", 1});

    CHECK_THROWS_WITH(parse_placement_flag(""), Contains("empty placement"));
    CHECK_THROWS_WITH(parse_placement_flag("0-2:vulkan:0,"), Contains("placement rule 2 is empty"));
    CHECK_THROWS_WITH(parse_placement_flag("0-2"), Contains("expected <layers>:<backend>:<index>"));
    CHECK_THROWS_WITH(parse_placement_flag("0-2:vulkan"), Contains("invalid device id \"vulkan\""));
    CHECK_THROWS_WITH(parse_placement_flag("3-1:cpu:0"), Contains("placement rule 1") && Contains("after the last"));
    CHECK_THROWS_WITH(parse_placement_flag("x:cpu:0"), Contains("invalid layer range \"x\""));
    CHECK_THROWS_WITH(parse_placement_flag("0-2:vulkan:0,2-:cpu:0"),
                      Contains("placement rule 2") && Contains("overlaps placement rule 1") && Contains("layer 2"));
    CHECK_THROWS_AS(parse_placement_flag("0-2:cpu:0;3-:cpu:1"), std::invalid_argument);
}

TEST_CASE("parse_size", "[config][syntax]") {
    CHECK(parse_size("1") == 1u);
    CHECK(parse_size("1073741824") == 1073741824u);
    CHECK(parse_size("512B") == 512u);
    CHECK(parse_size("4KiB") == 4096u);
    CHECK(parse_size("3MiB") == 3u * 1024 * 1024);
    CHECK(parse_size("2GiB") == 2ull << 30);
    CHECK(parse_size("2 GiB") == 2ull << 30);
    CHECK(parse_size("1TiB") == 1ull << 40);
    CHECK(parse_size("1.5GiB") == 3ull << 29);
    CHECK(parse_size("0.5KiB") == 512u);
    CHECK(parse_size("1.0001KiB") == 1024u);  // rounded down to whole bytes
    CHECK(parse_size("2KB") == 2000u);
    CHECK(parse_size("5MB") == 5000000u);
    CHECK(parse_size("3GB") == 3000000000ull);
    CHECK(parse_size("1TB") == 1000000000000ull);
    CHECK(parse_size("16777215TiB") == 16777215ull << 40);
    CHECK(parse_size("18446744073709551615") == std::numeric_limits<uint64_t>::max());

    CHECK_THROWS_AS(parse_size("0"), std::out_of_range);
    CHECK_THROWS_AS(parse_size("0GiB"), std::out_of_range);
    CHECK_THROWS_AS(parse_size("0.0000000001B"), std::invalid_argument);  // not whole bytes
    CHECK_THROWS_AS(parse_size("-1"), std::out_of_range);
    CHECK_THROWS_AS(parse_size("-2GiB"), std::out_of_range);
    CHECK_THROWS_AS(parse_size("16777216TiB"), std::out_of_range);
    CHECK_THROWS_AS(parse_size("18446744073709551616"), std::out_of_range);
    CHECK_THROWS_WITH(parse_size("12 parsecs"), Contains("invalid size \"12 parsecs\""));
    CHECK_THROWS_WITH(parse_size("2gib"), Contains("did you mean 'GiB'?"));
    for (const char* bad : {"", "GiB", "1.5", "1,5GiB", "2 G", "1e9", "0x10", ".", "1..2MiB", "2GiB extra"}) {
        INFO(bad);
        CHECK_THROWS_AS(parse_size(bad), std::invalid_argument);
    }
}

TEST_CASE("nearest_key suggests only close matches", "[config][syntax]") {
    CHECK(edit_distance("context", "context") == 0);
    CHECK(edit_distance("contxt", "context") == 1);
    CHECK(edit_distance("ocntext", "context") == 1);  // a swap counts once
    CHECK(edit_distance("", "abc") == 3);
    CHECK(edit_distance("kitten", "sitting") == 3);

    const std::vector<std::string_view> keys{"path", "context"};
    CHECK(nearest_key("contxt", keys) == std::optional<std::string>("context"));
    CHECK(nearest_key("ctx", keys) == std::nullopt);
    CHECK(nearest_key("PATH", keys) == std::optional<std::string>("path"));
    CHECK(nearest_key("size", keys) == std::nullopt);
    CHECK(nearest_key("pth", keys) == std::optional<std::string>("path"));
    CHECK(nearest_key("thread", {"threads"}) == std::optional<std::string>("threads"));
    CHECK(nearest_key("plugin", {"plugins", "model", "backends", "placement", "log"}) ==
          std::optional<std::string>("plugins"));
    CHECK(nearest_key("vulkan", {"cpu"}) == std::nullopt);
    CHECK(nearest_key("x", {"cpu"}) == std::nullopt);
}
