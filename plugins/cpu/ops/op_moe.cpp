// MOE_ROUTE and MATMUL_EXPERTS: the two halves of a mixture-of-experts feed-forward block.
//
// MOE_ROUTE turns each token's router logits into weights over the experts: softmax, the k
// largest kept (the lower expert first on a tie), optionally renormalised, the rest 0.
//
// MATMUL_EXPERTS runs each expert's matrix only on the tokens routed to it: per expert, the
// columns of those tokens are gathered into one block, multiplied by op_matmul (so every product
// is bit for bit what a MATMUL with that expert's matrix gives), and scattered back, either into
// the token's slot for that expert or summed with the routing weights in slot (= expert) order.
#include "ops.hpp"

#include "vec.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace plinth::cpu {

plinth_status op_moe_route(compute_context& ctx, const node_view& n, plinth_message*) {
    const int64_t E = n.src[0].ne0;
    const int k = n.node->i[0];
    const bool renormalise = n.node->i[1] == 1;
    const float* logits = n.src[0].as<const float>();
    float* dst = n.dst.as<float>();
    ctx.pool->parallel_for(n.dst.rows, 64, [&](int64_t t0, int64_t t1, unsigned) {
        std::vector<float> p(static_cast<size_t>(E), 0.0f);
        std::vector<int64_t> order(static_cast<size_t>(E));
        for (int64_t t = t0; t < t1; ++t) {
            const float* l = logits + t * E;
            float* out = dst + t * E;
            float max = l[0];
            for (int64_t e = 1; e < E; ++e) max = std::max(max, l[e]);
            float sum = 0.0f;
            for (int64_t e = 0; e < E; ++e) sum += p[size_t(e)] = exp_float(l[e] - max);
            for (int64_t e = 0; e < E; ++e) p[size_t(e)] /= sum;
            for (int64_t e = 0; e < E; ++e) order[size_t(e)] = e;
            std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int64_t a, int64_t b) {
                return p[size_t(a)] > p[size_t(b)] || (p[size_t(a)] == p[size_t(b)] && a < b);
            });
            float kept = 0.0f;
            for (int i = 0; i < k; ++i) kept += p[size_t(order[size_t(i)])];
            std::fill(out, out + E, 0.0f);
            for (int i = 0; i < k; ++i) {
                const int64_t e = order[size_t(i)];
                out[e] = renormalise ? p[size_t(e)] / kept : p[size_t(e)];
            }
        }
    });
    return PLINTH_OK;
}

plinth_status op_matmul_experts(compute_context& ctx, const node_view& n, plinth_message* err) {
    const tensor_view& w = n.src[0];
    const tensor_view& x = n.src[1];
    const tensor_view& gate = n.src[2];
    const int64_t K = w.ne0, N = w.ne[1], E = gate.ne0, T = gate.rows, k = n.node->i[1];
    const bool per_slot_input = x.rows == k * T;
    const bool weighted_sum = n.node->i[0] == 1;
    const float* g = gate.as<const float>();
    float* dst = n.dst.as<float>();

    // slot[t * E + e]: the slot of expert e for token t (its rank among the token's chosen experts).
    std::vector<int32_t> slot(size_t(E * T), -1);
    for (int64_t t = 0; t < T; ++t) {
        int32_t used = 0;
        for (int64_t e = 0; e < E; ++e)
            if (g[t * E + e] != 0.0f) slot[size_t(t * E + e)] = used++;
        if (used > k) return node_error(err, n, "token %lld has %d experts with a weight; i[1] allows %lld", (long long)t, used, (long long)k);
    }

    std::vector<int64_t> tokens;
    tokens.reserve(size_t(T));
    const size_t in_bytes = (size_t(K) * size_t(T) * sizeof(float) + 63) / 64 * 64, out_bytes = size_t(N) * size_t(T) * sizeof(float);
    char* scratch = static_cast<char*>(ctx.experts.get(in_bytes + out_bytes));
    float* in = reinterpret_cast<float*>(scratch);
    float* out = reinterpret_cast<float*>(scratch + in_bytes);
    // The weighted sum adds in slot order, so the experts' products are kept until all are done.
    std::vector<float> products;
    if (weighted_sum) products.assign(size_t(N * k * T), 0.0f);

    std::memset(dst, 0, size_t(n.dst.bytes));
    for (int64_t e = 0; e < E; ++e) {
        tokens.clear();
        for (int64_t t = 0; t < T; ++t)
            if (slot[size_t(t * E + e)] >= 0) tokens.push_back(t);
        if (tokens.empty()) continue;
        const int64_t count = int64_t(tokens.size());
        for (int64_t c = 0; c < count; ++c) {
            const int64_t t = tokens[size_t(c)];
            const int64_t col = per_slot_input ? t * k + slot[size_t(t * E + e)] : t;
            std::memcpy(in + c * K, x.as<const float>() + col * K, size_t(K) * sizeof(float));
        }
        // One MATMUL over this expert's matrix and the gathered columns.
        plinth_node mnode = *n.node;
        mnode.op = PLINTH_OP_MATMUL;
        node_view m;
        m.node = &mnode;
        m.index = n.index;
        m.src[0] = w;
        m.src[0].data = w.data + size_t(e * N) * w.row_bytes;
        m.src[0].ne[1] = m.src[0].rows = N;
        m.src[0].ne[2] = 1;
        m.src[0].elements = N * K;
        m.src[0].bytes = size_t(N) * w.row_bytes;
        m.src[1] = x;
        m.src[1].data = reinterpret_cast<char*>(in);
        m.src[1].ne[1] = m.src[1].rows = count;
        m.src[1].ne[2] = m.src[1].ne[3] = 1;
        m.src[1].elements = count * K;
        m.src[1].bytes = size_t(count * K) * sizeof(float);
        m.dst = n.dst;
        m.dst.data = reinterpret_cast<char*>(out);
        m.dst.ne[0] = m.dst.ne0 = N;
        m.dst.ne[1] = m.dst.rows = count;
        m.dst.ne[2] = m.dst.ne[3] = 1;
        m.dst.elements = count * N;
        m.dst.row_bytes = size_t(N) * sizeof(float);
        m.dst.bytes = size_t(count * N) * sizeof(float);
        if (const plinth_status st = op_matmul(ctx, m, err); st != PLINTH_OK) return st;
        float* target = weighted_sum ? products.data() : dst;
        for (int64_t c = 0; c < count; ++c) {
            const int64_t t = tokens[size_t(c)];
            std::memcpy(target + (t * k + slot[size_t(t * E + e)]) * N, out + c * N, size_t(N) * sizeof(float));
        }
    }
    if (weighted_sum) {
        for (int64_t t = 0; t < T; ++t) {
            float* d = dst + t * N;
            for (int64_t e = 0; e < E; ++e) {
                const int32_t s = slot[size_t(t * E + e)];
                if (s < 0) continue;
                const float weight = g[t * E + e];
                const float* y = products.data() + (t * k + s) * N;
                for (int64_t i = 0; i < N; ++i) d[i] += weight * y[i];
            }
        }
    }
    return PLINTH_OK;
}

}  // namespace plinth::cpu
