#include <plinth/engine.hpp>

#include "device_select.hpp"

#include <plinth/error.hpp>
#include <plinth/llama_graph.hpp>
#include <plinth/plugin_host.hpp>
#include <plinth/weight_types.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>

namespace plinth {
namespace {

constexpr uint32_t default_context_cap = 4096;

void check(plinth_status status, const plinth_message& msg, const std::string& what) {
    if (status != PLINTH_OK) throw error(what + ": " + (msg.text[0] ? msg.text : "backend error"));
}

}  // namespace

// Device memory the engine owns: weights (wrapped or uploaded), KV cache, inputs, scratch.
struct engine::device_buffers {
    const plinth_backend_api* api = nullptr;
    plinth_buffer weights = nullptr;
    const char* weights_base = nullptr;  // host address the weights buffer mirrors
    std::vector<kv_layer_storage> kv;
    plinth_buffer inputs = nullptr;
    uint64_t inputs_size = 0;
    plinth_buffer scratch = nullptr;
    uint64_t scratch_size = 0;

    ~device_buffers() {
        for (plinth_buffer b : {weights, inputs, scratch})
            if (b) api->buffer_free(b);
        for (auto& l : kv) {
            if (l.k) api->buffer_free(l.k);
            if (l.v) api->buffer_free(l.v);
        }
    }

    // Grows `buffer` to at least `size` bytes (contents are not kept).
    void ensure(uint32_t device, plinth_buffer& buffer, uint64_t& capacity, uint64_t size, const char* what) {
        if (buffer && capacity >= size) return;
        if (buffer) api->buffer_free(buffer);
        buffer = nullptr;
        plinth_message msg{};
        check(api->buffer_alloc(device, std::max<uint64_t>(size, 64), &buffer, &msg), msg,
              std::string("allocating the ") + what + " buffer");
        capacity = std::max<uint64_t>(size, 64);
    }
};

engine::engine(const plugin_host& host, const std::filesystem::path& model_path, const engine_options& options)
    : options_(options), kv_(1, 1) {
    std::tie(backend_, device_) = detail::select_device(host, options.device);
    const plinth_backend_api& api = *backend_->backend;
    if (api.graph_compute == nullptr)
        throw error("the '" + backend_->name + "' backend cannot compute graphs (it has no graph_compute)");

    file_ = model_file::open(host, model_path);
    hparams_ = load_llama_hparams(*file_);
    weights_ = load_llama_weights(*file_, hparams_);

    context_ = options.context ? options.context : std::min(hparams_.n_ctx_train, default_context_cap);
    if (options.kv_type != PLINTH_TYPE_F16 && options.kv_type != PLINTH_TYPE_F32)
        throw error("the KV cache type must be F16 or F32");
    if (options.block_size == 0 || options.max_batch == 0) throw error("block size and batch size must be positive");
    const uint32_t n_blocks = (context_ + options.block_size - 1) / options.block_size;
    kv_ = kv_block_table(n_blocks, options.block_size);

    if (options.threads) {
        if (api.set_option == nullptr) throw error("the '" + backend_->name + "' backend takes no thread count");
        plinth_message msg{};
        check(api.set_option("threads", std::to_string(*options.threads).c_str(), &msg), msg, "setting threads");
    }

    buffers_ = std::make_unique<device_buffers>();
    buffers_->api = &api;
    plinth_device_info info{};
    info.struct_size = sizeof(info);
    plinth_message msg{};
    check(api.device_info(device_, &info, &msg), msg, "reading device " + options.device);

    // Weights: used in place from the mapped file when the device can wrap host memory.
    const plinth_file_mapping map = file_->mapping();
    if ((info.buffer_caps & PLINTH_BUFFER_CAN_WRAP_HOST) && api.buffer_wrap_host) {
        check(api.buffer_wrap_host(device_, const_cast<void*>(map.base), map.size, &buffers_->weights, &msg), msg,
              "mapping the weights");
        buffers_->weights_base = static_cast<const char*>(map.base);
    } else {
        uint64_t capacity = 0;
        buffers_->ensure(device_, buffers_->weights, capacity, map.size, "weights");
        check(api.buffer_upload(buffers_->weights, 0, map.base, map.size, &msg), msg, "uploading the weights");
        buffers_->weights_base = static_cast<const char*>(map.base);
    }

    // KV cache: one K and one V buffer per layer, [n_head_kv * head_dim, slots].
    const uint64_t row = uint64_t(hparams_.n_head_kv) * hparams_.head_dim;
    const uint64_t element = options.kv_type == PLINTH_TYPE_F16 ? 2 : 4;
    const uint64_t layer_bytes = row * kv_.slot_count() * element;
    if (info.memory_free && 2 * layer_bytes * hparams_.n_layer > info.memory_free)
        throw error("the KV cache for a context of " + std::to_string(context_) + " tokens needs " +
                    std::to_string(2 * layer_bytes * hparams_.n_layer >> 20) + " MiB; " + options.device + " has " +
                    std::to_string(info.memory_free >> 20) + " MiB free (lower the context)");
    for (uint32_t l = 0; l < hparams_.n_layer; ++l) {
        kv_layer_storage s;
        s.type = options.kv_type;
        s.slots = kv_.slot_count();
        s.block_size = options.block_size;
        uint64_t cap = 0;
        buffers_->ensure(device_, s.k, cap, layer_bytes, "KV cache");
        cap = 0;
        buffers_->ensure(device_, s.v, cap, layer_bytes, "KV cache");
        buffers_->kv.push_back(s);
    }
    spdlog::info("model {} on {}: {} layers, context {}, KV cache {} MiB", model_path.string(), options.device,
                 hparams_.n_layer, context_, (2 * layer_bytes * hparams_.n_layer) >> 20);
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
        if (it.token < 0 || static_cast<uint32_t>(it.token) >= hparams_.n_vocab)
            throw error("token id " + std::to_string(it.token) + " is outside the vocabulary (" +
                        std::to_string(hparams_.n_vocab) + ")");

    // Per-token inputs. Sequences get rows of the block table in order of first appearance.
    std::vector<int32_t> seqs;
    std::vector<int32_t> tokens(T), positions(T), seq_rows(T), slots(T), output_rows;
    std::vector<uint32_t> appended;
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
            slots[t] = kv_.append(seq, 1)[0];
        } catch (...) {
            for (uint32_t u = 0; u < t; ++u) kv_.truncate(items[u].seq, static_cast<uint32_t>(positions[u]));
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
    if (output_rows.empty()) output_rows.push_back(static_cast<int32_t>(T - 1));  // the graph needs one output
    const bool want_any = std::any_of(items.begin(), items.end(), [](const batch_item& i) { return i.logits; });

    // Lay the inputs out in one buffer.
    llama_batch_inputs in;
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
    const plinth_backend_api& api = *backend_->backend;
    plinth_message msg{};
    buffers_->ensure(device_, buffers_->inputs, buffers_->inputs_size, packed.size() * sizeof(int32_t), "inputs");
    in.buffer = buffers_->inputs;
    check(api.buffer_upload(in.buffer, 0, packed.data(), packed.size() * sizeof(int32_t), &msg), msg, "uploading inputs");

    const char* base = buffers_->weights_base;
    const plinth_buffer weights = buffers_->weights;
    const weight_locator locate = [&](const tensor_view& t) {
        return std::make_pair(weights, static_cast<uint64_t>(static_cast<const char*>(t.data) - base));
    };
    llama_graph lg = build_llama_graph(hparams_, weights_, locate, buffers_->kv, in);
    const uint64_t scratch_bytes = lg.graph.plan_scratch(nullptr);
    buffers_->ensure(device_, buffers_->scratch, buffers_->scratch_size, scratch_bytes, "scratch");
    lg.graph.plan_scratch(buffers_->scratch);

    const plinth_graph g = lg.graph.c_graph();
    check(api.graph_compute(device_, &g, &msg), msg, "computing on " + options_.device);

    if (!want_any) return {};
    const plinth_tensor& logits = lg.graph.tensor(lg.logits);
    std::vector<float> out(uint64_t(hparams_.n_vocab) * in.n_outputs);
    check(api.buffer_download(logits.buffer, logits.offset, out.data(), out.size() * sizeof(float), &msg), msg,
          "reading the logits");
    return out;
}

}  // namespace plinth
