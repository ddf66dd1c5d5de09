// The paged KV table's prefix cache: sharing full blocks by their whole prefix, never a block
// of another prefix, and least-recently-released eviction.
#include <plinth/error.hpp>
#include <plinth/kv_block_table.hpp>

#include <catch2/catch.hpp>

#include <numeric>
#include <vector>

using plinth::kv_block_table;

namespace {

std::vector<int32_t> seq_tokens(int32_t first, size_t n) {
    std::vector<int32_t> t(n);
    std::iota(t.begin(), t.end(), first);
    return t;
}

// A sequence with these tokens computed and published, as the engine leaves it after a forward pass.
int32_t computed(kv_block_table& kv, const std::vector<int32_t>& tokens) {
    const int32_t s = kv.add_sequence();
    kv.append(s, tokens);
    kv.publish(s);
    return s;
}

}  // namespace

TEST_CASE("a later sequence attaches the full blocks of a shared prefix", "[server][kv]") {
    kv_block_table kv(16, 4);
    const auto a = seq_tokens(100, 10);  // blocks: [100..103] [104..107] + 2 tokens
    const int32_t s1 = computed(kv, a);
    auto b = a;
    b.resize(9);
    b.push_back(7);  // same 9 tokens, then another
    const int32_t s2 = kv.add_sequence();
    CHECK(kv.attach_prefix(s2, b) == 8);
    CHECK(kv.table_row(s2, 2) == std::vector<int32_t>(kv.table_row(s1, 2)));
    // Its own tokens go to a block of its own.
    const auto slots = kv.append(s2, std::vector<int32_t>{b[8], b[9]});
    CHECK(slots[0] / 4 != kv.table_row(s1, 3)[2]);
}

TEST_CASE("at least one token is left to compute", "[server][kv]") {
    kv_block_table kv(16, 4);
    const auto a = seq_tokens(1, 8);
    computed(kv, a);
    const int32_t s = kv.add_sequence();
    CHECK(kv.attach_prefix(s, a) == 4);  // not 8: the last token's logits must be computed
}

TEST_CASE("prompts that differ in their first token share nothing", "[server][kv]") {
    kv_block_table kv(16, 4);
    auto a = seq_tokens(10, 12);
    computed(kv, a);
    auto b = a;
    b[0] = 99;
    const int32_t s = kv.add_sequence();
    CHECK(kv.attach_prefix(s, b) == 0);
    // The same later block content under another first block does not match either.
    auto c = a;
    c[1] = 98;
    const int32_t s3 = kv.add_sequence();
    CHECK(kv.attach_prefix(s3, c) == 0);
}

TEST_CASE("released blocks stay cached until their memory is needed, then the oldest goes", "[server][kv]") {
    kv_block_table kv(4, 4);
    const auto a = seq_tokens(1, 9);  // 2 full blocks + 1 token: 3 blocks
    const int32_t s1 = computed(kv, a);
    kv.remove_sequence(s1);
    CHECK(kv.free_blocks() == 4);
    CHECK(kv.used_blocks() == 0);
    // Still found after release.
    const int32_t s2 = kv.add_sequence();
    CHECK(kv.attach_prefix(s2, a) == 8);
    kv.remove_sequence(s2);
    // Another sequence needs all four blocks: the cached ones are evicted.
    const int32_t s3 = computed(kv, seq_tokens(500, 16));
    kv.remove_sequence(s3);
    const int32_t s4 = kv.add_sequence();
    CHECK(kv.attach_prefix(s4, a) == 0);
}

TEST_CASE("a block reused for another prefix is never mistaken for its old self", "[server][kv]") {
    kv_block_table kv(3, 2);
    const auto a = seq_tokens(1, 5);  // blocks [1,2] [3,4] + [5]
    kv.remove_sequence(computed(kv, a));
    // Every block is taken again for another prefix that holds the same [3,4] in its second block.
    const int32_t s = computed(kv, std::vector<int32_t>{7, 8, 3, 4, 9});
    kv.remove_sequence(s);
    const int32_t t = kv.add_sequence();
    // [7,8][3,4] is found as a whole; the old [3,4] under [1,2] must not be.
    CHECK(kv.attach_prefix(t, std::vector<int32_t>{7, 8, 3, 4, 0}) == 4);
    const int32_t u = kv.add_sequence();
    CHECK(kv.attach_prefix(u, std::vector<int32_t>{1, 2, 3, 4, 0}) == 0);
}

TEST_CASE("a full cache refuses an append and changes nothing", "[server][kv]") {
    kv_block_table kv(2, 4);
    const int32_t s = kv.add_sequence();
    kv.append(s, seq_tokens(0, 8));
    CHECK_THROWS_AS(kv.append(s, std::vector<int32_t>{1}), plinth::error);
    CHECK(kv.length(s) == 8);
    CHECK(kv.blocks_needed(s, 1) == 1);
}
