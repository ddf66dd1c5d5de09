// Recording on the Vulkan backend: pipelines, descriptor sets and the command buffer of a graph.
#include "vulkan_recording.hpp"

#include "vulkan_buffer.hpp"
#include "vulkan_shaders.hpp"

#include <algorithm>
#include <cstdio>
#include <string>

namespace plinth::vk {
namespace {

constexpr uint32_t sets_per_pool = 256;
constexpr size_t max_cached_sets = 4096;

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

bool overlaps_any(const std::vector<byte_range>& list, const byte_range& r) {
    for (const auto& x : list)
        if (x.id == r.id && x.begin < r.end && r.begin < x.end) return true;
    return false;
}

// The byte ranges read and written since the last barrier (kept for their memory; callers hold
// the plugin's lock).
struct pending_accesses {
    std::vector<byte_range> reads, writes;
};

pending_accesses& pending() {
    static auto* p = new pending_accesses;
    return *p;
}

}  // namespace

plinth_status record_dispatches(device& dev, const std::vector<dispatch>& dispatches, plinth_message* err) {
    plinth_status st = ensure_layouts(dev, err);
    if (st != PLINTH_OK) return st;
    // Each dispatch makes at most one new set.
    if (dev.descriptor_sets.size() + dispatches.size() > max_cached_sets) reset_descriptor_cache(dev);
    if ((st = begin_commands(dev, err)) != PLINTH_OK) return st;
    pending_accesses& p = pending();
    // Uploads (copies or host writes) before this graph are visible to its shaders.
    memory_barrier(dev, VK_PIPELINE_STAGE_TRANSFER_BIT | VK_PIPELINE_STAGE_HOST_BIT | VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                   VK_ACCESS_TRANSFER_WRITE_BIT | VK_ACCESS_HOST_WRITE_BIT | VK_ACCESS_SHADER_WRITE_BIT,
                   VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT);
    p.reads.clear();
    p.writes.clear();
    VkPipeline bound = VK_NULL_HANDLE;
    for (const dispatch& d : dispatches) {
        VkPipeline pipeline = VK_NULL_HANDLE;
        VkDescriptorSet set = VK_NULL_HANDLE;
        if ((st = get_pipeline(dev, d.kernel, &pipeline, err)) != PLINTH_OK) return st;
        if ((st = get_set(dev, d.bindings, &set, err)) != PLINTH_OK) return st;

        bool need_barrier = overlaps_any(p.writes, d.write) || overlaps_any(p.reads, d.write);
        for (int k = 0; k < d.n_reads && !need_barrier; ++k) need_barrier = overlaps_any(p.writes, d.reads[k]);
        if (need_barrier) {
            memory_barrier(dev, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_WRITE_BIT,
                           VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT);
            p.reads.clear();
            p.writes.clear();
        }
        for (int k = 0; k < d.n_reads; ++k) p.reads.push_back(d.reads[k]);
        p.writes.push_back(d.write);

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
    return PLINTH_OK;
}

void release_pipelines(device& dev) {
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
