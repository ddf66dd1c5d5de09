#include <plinth/engine.hpp>

#include "device_select.hpp"

#include <plinth/error.hpp>
#include <plinth/plugin_host.hpp>
#include <plinth/weight_types.h>

#include <spdlog/spdlog.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>

namespace plinth {
namespace {

constexpr uint32_t default_context_cap = 4096;

void check(plinth_status status, const plinth_message& msg, const std::string& what) {
    if (status != PLINTH_OK) throw error(what + ": " + (msg.text[0] ? msg.text : "backend error"));
}

}  // namespace

// One device the model uses, and the memory the engine holds on it.
struct engine::device_slot {
    std::string id;
    const plinth_backend_api* api = nullptr;
    uint32_t abi_minor = 0;  // what the plugin negotiated
    uint32_t index = 0;
    plinth_device_info info{};
    // Weights: the whole mapped file wrapped in place, or the tensors this device needs uploaded.
    plinth_buffer weights = nullptr;
    const char* mapped_base = nullptr;                    // set when wrapped
    std::map<const void*, uint64_t> uploaded_offsets;     // tensor data -> offset, when uploaded
    plinth_buffer inputs = nullptr;
    uint64_t inputs_size = 0;
    plinth_buffer scratch = nullptr;
    uint64_t scratch_size = 0;
    std::vector<plinth_buffer> kv_buffers;

    ~device_slot() {
        for (plinth_buffer b : {weights, inputs, scratch})
            if (b) api->buffer_free(b);
        for (plinth_buffer b : kv_buffers) api->buffer_free(b);
    }

    // The mapped model file as this device's weights, in place: as weights (ABI 1.3: the backend
    // may keep its own layouts of them) where the plugin takes that, else as plain host memory.
    void wrap_weights(const plinth_file_mapping& map) {
        plinth_message msg{};
        if (abi_minor >= 3 && PLINTH_HAS_MEMBER(api, plinth_backend_api, buffer_wrap_weights) && api->buffer_wrap_weights)
            check(api->buffer_wrap_weights(index, map.base, map.size, &weights, &msg), msg, "mapping the weights for " + id);
        else
            check(api->buffer_wrap_host(index, const_cast<void*>(map.base), map.size, &weights, &msg), msg,
                  "mapping the weights for " + id);
        mapped_base = static_cast<const char*>(map.base);
    }

    plinth_buffer alloc(uint64_t size, const std::string& what) {
        plinth_buffer b = nullptr;
        plinth_message msg{};
        check(api->buffer_alloc(index, std::max<uint64_t>(size, 64), &b, &msg), msg, "allocating the " + what + " on " + id);
        return b;
    }
    // Grows `buffer` to at least `size` bytes (contents are not kept).
    void ensure(plinth_buffer& buffer, uint64_t& capacity, uint64_t size, const char* what) {
        if (buffer && capacity >= size) return;
        if (buffer) api->buffer_free(buffer);
        buffer = nullptr;
        buffer = alloc(size, what);
        capacity = std::max<uint64_t>(size, 64);
    }
    std::pair<plinth_buffer, uint64_t> locate(const tensor_view& t) const {
        if (mapped_base) return {weights, static_cast<uint64_t>(static_cast<const char*>(t.data) - mapped_base)};
        auto it = uploaded_offsets.find(t.data);
        if (it == uploaded_offsets.end()) throw error("internal: weight " + t.name + " is not on " + id);
        return {weights, it->second};
    }
};

engine::engine(const plugin_host& host, const std::filesystem::path& model_path, const engine_options& options)
    : options_(options), kv_(1, 1) {
    file_ = model_file::open(host, model_path);
    arch_ = load_architecture(*file_);
    const model_hparams& hparams_ = arch_->hparams();

    context_ = options.context ? options.context : std::min(hparams_.n_ctx_train, default_context_cap);
    if (options.kv_type != PLINTH_TYPE_F16 && options.kv_type != PLINTH_TYPE_F32)
        throw error("the KV cache type must be F16 or F32");
    if (options.block_size == 0 || options.max_batch == 0) throw error("block size and batch size must be positive");
    const uint64_t kv_tokens = options.kv_tokens ? std::max(options.kv_tokens, context_)
                                                 : uint64_t(context_) * std::max<uint32_t>(options.kv_sequences, 1);
    const uint32_t n_blocks = static_cast<uint32_t>((kv_tokens + options.block_size - 1) / options.block_size);
    kv_ = kv_block_table(n_blocks, options.block_size);
    const uint64_t kv_row = uint64_t(hparams_.n_head_kv) * hparams_.head_dim;
    const uint64_t kv_element = options.kv_type == PLINTH_TYPE_F16 ? 2 : 4;
    const uint64_t kv_layer_bytes = 2 * kv_row * kv_.slot_count() * kv_element;

    // The plan is complete, and checked, before any weight is placed.
    plan_ = plan_placement(options.placement, options.device, host, *file_, *arch_, kv_layer_bytes);
    for (const auto& id : plan_.devices) {
        auto slot = std::make_unique<device_slot>();
        const auto [backend, index] = detail::select_device(host, id);
        slot->id = id;
        slot->api = backend->backend;
        slot->abi_minor = backend->abi_minor;
        slot->index = index;
        if (slot->api->graph_compute == nullptr)
            throw error("the '" + backend->name + "' backend cannot compute graphs (it has no graph_compute)");
        slot->info.struct_size = sizeof(slot->info);
        plinth_message msg{};
        check(slot->api->device_info(index, &slot->info, &msg), msg, "reading device " + id);
        if (const auto it = options.backend_options.find(backend->name); it != options.backend_options.end() && slot->api->set_option)
            for (const auto& [key, value] : it->second)
                check(slot->api->set_option(key.c_str(), value.c_str(), &msg), msg, "the " + backend->name + " backend");
        devices_.push_back(std::move(slot));
    }
    for (size_t d = 0; d < devices_.size(); ++d) {
        const uint64_t need = plan_.kv_bytes[d] + (devices_[d]->info.buffer_caps & PLINTH_BUFFER_CAN_WRAP_HOST ? 0 : plan_.weight_bytes[d]);
        if (devices_[d]->info.memory_free && need > devices_[d]->info.memory_free)
            throw error(devices_[d]->id + " needs " + std::to_string(need >> 20) + " MiB for its weights and KV cache but has " +
                        std::to_string(devices_[d]->info.memory_free >> 20) + " MiB free (lower the context or place fewer layers there)");
    }

    place_weights(host);

    // KV cache: one K and one V buffer per layer on the layer's device, [n_head_kv * head_dim, slots].
    for (uint32_t l = 0; l < hparams_.n_layer; ++l) {
        device_slot& dev = *devices_[plan_.layer_device[l]];
        kv_layer_storage s;
        s.type = options.kv_type;
        s.slots = kv_.slot_count();
        s.block_size = options.block_size;
        s.device = plan_.layer_device[l];
        s.k = dev.alloc(kv_layer_bytes / 2, "KV cache");
        dev.kv_buffers.push_back(s.k);
        s.v = dev.alloc(kv_layer_bytes / 2, "KV cache");
        dev.kv_buffers.push_back(s.v);
        kv_storage_.push_back(s);
    }
    spdlog::info("model {}: {} layers, context {}, KV cache {} MiB on {}", model_path.string(), hparams_.n_layer, context_,
                 (kv_layer_bytes * hparams_.n_layer) >> 20, plan_.devices.size() == 1 ? plan_.devices[0] : "several devices");
}

uint32_t engine::cpu_slot() const {
    for (size_t d = 0; d < devices_.size(); ++d)
        if (devices_[d]->mapped_base) return static_cast<uint32_t>(d);
    return UINT32_MAX;
}

void engine::place_weights(const plugin_host& host) {
    const plinth_file_mapping map = file_->mapping();
    // Which tensors each device reads, from a one-token graph of the planned placement.
    std::vector<std::set<const tensor_view*>> needs(devices_.size());
    {
        const uint32_t n_layer = arch_->hparams().n_layer;
        std::vector<kv_layer_storage> kv(n_layer);
        for (uint32_t l = 0; l < n_layer; ++l) {
            kv[l].device = plan_.layer_device[l];
            kv[l].type = options_.kv_type;
            kv[l].slots = kv[l].block_size = 1;
        }
        batch_inputs in;
        in.n_tokens = in.n_outputs = in.n_seq_rows = in.max_blocks = 1;
        graph_devices where{plan_.embedding_device, plan_.output_device, {}};
        where.override_of = [&](const tensor_view& t) -> std::optional<uint32_t> {
            auto it = plan_.tensor_overrides.find(t.name);
            return it == plan_.tensor_overrides.end() ? std::nullopt : std::optional<uint32_t>(it->second);
        };
        const auto g = arch_->build_graph(where, kv, in);
        for (const auto& n : g.graph.nodes())
            for (uint32_t s : n.op.src)
                if (s != PLINTH_NO_TENSOR && g.graph.tensors()[s].weight) needs[n.device].insert(g.graph.tensors()[s].weight);
    }

    const bool tty = isatty(STDERR_FILENO);
    for (size_t d = 0; d < devices_.size(); ++d) {
        device_slot& dev = *devices_[d];
        plinth_message msg{};
        if ((dev.info.buffer_caps & PLINTH_BUFFER_CAN_WRAP_HOST) && dev.api->buffer_wrap_host) {
            // Host memory: the mapped file itself (the backend may keep layouts of its own of it).
            dev.wrap_weights(map);
            continue;
        }
        uint64_t total = 0;
        for (const tensor_view* t : needs[d]) {
            dev.uploaded_offsets[t->data] = total;
            total += (t->size + 255) / 256 * 256;
        }
        dev.weights = dev.alloc(total, "weights");
        uint64_t done = 0;
        for (const tensor_view* t : needs[d]) {
            check(dev.api->buffer_upload(dev.weights, dev.uploaded_offsets[t->data], t->data, t->size, &msg), msg,
                  "uploading " + t->name + " to " + dev.id);
            done += t->size;
            if (tty) std::fprintf(stderr, "\ruploading weights to %s: %3d%%", dev.id.c_str(), int(100 * done / std::max<uint64_t>(total, 1)));
        }
        if (tty) std::fprintf(stderr, "\n");
    }
    // Nodes a device cannot run fall back to the CPU, which reads every weight from the mapping.
    // Nodes a device cannot run fall back to a host-memory device, which reads every weight from
    // the mapping.
    if (const auto fallback = host.host_memory_device(); cpu_slot() == UINT32_MAX && fallback) {
        auto slot = std::make_unique<device_slot>();
        const auto [backend, index] = detail::select_device(host, *fallback);
        slot->id = *fallback;
        slot->api = backend->backend;
        slot->abi_minor = backend->abi_minor;
        slot->index = index;
        slot->info.struct_size = sizeof(slot->info);
        plinth_message msg{};
        check(slot->api->device_info(index, &slot->info, &msg), msg, "reading device " + *fallback);
        slot->wrap_weights(map);
        devices_.push_back(std::move(slot));
    }
}

engine::~engine() = default;

std::vector<float> engine::evaluate(int32_t seq, std::span<const int32_t> tokens, bool all_logits) {
    std::vector<batch_item> items(tokens.size());
    for (size_t i = 0; i < tokens.size(); ++i) items[i] = {seq, tokens[i], all_logits || i + 1 == tokens.size()};
    return forward(items);
}

std::vector<float> engine::forward(std::span<const batch_item> items) {
    std::vector<float> logits;
    for (size_t start = 0; start < items.size(); start += options_.max_batch) {
        const auto chunk = items.subspan(start, std::min<size_t>(options_.max_batch, items.size() - start));
        auto part = forward_chunk(chunk);
        logits.insert(logits.end(), part.begin(), part.end());
    }
    return logits;
}

std::vector<float> engine::forward_chunk(std::span<const batch_item> items) {
    const uint32_t T = static_cast<uint32_t>(items.size());
    for (const auto& it : items)
        if (it.token < 0 || static_cast<uint32_t>(it.token) >= hparams().n_vocab)
            throw error("token id " + std::to_string(it.token) + " is outside the vocabulary (" +
                        std::to_string(hparams().n_vocab) + ")");

    // Per-token inputs. Sequences get rows of the block table in order of first appearance.
    std::vector<int32_t> seqs;
    std::vector<int32_t> tokens(T), positions(T), seq_rows(T), slots(T), output_rows;
    for (uint32_t t = 0; t < T; ++t) {
        const int32_t seq = items[t].seq;
        auto row = std::find(seqs.begin(), seqs.end(), seq);
        if (row == seqs.end()) {
            seqs.push_back(seq);
            row = seqs.end() - 1;
        }
        tokens[t] = items[t].token;
        positions[t] = static_cast<int32_t>(kv_.length(seq));
        seq_rows[t] = static_cast<int32_t>(row - seqs.begin());
        try {
            slots[t] = kv_.append(seq, std::span<const int32_t>(&items[t].token, 1))[0];
        } catch (...) {
            for (uint32_t u = t; u-- > 0;) kv_.truncate(items[u].seq, static_cast<uint32_t>(positions[u]));
            throw;
        }
        if (items[t].logits) output_rows.push_back(static_cast<int32_t>(t));
    }
    uint32_t max_blocks = 1;
    for (int32_t s : seqs) max_blocks = std::max(max_blocks, kv_.blocks_of(s));
    std::vector<int32_t> table;
    for (int32_t s : seqs) {
        const auto row = kv_.table_row(s, max_blocks);
        table.insert(table.end(), row.begin(), row.end());
    }
    const bool want_any = !output_rows.empty();
    if (!want_any) output_rows.push_back(static_cast<int32_t>(T - 1));  // the graph needs one output

    // Lay the inputs out in one block; every device gets a copy.
    batch_inputs in;
    in.n_tokens = T;
    in.n_outputs = static_cast<uint32_t>(output_rows.size());
    in.n_seq_rows = static_cast<uint32_t>(seqs.size());
    in.max_blocks = max_blocks;
    std::vector<int32_t> packed;
    const auto pack = [&](const std::vector<int32_t>& v) {
        const uint64_t offset = packed.size() * sizeof(int32_t);
        packed.insert(packed.end(), v.begin(), v.end());
        while (packed.size() % 16) packed.push_back(0);  // keep each array 64-byte aligned
        return offset;
    };
    in.tokens = pack(tokens);
    in.positions = pack(positions);
    in.seq_rows = pack(seq_rows);
    in.slots = pack(slots);
    in.block_table = pack(table);
    in.output_rows = pack(output_rows);

    graph_devices where{plan_.embedding_device, plan_.output_device, {}};
    where.override_of = [&](const tensor_view& t) -> std::optional<uint32_t> {
        auto it = plan_.tensor_overrides.find(t.name);
        return it == plan_.tensor_overrides.end() ? std::nullopt : std::optional<uint32_t>(it->second);
    };
    model_graph lg = arch_->build_graph(where, kv_storage_, in);
    reassign_unsupported(lg.graph);

    std::vector<device_binding> bindings(devices_.size());
    std::vector<bool> used(devices_.size(), false);
    for (const auto& n : lg.graph.nodes()) used[n.device] = true;
    for (size_t d = 0; d < devices_.size(); ++d) {
        if (!used[d]) continue;
        device_slot& dev = *devices_[d];
        plinth_message msg{};
        dev.ensure(dev.inputs, dev.inputs_size, packed.size() * sizeof(int32_t), "inputs");
        check(dev.api->buffer_upload(dev.inputs, 0, packed.data(), packed.size() * sizeof(int32_t), &msg), msg,
              "uploading inputs to " + dev.id);
        bindings[d].inputs = dev.inputs;
        bindings[d].locate_weight = [&dev](const tensor_view& t) { return dev.locate(t); };
    }

    // Run the segments in order; activations crossing devices go through host memory.
    auto segments = partition(lg.graph, bindings, lg.logits);
    std::map<tensor_id, std::vector<char>> crossing;
    last_copies_ = 0;
    std::vector<float> out;
    const tensor_id logits_base = lg.graph.tensors()[lg.logits].base;
    for (auto& seg : segments) {
        device_slot& dev = *devices_[seg.device];
        plinth_message msg{};
        dev.ensure(dev.scratch, dev.scratch_size, seg.graph.plan_scratch(nullptr), "scratch");
        seg.graph.plan_scratch(dev.scratch);
        for (const auto& [base, local] : seg.imports) {
            const plinth_tensor& t = seg.graph.tensor(local);
            const auto& bytes = crossing.at(base);
            check(dev.api->buffer_upload(t.buffer, t.offset, bytes.data(), bytes.size(), &msg), msg, "copying to " + dev.id);
            ++last_copies_;
        }
        const plinth_graph g = seg.graph.c_graph();
        check(dev.api->graph_compute(dev.index, &g, &msg), msg, "computing on " + dev.id);
        for (const auto& [base, local] : seg.exports) {
            const plinth_tensor& t = seg.graph.tensor(local);
            std::vector<char> bytes(tensor_bytes(t));
            check(dev.api->buffer_download(t.buffer, t.offset, bytes.data(), bytes.size(), &msg), msg, "copying from " + dev.id);
            crossing[base] = std::move(bytes);
        }
    }
    // The keys and values of every full block are computed now: later sequences may share them.
    for (int32_t s : seqs) kv_.publish(s);
    if (!want_any) return {};
    const auto& logit_bytes = crossing.at(logits_base);
    out.resize(logit_bytes.size() / sizeof(float));
    std::memcpy(out.data(), logit_bytes.data(), logit_bytes.size());
    return out;
}

void engine::reassign_unsupported(logical_graph& g) const {
    // Ask each node's device with a shape-only graph (supports_node looks at types and shapes).
    compute_graph shapes;
    for (const auto& t : g.tensors()) shapes.bound(t.type, t.shape, nullptr, 0);
    for (const auto& n : g.nodes()) shapes.add_node(n.op);
    const plinth_graph probe = shapes.c_graph();
    const uint32_t cpu = cpu_slot();
    auto& nodes = g.nodes();
    for (uint32_t i = 0; i < nodes.size(); ++i) {
        const device_slot& dev = *devices_[nodes[i].device];
        // A node needing a later ABI minor than the plugin negotiated is never sent to it.
        const bool speaks = plinth_node_abi_minor(&probe, i) <= dev.abi_minor;
        if (speaks && (dev.api->supports_node == nullptr || dev.api->supports_node(dev.index, &probe, i))) continue;
        const uint32_t op = nodes[i].op.op;
        if (op == PLINTH_OP_KV_STORE || op == PLINTH_OP_ATTENTION || cpu == UINT32_MAX)
            throw error(dev.id + " cannot run node " + std::to_string(i) + " (" + plinth_op_name(op) +
                        ") and it cannot move to the CPU");
        nodes[i].device = cpu;
    }
}

}  // namespace plinth
