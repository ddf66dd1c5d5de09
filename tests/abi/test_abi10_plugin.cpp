// abi10 through its C entry points, as today's host sees them (today's headers): it negotiates
// minor 0 whatever minor the host offers, refuses another major, and answers malformed graphs with
// PLINTH_ERR_INVALID_ARGUMENT (or 0 from supports_node) instead of reading out of bounds.
#include <catch2/catch.hpp>

#include <plinth/plugin_api.h>
#include <plinth/weight_types.h>

#include <dlfcn.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct abi10_library {
    void* handle = ::dlopen(PLINTH_ABI10_PLUGIN, RTLD_NOW | RTLD_LOCAL);
    plinth_plugin_entry_fn entry =
        handle ? reinterpret_cast<plinth_plugin_entry_fn>(::dlsym(handle, PLINTH_PLUGIN_ENTRY_SYMBOL)) : nullptr;
    ~abi10_library() {
        if (handle) ::dlclose(handle);
    }
};

plinth_host_info host_speaking(uint32_t major, uint32_t minor) {
    plinth_host_info h{};
    h.struct_size = sizeof(h);
    h.abi_major = major;
    h.abi_minor_max = minor;
    h.host_version = "test";
    return h;
}

// The plugin, initialised as the host does it (probe, init), shut down at the end.
struct initialised_abi10 {
    abi10_library library;
    const plinth_plugin_descriptor* d = nullptr;
    const plinth_backend_api* api = nullptr;
    initialised_abi10() {
        REQUIRE(library.entry != nullptr);
        const plinth_host_info host = host_speaking(PLINTH_ABI_MAJOR, PLINTH_ABI_MINOR);
        plinth_message msg{};
        d = library.entry(&host, &msg);
        REQUIRE(d != nullptr);
        plinth_probe_result probe{};
        probe.struct_size = sizeof(probe);
        d->probe(&probe);
        REQUIRE(probe.usable == 1);
        REQUIRE(d->init(&host, &msg) == PLINTH_OK);
        api = d->backend;
    }
    ~initialised_abi10() { d->shutdown(); }

    plinth_buffer alloc(const std::vector<float>& values) const {
        plinth_buffer b = nullptr;
        plinth_message msg{};
        REQUIRE(api->buffer_alloc(0, values.size() * sizeof(float), &b, &msg) == PLINTH_OK);
        REQUIRE(api->buffer_upload(b, 0, values.data(), values.size() * sizeof(float), &msg) == PLINTH_OK);
        return b;
    }
    std::vector<float> read(plinth_buffer b, size_t count) const {
        std::vector<float> out(count);
        plinth_message msg{};
        REQUIRE(api->buffer_download(b, 0, out.data(), count * sizeof(float), &msg) == PLINTH_OK);
        return out;
    }
};

plinth_tensor tensor(uint32_t type, std::vector<uint64_t> shape, plinth_buffer buffer, uint64_t offset = 0) {
    plinth_tensor t{};
    t.type = type;
    for (size_t d = 0; d < 4; ++d) t.shape[d] = d < shape.size() ? shape[d] : 1;
    t.buffer = buffer;
    t.offset = offset;
    return t;
}

plinth_node node(uint32_t op, uint32_t dst, std::vector<uint32_t> src) {
    plinth_node n{};
    n.op = op;
    n.dst = dst;
    for (uint32_t& s : n.src) s = PLINTH_NO_TENSOR;
    for (size_t k = 0; k < src.size(); ++k) n.src[k] = src[k];
    return n;
}

struct graph_of {
    std::vector<plinth_tensor> tensors;
    std::vector<plinth_node> nodes;
    plinth_graph c() const {
        plinth_graph g{};
        g.struct_size = sizeof(g);
        g.n_tensors = uint32_t(tensors.size());
        g.tensors = tensors.data();
        g.n_nodes = uint32_t(nodes.size());
        g.nodes = nodes.data();
        return g;
    }
};

// graph_compute's answer and message.
std::pair<plinth_status, std::string> compute(const plinth_backend_api* api, const graph_of& g) {
    const plinth_graph c = g.c();
    plinth_message msg{};
    const plinth_status st = api->graph_compute(0, &c, &msg);
    return {st, msg.text};
}

}  // namespace

TEST_CASE("abi10 negotiates minor 0 with any 1.x host and refuses another major with a reason", "[abi]") {
    abi10_library library;
    REQUIRE(library.entry != nullptr);
    for (uint32_t minor : {0u, 1u, uint32_t(PLINTH_ABI_MINOR), 7u}) {
        INFO("host speaks 1." << minor);
        const plinth_host_info host = host_speaking(1, minor);
        plinth_message msg{};
        const plinth_plugin_descriptor* d = library.entry(&host, &msg);
        REQUIRE(d != nullptr);
        CHECK(d->abi_major == 1);
        CHECK(d->abi_minor == 0);
        CHECK(d->kind == PLINTH_PLUGIN_BACKEND);
        CHECK(std::string(d->name) == "abi10");
        CHECK(d->format == nullptr);
        // The 1.0 table is as large as today's (1.2 took a reserved slot), its later members NULL.
        REQUIRE(d->backend != nullptr);
        CHECK(d->backend->struct_size == sizeof(plinth_backend_api));
        CHECK(d->backend->options == nullptr);
        CHECK(d->backend->buffer_wrap_host == nullptr);
    }
    const plinth_host_info future = host_speaking(2, 0);
    plinth_message msg{};
    CHECK(library.entry(&future, &msg) == nullptr);
    CHECK_THAT(std::string(msg.text), Catch::Contains("abi10 speaks ABI 1.0; the host speaks ABI major 2"));
    CHECK(library.entry(nullptr, &msg) == nullptr);
}

TEST_CASE("abi10's device is neither a CPU nor host memory, and its buffers copy", "[abi]") {
    const initialised_abi10 p;
    REQUIRE(p.api->device_count() == 1);
    plinth_device_info info{};
    info.struct_size = sizeof(info);
    plinth_message msg{};
    REQUIRE(p.api->device_info(0, &info, &msg) == PLINTH_OK);
    CHECK(info.type == PLINTH_DEVICE_OTHER);
    CHECK((info.buffer_caps & (PLINTH_BUFFER_HOST_VISIBLE | PLINTH_BUFFER_CAN_WRAP_HOST)) == 0);
    CHECK(p.api->device_info(1, &info, &msg) == PLINTH_ERR_INVALID_ARGUMENT);

    const plinth_buffer b = p.alloc({1.0f, 2.0f, 3.0f});
    CHECK(p.api->buffer_size(b) == 12);
    CHECK(p.api->buffer_host_ptr(b) == nullptr);
    CHECK(p.read(b, 3) == std::vector<float>{1.0f, 2.0f, 3.0f});
    float out[2] = {};
    CHECK(p.api->buffer_download(b, 8, out, 8, &msg) == PLINTH_ERR_INVALID_ARGUMENT);  // past the end
    CHECK(p.api->buffer_upload(b, ~uint64_t(0), out, 8, &msg) == PLINTH_ERR_INVALID_ARGUMENT);  // offset + size wraps
    CHECK(p.api->set_option("threads", "2", &msg) == PLINTH_ERR_INVALID_ARGUMENT);
    p.api->buffer_free(b);
}

TEST_CASE("abi10 computes ADD, MUL, SWIGLU and RMS_NORM in one graph, exactly where the contract says exact", "[abi]") {
    const initialised_abi10 p;
    const plinth_buffer a = p.alloc({1.5f, -2.0f, 0.25f, 4.0f});
    const plinth_buffer b = p.alloc({0.5f, 3.0f, -1.0f, 2.0f});
    const plinth_buffer row = p.alloc({2.0f, -1.0f});
    const plinth_buffer sum = p.alloc(std::vector<float>(4, 0.0f));
    const plinth_buffer product = p.alloc(std::vector<float>(4, 0.0f));
    const plinth_buffer normed = p.alloc(std::vector<float>(4, 0.0f));
    graph_of g;
    g.tensors = {tensor(PLINTH_TYPE_F32, {2, 2}, a),   tensor(PLINTH_TYPE_F32, {2, 2}, b),   tensor(PLINTH_TYPE_F32, {2}, row),
                 tensor(PLINTH_TYPE_F32, {2, 2}, sum), tensor(PLINTH_TYPE_F32, {2, 2}, product), tensor(PLINTH_TYPE_F32, {2, 2}, normed)};
    g.nodes = {node(PLINTH_OP_ADD, 3, {0, 1}), node(PLINTH_OP_MUL, 4, {3, 2}), node(PLINTH_OP_RMS_NORM, 5, {4, 2}),
               node(PLINTH_OP_SWIGLU, 4, {4, 1})};
    g.nodes[2].f[0] = 1e-5f;
    const auto [st, why] = compute(p.api, g);
    INFO(why);
    REQUIRE(st == PLINTH_OK);
    CHECK(p.read(sum, 4) == std::vector<float>{2.0f, 1.0f, -0.75f, 6.0f});
    // MUL broadcast the one row: {2*2, 1*-1, -0.75*2, 6*-1}; RMS_NORM read it before SWIGLU overwrote it.
    const std::vector<float> mul = {4.0f, -1.0f, -1.5f, -6.0f};
    const std::vector<float> n = p.read(normed, 4);
    for (int r = 0; r < 2; ++r) {
        const float mean = float((double(mul[r * 2] * mul[r * 2]) + double(mul[r * 2 + 1] * mul[r * 2 + 1])) / 2.0);
        const float scale = 1.0f / std::sqrt(mean + 1e-5f);
        CHECK(n[r * 2] == (mul[r * 2] * scale) * 2.0f);
        CHECK(n[r * 2 + 1] == (mul[r * 2 + 1] * scale) * -1.0f);
    }
    const std::vector<float> up = {0.5f, 3.0f, -1.0f, 2.0f};
    const std::vector<float> swiglu = p.read(product, 4);
    for (int i = 0; i < 4; ++i) CHECK(swiglu[i] == Approx(mul[i] / (1.0f + std::exp(-mul[i])) * up[i]).epsilon(1e-6));
    for (plinth_buffer x : {a, b, row, sum, product, normed}) p.api->buffer_free(x);
}

TEST_CASE("abi10 refuses malformed graphs with PLINTH_ERR_INVALID_ARGUMENT and ops it lacks with PLINTH_ERR_UNSUPPORTED", "[abi]") {
    const initialised_abi10 p;
    const plinth_buffer x = p.alloc(std::vector<float>(16, 1.0f));
    const plinth_buffer y = p.alloc(std::vector<float>(16, 7.0f));
    // A valid ADD of 4 x 2 floats, then broken one way at a time.
    const auto valid = [&] {
        graph_of g;
        g.tensors = {tensor(PLINTH_TYPE_F32, {4, 2}, x), tensor(PLINTH_TYPE_F32, {4, 2}, x, 32), tensor(PLINTH_TYPE_F32, {4, 2}, y)};
        g.nodes = {node(PLINTH_OP_ADD, 2, {0, 1})};
        return g;
    };
    REQUIRE(compute(p.api, valid()).first == PLINTH_OK);
    const plinth_buffer cleared = p.alloc(std::vector<float>(16, 7.0f));  // y now holds sums; this one stays 7
    const auto supported = [&](const graph_of& g) {
        const plinth_graph c = g.c();
        return p.api->supports_node(0, &c, 0);
    };

    struct broken {
        const char* what;
        void (*edit)(graph_of&);
        const char* message;
    };
    const broken cases[] = {
        {"a source past the graph", [](graph_of& g) { g.nodes[0].src[1] = 99; }, "node 0 (ADD): src1 is tensor 99, but the graph has 3 tensors"},
        {"a dst past the graph", [](graph_of& g) { g.nodes[0].dst = PLINTH_NO_TENSOR; }, "dst is tensor 4294967295"},
        {"a zero dimension", [](graph_of& g) { g.tensors[0].shape[2] = 0; }, "src0 (tensor 0) has shape[2] = 0"},
        {"more elements than exist", [](graph_of& g) { g.tensors[1].shape[1] = uint64_t(1) << 40; g.tensors[1].shape[2] = uint64_t(1) << 20; },
         "src1 (tensor 1) has too many elements"},
        {"an unknown type", [](graph_of& g) { g.tensors[0].type = 77; }, "src0 (tensor 0) has unknown type 77"},
        {"F16 where ADD needs F32", [](graph_of& g) { g.tensors[2].type = PLINTH_TYPE_F16; }, "dst (tensor 2) is F16; ADD needs F32"},
        {"shapes that do not match", [](graph_of& g) { g.tensors[1].shape[0] = 2; g.tensors[1].shape[1] = 4; }, "neither src0's shape"},
        {"an unknown op number 0", [](graph_of& g) { g.nodes[0].op = 0; }, "op 0 is no op"},
    };
    for (const broken& c : cases) {
        INFO(c.what);
        graph_of g = valid();
        c.edit(g);
        CHECK(supported(g) == 0);
        const auto [st, why] = compute(p.api, g);
        CHECK(st == PLINTH_ERR_INVALID_ARGUMENT);
        CHECK_THAT(why, Catch::Contains(c.message));
    }

    // Buffers: supports_node looks at shapes only, graph_compute at the bytes too.
    int not_a_buffer = 0;
    const broken buffer_cases[] = {
        {"past the end of the buffer", [](graph_of& g) { g.tensors[1].offset = 40; }, "32 bytes at offset 40 run past the end of its 64-byte buffer"},
        {"an offset that wraps", [](graph_of& g) { g.tensors[1].offset = ~uint64_t(0) - 8; }, "run past the end"},
        {"misaligned floats", [](graph_of& g) { g.tensors[1].offset = 2; }, "F32 data at offset 2 is not 4-byte aligned"},
        {"no buffer", [](graph_of& g) { g.tensors[0].buffer = nullptr; }, "src0 (tensor 0) has no buffer"},
        {"dst overlapping a source", [](graph_of& g) { g.tensors[2] = g.tensors[0]; g.tensors[2].offset = 16; }, "dst (tensor 2) overlaps src0 (tensor 0)"},
    };
    for (const broken& c : buffer_cases) {
        INFO(c.what);
        graph_of g = valid();
        c.edit(g);
        CHECK(supported(g) == 1);
        const auto [st, why] = compute(p.api, g);
        CHECK(st == PLINTH_ERR_INVALID_ARGUMENT);
        CHECK_THAT(why, Catch::Contains(c.message));
    }
    {
        INFO("a handle that is no abi10 buffer (another backend's, or garbage) is looked up, not read");
        graph_of g = valid();
        g.tensors[0].buffer = reinterpret_cast<plinth_buffer>(&not_a_buffer);
        const auto [st, why] = compute(p.api, g);
        CHECK(st == PLINTH_ERR_INVALID_ARGUMENT);
        CHECK_THAT(why, Catch::Contains("src0 (tensor 0) is not in a live abi10 buffer"));
    }
    {
        INFO("supports_node asked about a node past the graph, or no graph");
        const graph_of g = valid();
        const plinth_graph c = g.c();
        CHECK(p.api->supports_node(0, &c, 1) == 0);
        CHECK(p.api->supports_node(0, nullptr, 0) == 0);
        CHECK(p.api->supports_node(1, &c, 0) == 0);
        plinth_message msg{};
        CHECK(p.api->graph_compute(0, nullptr, &msg) == PLINTH_ERR_INVALID_ARGUMENT);
    }

    // Valid, but not abi10's: refused, and nothing in the graph runs (every node is checked first).
    const auto unsupported = [&](uint32_t op) {
        graph_of g = valid();
        g.tensors[2].buffer = cleared;
        g.nodes.push_back(node(op, 2, {0, 1}));
        return g;
    };
    for (uint32_t op : {uint32_t(PLINTH_OP_MATMUL), uint32_t(PLINTH_OP_ROPE), uint32_t(PLINTH_OP_GEGLU), 99u}) {
        INFO("op " << op);
        const graph_of g = unsupported(op);
        const plinth_graph c = g.c();
        CHECK(p.api->supports_node(0, &c, 1) == 0);
        const auto [st, why] = compute(p.api, g);
        CHECK(st == PLINTH_ERR_UNSUPPORTED);
        CHECK_THAT(why, Catch::StartsWith("node 1 ("));
        CHECK(p.read(cleared, 8) == std::vector<float>(8, 7.0f));
    }
    {
        INFO("ADD's one-row bias is ABI 1.1");
        graph_of g = valid();
        g.tensors[1].shape[1] = 1;
        CHECK(supported(g) == 0);
        const auto [st, why] = compute(p.api, g);
        CHECK(st == PLINTH_ERR_UNSUPPORTED);
        CHECK_THAT(why, Catch::Contains("abi10 speaks ABI 1.0"));
    }
    for (plinth_buffer b : {x, y, cleared}) p.api->buffer_free(b);
}

TEST_CASE("abi10's KV_STORE checks every slot before it writes the cache", "[abi]") {
    const initialised_abi10 p;
    const plinth_buffer rows = p.alloc({1.0f, 2.0f, 3.0f, 4.0f});
    const plinth_buffer cache = p.alloc(std::vector<float>(6, 0.0f));
    plinth_buffer slots = nullptr;
    plinth_message msg{};
    REQUIRE(p.api->buffer_alloc(0, 8, &slots, &msg) == PLINTH_OK);
    graph_of g;
    g.tensors = {tensor(PLINTH_TYPE_F32, {2, 2}, rows), tensor(PLINTH_TYPE_F32, {2, 3}, cache), tensor(PLINTH_TYPE_I32, {2}, slots)};
    g.nodes = {node(PLINTH_OP_KV_STORE, 1, {0, 1, 2})};
    const int32_t bad[2] = {2, 3};  // slot 3 of a 3-slot cache
    REQUIRE(p.api->buffer_upload(slots, 0, bad, sizeof(bad), &msg) == PLINTH_OK);
    const auto [st, why] = compute(p.api, g);
    CHECK(st == PLINTH_ERR_INVALID_ARGUMENT);
    CHECK_THAT(why, Catch::Contains("node 0 (KV_STORE): slot 3 (token 1) is outside the cache's 3 slots"));
    CHECK(p.read(cache, 6) == std::vector<float>(6, 0.0f));

    const int32_t good[2] = {2, 0};
    REQUIRE(p.api->buffer_upload(slots, 0, good, sizeof(good), &msg) == PLINTH_OK);
    REQUIRE(compute(p.api, g).first == PLINTH_OK);
    CHECK(p.read(cache, 6) == std::vector<float>{3.0f, 4.0f, 0.0f, 0.0f, 1.0f, 2.0f});
    for (plinth_buffer b : {rows, cache, slots}) p.api->buffer_free(b);
}
