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

TEST_CASE("a cached block that continues the prompt is adopted, its common tokens kept", "[server][kv]") {
    kv_block_table kv(8, 4);
    // A finished request: [1..4] [5 6 7 8] [9 10]; its last blocks stay cached with their records.
    const int32_t s1 = computed(kv, seq_tokens(1, 10));
    const auto first = kv.table_row(s1, 3);
    kv.remove_sequence(s1);
    // The same 6 prompt tokens, then others: block 0 is shared, block 1 adopted with 5 and 6.
    const int32_t s2 = kv.add_sequence();
    CHECK(kv.attach_prefix(s2, std::vector<int32_t>{1, 2, 3, 4, 5, 6, 70, 71}) == 6);
    CHECK(kv.table_row(s2, 2) == std::vector<int32_t>{first[0], first[1]});
    // Its next token goes to slot 2 of the adopted block.
    CHECK(kv.append(s2, std::vector<int32_t>{70}) == std::vector<int32_t>{first[1] * 4 + 2});
    kv.publish(s2);
    // The adopted block left the cache: [5 6 7 8] is not found again, nor its old child [9 10].
    const int32_t s3 = kv.add_sequence();
    CHECK(kv.attach_prefix(s3, seq_tokens(1, 11)) == 4);
    CHECK(kv.table_row(s3, 2)[1] == -1);
}

TEST_CASE("a repeated short prompt reuses the partial block of the last one", "[server][kv]") {
    kv_block_table kv(8, 16);
    const std::vector<int32_t> prompt{1, 403, 407, 261, 378};
    // The first request: its prompt, then generated tokens, all in its partial first block.
    const int32_t s1 = computed(kv, prompt);
    kv.append(s1, std::vector<int32_t>{432, 383});
    kv.publish(s1);
    kv.remove_sequence(s1);
    const int32_t s2 = kv.add_sequence();
    CHECK(kv.attach_prefix(s2, prompt) == 4);  // all but the last token, whose logits are needed
}

TEST_CASE("a block in use, or under another prefix, is never adopted", "[server][kv]") {
    kv_block_table kv(8, 4);
    const int32_t s1 = computed(kv, seq_tokens(1, 6));  // still running: its blocks are in use
    const int32_t s2 = kv.add_sequence();
    CHECK(kv.attach_prefix(s2, std::vector<int32_t>{1, 2, 3, 4, 5, 6, 0}) == 4);  // block 0 shared, block 1 not taken
    kv.remove_sequence(s2);
    kv.remove_sequence(s1);
    // [5 6] is cached under [1..4]; after [9 2 3 4] it is another prefix.
    const int32_t s3 = kv.add_sequence();
    CHECK(kv.attach_prefix(s3, std::vector<int32_t>{9, 2, 3, 4, 5, 6, 0}) == 0);
}

TEST_CASE("a truncated block's record and children are not reused", "[server][kv]") {
    kv_block_table kv(8, 4);
    const int32_t s1 = computed(kv, seq_tokens(1, 10));  // [1..4] [5..8] [9 10]
    kv.truncate(s1, 6);                                  // [1..4] [5 6]: [9 10] released
    kv.append(s1, std::vector<int32_t>{50, 51, 52});     // [1..4] [5 6 50 51] [52]
    kv.publish(s1);
    kv.remove_sequence(s1);
    const int32_t s2 = kv.add_sequence();
    // The old [5..8] and [9 10] are gone: only [1..4] and [5 6] continue this prompt.
    CHECK(kv.attach_prefix(s2, seq_tokens(1, 12)) == 6);
}
