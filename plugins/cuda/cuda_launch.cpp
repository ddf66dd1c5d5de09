// The launch of each op, from a checked node.
#include "cuda_launch.hpp"

#include "kernels/kernels.hpp"
#include "quant/weight_kernels.hpp"

#include <plinth/sdk/op_rules.hpp>

namespace plinth::cuda {
namespace {

template <class T>
T* at(const tensor_view& t) {
    return static_cast<T*>(t.data);
}

cudaError_t enqueue(device& dev, const node_view& n, const graph_resources& res) {
    const plinth_node& node = *n.node;
    const tensor_view* s = n.src;
    const cudaStream_t stream = dev.stream;
    uint32_t* flag = res.errors + n.index;
    switch (node.op) {
    case PLINTH_OP_GET_ROWS:
        return get_rows(s[0].type, s[0].data, at<const int32_t>(s[1]), at<float>(n.dst), s[0].ne0, s[0].rows,
                        s[1].elements, flag, stream);
    case PLINTH_OP_MATMUL:
        return matmul(s[0].type, s[0].data, at<const float>(s[1]), at<float>(n.dst), s[0].ne0, s[0].rows, s[1].rows,
                      res.scratch, res.tensor_cores, stream);
    case PLINTH_OP_MATMUL_EXPERTS: {
        const int64_t T = s[2].rows, k = node.i[1];
        const bool per_slot = s[1].rows == T * k && k > 1;
        return matmul_experts(s[0].type, s[0].data, at<const float>(s[1]), at<const float>(s[2]), at<float>(n.dst),
                              s[0].ne0, s[0].ne[1], s[0].ne[2], T, k, per_slot, node.i[0] == 1, res.scratch, flag, stream);
    }
    case PLINTH_OP_RMS_NORM:
        return kernels::rms_norm(at<const float>(s[0]), at<const float>(s[1]), at<float>(n.dst), s[0].ne0, s[0].rows,
                                 node.f[0], stream);
    case PLINTH_OP_ADD:
    case PLINTH_OP_MUL:
    case PLINTH_OP_SWIGLU:
    case PLINTH_OP_GEGLU:
    case PLINTH_OP_SCALE:
    case PLINTH_OP_SOFTCAP: {
        kernels::elementwise_args e;
        e.op = node.op == PLINTH_OP_ADD      ? kernels::elementwise_op::add
               : node.op == PLINTH_OP_MUL    ? kernels::elementwise_op::mul
               : node.op == PLINTH_OP_SWIGLU ? kernels::elementwise_op::swiglu
               : node.op == PLINTH_OP_GEGLU  ? kernels::elementwise_op::geglu
               : node.op == PLINTH_OP_SCALE  ? kernels::elementwise_op::scale
                                             : kernels::elementwise_op::softcap;
        e.a = at<const float>(s[0]);
        const bool two = sdk::op_sources(node.op) == 2;
        e.b = two ? at<const float>(s[1]) : nullptr;
        e.dst = at<float>(n.dst);
        e.elements = s[0].elements;
        e.b_elements = two ? s[1].elements : s[0].elements;
        e.f = node.f[0];
        e.gelu_table = res.gelu_table;
        return kernels::elementwise(e, stream);
    }
    case PLINTH_OP_ROPE: {
        kernels::rope_args r;
        r.x = at<const float>(s[0]);
        r.dst = at<float>(n.dst);
        r.positions = at<const int32_t>(s[1]);
        r.factors = sdk::rope_has_factors(node) ? at<const float>(s[2]) : nullptr;
        const sdk::rope_table_set& set = *res.rope;
        const uint32_t table = set.table_of[n.index];
        r.table = res.rope_tables + set.word[table];
        r.table_positions = set.tables[table].positions;
        r.rows = s[0].rows;
        r.head_dim = uint32_t(s[0].ne0);
        r.n_rot = uint32_t(node.i[0]);
        r.heads = uint32_t(s[0].rows / s[1].elements);
        r.neox = node.i[1] == 2;
        r.step = set.tables[table].step;
        r.scale = node.f[1];
        return kernels::rope(r, stream);
    }
    case PLINTH_OP_KV_STORE:
        return kernels::kv_store(at<const float>(s[0]), n.dst.data, s[1].type == PLINTH_TYPE_F16, at<const int32_t>(s[2]),
                                 s[0].ne0, s[0].rows, s[1].rows, flag, stream);
    case PLINTH_OP_ATTENTION: {
        kernels::attention_args a;
        a.q = at<const float>(s[0]);
        a.k = s[1].data;
        a.v = s[2].data;
        a.positions = at<const int32_t>(s[3]);
        a.sequences = at<const int32_t>(s[4]);
        a.table = at<const int32_t>(s[5]);
        a.dst = at<float>(n.dst);
        a.tokens = s[3].elements;
        a.cache_slots = s[1].rows;
        a.heads = node.i[0];
        a.kv_heads = node.i[1];
        a.head_dim = node.i[2];
        a.block = node.i[3];
        a.max_blocks = int32_t(s[5].ne0);
        a.table_rows = int32_t(s[5].rows);
        a.window = node.i[4];
        a.scale = node.f[0];
        a.softcap = node.f[1];
        a.f16 = s[1].type == PLINTH_TYPE_F16;
        a.error_flag = flag;
        return kernels::attention(a, stream);
    }
    case PLINTH_OP_COPY:
        return kernels::copy(s[0].data, s[0].type == PLINTH_TYPE_F16, n.dst.data, n.dst.type == PLINTH_TYPE_F16,
                             s[0].elements, stream);
    case PLINTH_OP_MOE_ROUTE:
        return kernels::moe_route(at<const float>(s[0]), at<float>(n.dst), s[0].ne0, s[0].rows, node.i[0], node.i[1] == 1,
                                  stream);
    default: return cudaErrorInvalidValue;
    }
}

}  // namespace

plinth_status launch_node(device& dev, const node_view& n, const graph_resources& res, plinth_message* err) {
    const cudaError_t e = enqueue(dev, n, res);
    if (e == cudaSuccess) return PLINTH_OK;
    return fail(err, e == cudaErrorMemoryAllocation ? PLINTH_ERR_OUT_OF_MEMORY : PLINTH_ERR_INTERNAL,
                "node %u (%s): the CUDA launch failed: %s (%s)", n.index, plinth_op_name(n.node->op), cudaGetErrorName(e),
                cudaGetErrorString(e));
}

}  // namespace plinth::cuda
