#pragma once
// The conformance suite's harness (backend_conformance.cpp holds the cases): graphs described on
// the host, run on a backend and on the reference through the C ABI, and the checks that compare
// the two results. Internal to the conformance kit.
#include "backend_conformance.hpp"

#include <plinth/compute.h>
#include <plinth/weight_types.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <vector>

namespace plinth::conformance::harness {

using shape4 = std::array<uint64_t, 4>;

inline shape4 shp(uint64_t a, uint64_t b = 1, uint64_t c = 1, uint64_t d = 1) { return {a, b, c, d}; }

inline uint64_t tensor_bytes(uint32_t type, const shape4& s) {
    const auto t = plinth_weight_type_info(type);
    return s[0] / t.block_size * t.block_bytes * s[1] * s[2] * s[3];
}

inline const char* type_name(uint32_t type) {
    const char* n = plinth_weight_type_info(type).name;
    return n ? n : "?";
}

constexpr uint8_t background = 0xA5;  // the initial bytes of every buffer outside its tensors


// ---- random data (fixed seeds) and weight formats

std::vector<float> random_floats(size_t n, uint32_t seed, float lo = -1.0f, float hi = 1.0f);
std::vector<int32_t> random_ints(size_t n, uint32_t seed, int32_t lo, int32_t hi);
std::vector<uint16_t> to_f16(const std::vector<float>& v);
// `rows` rows of n floats in `type` (F32 as is; others through the reference quantizer).
std::vector<uint8_t> encode(uint32_t type, const std::vector<float>& v, int64_t n);
std::vector<float> decode(uint32_t type, const std::vector<uint8_t>& bytes, int64_t n);

// ---- graphs described on the host

struct tensor_spec {
    uint32_t type;
    shape4 shape;
    uint32_t buffer;
    uint64_t offset;
};

struct graph_spec {
    std::vector<std::vector<uint8_t>> buffers;  // initial contents
    std::vector<tensor_spec> tensors;
    std::vector<plinth_node> nodes;

    uint32_t new_buffer(uint64_t size) {
        buffers.emplace_back(size, background);
        return uint32_t(buffers.size() - 1);
    }
    // A tensor at `offset` of buffer `b`, its bytes set from `data` when given.
    uint32_t place(uint32_t b, uint64_t offset, uint32_t type, shape4 shape, const void* data = nullptr) {
        const uint64_t bytes = tensor_bytes(type, shape);
        if (offset + bytes > buffers[b].size()) throw std::logic_error("conformance: tensor past its buffer");
        if (data) std::memcpy(buffers[b].data() + offset, data, bytes);
        tensors.push_back(tensor_spec{type, shape, b, offset});
        return uint32_t(tensors.size() - 1);
    }
    // A tensor in a buffer of its own, at an offset aligned only as much as its type needs (36 bytes
    // for 4-byte types, 34 for 2-byte ones), with guard bytes after it.
    uint32_t add(uint32_t type, shape4 shape, const void* data = nullptr) {
        const uint64_t lead = (type == PLINTH_TYPE_F32 || type == PLINTH_TYPE_I32) ? 36 : 34;
        const uint32_t b = new_buffer(lead + tensor_bytes(type, shape) + 62);
        return place(b, lead, type, shape, data);
    }
    uint32_t f32(shape4 shape, const std::vector<float>& v) {
        check_size(v.size() * 4, PLINTH_TYPE_F32, shape);
        return add(PLINTH_TYPE_F32, shape, v.data());
    }
    uint32_t f32(shape4 shape) { return add(PLINTH_TYPE_F32, shape); }
    uint32_t i32(const std::vector<int32_t>& v) { return add(PLINTH_TYPE_I32, shp(v.size()), v.data()); }
    uint32_t i32(shape4 shape, const std::vector<int32_t>& v) {
        check_size(v.size() * 4, PLINTH_TYPE_I32, shape);
        return add(PLINTH_TYPE_I32, shape, v.data());
    }
    uint32_t view(uint32_t t, uint32_t type, shape4 shape, uint64_t extra = 0) {
        tensor_spec s = tensors[t];
        s.type = type;
        s.shape = shape;
        s.offset += extra;
        tensors.push_back(s);
        return uint32_t(tensors.size() - 1);
    }
    plinth_node& node(uint32_t op, uint32_t dst, std::initializer_list<uint32_t> srcs) {
        plinth_node n{};
        n.op = op;
        n.dst = dst;
        for (auto& src : n.src) src = PLINTH_NO_TENSOR;
        int k = 0;
        for (uint32_t src : srcs) n.src[k++] = src;
        nodes.push_back(n);
        return nodes.back();
    }
    uint64_t bytes(uint32_t t) const { return tensor_bytes(tensors[t].type, tensors[t].shape); }

private:
    static void check_size(size_t have, uint32_t type, const shape4& shape) {
        if (have != tensor_bytes(type, shape)) throw std::logic_error("conformance: data does not match the shape");
    }
};

struct run_output {
    plinth_status status = PLINTH_OK;
    std::string message;
    int unsupported_node = -1;
    std::vector<std::vector<uint8_t>> buffers;
};

// ---- cases and their checks

enum class compare { exact, close, matmul };

struct check {
    uint32_t tensor = 0;
    compare mode = compare::exact;
    double rel = 0, abs_frac = 0, abs = 0;  // close: |got - ref| <= rel * |ref| + abs_frac * max |ref| + abs
    std::vector<double> slack;              // close: plus slack[i] for element i, when given
    // matmul: per output element, the double-precision product of the dequantized weights, the
    // activation-quantization bound of the reference (0 for F32/F16 weights) and sum |w * x|.
    std::vector<double> exact, bound, magnitude;
};

struct test_case {
    std::string group, name;
    graph_spec graph;
    std::vector<check> checks;
    plinth_status expect = PLINTH_OK;  // an error status: both backends must answer it
};

check exact(uint32_t t);
check close(uint32_t t, double rel, double abs_frac, double abs = 0);

// Runs the case on `backend`'s `device` and on `reference`'s device 0 and compares them.
case_result run_case(const test_case& c, const loaded_plugin& backend, uint32_t device, const loaded_plugin& reference);

}  // namespace plinth::conformance::harness
