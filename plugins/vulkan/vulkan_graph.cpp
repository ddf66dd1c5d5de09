// graph_compute, supports_node and set_option of the Vulkan backend.
//
// graph_compute: every node is checked (indices, types, shapes, parameters, buffer bounds,
// overlaps, the device's binding limits) before anything is recorded, so a bad graph changes
// nothing. Then one command buffer: per node a pipeline (made once per device and kernel), a
// descriptor set (cached by its bindings), push constants, a dispatch; a barrier before a node
// only when it reads or writes bytes that an earlier node since the last barrier wrote, or writes
// bytes one read. One submit, one wait. Index values (row ids, slots, positions, block-table
// entries) are checked by the shaders, which skip what is out of range and note the node in the
// aux buffer; graph_compute then reports it.
#include "vulkan_graph.hpp"

#include "vulkan_buffer.hpp"
#include "vulkan_gelu_table.hpp"
#include "vulkan_shaders.hpp"

#include <plinth/sdk/op_rules.hpp>
#include <plinth/sdk/rope_angles.hpp>
#include <plinth/weight_types.h>

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <exception>
#include <initializer_list>
#include <new>
#include <string>
#include <vector>

namespace plinth::vk {
namespace {

// ---- kernels (shader variants, named as in CMakeLists.txt)

enum kernel : uint32_t {
    K_GET_ROWS = 0,  // + weight slot (6 variants)
    K_MATMUL = 6,    // + weight slot (6 variants)
    K_RMS_NORM = 12,
    K_ELEMENTWISE,
    K_ROPE,
    K_KV_STORE_F32,
    K_KV_STORE_F16,
    K_ATTENTION_F32,
    K_ATTENTION_F16,
    K_COPY,
    K_QUANTIZE_F16,   // activations for F16 weights
    K_QUANTIZE_Q8_0,  // ... for Q4_0 / Q8_0 weights
    K_QUANTIZE_Q8_K,  // ... for the K-quants
    K_MOE_ROUTE,
    K_MATMUL_EXPERTS,                      // + weight slot (6 variants)
    K_COUNT = K_MATMUL_EXPERTS + 6
};

const char* const kernel_names[K_COUNT] = {
    "get_rows_f32", "get_rows_f16", "get_rows_q4_0", "get_rows_q8_0", "get_rows_q4_k", "get_rows_q6_k",
    "matmul_f32",   "matmul_f16",   "matmul_q4_0",   "matmul_q8_0",   "matmul_q4_k",   "matmul_q6_k",
    "rms_norm",     "elementwise",  "rope",          "kv_store_f32",  "kv_store_f16",  "attention_f32",
    "attention_f16", "copy",         "quantize_f16",  "quantize_q8_0", "quantize_q8_k", "moe_route",
    "matmul_experts_f32", "matmul_experts_f16", "matmul_experts_q4_0", "matmul_experts_q8_0", "matmul_experts_q4_k",
    "matmul_experts_q6_k"};

// The weight types the GET_ROWS and MATMUL shaders decode, in kernel order; -1 for the others.
int weight_slot(uint32_t type) {
    switch (type) {
    case PLINTH_TYPE_F32: return 0;
    case PLINTH_TYPE_F16: return 1;
    case PLINTH_TYPE_Q4_0: return 2;
    case PLINTH_TYPE_Q8_0: return 3;
    case PLINTH_TYPE_Q4_K: return 4;
    case PLINTH_TYPE_Q6_K: return 5;
    default: return -1;
    }
}

// The activation pass a MATMUL's weight type needs (plinth/compute.h, precision contract):
// K_QUANTIZE_* or K_COUNT for none (F32 weights).
uint32_t activation_kernel(uint32_t weight_type) {
    switch (weight_type) {
    case PLINTH_TYPE_F16: return K_QUANTIZE_F16;
    case PLINTH_TYPE_Q4_0: case PLINTH_TYPE_Q8_0: return K_QUANTIZE_Q8_0;
    case PLINTH_TYPE_Q4_K: case PLINTH_TYPE_Q6_K: return K_QUANTIZE_Q8_K;
    default: return K_COUNT;
    }
}

// Bytes of the quantized activations of K x T values (K a multiple of the block for Q8_*):
// F16-rounded values as F32; or the codes (one byte each) then one F32 scale per block.
uint64_t activation_bytes(uint32_t kernel, int64_t K, int64_t T) {
    const uint64_t n = uint64_t(K) * uint64_t(T);
    switch (kernel) {
    case K_QUANTIZE_F16: return 4 * n;
    case K_QUANTIZE_Q8_0: return n + n / 32 * 4;
    case K_QUANTIZE_Q8_K: return n + n / 256 * 4;
    default: return 0;
    }
}

constexpr uint32_t workgroup = 64;     // local_size_x of every shader (WG in common.glsl)
constexpr uint32_t matmul_tile_t = 8;  // TILE_T in matmul.comp
constexpr int64_t max_head_dim = 256;  // MAX_HEAD_DIM in attention.comp
constexpr uint32_t aux_header_words = 4;
constexpr uint32_t no_error = 0xFFFFFFFFu;
constexpr uint32_t sets_per_pool = 256;
constexpr size_t max_cached_sets = 4096;

// Mirrors `Params` in common.glsl.
struct push_constants {
    uint32_t off[7];
    uint32_t node;
    uint32_t total;
    uint32_t aux_off;
    uint32_t u[12];
    float f[4];
};
static_assert(sizeof(push_constants) == 104, "push constants must match common.glsl");

// ---- messages


struct tensor_view {
    uint32_t index = 0;
    uint32_t type = 0;
    int64_t ne[4] = {1, 1, 1, 1};
    int64_t ne0 = 0, rows = 0, elements = 0;
    uint64_t row_bytes = 0, bytes = 0;
    const plinth_buffer_s* buffer = nullptr;
    uint64_t offset = 0;
};

struct node_view {
    uint32_t index = 0;
    const plinth_node* node = nullptr;
    tensor_view dst;
    tensor_view src[PLINTH_NODE_MAX_SRC];
};

plinth_status node_fail(plinth_message* err, plinth_status status, const node_view& n, const char* fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

plinth_status node_fail(plinth_message* err, plinth_status status, const node_view& n, const char* fmt, ...) {
    if (err) {
        const int used = std::snprintf(err->text, sizeof(err->text), "node %u (%s): ", n.index,
                                       plinth_op_name(n.node ? n.node->op : 0));
        if (used >= 0 && size_t(used) < sizeof(err->text)) {
            va_list args;
            va_start(args, fmt);
            std::vsnprintf(err->text + used, sizeof(err->text) - size_t(used), fmt, args);
            va_end(args);
        }
    }
    return status;
}

#define PLINTH_NODE_ERROR(...) node_fail(err, PLINTH_ERR_INVALID_ARGUMENT, __VA_ARGS__)
#define PLINTH_NODE_UNSUPPORTED(...) node_fail(err, PLINTH_ERR_UNSUPPORTED, __VA_ARGS__)

// ---- validation

// The sources a node reads: the op's, and ROPE's optional frequency factors.
int node_sources(const plinth_node& node) { return sdk::rope_has_factors(node) ? 3 : sdk::op_sources(node.op); }

// Bytes [begin, end) of a graph tensor in its buffer (0, 0 for one the checks would refuse).
void tensor_span(const plinth_tensor& t, uint64_t& begin, uint64_t& end) {
    const plinth_weight_type_traits traits = plinth_weight_type_info(t.type);
    begin = end = 0;
    if (!traits.name || traits.block_size == 0) return;
    uint64_t rows = 1;
    for (int d = 1; d < 4; ++d) {
        if (t.shape[d] == 0 || __builtin_mul_overflow(rows, t.shape[d], &rows)) return;
    }
    begin = t.offset;
    end = t.offset + t.shape[0] / traits.block_size * traits.block_bytes * rows;
}




struct validator {
    const plinth_graph& graph;
    const physical_device& phys;
    const device* dev;  // null: types and shapes only (supports_node)
    plinth_message* err;

    plinth_status tensor(node_view& n, uint32_t index, const char* role, tensor_view& out) const {
        if (index >= graph.n_tensors)
            return PLINTH_NODE_ERROR(n, "%s is tensor %u, but the graph has %u tensors", role, index, graph.n_tensors);
        const plinth_tensor& t = graph.tensors[index];
        out.index = index;
        out.type = t.type;
        const plinth_weight_type_traits traits = plinth_weight_type_info(t.type);
        if (!traits.name) return PLINTH_NODE_ERROR(n, "%s (tensor %u) has unknown type %u", role, index, t.type);
        uint64_t elements = 1;
        for (int d = 0; d < 4; ++d) {
            if (t.shape[d] == 0) return PLINTH_NODE_ERROR(n, "%s (tensor %u) has shape[%d] = 0", role, index, d);
            if (__builtin_mul_overflow(elements, t.shape[d], &elements) || elements > (uint64_t(1) << 48))
                return PLINTH_NODE_ERROR(n, "%s (tensor %u) has too many elements", role, index);
            out.ne[d] = int64_t(t.shape[d]);
        }
        if (t.shape[0] % traits.block_size != 0)
            return PLINTH_NODE_ERROR(n, "%s (tensor %u): a %s row of %llu elements is not a whole number of %u-element blocks",
                                     role, index, traits.name, (unsigned long long)t.shape[0], traits.block_size);
        out.ne0 = out.ne[0];
        out.rows = out.ne[1] * out.ne[2] * out.ne[3];
        out.elements = int64_t(elements);
        out.row_bytes = t.shape[0] / traits.block_size * traits.block_bytes;
        out.bytes = out.row_bytes * uint64_t(out.rows);
        // One descriptor covers the tensor from its offset rounded down to the storage alignment.
        const uint64_t slack = phys.properties.limits.minStorageBufferOffsetAlignment + 4;
        if (out.bytes + slack > phys.max_binding_bytes)
            return PLINTH_NODE_UNSUPPORTED(n, "%s (tensor %u) takes %llu bytes; %s binds at most %llu bytes per tensor",
                                           role, index, (unsigned long long)out.bytes, phys.properties.deviceName,
                                           (unsigned long long)(phys.max_binding_bytes - slack));
        out.buffer = nullptr;
        out.offset = t.offset;
        if (!dev) return PLINTH_OK;

        const plinth_buffer_s* b = t.buffer;
        if (!b) return PLINTH_NODE_ERROR(n, "%s (tensor %u) has no buffer", role, index);
        if (b->dev != dev)
            return PLINTH_NODE_ERROR(n, "%s (tensor %u) is in a buffer of another device (or a freed one)", role, index);
        if (t.offset > b->size || out.bytes > b->size - t.offset)
            return PLINTH_NODE_ERROR(n, "%s (tensor %u): %llu bytes at offset %llu run past the end of its %llu-byte buffer",
                                     role, index, (unsigned long long)out.bytes, (unsigned long long)t.offset,
                                     (unsigned long long)b->size);
        if (t.offset % sdk::type_alignment(t.type) != 0)
            return PLINTH_NODE_ERROR(n, "%s (tensor %u): %s data at offset %llu is not %llu-byte aligned", role, index,
                                     traits.name, (unsigned long long)t.offset, (unsigned long long)sdk::type_alignment(t.type));
        out.buffer = b;
        return PLINTH_OK;
    }

    plinth_status weights(const node_view& n, const tensor_view& w) const {
        if (weight_slot(w.type) >= 0) return PLINTH_OK;
        if (plinth_weight_type_info(w.type).block_size > 1 || w.type == PLINTH_TYPE_BF16)
            return PLINTH_NODE_UNSUPPORTED(n, "src0 (tensor %u) has weight type %s, which the Vulkan backend does not "
                                              "decode (F32, F16, Q4_0, Q8_0, Q4_K, Q6_K)",
                                           w.index, sdk::type_name(w.type));
        return PLINTH_NODE_ERROR(n, "src0 (tensor %u) is %s, which is not a weight type", w.index, sdk::type_name(w.type));
    }

    // The op's type and shape rules (shared by every backend), with the weight types and the
    // attention size the shaders take.
    plinth_status check_shapes(node_view& n) const {
        // ROPE's factors are read on the host when the graph is planned (the cos / sin tables are
        // made there): a graph that writes them before the ROPE runs elsewhere.
        if (sdk::rope_has_factors(*n.node)) {
            const plinth_tensor& f = graph.tensors[n.node->src[2]];
            uint64_t fb = 0, fe = 0;
            tensor_span(f, fb, fe);
            for (uint32_t i = 0; i < n.index; ++i) {
                const uint32_t w = graph.nodes[i].dst;
                if (w >= graph.n_tensors || graph.tensors[w].buffer != f.buffer) continue;
                uint64_t wb = 0, we = 0;
                tensor_span(graph.tensors[w], wb, we);
                if (wb < fe && fb < we)
                    return PLINTH_NODE_UNSUPPORTED(n, "the frequency factors src2 (tensor %u) are written by node %u of the "
                                                      "same graph; the Vulkan backend reads them before the graph runs",
                                                   n.node->src[2], i);
            }
        }
        const plinth_status st = sdk::check_op_rules(
            graph, *n.node, n.dst, n.src, [&](const char* message) { return PLINTH_NODE_ERROR(n, "%s", message); },
            [&](uint32_t, const tensor_view& w) { return weights(n, w); });
        if (st != PLINTH_OK) return st;
        if (n.node->op == PLINTH_OP_ATTENTION && n.node->i[2] > max_head_dim)
            return PLINTH_NODE_UNSUPPORTED(n, "head_dim i[2] = %d; the Vulkan backend's attention takes at most %lld",
                                           n.node->i[2], (long long)max_head_dim);
        return PLINTH_OK;
    }

    static bool overlap(const tensor_view& a, const tensor_view& b) {
        return a.buffer == b.buffer && a.offset < b.offset + b.bytes && b.offset < a.offset + a.bytes;
    }

    // Element-wise ops may write over a source of the same layout (in place); no op may write
    // over memory it reads at other positions.
    plinth_status check_overlaps(const node_view& n) const {
        const uint32_t op = n.node->op;
        const bool elementwise = sdk::op_is_elementwise(op);
        const tensor_view& d = n.dst;
        for (int k = 0; k < node_sources(*n.node); ++k) {
            const tensor_view& s = n.src[k];
            if (op == PLINTH_OP_KV_STORE && k == 1) continue;  // the cache is the destination
            if (!overlap(d, s)) continue;
            const bool same = d.offset == s.offset && d.bytes == s.bytes && d.type == s.type && d.ne0 == s.ne0;
            if (!(elementwise && same))
                return PLINTH_NODE_ERROR(n, "dst (tensor %u) overlaps %s (tensor %u)%s", d.index, sdk::kSourceRole[k], s.index,
                                         elementwise ? " without being the same tensor" : "");
        }
        return PLINTH_OK;
    }

    plinth_status node(uint32_t index, node_view& n) const {
        n = node_view{};
        n.index = index;
        n.node = &graph.nodes[index];
        const plinth_node& node = *n.node;
        if (node.op < PLINTH_OP_GET_ROWS || node.op > PLINTH_OP_LAST)
            return PLINTH_NODE_ERROR(n, "unknown op %u", node.op);
        plinth_status st = tensor(n, node.dst, "dst", n.dst);
        if (st != PLINTH_OK) return st;
        for (int k = 0; k < node_sources(node); ++k)
            if ((st = tensor(n, node.src[k], sdk::kSourceRole[k], n.src[k])) != PLINTH_OK) return st;
        if ((st = check_shapes(n)) != PLINTH_OK) return st;
        return dev ? check_overlaps(n) : PLINTH_OK;
    }
};

plinth_status check_graph_header(const plinth_graph* graph, plinth_message* err) {
    if (!graph) return fail(err, PLINTH_ERR_INVALID_ARGUMENT, "graph is NULL");
    if (graph->struct_size < sizeof(plinth_graph))
        return fail(err, PLINTH_ERR_INVALID_ARGUMENT, "graph struct_size %u is smaller than plinth_graph (%zu)",
                    graph->struct_size, sizeof(plinth_graph));
    if (graph->n_tensors != 0 && !graph->tensors)
        return fail(err, PLINTH_ERR_INVALID_ARGUMENT, "graph has %u tensors but no tensor array", graph->n_tensors);
    if (graph->n_nodes != 0 && !graph->nodes)
        return fail(err, PLINTH_ERR_INVALID_ARGUMENT, "graph has %u nodes but no node array", graph->n_nodes);
    return PLINTH_OK;
}

// ---- pipelines and descriptor sets

plinth_status ensure_layouts(device& dev, plinth_message* err) {
    if (dev.pipeline_layout) return PLINTH_OK;
    VkDescriptorSetLayoutBinding bindings[8]{};
    for (uint32_t b = 0; b < 8; ++b) {
        bindings[b].binding = b;
        bindings[b].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
        bindings[b].descriptorCount = 1;
        bindings[b].stageFlags = VK_SHADER_STAGE_COMPUTE_BIT;
    }
    VkDescriptorSetLayoutCreateInfo li{};
    li.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO;
    li.bindingCount = 8;
    li.pBindings = bindings;
    VkResult r = dev.fn.vkCreateDescriptorSetLayout(dev.handle, &li, nullptr, &dev.set_layout);
    if (r != VK_SUCCESS) {
        dev.set_layout = VK_NULL_HANDLE;
        return vk_fail(err, r, "vkCreateDescriptorSetLayout");
    }
    VkPushConstantRange range{};
    range.stageFlags = VK_SHADER_STAGE_COMPUTE_BIT;
    range.size = sizeof(push_constants);
    VkPipelineLayoutCreateInfo pi{};
    pi.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO;
    pi.setLayoutCount = 1;
    pi.pSetLayouts = &dev.set_layout;
    pi.pushConstantRangeCount = 1;
    pi.pPushConstantRanges = &range;
    if ((r = dev.fn.vkCreatePipelineLayout(dev.handle, &pi, nullptr, &dev.pipeline_layout)) != VK_SUCCESS) {
        dev.pipeline_layout = VK_NULL_HANDLE;
        return vk_fail(err, r, "vkCreatePipelineLayout");
    }
    dev.pipelines.assign(2 * K_COUNT, VK_NULL_HANDLE);  // with doubles, then the _nof64 variants
    return PLINTH_OK;
}

plinth_status get_pipeline(device& dev, uint32_t k, VkPipeline* out, plinth_message* err) {
    // Without shaderFloat64 (or with the option float64=off) a kernel's "_nof64" variant, where it
    // has one.
    const bool plain = !dev.phys->float64 || ctx().float64_off;
    VkPipeline& slot = dev.pipelines[k + (plain ? uint32_t(K_COUNT) : 0u)];
    if (slot) {
        *out = slot;
        return PLINTH_OK;
    }
    const auto find = [](const std::string& name) -> const shader_blob* {
        for (size_t i = 0; i < shader_blob_count; ++i)
            if (shader_blobs[i].name == name) return &shader_blobs[i];
        return nullptr;
    };
    const shader_blob* blob = plain ? find(std::string(kernel_names[k]) + "_nof64") : nullptr;
    if (!blob) blob = find(kernel_names[k]);
    if (!blob) return fail(err, PLINTH_ERR_INTERNAL, "shader '%s' is not in this build", kernel_names[k]);
    VkShaderModuleCreateInfo mi{};
    mi.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO;
    mi.codeSize = blob->word_count * sizeof(uint32_t);
    mi.pCode = blob->words;
    VkShaderModule module = VK_NULL_HANDLE;
    VkResult r = dev.fn.vkCreateShaderModule(dev.handle, &mi, nullptr, &module);
    if (r != VK_SUCCESS) return vk_fail(err, r, "vkCreateShaderModule");
    VkComputePipelineCreateInfo ci{};
    ci.sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO;
    ci.stage.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO;
    ci.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
    ci.stage.module = module;
    ci.stage.pName = "main";
    ci.layout = dev.pipeline_layout;
    VkPipeline pipeline = VK_NULL_HANDLE;
    r = dev.fn.vkCreateComputePipelines(dev.handle, VK_NULL_HANDLE, 1, &ci, nullptr, &pipeline);
    dev.fn.vkDestroyShaderModule(dev.handle, module, nullptr);
    if (r != VK_SUCCESS) {
        char what[96];
        std::snprintf(what, sizeof(what), "vkCreateComputePipelines (%s)", kernel_names[k]);
        return vk_fail(err, r, what);
    }
    slot = pipeline;
    *out = pipeline;
    return PLINTH_OK;
}

void reset_descriptor_cache(device& dev) {
    for (VkDescriptorPool p : dev.descriptor_pools) dev.fn.vkResetDescriptorPool(dev.handle, p, 0);
    dev.descriptor_sets.clear();
    // Reuse the pools from the first again.
    dev.pool_sets_left = 0;
    if (!dev.descriptor_pools.empty()) {
        for (size_t i = 1; i < dev.descriptor_pools.size(); ++i)
            dev.fn.vkDestroyDescriptorPool(dev.handle, dev.descriptor_pools[i], nullptr);
        dev.descriptor_pools.resize(1);
        dev.pool_sets_left = sets_per_pool;
    }
}

plinth_status allocate_set(device& dev, VkDescriptorSet* out, plinth_message* err) {
    if (dev.pool_sets_left == 0) {
        VkDescriptorPoolSize size{};
        size.type = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
        size.descriptorCount = sets_per_pool * 8;
        VkDescriptorPoolCreateInfo pi{};
        pi.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO;
        pi.maxSets = sets_per_pool;
        pi.poolSizeCount = 1;
        pi.pPoolSizes = &size;
        VkDescriptorPool pool = VK_NULL_HANDLE;
        VkResult r = dev.fn.vkCreateDescriptorPool(dev.handle, &pi, nullptr, &pool);
        if (r != VK_SUCCESS) return vk_fail(err, r, "vkCreateDescriptorPool");
        dev.descriptor_pools.push_back(pool);
        dev.pool_sets_left = sets_per_pool;
    }
    VkDescriptorSetAllocateInfo ai{};
    ai.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO;
    ai.descriptorPool = dev.descriptor_pools.back();
    ai.descriptorSetCount = 1;
    ai.pSetLayouts = &dev.set_layout;
    VkResult r = dev.fn.vkAllocateDescriptorSets(dev.handle, &ai, out);
    if (r != VK_SUCCESS) return vk_fail(err, r, "vkAllocateDescriptorSets");
    --dev.pool_sets_left;
    return PLINTH_OK;
}

// What one binding of a node covers.
struct binding {
    const plinth_buffer_s* buffer = nullptr;
    uint64_t offset = 0;  // descriptor offset: the tensor's, rounded down to the storage alignment
    uint64_t range = 0;
};

plinth_status get_set(device& dev, const binding (&b)[7], VkDescriptorSet* out, plinth_message* err) {
    struct key_t {
        uint64_t words[7][3];
        uint64_t aux;
    } key{};
    for (int i = 0; i < 7; ++i) {
        key.words[i][0] = b[i].buffer ? b[i].buffer->id : 0;
        key.words[i][1] = b[i].offset;
        key.words[i][2] = b[i].range;
    }
    key.aux = dev.aux.id;
    std::string k(reinterpret_cast<const char*>(&key), sizeof(key));
    auto it = dev.descriptor_sets.find(k);
    if (it != dev.descriptor_sets.end()) {
        *out = it->second;
        return PLINTH_OK;
    }
    VkDescriptorSet set = VK_NULL_HANDLE;
    plinth_status st = allocate_set(dev, &set, err);
    if (st != PLINTH_OK) return st;
    VkDescriptorBufferInfo infos[8]{};
    VkWriteDescriptorSet writes[8]{};
    uint32_t n = 0;
    for (uint32_t i = 0; i < 8; ++i) {
        if (i < 7 && !b[i].buffer) continue;
        infos[n].buffer = i < 7 ? b[i].buffer->buffer : dev.aux.buffer;
        infos[n].offset = i < 7 ? b[i].offset : 0;
        infos[n].range = i < 7 ? b[i].range : VK_WHOLE_SIZE;
        writes[n].sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET;
        writes[n].dstSet = set;
        writes[n].dstBinding = i;
        writes[n].descriptorCount = 1;
        writes[n].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
        writes[n].pBufferInfo = &infos[n];
        ++n;
    }
    dev.fn.vkUpdateDescriptorSets(dev.handle, n, writes, 0, nullptr);
    dev.descriptor_sets.emplace(std::move(k), set);
    *out = set;
    return PLINTH_OK;
}

// ---- recording

// Byte ranges of buffers, for the barriers between nodes.
struct byte_range {
    uint64_t id, begin, end;
};

struct dispatch {
    uint32_t kernel = 0;
    uint32_t groups = 0;  // workgroups, laid out 2-D by record()
    push_constants pc{};
    binding bindings[7];
    byte_range write{};   // what it writes, and reads (for the barriers)
    byte_range reads[7]{};
    int n_reads = 0;
    uint32_t node = 0;
};

bool overlaps_any(const std::vector<byte_range>& list, const byte_range& r) {
    for (const auto& x : list)
        if (x.id == r.id && x.begin < r.end && r.begin < x.end) return true;
    return false;
}

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

const char* index_meaning(uint32_t op) {
    switch (op) {
    case PLINTH_OP_GET_ROWS: return "a row id in src1 is outside src0's rows";
    case PLINTH_OP_KV_STORE: return "a slot in src2 is outside the cache";
    case PLINTH_OP_MATMUL_EXPERTS:
        return "a token has more experts with a nonzero routing weight (src2) than i[1] allows (that token's "
               "outputs are 0)";
    case PLINTH_OP_ATTENTION:
        return "a token's sequence row (src4) or position (src3) is outside the block table, or a block the "
               "token reads is outside the cache";
    default: return "an index is out of range";
    }
}

struct graph_scratch {
    std::vector<node_view> views;
    std::vector<dispatch> dispatches;
    std::vector<byte_range> pending_reads, pending_writes;
    rope_table_set rope;  // ROPE's tables in the aux buffer
};

graph_scratch& scratch() {
    static graph_scratch* s = new graph_scratch;
    return *s;
}

plinth_status compute(device& dev, const plinth_graph& graph, plinth_message* err) {
    graph_scratch& sc = scratch();
    plinth_status st = PLINTH_OK;
    sc.views.resize(graph.n_nodes);
    const validator check{graph, *dev.phys, &dev, err};
    for (uint32_t i = 0; i < graph.n_nodes; ++i)
        if ((st = check.node(i, sc.views[i])) != PLINTH_OK) return st;
    if (graph.n_nodes == 0) return PLINTH_OK;

    // The aux buffer: the error word, GEGLU's F16 gelu table (vulkan_gelu_table.hpp; its place is
    // kept in every graph, so that the tables after it stay put), then ROPE's cos / sin tables
    // (vulkan_rope_table.hpp), one per rope setting of the graph, as long as the longest sequence
    // an ATTENTION node can read.
    uint32_t positions = rope_table_default_positions;
    for (const node_view& n : sc.views)
        if (n.node->op == PLINTH_OP_ATTENTION)
            positions = uint32_t(std::clamp<int64_t>(n.src[5].ne0 * n.node->i[3], positions, rope_table_max_positions));
    rope_table_set& rope = sc.rope;
    rope.clear(graph.n_nodes);
    bool geglu = false;
    for (uint32_t i = 0; i < graph.n_nodes; ++i) {
        const node_view& n = sc.views[i];
        const plinth_node& node = *n.node;
        geglu = geglu || node.op == PLINTH_OP_GEGLU;
        if (node.op != PLINTH_OP_ROPE) continue;
        std::vector<float> factors;
        if (sdk::rope_has_factors(node)) {  // a few floats, read before the graph runs
            factors.resize(size_t(n.src[2].elements));
            if ((st = read_buffer(const_cast<plinth_buffer_s*>(n.src[2].buffer), n.src[2].offset, factors.data(),
                                  n.src[2].bytes, err)) != PLINTH_OK)
                return st;
        }
        rope.add(i, uint32_t(node.i[0]), node.f[0], node.f[1], positions, std::move(factors));
    }
    const uint64_t gelu_word = aux_header_words;
    const uint64_t aux_words = rope.lay_out(gelu_word + gelu_table_words);
    if ((st = ensure_layouts(dev, err)) != PLINTH_OK) return st;
    if (dev.aux.size < aux_words * 4) {
        destroy_host_buffer(dev, dev.aux);
        dev.aux_rope_tables.clear();
        dev.aux_gelu_table = false;
        if ((st = create_host_buffer(dev, std::max<uint64_t>(aux_words * 4 * 2, 4096), dev.aux, err)) != PLINTH_OK)
            return st;
    }
    auto* aux = static_cast<uint32_t*>(dev.aux.mapped);
    aux[0] = no_error;
    if (dev.aux_rope_tables != rope.tables) {  // made once per setting, not per token
        for (size_t k = 0; k < rope.tables.size(); ++k)
            fill_rope_table(rope.tables[k], reinterpret_cast<float*>(aux + rope.word[k]));
        dev.aux_rope_tables = rope.tables;
    }
    if (geglu && !dev.aux_gelu_table) {  // once per aux buffer
        fill_gelu_table(reinterpret_cast<uint16_t*>(aux + gelu_word));
        dev.aux_gelu_table = true;
    }

    const uint64_t alignment = std::max<uint64_t>(dev.phys->properties.limits.minStorageBufferOffsetAlignment, 4);

    // The scratch for quantized activations: two regions, each as large as the largest input any
    // MATMUL of the graph quantizes. A MATMUL whose input is already in a region (the Q, K, V or
    // gate, up projections of one normalized input), not written since, reads it from there;
    // otherwise its input is quantized into the region not filled last.
    uint64_t region_bytes = 0;
    for (uint32_t i = 0; i < graph.n_nodes; ++i) {
        const node_view& n = sc.views[i];
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

    // Plan every node (and the activation passes), then record.
    if (dev.descriptor_sets.size() + 2 * graph.n_nodes > max_cached_sets) reset_descriptor_cache(dev);
    sc.dispatches.clear();
    sc.dispatches.reserve(2 * graph.n_nodes);
    for (uint32_t i = 0; i < graph.n_nodes; ++i) {
        const node_view& n = sc.views[i];
        const int sources = sdk::op_sources(n.node->op);
        dispatch d{};
        plan(n, 0, d);
        d.node = i;
        if (n.node->op == PLINTH_OP_ROPE) {
            const uint32_t t = sc.rope.table_of[i];
            d.pc.aux_off = sc.rope.word[t];
            d.pc.u[5] = sc.rope.tables[t].positions;
            d.pc.u[6] = sc.rope.tables[t].factors.empty() ? 0u : 1u;
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
                sc.dispatches.push_back(q);
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
        sc.dispatches.push_back(d);
        // MATMUL_EXPERTS' weighted sum: the later slots, each adding onto the one before.
        if (n.node->op == PLINTH_OP_MATMUL_EXPERTS && n.node->i[0] == 1)
            for (int32_t slot = 1; slot < n.node->i[1]; ++slot) {
                d.pc.u[7] = uint32_t(slot);
                sc.dispatches.push_back(d);
            }
    }

    if ((st = begin_commands(dev, err)) != PLINTH_OK) return st;
    // Uploads (copies or host writes) before this graph are visible to its shaders.
    memory_barrier(dev, VK_PIPELINE_STAGE_TRANSFER_BIT | VK_PIPELINE_STAGE_HOST_BIT | VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                   VK_ACCESS_TRANSFER_WRITE_BIT | VK_ACCESS_HOST_WRITE_BIT | VK_ACCESS_SHADER_WRITE_BIT,
                   VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT);
    sc.pending_reads.clear();
    sc.pending_writes.clear();
    VkPipeline bound = VK_NULL_HANDLE;
    for (dispatch& d : sc.dispatches) {
        VkPipeline pipeline = VK_NULL_HANDLE;
        VkDescriptorSet set = VK_NULL_HANDLE;
        if ((st = get_pipeline(dev, d.kernel, &pipeline, err)) != PLINTH_OK) return st;
        if ((st = get_set(dev, d.bindings, &set, err)) != PLINTH_OK) return st;

        bool need_barrier = overlaps_any(sc.pending_writes, d.write) || overlaps_any(sc.pending_reads, d.write);
        for (int k = 0; k < d.n_reads && !need_barrier; ++k) need_barrier = overlaps_any(sc.pending_writes, d.reads[k]);
        if (need_barrier) {
            memory_barrier(dev, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_WRITE_BIT,
                           VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT);
            sc.pending_reads.clear();
            sc.pending_writes.clear();
        }
        for (int k = 0; k < d.n_reads; ++k) sc.pending_reads.push_back(d.reads[k]);
        sc.pending_writes.push_back(d.write);

        if (pipeline != bound) {
            dev.fn.vkCmdBindPipeline(dev.cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline);
            bound = pipeline;
        }
        dev.fn.vkCmdBindDescriptorSets(dev.cmd, VK_PIPELINE_BIND_POINT_COMPUTE, dev.pipeline_layout, 0, 1, &set, 0,
                                       nullptr);
        dev.fn.vkCmdPushConstants(dev.cmd, dev.pipeline_layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof(push_constants),
                                  &d.pc);
        if (d.groups == 0) continue;
        const uint32_t gx = std::min<uint32_t>(d.groups, 65535);
        const uint32_t gy = (d.groups + gx - 1) / gx;
        dev.fn.vkCmdDispatch(dev.cmd, gx, gy, 1);
    }
    // Results are visible to downloads (copies or mapped reads).
    memory_barrier(dev, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_WRITE_BIT,
                   VK_PIPELINE_STAGE_TRANSFER_BIT | VK_PIPELINE_STAGE_HOST_BIT,
                   VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_HOST_READ_BIT);
    if ((st = submit_and_wait(dev, err)) != PLINTH_OK) return st;

    const uint32_t bad = aux[0];
    if (bad != no_error) {
        const uint32_t op = bad < graph.n_nodes ? graph.nodes[bad].op : 0;
        return fail(err, PLINTH_ERR_INVALID_ARGUMENT,
                    "node %u (%s): %s (the entries out of range were skipped; the other nodes ran)", bad, plinth_op_name(op),
                    index_meaning(op));
    }
    return PLINTH_OK;
}

}  // namespace

plinth_status set_option(const char* key, const char* value, plinth_message* err) {
    if (!key) return fail(err, PLINTH_ERR_INVALID_ARGUMENT, "option key is NULL");
    const bool staging = std::strcmp(key, "staging") == 0, float64 = std::strcmp(key, "float64") == 0;
    if (!staging && !float64)
        return fail(err, PLINTH_ERR_INVALID_ARGUMENT, "unknown Vulkan backend option '%s' (known: staging, float64)", key);
    const char* other = staging ? "always" : "off";
    if (!value || (std::strcmp(value, "auto") != 0 && std::strcmp(value, other) != 0))
        return fail(err, PLINTH_ERR_INVALID_ARGUMENT, "option '%s' must be 'auto' or '%s', not '%s'", key, other,
                    value ? value : "(null)");
    context& c = ctx();
    std::lock_guard<std::mutex> lock(c.mutex);
    (staging ? c.always_stage : c.float64_off) = std::strcmp(value, other) == 0;
    return PLINTH_OK;
}

int32_t supports_node(uint32_t device_index, const plinth_graph* graph, uint32_t node) {
    try {
        plinth_message ignored;
        context& c = ctx();
        std::lock_guard<std::mutex> lock(c.mutex);
        if (!c.inst || device_index >= c.inst->devices.size()) return 0;
        if (check_graph_header(graph, &ignored) != PLINTH_OK || node >= graph->n_nodes) return 0;
        node_view view;
        return validator{*graph, c.inst->devices[device_index], nullptr, &ignored}.node(node, view) == PLINTH_OK ? 1 : 0;
    } catch (...) {
        return 0;
    }
}

plinth_status graph_compute(uint32_t device_index, const plinth_graph* graph, plinth_message* err) {
    try {
        plinth_status st = check_graph_header(graph, err);
        if (st != PLINTH_OK) return st;
        context& c = ctx();
        std::lock_guard<std::mutex> lock(c.mutex);
        device* dev = nullptr;
        if ((st = get_device(device_index, &dev, err)) != PLINTH_OK) return st;
        return compute(*dev, *graph, err);
    } catch (const std::bad_alloc&) {
        return fail(err, PLINTH_ERR_OUT_OF_MEMORY, "out of host memory while recording the graph");
    } catch (const std::exception& e) {
        return fail(err, PLINTH_ERR_INTERNAL, "graph_compute: %s", e.what());
    } catch (...) {
        return fail(err, PLINTH_ERR_INTERNAL, "graph_compute: unexpected exception");
    }
}

void release_compute(device& dev) {
    if (dev.scratch) {
        if (dev.scratch->dev) free_buffer(dev, dev.scratch);
        else delete dev.scratch;  // release_all_buffers destroyed its memory and left the handle
        dev.scratch = nullptr;
    }
    for (VkPipeline p : dev.pipelines)
        if (p) dev.fn.vkDestroyPipeline(dev.handle, p, nullptr);
    dev.pipelines.clear();
    for (VkDescriptorPool p : dev.descriptor_pools) dev.fn.vkDestroyDescriptorPool(dev.handle, p, nullptr);
    dev.descriptor_pools.clear();
    dev.descriptor_sets.clear();
    dev.pool_sets_left = 0;
    if (dev.pipeline_layout) dev.fn.vkDestroyPipelineLayout(dev.handle, dev.pipeline_layout, nullptr);
    if (dev.set_layout) dev.fn.vkDestroyDescriptorSetLayout(dev.handle, dev.set_layout, nullptr);
    dev.pipeline_layout = VK_NULL_HANDLE;
    dev.set_layout = VK_NULL_HANDLE;
}

}  // namespace plinth::vk
