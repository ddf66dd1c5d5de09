// Planning a checked graph on the Vulkan backend: the dispatches, their bindings and the scratch
// regions of the quantized activations.
#include "vulkan_dispatch_plan.hpp"

#include "vulkan_buffer.hpp"

#include <plinth/sdk/op_rules.hpp>
#include <plinth/sdk/rope_angles.hpp>

#include <algorithm>
#include <iterator>

namespace plinth::vk {
namespace {

uint32_t groups_for(uint64_t invocations) { return uint32_t((invocations + workgroup - 1) / workgroup); }

// The kernel, work size and push constants of a node (its bindings are filled by the caller).
void plan(const node_view& n, uint32_t aux_off, dispatch& d) {
    const plinth_node& node = *n.node;
    const tensor_view* s = n.src;
    push_constants& pc = d.pc;
    pc.node = n.index;
    pc.aux_off = aux_off;
    switch (node.op) {
    case PLINTH_OP_GET_ROWS:
        d.kernel = K_GET_ROWS + uint32_t(weight_slot(s[0].type));
        d.groups = uint32_t(s[1].elements);
        pc.total = d.groups;
        pc.u[0] = uint32_t(s[0].ne0);
        pc.u[1] = uint32_t(s[0].rows);
        pc.u[2] = uint32_t(s[0].row_bytes);
        break;
    case PLINTH_OP_MATMUL: {
        d.kernel = K_MATMUL + uint32_t(weight_slot(s[0].type));
        // One invocation per weight row and tile of columns (each output summed in the CPU's order).
        const uint64_t row_tiles = (uint64_t(s[0].rows) + workgroup - 1) / workgroup;
        const uint64_t col_tiles = (uint64_t(s[1].rows) + matmul_tile_t - 1) / matmul_tile_t;
        d.groups = uint32_t(row_tiles * col_tiles);
        pc.total = d.groups;
        pc.u[0] = uint32_t(s[0].rows);
        pc.u[1] = uint32_t(s[0].ne0);
        pc.u[2] = uint32_t(s[1].rows);
        pc.u[3] = uint32_t(s[0].row_bytes);
        // The CPU sums a Q4_0 matrix with a multiple of 8 rows block by block (op_matmul.cpp).
        pc.u[4] = s[0].type == PLINTH_TYPE_Q4_0 && s[0].rows % 8 == 0 ? 1u : 0u;
        pc.u[5] = uint32_t(row_tiles);
        break;
    }
    case PLINTH_OP_RMS_NORM:
        d.kernel = K_RMS_NORM;
        d.groups = uint32_t(s[0].rows);
        pc.total = d.groups;
        pc.u[0] = uint32_t(s[0].ne0);
        pc.f[0] = node.f[0];
        break;
    case PLINTH_OP_ADD:
    case PLINTH_OP_MUL:
    case PLINTH_OP_SWIGLU:
    case PLINTH_OP_GEGLU:
    case PLINTH_OP_SCALE:
    case PLINTH_OP_SOFTCAP: {
        d.kernel = K_ELEMENTWISE;
        pc.total = uint32_t(s[0].elements);
        d.groups = groups_for(pc.total);
        const uint32_t ops[] = {PLINTH_OP_ADD, PLINTH_OP_MUL, PLINTH_OP_SWIGLU, PLINTH_OP_GEGLU, PLINTH_OP_SCALE, PLINTH_OP_SOFTCAP};
        pc.u[0] = uint32_t(std::find(std::begin(ops), std::end(ops), node.op) - std::begin(ops));
        pc.u[1] = uint32_t(s[0].elements);
        // The one-source ops bind src0 again as src1 (the caller): every element its own.
        pc.u[2] = uint32_t(sdk::op_sources(node.op) == 2 ? s[1].elements : s[0].elements);
        pc.f[0] = node.f[0];
        pc.f[1] = node.op == PLINTH_OP_SOFTCAP ? 1.0f / node.f[0] : 0.0f;  // rounded once, as op_softcap
        break;
    }
    case PLINTH_OP_MOE_ROUTE:
        d.kernel = K_MOE_ROUTE;
        pc.total = uint32_t(s[0].rows);
        d.groups = groups_for(pc.total);
        pc.u[0] = uint32_t(s[0].ne0);
        pc.u[1] = uint32_t(node.i[0]);
        pc.u[2] = uint32_t(node.i[1]);
        break;
    case PLINTH_OP_MATMUL_EXPERTS: {
        // The weighted sum: one dispatch per slot (the caller copies this one, u[7] = the slot).
        d.kernel = K_MATMUL_EXPERTS + uint32_t(weight_slot(s[0].type));
        const uint64_t N = uint64_t(s[0].ne[1]), T = uint64_t(s[2].rows), k = uint64_t(node.i[1]);
        const bool weighted = node.i[0] == 1;
        const uint64_t row_tiles = (N + workgroup - 1) / workgroup;
        const uint64_t slots = weighted ? 1 : k;
        d.groups = uint32_t(row_tiles * T * slots);
        pc.total = d.groups;
        pc.u[0] = uint32_t(N);
        pc.u[1] = uint32_t(s[0].ne0);
        pc.u[2] = uint32_t(T);
        pc.u[3] = uint32_t(s[0].row_bytes);
        pc.u[4] = s[0].type == PLINTH_TYPE_Q4_0 && N % 8 == 0 ? 1u : 0u;  // as MATMUL over one expert's N rows
        pc.u[5] = uint32_t(row_tiles);
        pc.u[7] = 0;
        pc.u[8] = uint32_t(slots);
        pc.u[9] = uint32_t(k);
        pc.u[10] = uint32_t(s[2].ne0);
        pc.u[11] = (weighted ? 1u : 0u) | (uint64_t(s[1].rows) == T * k && k > 1 ? 2u : 0u);
        break;
    }
    case PLINTH_OP_ROPE: {
        d.kernel = K_ROPE;
        const uint32_t head_dim = uint32_t(s[0].ne0), n_rot = uint32_t(node.i[0]);
        const uint32_t items = n_rot / 2 + (head_dim - n_rot);
        pc.total = uint32_t(s[0].rows) * items;
        d.groups = groups_for(pc.total);
        pc.u[0] = head_dim;
        pc.u[1] = n_rot;
        pc.u[2] = uint32_t(node.i[1]);
        pc.u[3] = uint32_t(s[0].rows / s[1].elements);
        pc.u[4] = items;
        // The angles as the CPU backend makes them (op_rope.cpp); u[5] and aux_off (the node's
        // cos / sin table) are set by the caller.
        pc.f[0] = sdk::rope_step(node.f[0], n_rot);
        pc.f[1] = node.f[1];
        break;
    }
    case PLINTH_OP_KV_STORE:
        d.kernel = s[1].type == PLINTH_TYPE_F16 ? K_KV_STORE_F16 : K_KV_STORE_F32;
        d.groups = uint32_t(s[0].rows);
        pc.total = d.groups;
        pc.u[0] = uint32_t(s[0].ne0);
        pc.u[1] = uint32_t(s[1].rows);
        break;
    case PLINTH_OP_ATTENTION:
        d.kernel = s[1].type == PLINTH_TYPE_F16 ? K_ATTENTION_F16 : K_ATTENTION_F32;
        d.groups = uint32_t(s[3].elements * node.i[0]);
        pc.total = d.groups;
        pc.u[0] = uint32_t(node.i[0]);
        pc.u[1] = uint32_t(node.i[1]);
        pc.u[2] = uint32_t(node.i[2]);
        pc.u[3] = uint32_t(node.i[3]);
        pc.u[4] = uint32_t(s[5].ne0);
        pc.u[5] = uint32_t(s[5].rows);
        pc.u[6] = uint32_t(s[1].rows);
        pc.u[7] = uint32_t(node.i[4]);  // sliding window (ABI 1.1)
        pc.f[0] = node.f[0];
        pc.f[1] = node.f[1];            // soft-cap (ABI 1.1)
        break;
    case PLINTH_OP_COPY:
        d.kernel = K_COPY;
        pc.u[0] = uint32_t(s[0].elements);
        pc.u[1] = s[0].type == PLINTH_TYPE_F16 ? 1 : 0;
        pc.u[2] = n.dst.type == PLINTH_TYPE_F16 ? 1 : 0;
        pc.total = uint32_t(s[0].elements);  // F16 dst: set from the binding (words) by the caller
        d.groups = groups_for(pc.total);
        break;
    default: break;
    }
}

binding bind(const tensor_view& t, uint64_t alignment) {
    binding b;
    b.buffer = t.buffer;
    b.offset = t.offset / alignment * alignment;
    const uint64_t end = (t.offset + t.bytes + 3) / 4 * 4;  // within vk_size: buffers are 256-byte multiples
    b.range = end - b.offset;
    return b;
}

}  // namespace

plinth_status plan_dispatches(device& dev, const std::vector<node_view>& views, const sdk::rope_table_set& rope,
                              uint64_t gelu_word, std::vector<dispatch>& out, plinth_message* err) {
    const uint32_t n_nodes = uint32_t(views.size());
    plinth_status st = PLINTH_OK;
    const uint64_t alignment = std::max<uint64_t>(dev.phys->properties.limits.minStorageBufferOffsetAlignment, 4);

    // The scratch for quantized activations: two regions, each as large as the largest input any
    // MATMUL of the graph quantizes. A MATMUL whose input is already in a region (the Q, K, V or
    // gate, up projections of one normalized input), not written since, reads it from there;
    // otherwise its input is quantized into the region not filled last.
    uint64_t region_bytes = 0;
    for (uint32_t i = 0; i < n_nodes; ++i) {
        const node_view& n = views[i];
        if (n.node->op != PLINTH_OP_MATMUL && n.node->op != PLINTH_OP_MATMUL_EXPERTS) continue;
        const uint32_t k = activation_kernel(n.src[0].type);
        if (k == K_COUNT) continue;
        region_bytes = std::max(region_bytes, activation_bytes(k, n.src[1].ne0, n.src[1].rows));
    }
    region_bytes = (region_bytes + alignment - 1) / alignment * alignment;
    if (region_bytes > 0 && (!dev.scratch || dev.scratch->size < 2 * region_bytes)) {
        if (dev.scratch) free_buffer(dev, dev.scratch);
        dev.scratch = nullptr;
        if ((st = allocate_buffer(dev, 2 * region_bytes, &dev.scratch, err)) != PLINTH_OK) return st;
    }
    struct region_state {
        bool valid = false;
        uint32_t kernel = 0;
        byte_range source{};
    } regions[2];
    int next_region = 0;

    // Every node, and the activation passes before MATMULs.
    out.clear();
    out.reserve(2 * n_nodes);
    for (uint32_t i = 0; i < n_nodes; ++i) {
        const node_view& n = views[i];
        const int sources = sdk::op_sources(n.node->op);
        dispatch d{};
        plan(n, 0, d);
        d.node = i;
        if (n.node->op == PLINTH_OP_ROPE) {
            const uint32_t t = rope.table_of[i];
            d.pc.aux_off = uint32_t(rope.word[t]);  // the aux buffer is far below 2^32 words
            d.pc.u[5] = rope.tables[t].positions;
            d.pc.u[6] = rope.tables[t].factors.empty() ? 0u : 1u;
        }
        if (n.node->op == PLINTH_OP_GEGLU) d.pc.aux_off = uint32_t(gelu_word);
        d.bindings[0] = bind(n.dst, alignment);
        for (int k = 0; k < sources; ++k) d.bindings[1 + k] = bind(n.src[k], alignment);
        if (d.kernel == K_ELEMENTWISE && sources == 1) d.bindings[2] = d.bindings[1];  // SCALE, SOFTCAP
        for (int b = 0; b < 7; ++b)
            if (d.bindings[b].buffer) {
                const tensor_view& t = b == 0 ? n.dst : b - 1 < sources ? n.src[b - 1] : n.src[0];
                d.pc.off[b] = uint32_t(t.offset - d.bindings[b].offset);
            }
        if (n.node->op == PLINTH_OP_COPY && n.dst.type == PLINTH_TYPE_F16) {
            const uint32_t first = d.pc.off[0] / 4;
            const uint32_t last = uint32_t((d.pc.off[0] + 2 * uint64_t(n.dst.elements) - 1) / 4);
            d.pc.u[3] = first;
            d.pc.total = last - first + 1;
            d.groups = groups_for(d.pc.total);
        }
        d.write = byte_range{n.dst.buffer->id, n.dst.offset, n.dst.offset + n.dst.bytes};
        for (int k = 0; k < sources; ++k)
            d.reads[d.n_reads++] = byte_range{n.src[k].buffer->id, n.src[k].offset, n.src[k].offset + n.src[k].bytes};

        const bool matmul = n.node->op == PLINTH_OP_MATMUL || n.node->op == PLINTH_OP_MATMUL_EXPERTS;
        const uint32_t qk = matmul ? activation_kernel(n.src[0].type) : K_COUNT;
        if (qk != K_COUNT) {
            const tensor_view& x = n.src[1];
            const byte_range source{x.buffer->id, x.offset, x.offset + x.bytes};
            int r = -1;
            for (int c = 0; c < 2; ++c)
                if (regions[c].valid && regions[c].kernel == qk && regions[c].source.id == source.id &&
                    regions[c].source.begin == source.begin && regions[c].source.end == source.end)
                    r = c;
            const uint64_t bytes = activation_bytes(qk, x.ne0, x.rows);
            const uint64_t region_off = uint64_t(r < 0 ? next_region : r) * region_bytes;
            const byte_range region{dev.scratch->id, region_off, region_off + bytes};
            const uint32_t scales_word = uint32_t(uint64_t(x.ne0) * uint64_t(x.rows) / 4);
            if (r < 0) {
                r = next_region;
                next_region ^= 1;
                regions[r] = region_state{true, qk, source};
                dispatch q{};
                q.kernel = qk;
                q.node = i;
                q.pc.node = i;
                const uint64_t n_values = uint64_t(x.ne0) * uint64_t(x.rows);
                q.pc.total = uint32_t(qk == K_QUANTIZE_F16 ? n_values : n_values / 32);
                q.groups = groups_for(q.pc.total);
                q.pc.u[0] = uint32_t(x.ne0);
                q.pc.u[1] = uint32_t(x.rows);
                q.pc.u[2] = scales_word;
                q.bindings[0] = binding{dev.scratch, region_off, bytes};
                q.bindings[1] = bind(x, alignment);
                q.pc.off[0] = 0;
                q.pc.off[1] = uint32_t(x.offset - q.bindings[1].offset);
                q.write = region;
                q.reads[q.n_reads++] = source;
                out.push_back(q);
            }
            d.bindings[2] = binding{dev.scratch, region_off, bytes};
            d.pc.off[2] = 0;
            d.pc.u[6] = scales_word;
            d.reads[1] = region;
        }
        // A region whose source this node overwrites is stale.
        for (auto& reg : regions)
            if (reg.valid && reg.source.id == d.write.id && reg.source.begin < d.write.end && d.write.begin < reg.source.end)
                reg.valid = false;
        out.push_back(d);
        // MATMUL_EXPERTS' weighted sum: the later slots, each adding onto the one before.
        if (n.node->op == PLINTH_OP_MATMUL_EXPERTS && n.node->i[0] == 1)
            for (int32_t slot = 1; slot < n.node->i[1]; ++slot) {
                d.pc.u[7] = uint32_t(slot);
                out.push_back(d);
            }
    }
    return PLINTH_OK;
}

}  // namespace plinth::vk
