// plinth inspect MODEL: architecture, shape and weight-type mix of a model file, and what plinth's
// graph for that architecture does (or why plinth cannot run it).
#include "cli_common.hpp"
#include "format_bytes.hpp"

#include <plinth/architecture.hpp>
#include <plinth/error.hpp>
#include <plinth/model_file.hpp>
#include <plinth/model_summary.hpp>
#include <plinth/weight_types.h>

#include <nlohmann/json.hpp>
#include <spdlog/fmt/fmt.h>

#include <iostream>

namespace plinth::cli {
namespace {

std::string shape_string(const std::vector<uint64_t>& shape) {
    std::string out;
    for (size_t i = 0; i < shape.size(); ++i) out += (i ? " x " : "") + std::to_string(shape[i]);
    return out;
}

std::string type_name(uint32_t type) {
    const char* name = plinth_weight_type_info(type).name;
    return name ? name : "type " + std::to_string(type);
}

template <typename T>
nlohmann::json optional_json(const std::optional<T>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

// The architecture's own description, or the reason it does not load.
struct graph_report {
    std::vector<std::pair<std::string, std::string>> features;
    std::string refusal;  // empty when plinth runs this model
};

graph_report describe_graph(const model_file& file) {
    graph_report r;
    try {
        r.features = load_architecture(file)->describe();
    } catch (const error& e) {
        r.refusal = e.what();
    }
    return r;
}

void print_json(const model_file& file, const model_summary& s, const graph_report& g, bool with_tensors) {
    nlohmann::json j = {
        {"path", file.path().string()},
        {"format", s.format},
        {"architecture", s.architecture},
        {"name", s.name},
        {"file_type", s.file_type},
        {"parameters", s.parameters},
        {"tensor_count", s.tensor_count},
        {"tensor_bytes", s.tensor_bytes},
        {"context_length", optional_json(s.context_length)},
        {"layers", optional_json(s.layers)},
        {"heads", optional_json(s.heads)},
        {"kv_heads", optional_json(s.kv_heads)},
        {"embedding", optional_json(s.embedding)},
        {"ffn", optional_json(s.ffn)},
        {"vocab", optional_json(s.vocab)},
    };
    j["runs"] = g.refusal.empty();
    if (!g.refusal.empty()) j["refusal"] = g.refusal;
    auto& graph = j["graph"] = nlohmann::json::object();
    for (const auto& [k, v] : g.features) graph[k] = v;
    auto& mix = j["type_mix"] = nlohmann::json::array();
    for (const auto& t : s.type_mix)
        mix.push_back({{"type", t.type}, {"tensors", t.tensors}, {"parameters", t.parameters}, {"bytes", t.bytes}});
    if (with_tensors) {
        auto& tensors = j["tensors"] = nlohmann::json::array();
        for (const auto& t : file.tensors())
            tensors.push_back({{"name", t.name}, {"type", type_name(t.type)}, {"shape", t.shape},
                               {"bytes", t.size}, {"offset", t.file_offset}});
    }
    std::cout << j.dump(2) << "\n";
}

std::string value_or_dash(const std::optional<uint64_t>& v) { return v ? std::to_string(*v) : "-"; }

void print_text(const model_file& file, const model_summary& s, const graph_report& g, bool with_tensors) {
    fmt::print("file:           {}\n", file.path().string());
    fmt::print("format:         {}\n", s.format);
    fmt::print("architecture:   {}\n", s.architecture);
    if (!s.name.empty()) fmt::print("name:           {}\n", s.name);
    fmt::print("parameters:     {}\n", s.parameters);
    fmt::print("context length: {}\n", value_or_dash(s.context_length));
    fmt::print("layers:         {}\n", value_or_dash(s.layers));
    fmt::print("heads:          {}\n", value_or_dash(s.heads));
    fmt::print("kv heads:       {}\n", value_or_dash(s.kv_heads));
    fmt::print("embedding:      {}\n", value_or_dash(s.embedding));
    fmt::print("ffn:            {}\n", value_or_dash(s.ffn));
    fmt::print("vocab:          {}\n", value_or_dash(s.vocab));
    fmt::print("file type:      {}\n", s.file_type.empty() ? "-" : s.file_type);
    fmt::print("tensors:        {} ({})\n", s.tensor_count, format_bytes(s.tensor_bytes));
    if (g.refusal.empty()) {
        fmt::print("graph:\n");
        for (const auto& [k, v] : g.features) fmt::print("  {:<24} {}\n", k + ":", v);
    } else {
        fmt::print("runs:           no: {}\n", g.refusal);
    }
    fmt::print("type mix:\n");
    for (const auto& t : s.type_mix)
        fmt::print("  {:<8} {:>4} tensors {:>12} params {:>10}\n", t.type, t.tensors, t.parameters, format_bytes(t.bytes));
    if (!with_tensors) return;
    fmt::print("\n{:<40} {:<8} {:<24} {:>10}\n", "TENSOR", "TYPE", "SHAPE", "BYTES");
    for (const auto& t : file.tensors())
        fmt::print("{:<40} {:<8} {:<24} {:>10}\n", t.name, type_name(t.type), shape_string(t.shape), t.size);
}

}  // namespace

int run_inspect(const std::vector<std::string>& args) {
    return guarded("inspect", [&] {
        common_options common;
        std::string model_path;
        bool tensors = false, json = false;
        po::options_description options("options");
        options.add_options()
            ("model,m", po::value(&model_path)->value_name("MODEL"), "model file or store name (also the first positional argument)")
            ("tensors", po::bool_switch(&tensors), "add the tensor table")
            ("json", po::bool_switch(&json), "machine-readable output");
        add_common_options(options, common);
        po::positional_options_description positional;
        positional.add("model", 1);
        if (!parse_arguments("inspect", "MODEL [--tensors] [--json] [options]", args, options, positional, common)) return 0;
        auto s = open_session(common);
        model_path = resolve_model_argument(s->config, model_path);
        if (model_path.empty()) throw po::error("no model given: pass MODEL or set model.path in --config");

        const auto file = model_file::open(s->host, model_path);
        const auto summary = summarize(*file);
        const auto graph = describe_graph(*file);
        if (json) print_json(*file, summary, graph, tensors);
        else print_text(*file, summary, graph, tensors);
        return 0;
    });
}

}  // namespace plinth::cli
