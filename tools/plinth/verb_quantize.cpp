// plinth quantize: rewrite a model file with its weights in another type, using the mixes
// llama.cpp's quantizer publishes (docs/quantization-mixes.md). Tensors that keep their type are
// copied from the mapped input; the others are converted a chunk at a time on every core.
#include "cli_common.hpp"
#include "quant_mix.hpp"
#include "row_pipeline.hpp"

#include <plinth/error.hpp>
#include <plinth/model_file.hpp>
#include <plinth/model_writer.hpp>

#include <plinth/weight_formats.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>

namespace plinth::cli {
namespace {

std::string mib(uint64_t bytes) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f MiB", double(bytes) / 1048576.0);
    return text;
}

const char* type_name(uint32_t type) {
    const char* name = plinth_weight_type_info(type).name;
    return name != nullptr ? name : "unknown";
}

bool is_float_type(uint32_t type) {
    return type == PLINTH_TYPE_F32 || type == PLINTH_TYPE_F16 || type == PLINTH_TYPE_BF16;
}

}  // namespace

int run_quantize(const std::vector<std::string>& args) {
    return guarded("quantize", [&] {
        common_options common;
        std::string in_path, out_path, type_text;
        unsigned threads = 0;
        bool pure = false, verbose = false, force = false;
        po::options_description options("options");
        options.add_options()
            ("in", po::value(&in_path)->value_name("IN.gguf"), "the model to read (first positional argument)")
            ("out", po::value(&out_path)->value_name("OUT.gguf"), "the file to write (second positional argument)")
            ("type", po::value(&type_text)->value_name("TYPE"), ("target (third positional argument): " + file_type_names()).c_str())
            ("pure", po::bool_switch(&pure), "no mix: every quantizable tensor gets TYPE (or its fallback)")
            ("threads,t", po::value(&threads)->value_name("N"), "threads (default: all cores)")
            ("verbose,v", po::bool_switch(&verbose), "print each tensor's old and new type")
            ("force", po::bool_switch(&force), "replace OUT.gguf if it exists (a link: write the file it points to)");
        add_common_options(options, common);
        po::positional_options_description positional;
        positional.add("in", 1).add("out", 1).add("type", 1);
        if (!parse_arguments("quantize", "IN.gguf OUT.gguf TYPE [--threads N] [--pure] [options]", args, options,
                             positional, common))
            return 0;
        if (in_path.empty() || out_path.empty() || type_text.empty())
            throw po::error("usage: plinth quantize IN.gguf OUT.gguf TYPE");
        out_path = output_path(out_path, force).string();
        catch_interrupts();
        const file_type* target = find_file_type(type_text);
        if (target == nullptr) throw po::error("unknown type '" + type_text + "' (one of " + file_type_names() + ")");
        const auto started = std::chrono::steady_clock::now();

        auto s = open_session(common);
        const auto in = model_file::open(s->host, in_path);
        const auto& tensors = in->tensors();

        mix_context ctx;
        for (const auto& t : tensors) {
            ctx.n_attn_v += t.name.find("attn_v.weight") != std::string::npos ? 1 : 0;
            ctx.n_ffn_down += t.name.find("ffn_down") != std::string::npos ? 1 : 0;
        }
        ctx.has_output = in->find_tensor("output.weight") != nullptr;
        if (const auto arch = in->get_string("general.architecture")) {
            const auto heads = in->get_uint(*arch + ".attention.head_count");
            const auto kv_heads = in->get_uint(*arch + ".attention.head_count_kv");
            if (heads && kv_heads && *kv_heads > 0) ctx.n_gqa = static_cast<uint32_t>(*heads / *kv_heads);
        }

        // ---- the plan ----
        std::vector<uint32_t> types(tensors.size());
        uint64_t in_bytes = 0, out_bytes = 0;
        size_t converted = 0, requantized = 0;
        std::map<std::string, uint32_t> mix;
        for (size_t i = 0; i < tensors.size(); ++i) {
            const auto& t = tensors[i];
            const tensor_desc desc{t.name, uint32_t(t.shape.size()), t.shape.empty() ? 0 : t.shape[0], t.type};
            const uint32_t wanted = pure && is_quantizable(desc) ? target->base : mix_type(*target, desc, ctx);
            const uint32_t type = is_quantizable(desc) ? fit_row(wanted, desc.row) : wanted;
            if (type != wanted)
                std::cerr << "plinth quantize: " << t.name << ": rows of " << desc.row << " do not fit " << type_name(wanted) << "'s "
                          << plinth_weight_type_info(wanted).block_size << "-element blocks; written as " << type_name(type) << "\n";
            types[i] = type;
            in_bytes += t.size;
            if (type != t.type) {
                if (!weight_formats::is_supported(t.type))
                    throw error(in_path + ": tensor '" + t.name + "' is " + type_name(t.type) + ", which cannot be converted");
                if (!weight_formats::is_supported(type))
                    throw error(std::string("cannot write ") + type_name(type) + " weights");
                ++converted;
                if (!is_float_type(t.type)) ++requantized;
                out_bytes += t.elements() / t.shape[0] * weight_formats::row_bytes(type, int64_t(t.shape[0]));
            } else {
                out_bytes += t.size;
            }
            ++mix[type_name(type)];
            if (verbose) std::printf("%-32s %-6s -> %s\n", t.name.c_str(), type_name(t.type), type_name(type));
        }
        if (requantized > 0)
            std::cerr << "plinth quantize: warning: " << requantized
                      << " tensor(s) are already quantized; requantizing them loses more than quantizing the original\n";

        // ---- the file: metadata as it was, with the new file type ----
        auto w = model_writer::create(s->host, out_path);
        for (const auto& key : in->metadata_keys()) {
            const auto* e = in->entry(key);
            if (e->type == PLINTH_VALUE_ARRAY && e->array_type == PLINTH_VALUE_ARRAY) {
                std::cerr << "plinth quantize: warning: not copying '" << key << "' (an array of arrays)\n";
                continue;
            }
            w->copy_from(*in, key);
        }
        w->set("general.quantization_version", uint32_t{2});
        w->set("general.file_type", target->id);
        for (size_t i = 0; i < tensors.size(); ++i) {
            const auto& t = tensors[i];
            if (types[i] == t.type) w->add_tensor(t.name, t.type, t.shape, t.data, t.size);  // copied as it is
            else w->add_tensor(t.name, types[i], t.shape);
        }

        thread_pool pool(threads);
        progress_line progress(out_bytes, tensors.size());
        for (size_t i = 0; i < tensors.size(); ++i) {
            const auto& t = tensors[i];
            progress.begin_tensor(t.name, type_name(types[i]));
            if (types[i] == t.type) {
                progress.add(t.size);  // written by the writer from the mapping when its turn comes
                continue;
            }
            const auto n = int64_t(t.shape[0]);
            const auto rows = int64_t(t.elements() / t.shape[0]);
            const auto* src = static_cast<const std::byte*>(t.data);
            const size_t in_row = weight_formats::row_bytes(t.type, n);
            const uint32_t from = t.type;
            stream_rows(*w, pool, types[i], rows, n,
                        [=](int64_t row, float* dst) {
                            weight_formats::dequantize_row(from, src + size_t(row) * in_row, dst, n);
                        },
                        progress);
        }
        w->finish();
        progress.done();

        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        std::string mix_text;
        for (const auto& [name, count] : mix) mix_text += (mix_text.empty() ? "" : ", ") + std::to_string(count) + " " + name;
        const auto old_type = in->get_uint("general.file_type");
        std::printf("%s (%s, %s) -> %s (%s, %s) in %.1f s on %u threads\n%zu tensors: %s; %zu converted, %zu copied\n",
                    in_path.c_str(), old_type ? file_type_name(uint32_t(*old_type)).c_str() : "file type not set",
                    mib(in_bytes).c_str(), out_path.c_str(), target->name, mib(out_bytes).c_str(), seconds, pool.size(),
                    tensors.size(), mix_text.c_str(), converted, tensors.size() - converted);
        return 0;
    });
}

}  // namespace plinth::cli
