#include "quant_mix.hpp"

#include <plinth/weight_types.h>

#include <algorithm>
#include <cctype>

namespace plinth::cli {
namespace {

// llama_ftype numbers as general.file_type stores them.
enum : uint32_t {
    FT_F32 = 0, FT_F16 = 1, FT_Q4_0 = 2, FT_Q4_1 = 3, FT_Q8_0 = 7, FT_Q5_0 = 8, FT_Q5_1 = 9,
    FT_Q2_K = 10, FT_Q3_K_S = 11, FT_Q3_K_M = 12, FT_Q3_K_L = 13, FT_Q4_K_S = 14, FT_Q4_K_M = 15,
    FT_Q5_K_S = 16, FT_Q5_K_M = 17, FT_Q6_K = 18, FT_BF16 = 32,
};

bool is_quantized_type(uint32_t type) {
    return type != PLINTH_TYPE_F32 && type != PLINTH_TYPE_F16 && type != PLINTH_TYPE_BF16;
}

bool contains(std::string_view s, std::string_view part) { return s.find(part) != std::string_view::npos; }

// The layers that get more bits in the _M mixes: the first and last eighth, and every third between.
bool use_more_bits(int i, int n) { return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2; }

uint32_t block_size(uint32_t type) { return plinth_weight_type_info(type).block_size; }

// A row that does not fit the chosen type's block: the replacement llama.cpp uses.
uint32_t fallback(uint32_t type, uint64_t row) {
    uint32_t out = PLINTH_TYPE_F16;
    switch (type) {
    case PLINTH_TYPE_Q2_K:
    case PLINTH_TYPE_Q3_K: out = PLINTH_TYPE_Q4_0; break;  // llama.cpp: IQ4_NL (same 4.5 bits), not implemented here
    case PLINTH_TYPE_Q4_K: out = PLINTH_TYPE_Q5_0; break;
    case PLINTH_TYPE_Q5_K: out = PLINTH_TYPE_Q5_1; break;
    case PLINTH_TYPE_Q6_K: out = PLINTH_TYPE_Q8_0; break;
    default: break;  // the 32-blocks: F16
    }
    return row % block_size(out) == 0 ? out : uint32_t{PLINTH_TYPE_F16};
}

}  // namespace

const std::vector<file_type>& file_types() {
    static const std::vector<file_type> table = {
        {"F32", FT_F32, PLINTH_TYPE_F32},       {"F16", FT_F16, PLINTH_TYPE_F16},
        {"BF16", FT_BF16, PLINTH_TYPE_BF16},    {"Q8_0", FT_Q8_0, PLINTH_TYPE_Q8_0},
        {"Q4_0", FT_Q4_0, PLINTH_TYPE_Q4_0},    {"Q4_1", FT_Q4_1, PLINTH_TYPE_Q4_1},
        {"Q5_0", FT_Q5_0, PLINTH_TYPE_Q5_0},    {"Q5_1", FT_Q5_1, PLINTH_TYPE_Q5_1},
        {"Q2_K", FT_Q2_K, PLINTH_TYPE_Q2_K},    {"Q3_K_S", FT_Q3_K_S, PLINTH_TYPE_Q3_K},
        {"Q3_K_M", FT_Q3_K_M, PLINTH_TYPE_Q3_K}, {"Q3_K_L", FT_Q3_K_L, PLINTH_TYPE_Q3_K},
        {"Q4_K_S", FT_Q4_K_S, PLINTH_TYPE_Q4_K}, {"Q4_K_M", FT_Q4_K_M, PLINTH_TYPE_Q4_K},
        {"Q5_K_S", FT_Q5_K_S, PLINTH_TYPE_Q5_K}, {"Q5_K_M", FT_Q5_K_M, PLINTH_TYPE_Q5_K},
        {"Q6_K", FT_Q6_K, PLINTH_TYPE_Q6_K},
    };
    return table;
}

const file_type* find_file_type(std::string_view name) {
    std::string upper(name);
    std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return char(std::toupper(c)); });
    if (upper == "Q4_K") upper = "Q4_K_M";  // llama.cpp's aliases
    if (upper == "Q5_K") upper = "Q5_K_M";
    if (upper == "Q3_K") upper = "Q3_K_M";
    for (const auto& t : file_types())
        if (upper == t.name) return &t;
    return nullptr;
}

std::string file_type_names() {
    std::string out;
    for (const auto& t : file_types()) out += (out.empty() ? "" : ", ") + std::string(t.name);
    return out;
}

std::string file_type_name(uint32_t id) {
    for (const auto& t : file_types())
        if (t.id == id) return t.name;
    return "unknown (" + std::to_string(id) + ")";
}

uint32_t fit_row(uint32_t type, uint64_t row) { return row % block_size(type) == 0 ? type : fallback(type, row); }

int block_index(std::string_view name) {
    constexpr std::string_view prefix = "blk.";
    if (name.substr(0, prefix.size()) != prefix) return -1;
    int value = 0;
    std::size_t i = prefix.size();
    if (i >= name.size() || !std::isdigit(static_cast<unsigned char>(name[i]))) return -1;
    for (; i < name.size() && std::isdigit(static_cast<unsigned char>(name[i])); ++i) {
        value = value * 10 + (name[i] - '0');
        if (value > 1'000'000) return -1;
    }
    return i < name.size() && name[i] == '.' ? value : -1;
}

bool is_quantizable(const tensor_desc& t) { return t.n_dims >= 2 && !contains(t.name, "_norm.weight"); }

uint32_t choose_type(const file_type& target, const tensor_desc& t, const mix_context& ctx) {
    return is_quantizable(t) ? fit_row(mix_type(target, t, ctx), t.row) : t.type;
}

uint32_t mix_type(const file_type& target, const tensor_desc& t, const mix_context& ctx) {
    if (!is_quantizable(t)) return t.type;
    uint32_t type = target.base;
    if (!is_quantized_type(type)) return type;  // F32 / F16 / BF16: every quantizable tensor, no mix

    const uint32_t ft = target.id;
    const std::string_view name = t.name;
    const int layer = block_index(name);
    if (name == "output.weight" || (!ctx.has_output && name == "token_embd.weight")) {
        // The output matrix: Q6_K unless the target is Q8_0, or Q8_0 when the row does not fit the target's block.
        if (t.row % block_size(type) != 0) type = PLINTH_TYPE_Q8_0;
        else if (type != PLINTH_TYPE_Q8_0) type = PLINTH_TYPE_Q6_K;
    } else if (name == "token_embd.weight") {
        // unchanged for every file type here
    } else if (contains(name, "attn_v.weight")) {
        const int n = static_cast<int>(ctx.n_attn_v);
        if (ft == FT_Q2_K) type = ctx.n_gqa >= 4 ? PLINTH_TYPE_Q4_K : PLINTH_TYPE_Q3_K;
        else if (ft == FT_Q3_K_M) type = layer < 2 ? PLINTH_TYPE_Q5_K : PLINTH_TYPE_Q4_K;
        else if (ft == FT_Q3_K_L) type = PLINTH_TYPE_Q5_K;
        else if ((ft == FT_Q4_K_M || ft == FT_Q5_K_M) && use_more_bits(layer, n)) type = PLINTH_TYPE_Q6_K;
        else if (ft == FT_Q4_K_S && layer < 4) type = PLINTH_TYPE_Q5_K;
    } else if (contains(name, "ffn_down")) {
        const int n = static_cast<int>(ctx.n_ffn_down);
        if (ft == FT_Q2_K) type = PLINTH_TYPE_Q3_K;
        else if (ft == FT_Q3_K_M) type = layer < n / 16 ? PLINTH_TYPE_Q5_K : PLINTH_TYPE_Q4_K;
        else if (ft == FT_Q3_K_L) type = PLINTH_TYPE_Q5_K;
        else if ((ft == FT_Q4_K_M || ft == FT_Q5_K_M) && use_more_bits(layer, n)) type = PLINTH_TYPE_Q6_K;
        else if (ft == FT_Q4_K_S && layer < n / 8) type = PLINTH_TYPE_Q5_K;
    } else if (contains(name, "attn_output.weight")) {
        if (ft == FT_Q2_K) type = PLINTH_TYPE_Q3_K;
        else if (ft == FT_Q3_K_M) type = PLINTH_TYPE_Q4_K;
        else if (ft == FT_Q3_K_L) type = PLINTH_TYPE_Q5_K;
    }
    return type;
}

}  // namespace plinth::cli
