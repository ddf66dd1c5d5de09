#include "example_ops.hpp"

#include <plinth/sdk/rope_angles.hpp>
#include <plinth/weight_formats.hpp>
#include <plinth/weight_formats/half.hpp>

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <vector>

namespace example {

namespace wf = plinth::weight_formats;

namespace {

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
plinth_status bad_data(const node& n, plinth_message* err, const char* fmt, ...) {
    if (err) {
        const int used = std::snprintf(err->text, sizeof(err->text), "node %u (%s): ", n.index, plinth_op_name(n.node->op));
        if (used > 0 && size_t(used) < sizeof(err->text)) {
            va_list args;
            va_start(args, fmt);
            std::vsnprintf(err->text + used, sizeof(err->text) - size_t(used), fmt, args);
            va_end(args);
        }
    }
    return PLINTH_ERR_INVALID_ARGUMENT;
}

plinth_status get_rows(const node& n, plinth_message* err) {
    const tensor &w = n.src[0], &ids = n.src[1], &d = n.dst;
    for (int64_t t = 0; t < ids.elements; ++t) {
        const int32_t r = ids.as<int32_t>()[t];
        if (r < 0 || r >= w.rows) return bad_data(n, err, "row id %lld is outside the %lld rows of src0", (long long)r, (long long)w.rows);
        wf::dequantize_row(w.type, w.row(r), d.as<float>() + t * d.ne0, w.ne0);
    }
    return PLINTH_OK;
}

// Each x*x rounded to float, summed in double; the mean rounded once; scale = 1 / sqrt in float.
void rms_norm(const node& n) {
    const tensor &x = n.src[0], &w = n.src[1], &d = n.dst;
    for (int64_t r = 0; r < x.rows; ++r) {
        const float* in = x.as<float>() + r * x.ne0;
        float* out = d.as<float>() + r * d.ne0;
        double sum = 0;
        for (int64_t i = 0; i < x.ne0; ++i) sum += double(in[i] * in[i]);
        const float mean = float(sum / double(x.ne0));
        const float scale = 1.0f / std::sqrt(mean + n.node->f[0]);
        for (int64_t i = 0; i < x.ne0; ++i) out[i] = (in[i] * scale) * w.as<float>()[i];
    }
}

// Each activation column converted to the format the weight type's dot product takes, then the
// reference dot product per weight row: exactly the precision contract.
void matmul(const node& n) {
    const tensor &w = n.src[0], &x = n.src[1], &d = n.dst;
    const uint32_t act_type = wf::activation_type(w.type);
    std::vector<char> act(wf::row_bytes(act_type, x.ne0));
    for (int64_t t = 0; t < x.rows; ++t) {
        wf::quantize_row(act_type, x.as<float>() + t * x.ne0, act.data(), x.ne0);
        float* out = d.as<float>() + t * d.ne0;
        for (int64_t j = 0; j < w.rows; ++j) out[j] = wf::dot_reference(w.type, w.ne0, w.row(j), act.data());
    }
}

// ADD and MUL: src1 of src0's shape, or one row for every row of src0.
template <class Op>
void elementwise(const node& n, Op op) {
    const tensor &a = n.src[0], &b = n.src[1], &d = n.dst;
    const bool broadcast = b.elements != a.elements;
    for (int64_t i = 0; i < a.elements; ++i) d.as<float>()[i] = op(a.as<float>()[i], b.as<float>()[broadcast ? i % a.ne0 : i]);
}

void swiglu(const node& n) {
    const tensor &x = n.src[0], &u = n.src[1], &d = n.dst;
    for (int64_t i = 0; i < x.elements; ++i) {
        const float v = x.as<float>()[i];
        d.as<float>()[i] = v / (1.0f + std::exp(-v)) * u.as<float>()[i];
    }
}

plinth_status rope(const node& n, plinth_message* err) {
    const tensor &x = n.src[0], &pos = n.src[1], &d = n.dst;
    const int64_t head_dim = x.ne[0], heads = x.ne[1], tokens = x.ne[2];
    const uint32_t n_rot = uint32_t(n.node->i[0]), half = n_rot / 2;
    const bool neox = n.node->i[1] == 2;
    const float step = plinth::sdk::rope_step(n.node->f[0], n_rot);
    const float* factors = n.node->src[2] != PLINTH_NO_TENSOR ? n.src[2].as<float>() : nullptr;
    std::vector<float> cs(2 * static_cast<size_t>(half));
    for (int64_t t = 0; t < tokens; ++t) {
        const int32_t p = pos.as<int32_t>()[t];
        if (p < 0) return bad_data(n, err, "position %lld is negative (token %lld)", (long long)p, (long long)t);
        plinth::sdk::rope_cos_sin(float(p), step, n.node->f[1], half, cs.data(), factors);
        for (int64_t h = 0; h < heads; ++h) {
            const float* in = x.as<float>() + (t * heads + h) * head_dim;
            float* out = d.as<float>() + (t * heads + h) * head_dim;
            for (uint32_t i = 0; i < half; ++i) {
                const size_t a = neox ? i : 2 * i, b = neox ? i + half : 2 * i + 1;
                const float x0 = in[a], x1 = in[b], c = cs[2 * i], s = cs[2 * i + 1];
                out[a] = std::fma(x0, c, -(x1 * s));
                out[b] = std::fma(x0, s, x1 * c);
            }
            for (int64_t i = n_rot; i < head_dim; ++i) out[i] = in[i];
        }
    }
    return PLINTH_OK;
}

// One row of floats into a row of the cache's type (F32 as is, F16 rounded).
void store_row(const float* in, int64_t n, uint32_t type, char* out) {
    if (type == PLINTH_TYPE_F32) {
        std::memcpy(out, in, size_t(n) * sizeof(float));
        return;
    }
    auto* h = reinterpret_cast<uint16_t*>(out);
    for (int64_t i = 0; i < n; ++i) h[i] = wf::fp32_to_fp16(in[i]);
}

plinth_status kv_store(const node& n, plinth_message* err) {
    const tensor &x = n.src[0], &cache = n.src[1], &slots = n.src[2];
    for (int64_t t = 0; t < x.rows; ++t) {
        const int32_t slot = slots.as<int32_t>()[t];
        if (slot < 0 || slot >= cache.rows) return bad_data(n, err, "slot %lld is outside the cache's %lld slots", (long long)slot, (long long)cache.rows);
        store_row(x.as<float>() + t * x.ne0, x.ne0, cache.type, cache.row(slot));
    }
    return PLINTH_OK;
}

float cache_value(const tensor& cache, int64_t slot, int64_t i) {
    return cache.type == PLINTH_TYPE_F32 ? cache.as<float>()[slot * cache.ne0 + i]
                                         : wf::fp16_to_fp32(cache.as<uint16_t>()[slot * cache.ne0 + i]);
}

// The online softmax of compute.h, in position order; over an F16 cache q and the accumulator
// are rounded to F16 where the contract says.
plinth_status attention(const node& n, plinth_message* err) {
    const plinth_node& p = *n.node;
    const tensor &q = n.src[0], &k = n.src[1], &v = n.src[2], &pos = n.src[3], &seq = n.src[4], &table = n.src[5], &d = n.dst;
    const int64_t heads = p.i[0], kv_heads = p.i[1], head_dim = p.i[2], block = p.i[3], window = p.i[4];
    const float scale = p.f[0], cap = p.f[1];
    const bool f16 = k.type == PLINTH_TYPE_F16;
    const int64_t tokens = pos.elements, max_blocks = table.ne0, sequences = table.rows;
    std::vector<float> qh(static_cast<size_t>(head_dim)), acc(static_cast<size_t>(head_dim));
    for (int64_t t = 0; t < tokens; ++t) {
        const int32_t last = pos.as<int32_t>()[t], s = seq.as<int32_t>()[t];
        if (last < 0) return bad_data(n, err, "position %lld is negative (token %lld)", (long long)last, (long long)t);
        if (s < 0 || s >= sequences) return bad_data(n, err, "sequence row %lld is outside the block table's %lld", (long long)s, (long long)sequences);
        if (last / block >= max_blocks) return bad_data(n, err, "position %lld is past the block table's %lld blocks", (long long)last, (long long)max_blocks);
        const int32_t* blocks = table.as<int32_t>() + s * max_blocks;
        const int64_t first = window > 0 ? std::max<int64_t>(0, last - window + 1) : 0;
        for (int64_t h = 0; h < heads; ++h) {
            const int64_t kvh = h / (heads / kv_heads);
            const float* qrow = q.as<float>() + (t * heads + h) * head_dim;
            for (int64_t i = 0; i < head_dim; ++i) qh[size_t(i)] = f16 ? wf::fp16_to_fp32(wf::fp32_to_fp16(qrow[i])) : qrow[i];
            std::fill(acc.begin(), acc.end(), 0.0f);
            float max = -INFINITY, sum = 0;
            for (int64_t at = first; at <= last; ++at) {
                const int64_t slot = int64_t(blocks[at / block]) * block + at % block;
                if (blocks[at / block] < 0 || slot >= k.rows) return bad_data(n, err, "cache slot %lld is outside the %lld slots", (long long)slot, (long long)k.rows);
                double dot = 0;
                for (int64_t i = 0; i < head_dim; ++i) dot += double(qh[size_t(i)] * cache_value(k, slot, kvh * head_dim + i));
                float score = scale * float(dot);
                if (cap != 0.0f) score = cap * std::tanh(score / cap);
                float rescale = 1.0f, weight = 1.0f;
                if (score > max) {
                    rescale = at == first ? 0.0f : std::exp(max - score);
                    max = score;
                } else {
                    weight = std::exp(score - max);
                }
                for (int64_t i = 0; i < head_dim; ++i) {
                    float a = acc[size_t(i)];
                    if (rescale != 1.0f) a = f16 ? wf::fp16_to_fp32(wf::fp32_to_fp16(a * rescale)) : a * rescale;
                    a = std::fma(cache_value(v, slot, kvh * head_dim + i), weight, a);
                    acc[size_t(i)] = f16 ? wf::fp16_to_fp32(wf::fp32_to_fp16(a)) : a;
                }
                const float kept = sum * rescale;  // two roundings, as the contract says
                sum = kept + weight;
            }
            const float inv = 1.0f / sum;
            float* out = d.as<float>() + t * d.ne0 + h * head_dim;
            for (int64_t i = 0; i < head_dim; ++i) out[i] = acc[size_t(i)] * inv;
        }
    }
    return PLINTH_OK;
}

void copy(const node& n) {
    const tensor &x = n.src[0], &d = n.dst;
    for (int64_t i = 0; i < x.elements; ++i) {
        const float v = x.type == PLINTH_TYPE_F32 ? x.as<float>()[i] : wf::fp16_to_fp32(x.as<uint16_t>()[i]);
        if (d.type == PLINTH_TYPE_F32) d.as<float>()[i] = v;
        else d.as<uint16_t>()[i] = x.type == PLINTH_TYPE_F16 ? x.as<uint16_t>()[i] : wf::fp32_to_fp16(v);
    }
}

}  // namespace

bool computes(uint32_t op) { return op >= PLINTH_OP_GET_ROWS && op <= PLINTH_OP_COPY; }

bool decodes(uint32_t type) {
    return type == PLINTH_TYPE_F32 || type == PLINTH_TYPE_F16 || type == PLINTH_TYPE_Q8_0 || type == PLINTH_TYPE_Q4_0;
}

plinth_status run(const node& n, plinth_message* err) {
    switch (n.node->op) {
    case PLINTH_OP_GET_ROWS: return get_rows(n, err);
    case PLINTH_OP_RMS_NORM: rms_norm(n); return PLINTH_OK;
    case PLINTH_OP_MATMUL: matmul(n); return PLINTH_OK;
    case PLINTH_OP_ADD: elementwise(n, [](float a, float b) { return a + b; }); return PLINTH_OK;
    case PLINTH_OP_MUL: elementwise(n, [](float a, float b) { return a * b; }); return PLINTH_OK;
    case PLINTH_OP_ROPE: return rope(n, err);
    case PLINTH_OP_SWIGLU: swiglu(n); return PLINTH_OK;
    case PLINTH_OP_KV_STORE: return kv_store(n, err);
    case PLINTH_OP_ATTENTION: return attention(n, err);
    case PLINTH_OP_COPY: copy(n); return PLINTH_OK;
    default:
        if (err) std::snprintf(err->text, sizeof(err->text), "node %u (%s): the example device does not compute this op", n.index,
                               plinth_op_name(n.node->op));
        return PLINTH_ERR_UNSUPPORTED;
    }
}

}  // namespace example
