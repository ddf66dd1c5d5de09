// sdk/include/plinth/sdk/node_validator.hpp against a fake backend: malformed graphs are refused
// with the status and the words every backend uses, the backend's hooks are asked what is theirs,
// and a well-formed node comes back with its views filled in.
#include <plinth/sdk/node_validator.hpp>
#include <plinth/sdk/rope_table.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

// The fake backend's buffer, as a plugin defines the ABI's opaque handle.
struct plinth_buffer_s {
    uint64_t size;
    int device;           // the fake backend is device 0
    uint64_t base = 0;    // byte 0's address
    bool has_memory = true;
};

namespace {

namespace sdk = plinth::sdk;

struct fake_view : sdk::tensor_view {
    const plinth_buffer_s* buffer = nullptr;
    uint64_t offset = 0;
};

// Decodes F32, F16 and Q8_0 weights; binds at most 4096 bytes per tensor; takes no SCALE by 0.
struct fake_hooks : sdk::node_validator_hooks<fake_view> {
    mutable int placed = 0;

    static const char* backend_name() { return "fake"; }
    static bool decodes(uint32_t /*op*/, uint32_t type) {
        return type == PLINTH_TYPE_F32 || type == PLINTH_TYPE_F16 || type == PLINTH_TYPE_Q8_0;
    }
    static sdk::buffer_location locate(const plinth_buffer_s* b) {
        sdk::buffer_location at;
        at.on_this_device = b->device == 0;
        at.has_memory = b->has_memory;
        at.size = b->size;
        at.space = b;
        at.base = b->base;
        return at;
    }
    void place(fake_view& view, const plinth_tensor& t, const sdk::buffer_location& /*where*/) const {
        view.buffer = t.buffer;
        view.offset = t.offset;
        ++placed;
    }
    static plinth_status tensor_limits(const fake_view& view, const char* role, const sdk::node_failure& fail) {
        if (view.bytes <= 4096) return PLINTH_OK;
        return fail.unsupported("%s (tensor %u) takes %llu bytes; the fake backend binds at most 4096", role, view.index,
                                (unsigned long long)view.bytes);
    }
    static plinth_status node_limits(const plinth_graph& /*graph*/, const sdk::basic_node_view<fake_view>& n,
                                     const sdk::node_failure& fail) {
        if (n.node->op == PLINTH_OP_SCALE && n.node->f[0] == 0.0f) return fail.unsupported("the fake backend scales by 0 no more");
        return PLINTH_OK;
    }
};

// A graph of tensors in buffers of the fake backend, and its nodes.
struct fake_graph {
    std::vector<plinth_tensor> tensors;
    std::vector<plinth_node> nodes;
    std::vector<plinth_buffer_s> buffers = std::vector<plinth_buffer_s>(16);  // stable addresses
    size_t used = 0;

    // A tensor in a buffer of its own, exactly its size (set `buffer` null for none).
    uint32_t tensor(uint32_t type, uint64_t ne0, uint64_t ne1 = 1, uint64_t ne2 = 1) {
        plinth_tensor t{};
        t.type = type;
        t.shape[0] = ne0;
        t.shape[1] = ne1;
        t.shape[2] = ne2;
        t.shape[3] = 1;
        const plinth_weight_type_traits traits = plinth_weight_type_info(type);
        buffers.at(used) = plinth_buffer_s{ne0 / traits.block_size * traits.block_bytes * ne1 * ne2, 0, 4096, true};
        t.buffer = &buffers[used++];
        tensors.push_back(t);
        return uint32_t(tensors.size() - 1);
    }
    // Another view of tensor `of`'s buffer.
    uint32_t view(uint32_t of, uint32_t type, uint64_t ne0, uint64_t ne1, uint64_t offset) {
        plinth_tensor t = tensors[of];
        t.type = type;
        t.shape[0] = ne0;
        t.shape[1] = ne1;
        t.offset = offset;
        tensors.push_back(t);
        return uint32_t(tensors.size() - 1);
    }
    plinth_node& node(uint32_t op, uint32_t dst, std::initializer_list<uint32_t> srcs) {
        plinth_node n{};
        n.op = op;
        n.dst = dst;
        for (auto& s : n.src) s = PLINTH_NO_TENSOR;
        int k = 0;
        for (uint32_t s : srcs) n.src[k++] = s;
        nodes.push_back(n);
        return nodes.back();
    }
    plinth_graph graph() {
        plinth_graph g{};
        g.struct_size = sizeof(g);
        g.n_tensors = uint32_t(tensors.size());
        g.tensors = tensors.data();
        g.n_nodes = uint32_t(nodes.size());
        g.nodes = nodes.data();
        return g;
    }
};

struct outcome {
    plinth_status status;
    std::string message;
    sdk::basic_node_view<fake_view> view;
};

outcome check(fake_graph& g, uint32_t node = 0, sdk::validation_mode mode = sdk::validation_mode::full) {
    const plinth_graph graph = g.graph();
    const fake_hooks hooks;
    plinth_message err{};
    outcome out{};
    out.status = sdk::node_validator<fake_hooks>(graph, hooks, mode, &err).node(node, out.view);
    out.message = err.text;
    return out;
}

// One ADD of two [5, 2] F32 tensors into a third.
struct add_graph : fake_graph {
    uint32_t a, b, d;
    add_graph() {
        a = tensor(PLINTH_TYPE_F32, 5, 2);
        b = tensor(PLINTH_TYPE_F32, 5, 2);
        d = tensor(PLINTH_TYPE_F32, 5, 2);
        node(PLINTH_OP_ADD, d, {a, b});
    }
};

// One MATMUL of [64, 3] weights of `type` by a [64, 2] F32 input.
struct matmul_graph : fake_graph {
    uint32_t w, x, d;
    explicit matmul_graph(uint32_t type = PLINTH_TYPE_Q8_0) {
        w = tensor(type, 64, 3);
        x = tensor(PLINTH_TYPE_F32, 64, 2);
        d = tensor(PLINTH_TYPE_F32, 3, 2);
        node(PLINTH_OP_MATMUL, d, {w, x});
    }
};

void require(const outcome& got, plinth_status status, const std::string& message) {
    INFO("message: " << got.message);
    CHECK(got.status == status);
    CHECK(got.message == message);
}

}  // namespace

TEST_CASE("a well-formed node comes back with its views filled in", "[sdk][validator]") {
    matmul_graph g;
    const outcome got = check(g);
    REQUIRE(got.status == PLINTH_OK);
    CHECK(got.view.index == 0);
    CHECK(got.view.node == &g.nodes[0]);
    const fake_view& w = got.view.src[0];
    CHECK(w.index == g.w);
    CHECK(w.type == PLINTH_TYPE_Q8_0);
    CHECK(w.ne0 == 64);
    CHECK(w.rows == 3);
    CHECK(w.elements == 192);
    CHECK(w.row_bytes == 2 * 34);
    CHECK(w.bytes == 3 * 2 * 34);
    CHECK(w.buffer == g.tensors[g.w].buffer);  // the place hook's part
    CHECK(got.view.dst.ne[1] == 2);
    CHECK(got.view.src[2].index == PLINTH_NO_TENSOR);  // MATMUL reads two sources
}

TEST_CASE("malformed tensors are refused, naming the node, the role and the tensor", "[sdk][validator]") {
    const plinth_status invalid = PLINTH_ERR_INVALID_ARGUMENT;
    SECTION("an index past the graph's tensors") {
        add_graph g;
        g.nodes[0].src[1] = 9;
        require(check(g), invalid, "node 0 (ADD): src1 is tensor 9, but the graph has 3 tensors");
    }
    SECTION("an unknown type") {
        add_graph g;
        g.tensors[g.a].type = 31;
        require(check(g), invalid, "node 0 (ADD): src0 (tensor 0) has unknown type 31");
    }
    SECTION("a zero dimension") {
        add_graph g;
        g.tensors[g.d].shape[2] = 0;
        require(check(g), invalid, "node 0 (ADD): dst (tensor 2) has shape[2] = 0");
    }
    SECTION("more elements than 2^48, even where the product wraps around 2^64") {
        add_graph g;
        g.tensors[g.b].shape[0] = uint64_t(1) << 32;
        g.tensors[g.b].shape[1] = uint64_t(1) << 32;
        require(check(g), invalid, "node 0 (ADD): src1 (tensor 1) has too many elements");
    }
    SECTION("a row that is not whole blocks") {
        matmul_graph g;
        g.tensors[g.w].shape[0] = 33;
        require(check(g), invalid,
                "node 0 (MATMUL): src0 (tensor 0): a Q8_0 row of 33 elements is not a whole number of 32-element blocks");
    }
    SECTION("no buffer") {
        add_graph g;
        g.tensors[g.a].buffer = nullptr;
        require(check(g), invalid, "node 0 (ADD): src0 (tensor 0) has no buffer");
    }
    SECTION("a buffer of another device") {
        add_graph g;
        g.tensors[g.b].buffer->device = 1;
        require(check(g), invalid, "node 0 (ADD): src1 (tensor 1) is in a buffer of another device (or a freed one)");
    }
    SECTION("bytes past the end of the buffer") {
        add_graph g;
        g.tensors[g.b].offset = 4;
        require(check(g), invalid, "node 0 (ADD): src1 (tensor 1): 40 bytes at offset 4 run past the end of its 40-byte buffer");
    }
    SECTION("an offset near 2^64 does not wrap around") {
        add_graph g;
        g.tensors[g.a].offset = ~uint64_t(0) - 3;
        require(check(g), invalid,
                "node 0 (ADD): src0 (tensor 0): 40 bytes at offset 18446744073709551612 run past the end of its 40-byte "
                "buffer");
    }
    SECTION("a buffer with no memory") {
        add_graph g;
        g.tensors[g.d].buffer->has_memory = false;
        require(check(g), invalid, "node 0 (ADD): dst (tensor 2) is in a buffer with no memory");
    }
    SECTION("an F32 tensor at an offset of 2") {
        add_graph g;
        g.tensors[g.a].buffer->size += 2;
        g.tensors[g.a].offset = 2;
        require(check(g), invalid, "node 0 (ADD): src0 (tensor 0): F32 data at offset 2 is not 4-byte aligned");
    }
    SECTION("alignment counts from the buffer's address") {
        add_graph g;
        g.tensors[g.a].buffer->base = 4098;  // a host buffer at an address only 2-byte aligned
        g.tensors[g.a].buffer->size += 2;
        g.tensors[g.a].offset = 2;
        CHECK(check(g).status == PLINTH_OK);
        g.tensors[g.a].offset = 0;
        require(check(g), invalid, "node 0 (ADD): src0 (tensor 0): F32 data at offset 0 is not 4-byte aligned");
    }
    SECTION("an unknown op") {
        add_graph g;
        g.nodes[0].op = 99;
        require(check(g), invalid, "node 0 (unknown op): unknown op 99");
    }
    SECTION("the op's rules (op_rules.hpp)") {
        matmul_graph g;
        g.tensors[g.x].type = PLINTH_TYPE_F16;
        require(check(g), invalid, "node 0 (MATMUL): src1 (tensor 1) is F16; MATMUL needs F32");
    }
}

TEST_CASE("a destination may overlap a source only as the same tensor of an element-wise op", "[sdk][validator]") {
    SECTION("MATMUL writing over its input") {
        fake_graph g;
        const uint32_t w = g.tensor(PLINTH_TYPE_F32, 4, 4), x = g.tensor(PLINTH_TYPE_F32, 4, 2);
        g.node(PLINTH_OP_MATMUL, x, {w, x});
        require(check(g), PLINTH_ERR_INVALID_ARGUMENT, "node 0 (MATMUL): dst (tensor 1) overlaps src1 (tensor 1)");
        CHECK(check(g, 0, sdk::validation_mode::shapes).status == PLINTH_OK);  // memory is not looked at
    }
    SECTION("ADD writing over half its input") {
        fake_graph g;
        const uint32_t a = g.tensor(PLINTH_TYPE_F32, 4, 3);
        const uint32_t first = g.view(a, PLINTH_TYPE_F32, 4, 2, 0), shifted = g.view(a, PLINTH_TYPE_F32, 4, 2, 16);
        g.node(PLINTH_OP_ADD, shifted, {first, first});
        require(check(g), PLINTH_ERR_INVALID_ARGUMENT,
                "node 0 (ADD): dst (tensor 2) overlaps src0 (tensor 1) without being the same tensor");
    }
    SECTION("ADD in place") {
        add_graph g;
        g.nodes[0].dst = g.a;
        CHECK(check(g).status == PLINTH_OK);
    }
    SECTION("the same offsets in two buffers do not overlap") {
        fake_graph g;
        const uint32_t w = g.tensor(PLINTH_TYPE_F32, 4, 4), x = g.tensor(PLINTH_TYPE_F32, 4, 2), d = g.tensor(PLINTH_TYPE_F32, 4, 2);
        g.node(PLINTH_OP_MATMUL, d, {w, x});
        CHECK(check(g).status == PLINTH_OK);
    }
    SECTION("KV_STORE writes the cache it names as src1") {
        fake_graph g;
        const uint32_t x = g.tensor(PLINTH_TYPE_F32, 4, 2), cache = g.tensor(PLINTH_TYPE_F16, 4, 8);
        const uint32_t slots = g.tensor(PLINTH_TYPE_I32, 2);
        g.node(PLINTH_OP_KV_STORE, cache, {x, cache, slots});
        CHECK(check(g).status == PLINTH_OK);
    }
}

TEST_CASE("weights: what the backend does not decode is unsupported, what is no weight type is malformed", "[sdk][validator]") {
    SECTION("a weight type the backend does not decode") {
        matmul_graph g(PLINTH_TYPE_Q4_K);
        g.tensors[g.w].shape[0] = g.tensors[g.x].shape[0] = 256;
        g.tensors[g.w].buffer->size = 3 * 144;
        g.tensors[g.x].buffer->size = 2 * 256 * 4;
        require(check(g), PLINTH_ERR_UNSUPPORTED,
                "node 0 (MATMUL): src0 (tensor 0) has weight type Q4_K, which the fake backend does not decode (F32, F16, Q8_0)");
        CHECK(check(g, 0, sdk::validation_mode::shapes).status == PLINTH_ERR_UNSUPPORTED);
    }
    SECTION("GET_ROWS asks the same") {
        fake_graph g;
        const uint32_t table = g.tensor(PLINTH_TYPE_BF16, 8, 4), ids = g.tensor(PLINTH_TYPE_I32, 2), d = g.tensor(PLINTH_TYPE_F32, 8, 2);
        g.node(PLINTH_OP_GET_ROWS, d, {table, ids});
        require(check(g), PLINTH_ERR_UNSUPPORTED,
                "node 0 (GET_ROWS): src0 (tensor 0) has weight type BF16, which the fake backend does not decode (F32, F16, "
                "Q8_0)");
    }
    SECTION("a type that is no weight type") {
        matmul_graph g(PLINTH_TYPE_I32);
        require(check(g), PLINTH_ERR_INVALID_ARGUMENT, "node 0 (MATMUL): src0 (tensor 0) is I32, which is not a weight type");
    }
    CHECK(sdk::is_weight_type(PLINTH_TYPE_F32));
    CHECK(sdk::is_weight_type(PLINTH_TYPE_BF16));
    CHECK(sdk::is_weight_type(PLINTH_TYPE_IQ2_XXS));
    CHECK_FALSE(sdk::is_weight_type(PLINTH_TYPE_I8));
    CHECK_FALSE(sdk::is_weight_type(PLINTH_TYPE_F64));
    CHECK_FALSE(sdk::is_weight_type(5));  // no type
}

TEST_CASE("the backend's limits are asked in both modes, and answer unsupported", "[sdk][validator]") {
    SECTION("a tensor larger than the backend binds") {
        fake_graph g;
        const uint32_t w = g.tensor(PLINTH_TYPE_F32, 64, 32), x = g.tensor(PLINTH_TYPE_F32, 64, 2), d = g.tensor(PLINTH_TYPE_F32, 32, 2);
        g.node(PLINTH_OP_MATMUL, d, {w, x});
        require(check(g), PLINTH_ERR_UNSUPPORTED, "node 0 (MATMUL): src0 (tensor 0) takes 8192 bytes; the fake backend binds at most 4096");
        g.tensors[w].buffer = nullptr;
        CHECK(check(g, 0, sdk::validation_mode::shapes).status == PLINTH_ERR_UNSUPPORTED);
    }
    SECTION("a parameter the backend's kernels do not take, after the op's rules") {
        fake_graph g;
        const uint32_t x = g.tensor(PLINTH_TYPE_F32, 4, 2);
        plinth_node& n = g.node(PLINTH_OP_SCALE, x, {x});
        n.f[0] = 0.0f;
        require(check(g), PLINTH_ERR_UNSUPPORTED, "node 0 (SCALE): the fake backend scales by 0 no more");
        g.nodes[0].f[0] = INFINITY;  // malformed: the op's rule speaks first
        require(check(g), PLINTH_ERR_INVALID_ARGUMENT, "node 0 (SCALE): f[0] = inf is not a finite number");
    }
}

TEST_CASE("the shapes mode looks at no buffer", "[sdk][validator]") {
    add_graph g;
    for (auto& t : g.tensors) t.buffer = nullptr;
    const plinth_graph graph = g.graph();
    const fake_hooks hooks;
    sdk::basic_node_view<fake_view> view;
    CHECK(sdk::node_validator<fake_hooks>(graph, hooks, sdk::validation_mode::shapes, nullptr).node(0, view) == PLINTH_OK);
    CHECK(hooks.placed == 0);
    CHECK(view.dst.buffer == nullptr);
    CHECK(view.src[1].ne0 == 5);
    // A null err is allowed: the status still comes back.
    g.nodes[0].src[0] = 7;
    CHECK(sdk::node_validator<fake_hooks>(g.graph(), hooks, sdk::validation_mode::shapes, nullptr).node(0, view) ==
          PLINTH_ERR_INVALID_ARGUMENT);
}

TEST_CASE("check_graph_header refuses a graph that cannot be read", "[sdk][validator]") {
    add_graph g;
    plinth_message err{};
    CHECK(sdk::check_graph_header(nullptr, &err) == PLINTH_ERR_INVALID_ARGUMENT);
    CHECK(std::string(err.text) == "graph is NULL");
    plinth_graph graph = g.graph();
    graph.struct_size = 8;
    CHECK(sdk::check_graph_header(&graph, &err) == PLINTH_ERR_INVALID_ARGUMENT);
    CHECK(std::string(err.text) == "graph struct_size 8 is smaller than plinth_graph (" + std::to_string(sizeof(plinth_graph)) + ")");
    graph = g.graph();
    graph.tensors = nullptr;
    CHECK(sdk::check_graph_header(&graph, &err) == PLINTH_ERR_INVALID_ARGUMENT);
    CHECK(std::string(err.text) == "graph has 3 tensors but no tensor array");
    graph = g.graph();
    graph.nodes = nullptr;
    CHECK(sdk::check_graph_header(&graph, &err) == PLINTH_ERR_INVALID_ARGUMENT);
    CHECK(std::string(err.text) == "graph has 1 nodes but no node array");
    graph = g.graph();
    CHECK(sdk::check_graph_header(&graph, nullptr) == PLINTH_OK);
}

// ---- rope_table.hpp: the host-made ROPE tables and the refusal that comes with them

TEST_CASE("a ROPE whose factors an earlier node writes is refused by the host-table backends", "[sdk][rope]") {
    for (const bool overlap : {true, false}) {
        fake_graph g;
        const uint32_t x = g.tensor(PLINTH_TYPE_F32, 8, 2), pos = g.tensor(PLINTH_TYPE_I32, 2), out = g.tensor(PLINTH_TYPE_F32, 8, 2);
        const uint32_t store = g.tensor(PLINTH_TYPE_F32, 8);              // 32 bytes: factors in 0..15
        const uint32_t factors = g.view(store, PLINTH_TYPE_F32, 4, 1, 0);
        const uint32_t written = g.view(store, PLINTH_TYPE_F32, 4, 1, overlap ? 8 : 16);
        const uint32_t one = g.tensor(PLINTH_TYPE_F32, 4);
        g.node(PLINTH_OP_ADD, written, {one, one});
        plinth_node& rope = g.node(PLINTH_OP_ROPE, out, {x, pos, factors});
        rope.i[0] = 8;
        const plinth_graph graph = g.graph();
        plinth_message err{};
        const sdk::node_failure fail(&err, 1, PLINTH_OP_ROPE);
        const plinth_status st = sdk::refuse_factors_written_in_graph(graph, 1, "fake", fail);
        if (overlap) {
            CHECK(st == PLINTH_ERR_UNSUPPORTED);
            CHECK_THAT(std::string(err.text), Catch::Contains("written by node 0") && Catch::Contains("fake backend"));
        } else {
            CHECK(st == PLINTH_OK);
        }
    }
}

TEST_CASE("rope_table_set keeps one table per setting, laid out from a first word", "[sdk][rope]") {
    sdk::rope_table_set set;
    set.clear(4);
    set.add(0, 8, 10000.0f, 1.0f, 16, {});
    set.add(2, 8, 10000.0f, 1.0f, 16, {});          // the same setting: the same table
    set.add(3, 8, 10000.0f, 0.5f, 16, {1, 2, 4, 8});  // another scale, with factors
    REQUIRE(set.tables.size() == 2);
    CHECK(set.table_of[0] == 0);
    CHECK(set.table_of[2] == 0);
    CHECK(set.table_of[3] == 1);
    const uint64_t end = set.lay_out(10);
    CHECK(set.word == std::vector<uint64_t>{10, 10 + 16 * 4 * 2});
    CHECK(end == 10 + 16 * 4 * 2 + 16 * 4 * 2 + 4);

    std::vector<float> table(size_t(set.tables[1].words()));
    sdk::fill_rope_table(set.tables[1], table.data());
    float row[8];
    sdk::rope_cos_sin(5.0f, set.tables[1].step, 0.5f, 4, row, set.tables[1].factors.data());
    for (int k = 0; k < 8; ++k) CHECK(table[size_t(5 * 8 + k)] == row[k]);  // position 5's row
    CHECK(std::vector<float>(table.end() - 4, table.end()) == std::vector<float>{1, 2, 4, 8});  // then the factors
}
