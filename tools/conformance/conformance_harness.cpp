// The conformance suite's harness (see conformance_harness.hpp and backend_conformance.hpp).
//
// Each case is a graph described on the host: buffers with their initial bytes (a background
// pattern, and the tensors' data), tensors placed in them at offsets that are aligned only as much
// as their type needs, and nodes. The same description runs on the backend under test and on the
// reference backend; both results are downloaded whole and compared:
//   - the outputs, exactly or within the case's tolerance;
//   - every byte the graph does not write must still hold its initial value (stray writes);
//   - MATMUL also against a double-precision product of the dequantized weights.
#include "conformance_harness.hpp"

#include <plinth/weight_formats/half.hpp>
#include <plinth/weight_formats.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <sstream>

namespace plinth::conformance {

size_t report::count(outcome o) const {
    return size_t(std::count_if(cases.begin(), cases.end(), [&](const case_result& c) { return c.result == o; }));
}

std::vector<const case_result*> report::with(outcome o) const {
    std::vector<const case_result*> out;
    for (const auto& c : cases)
        if (c.result == o) out.push_back(&c);
    return out;
}

namespace harness {

std::vector<float> random_floats(size_t n, uint32_t seed, float lo, float hi) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(lo, hi);
    std::vector<float> v(n);
    for (auto& x : v) x = dist(rng);
    return v;
}

std::vector<int32_t> random_ints(size_t n, uint32_t seed, int32_t lo, int32_t hi) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int32_t> dist(lo, hi);
    std::vector<int32_t> v(n);
    for (auto& x : v) x = dist(rng);
    return v;
}

std::vector<uint16_t> to_f16(const std::vector<float>& v) {
    std::vector<uint16_t> h(v.size());
    for (size_t i = 0; i < v.size(); ++i) h[i] = weight_formats::fp32_to_fp16(v[i]);
    return h;
}

// `rows` rows of n floats in `type` (F32 as is; others through the reference quantizer).
std::vector<uint8_t> encode(uint32_t type, const std::vector<float>& v, int64_t n) {
    const int64_t rows = int64_t(v.size()) / n;
    const size_t row_bytes = weight_formats::row_bytes(type, n);
    std::vector<uint8_t> out(row_bytes * size_t(rows));
    for (int64_t r = 0; r < rows; ++r) weight_formats::quantize_row(type, v.data() + r * n, out.data() + size_t(r) * row_bytes, n);
    return out;
}

std::vector<float> decode(uint32_t type, const std::vector<uint8_t>& bytes, int64_t n) {
    const size_t row_bytes = weight_formats::row_bytes(type, n);
    const size_t rows = bytes.size() / row_bytes;
    std::vector<float> out(rows * size_t(n));
    for (size_t r = 0; r < rows; ++r) weight_formats::dequantize_row(type, bytes.data() + r * row_bytes, out.data() + r * size_t(n), n);
    return out;
}

namespace {

// Allocates the buffers on (api, device), uploads them, optionally asks supports_node for every
// node, computes, and downloads every buffer.
run_output execute(const plinth_backend_api& api, uint32_t device, const graph_spec& g, bool ask_support) {
    run_output out;
    std::vector<plinth_buffer> handles;
    struct cleanup {
        const plinth_backend_api& api;
        std::vector<plinth_buffer>& handles;
        ~cleanup() {
            for (plinth_buffer b : handles) api.buffer_free(b);
        }
    } guard{api, handles};
    plinth_message err{};
    for (const auto& contents : g.buffers) {
        plinth_buffer b = nullptr;
        if ((out.status = api.buffer_alloc(device, contents.size(), &b, &err)) != PLINTH_OK) {
            out.message = std::string("buffer_alloc: ") + err.text;
            return out;
        }
        handles.push_back(b);
        if ((out.status = api.buffer_upload(b, 0, contents.data(), contents.size(), &err)) != PLINTH_OK) {
            out.message = std::string("buffer_upload: ") + err.text;
            return out;
        }
    }
    std::vector<plinth_tensor> tensors(g.tensors.size());
    for (size_t i = 0; i < g.tensors.size(); ++i) {
        plinth_tensor& t = tensors[i];
        t = plinth_tensor{};
        t.type = g.tensors[i].type;
        for (int d = 0; d < 4; ++d) t.shape[d] = g.tensors[i].shape[d];
        t.buffer = handles[g.tensors[i].buffer];
        t.offset = g.tensors[i].offset;
    }
    plinth_graph graph{};
    graph.struct_size = sizeof(graph);
    graph.n_tensors = uint32_t(tensors.size());
    graph.tensors = tensors.data();
    graph.n_nodes = uint32_t(g.nodes.size());
    graph.nodes = g.nodes.data();
    if (ask_support && api.supports_node)
        for (uint32_t i = 0; i < graph.n_nodes; ++i)
            if (!api.supports_node(device, &graph, i)) {
                out.unsupported_node = int(i);
                return out;
            }
    out.status = api.graph_compute(device, &graph, &err);
    out.message = err.text;
    if (out.status != PLINTH_OK) return out;
    for (size_t i = 0; i < g.buffers.size(); ++i) {
        std::vector<uint8_t> bytes(g.buffers[i].size());
        const plinth_status st = api.buffer_download(handles[i], 0, bytes.data(), bytes.size(), &err);
        if (st != PLINTH_OK) {
            out.status = st;
            out.message = std::string("buffer_download: ") + err.text;
            return out;
        }
        out.buffers.push_back(std::move(bytes));
    }
    return out;
}

std::vector<float> floats_of(const graph_spec& g, const run_output& r, uint32_t t) {
    const tensor_spec& s = g.tensors[t];
    const uint64_t n = g.bytes(t) / 4;
    std::vector<float> v(n);
    std::memcpy(v.data(), r.buffers[s.buffer].data() + s.offset, n * 4);
    return v;
}

std::string fmt(const char* f, double a, double b, double c, double d = 0) {
    char buf[256];
    std::snprintf(buf, sizeof(buf), f, a, b, c, d);
    return buf;
}

bool exact_everywhere() {
    static const bool yes = [] {
        const char* v = std::getenv("PLINTH_CONFORMANCE_EXACT");
        return v && std::strcmp(v, "1") == 0;
    }();
    return yes;
}

// Empty when the check passes, else what differs.
std::string run_check(const graph_spec& g, const check& c, const run_output& got, const run_output& ref) {
    const tensor_spec& s = g.tensors[c.tensor];
    const uint64_t bytes = g.bytes(c.tensor);
    const uint8_t* a = got.buffers[s.buffer].data() + s.offset;
    const uint8_t* b = ref.buffers[s.buffer].data() + s.offset;
    // PLINTH_CONFORMANCE_EXACT=1 holds every check to the reference's bits (docs/backends.md).
    if (c.mode == compare::exact || exact_everywhere()) {
        if (std::memcmp(a, b, bytes) == 0) return "";
        const uint64_t unit = s.type == PLINTH_TYPE_F16 ? 2 : 4;
        for (uint64_t i = 0; i < bytes; i += unit)
            if (std::memcmp(a + i, b + i, unit) != 0) {
                std::ostringstream o;
                o << "tensor " << c.tensor << " element " << i / unit << " differs from the reference (exact compare)";
                if (s.type == PLINTH_TYPE_F32) {
                    float x, y;
                    std::memcpy(&x, a + i, 4);
                    std::memcpy(&y, b + i, 4);
                    o << ": got " << x << ", want " << y;
                } else if (s.type == PLINTH_TYPE_F16) {
                    uint16_t x, y;
                    std::memcpy(&x, a + i, 2);
                    std::memcpy(&y, b + i, 2);
                    o << ": got " << weight_formats::fp16_to_fp32(x) << " (0x" << std::hex << x << "), want "
                      << weight_formats::fp16_to_fp32(y) << " (0x" << y << ")";
                }
                return o.str();
            }
        return "";
    }
    const std::vector<float> x = floats_of(g, got, c.tensor), y = floats_of(g, ref, c.tensor);
    if (c.mode == compare::close) {
        double max_ref = 0;
        for (float v : y) max_ref = std::max(max_ref, std::fabs(double(v)));
        for (size_t i = 0; i < x.size(); ++i) {
            const double tol =
                c.rel * std::fabs(double(y[i])) + c.abs_frac * max_ref + c.abs + (c.slack.empty() ? 0.0 : c.slack[i]);
            if (!(std::fabs(double(x[i]) - double(y[i])) <= tol))
                return "tensor " + std::to_string(c.tensor) + " element " + std::to_string(i) +
                       fmt(": got %.9g, want %.9g (difference %.3g, tolerance %.3g)", x[i], y[i],
                           std::fabs(double(x[i]) - double(y[i])), tol);
        }
        return "";
    }
    // MATMUL: against the exact product, and against the reference.
    for (size_t i = 0; i < x.size(); ++i) {
        const double to_exact = c.bound[i] + 1e-5 * c.magnitude[i] + 1e-6;
        // Both follow the precision contract (the same activation quantization and integer block
        // dots): float rounding of the sum only.
        const double to_ref = 1e-6 * c.magnitude[i] + 1e-7;
        if (!(std::fabs(double(y[i]) - c.exact[i]) <= to_exact))
            return "the reference itself is off at element " + std::to_string(i) +
                   fmt(": %.9g vs the exact %.9g (tolerance %.3g)", y[i], c.exact[i], to_exact);
        if (!(std::fabs(double(x[i]) - c.exact[i]) <= to_exact))
            return "element " + std::to_string(i) +
                   fmt(": got %.9g, the exact product is %.9g (difference %.3g, tolerance %.3g)", x[i], c.exact[i],
                       std::fabs(double(x[i]) - c.exact[i]), to_exact);
        if (!(std::fabs(double(x[i]) - double(y[i])) <= to_ref))
            return "element " + std::to_string(i) +
                   fmt(": got %.9g, the reference %.9g (difference %.3g, tolerance %.3g)", x[i], y[i],
                       std::fabs(double(x[i]) - double(y[i])), to_ref);
    }
    return "";
}

// The ABI minor node `i` needs (plinth_node_abi_minor over the described tensors).
uint32_t node_minor(const graph_spec& g, uint32_t i) {
    std::vector<plinth_tensor> tensors(g.tensors.size());
    for (size_t t = 0; t < g.tensors.size(); ++t) {
        tensors[t] = plinth_tensor{};
        tensors[t].type = g.tensors[t].type;
        for (int d = 0; d < 4; ++d) tensors[t].shape[d] = g.tensors[t].shape[d];
    }
    plinth_graph graph{};
    graph.struct_size = sizeof(graph);
    graph.n_tensors = uint32_t(tensors.size());
    graph.tensors = tensors.data();
    graph.n_nodes = uint32_t(g.nodes.size());
    graph.nodes = g.nodes.data();
    return plinth_node_abi_minor(&graph, i);
}

// The first node that needs a newer ABI minor than `minor`, or -1.
int newer_node(const graph_spec& g, uint32_t minor) {
    for (uint32_t i = 0; i < g.nodes.size(); ++i)
        if (node_minor(g, i) > minor) return int(i);
    return -1;
}

// Bytes no node writes must keep their initial value.
std::string check_untouched(const graph_spec& g, const run_output& got) {
    for (size_t b = 0; b < g.buffers.size(); ++b) {
        std::vector<bool> written(g.buffers[b].size(), false);
        for (const auto& n : g.nodes) {
            const tensor_spec& d = g.tensors[n.dst];
            if (d.buffer != b) continue;
            const uint64_t bytes = tensor_bytes(d.type, d.shape);
            std::fill(written.begin() + long(d.offset), written.begin() + long(d.offset + bytes), true);
        }
        for (size_t i = 0; i < written.size(); ++i)
            if (!written[i] && got.buffers[b][i] != g.buffers[b][i])
                return "byte " + std::to_string(i) + " of buffer " + std::to_string(b) +
                       ", which no node writes, changed";
    }
    return "";
}

}  // namespace

case_result run_case(const test_case& c, const loaded_plugin& backend, uint32_t device, const loaded_plugin& reference) {
    case_result res;
    res.name = c.name;
    const bool expect_error = c.expect != PLINTH_OK;
    // A node of a newer ABI minor than the plugin speaks never reaches it (the host would run it
    // elsewhere): refused, as supports_node would.
    if (const int newer = newer_node(c.graph, backend.abi_minor); newer >= 0) {
        res.result = outcome::refused;
        const plinth_node& n = c.graph.nodes[size_t(newer)];
        res.detail = "unsupported: node " + std::to_string(newer) + " (" + plinth_op_name(n.op) + ") needs ABI 1." +
                     std::to_string(node_minor(c.graph, uint32_t(newer))) + "; the plugin speaks 1." +
                     std::to_string(backend.abi_minor);
        return res;
    }
    const run_output ref = execute(*reference.backend, 0, c.graph, !expect_error);
    const run_output got = execute(*backend.backend, device, c.graph, !expect_error);
    if (got.unsupported_node >= 0) {
        res.result = outcome::refused;
        const plinth_node& n = c.graph.nodes[size_t(got.unsupported_node)];
        res.detail = "unsupported: node " + std::to_string(got.unsupported_node) + " (" + plinth_op_name(n.op) + ")";
        return res;
    }
    res.result = outcome::failed;
    if (ref.unsupported_node >= 0) {
        res.detail = "the reference backend refuses node " + std::to_string(ref.unsupported_node);
        return res;
    }
    if (expect_error) {
        if (ref.status != c.expect) {
            res.detail = "the reference answered " + std::to_string(int(ref.status)) + " (" + ref.message + "), not " +
                         std::to_string(int(c.expect));
        } else if (got.status == PLINTH_ERR_UNSUPPORTED) {
            res.result = outcome::refused;
            res.detail = "unsupported: " + got.message;
        } else if (got.status != c.expect) {
            res.detail = "answered status " + std::to_string(int(got.status)) + " (" + got.message + "), want " +
                         std::to_string(int(c.expect)) + " like the reference (" + ref.message + ")";
        } else if (got.message.empty()) {
            res.detail = "the error has no message";
        } else {
            res.result = outcome::passed;
            res.detail = got.message;
        }
        return res;
    }
    if (ref.status != PLINTH_OK) {
        res.detail = "the reference failed: " + ref.message;
        return res;
    }
    if (got.status != PLINTH_OK) {
        res.detail = "graph_compute failed (status " + std::to_string(int(got.status)) + "): " + got.message;
        return res;
    }
    for (const check& k : c.checks) {
        const std::string why = run_check(c.graph, k, got, ref);
        if (!why.empty()) {
            res.detail = why;
            return res;
        }
    }
    const std::string stray = check_untouched(c.graph, got);
    if (!stray.empty()) {
        res.detail = stray;
        return res;
    }
    res.result = outcome::passed;
    return res;
}

check exact(uint32_t t) {
    check c;
    c.tensor = t;
    c.mode = compare::exact;
    return c;
}

check close(uint32_t t, double rel, double abs_frac, double abs) {
    check c;
    c.tensor = t;
    c.mode = compare::close;
    c.rel = rel;
    c.abs_frac = abs_frac;
    c.abs = abs;
    return c;
}

}  // namespace harness
}  // namespace plinth::conformance
