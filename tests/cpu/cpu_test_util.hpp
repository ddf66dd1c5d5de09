#pragma once
// Shared by the CPU compute tests: the real cpu plugin loaded through the host, a builder of small
// graphs (one exactly-sized buffer per tensor), random data and comparison helpers.
#include <catch2/catch.hpp>

#include "graph_node.hpp"

#include <plinth/plugin_host.hpp>

#include <plinth/weight_formats.hpp>
#include <plinth/weight_formats/half.hpp>

#include <array>
#include <cmath>
#include <cstring>
#include <initializer_list>
#include <random>
#include <string>
#include <vector>

namespace cpu_test {

using shape4 = std::array<uint64_t, 4>;

inline shape4 shp(uint64_t a, uint64_t b = 1, uint64_t c = 1, uint64_t d = 1) { return {a, b, c, d}; }

// The cpu backend, loaded once per test process.
inline const plinth_backend_api* backend() {
    static plinth::plugin_host host;
    static const plinth_backend_api* api = [] {
        plinth::plugin_search s;
        s.use_environment = false;
        host.load(s);
        const auto* cpu = host.find(PLINTH_PLUGIN_BACKEND, "cpu");
        return cpu ? cpu->backend : nullptr;
    }();
    REQUIRE(api != nullptr);
    REQUIRE(api->graph_compute != nullptr);
    return api;
}

inline void set_threads(int n) {
    plinth_message err{};
    REQUIRE(backend()->set_option("threads", std::to_string(n).c_str(), &err) == PLINTH_OK);
}

inline uint64_t tensor_bytes(uint32_t type, const shape4& s) {
    const auto t = plinth_weight_type_info(type);
    return s[0] / t.block_size * t.block_bytes * s[1] * s[2] * s[3];
}

class graph_builder {
public:
    graph_builder() : api_(backend()) {}
    ~graph_builder() {
        for (plinth_buffer b : buffers_) api_->buffer_free(b);
    }
    graph_builder(const graph_builder&) = delete;
    graph_builder& operator=(const graph_builder&) = delete;

    // A tensor in a buffer of its own, `extra` bytes larger than it; filled with `data` if given.
    uint32_t add(uint32_t type, shape4 shape, const void* data = nullptr, uint64_t extra = 0) {
        const uint64_t bytes = tensor_bytes(type, shape);
        plinth_buffer b = nullptr;
        plinth_message err{};
        REQUIRE(api_->buffer_alloc(0, bytes + extra, &b, &err) == PLINTH_OK);
        buffers_.push_back(b);
        if (data) REQUIRE(api_->buffer_upload(b, 0, data, bytes, &err) == PLINTH_OK);
        else if (bytes + extra) std::memset(api_->buffer_host_ptr(b), 0, bytes + extra);
        plinth_tensor t{};
        t.type = type;
        for (int d = 0; d < 4; ++d) t.shape[d] = shape[d];
        t.buffer = b;
        t.offset = 0;
        tensors.push_back(t);
        return uint32_t(tensors.size() - 1);
    }
    uint32_t f32(shape4 shape, const std::vector<float>& v) {
        REQUIRE(v.size() * 4 == tensor_bytes(PLINTH_TYPE_F32, shape));
        return add(PLINTH_TYPE_F32, shape, v.data());
    }
    uint32_t f32(shape4 shape) { return add(PLINTH_TYPE_F32, shape); }
    uint32_t i32(const std::vector<int32_t>& v) { return add(PLINTH_TYPE_I32, shp(v.size()), v.data()); }
    uint32_t i32(shape4 shape, const std::vector<int32_t>& v) {
        REQUIRE(v.size() * 4 == tensor_bytes(PLINTH_TYPE_I32, shape));
        return add(PLINTH_TYPE_I32, shape, v.data());
    }
    // Another description of tensor t's memory: another type, shape or offset.
    uint32_t view(uint32_t t, uint32_t type, shape4 shape, uint64_t offset = 0) {
        plinth_tensor v = tensors[t];
        v.type = type;
        for (int d = 0; d < 4; ++d) v.shape[d] = shape[d];
        v.offset += offset;
        tensors.push_back(v);
        return uint32_t(tensors.size() - 1);
    }

    plinth_node& node(uint32_t op, uint32_t dst, std::initializer_list<uint32_t> srcs) {
        nodes.push_back(plinth::test::make_node(op, dst, srcs));
        return nodes.back();
    }

    plinth_graph graph() const {
        plinth_graph g{};
        g.struct_size = sizeof(g);
        g.n_tensors = uint32_t(tensors.size());
        g.tensors = tensors.data();
        g.n_nodes = uint32_t(nodes.size());
        g.nodes = nodes.data();
        return g;
    }

    plinth_status compute(std::string* message = nullptr) {
        const plinth_graph g = graph();
        plinth_message err{};
        const plinth_status st = api_->graph_compute(0, &g, &err);
        if (message) *message = err.text;
        return st;
    }
    void run() {
        std::string message;
        const plinth_status st = compute(&message);
        INFO(message);
        REQUIRE(st == PLINTH_OK);
    }

    void* data(uint32_t t) const {
        return static_cast<char*>(api_->buffer_host_ptr(tensors[t].buffer)) + tensors[t].offset;
    }
    uint64_t bytes(uint32_t t) const {
        shape4 s{tensors[t].shape[0], tensors[t].shape[1], tensors[t].shape[2], tensors[t].shape[3]};
        return tensor_bytes(tensors[t].type, s);
    }
    std::vector<float> f32_data(uint32_t t) const {
        std::vector<float> v(bytes(t) / 4);
        std::memcpy(v.data(), data(t), bytes(t));
        return v;
    }
    std::vector<uint16_t> u16_data(uint32_t t) const {
        std::vector<uint16_t> v(bytes(t) / 2);
        std::memcpy(v.data(), data(t), bytes(t));
        return v;
    }
    std::vector<unsigned char> raw(uint32_t t) const {
        std::vector<unsigned char> v(bytes(t));
        std::memcpy(v.data(), data(t), bytes(t));
        return v;
    }

    std::vector<plinth_tensor> tensors;
    std::vector<plinth_node> nodes;

private:
    const plinth_backend_api* api_;
    std::vector<plinth_buffer> buffers_;
};

inline std::vector<float> random_floats(size_t n, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(lo, hi);
    std::vector<float> v(n);
    for (auto& x : v) x = dist(rng);
    return v;
}

inline std::vector<uint16_t> to_f16(const std::vector<float>& v) {
    std::vector<uint16_t> h(v.size());
    for (size_t i = 0; i < v.size(); ++i) h[i] = plinth::weight_formats::fp32_to_fp16(v[i]);
    return h;
}

inline std::vector<float> from_f16(const std::vector<uint16_t>& h) {
    std::vector<float> v(h.size());
    for (size_t i = 0; i < h.size(); ++i) v[i] = plinth::weight_formats::fp16_to_fp32(h[i]);
    return v;
}

// |got - want| <= abs + rel * |want| for every element; reports the first failure.
inline void check_close(const std::vector<float>& got, const std::vector<double>& want, double abs, double rel,
                        const std::string& what = "") {
    REQUIRE(got.size() == want.size());
    for (size_t i = 0; i < got.size(); ++i) {
        const double tol = abs + rel * std::fabs(want[i]);
        if (!(std::fabs(double(got[i]) - want[i]) <= tol)) {
            INFO(what << " element " << i << ": got " << got[i] << ", want " << want[i] << " (tolerance " << tol << ")");
            REQUIRE(std::fabs(double(got[i]) - want[i]) <= tol);
        }
    }
}

}  // namespace cpu_test
