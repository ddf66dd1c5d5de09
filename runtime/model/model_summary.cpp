#include <plinth/model_summary.hpp>

#include <plinth/model_file.hpp>
#include <plinth/weight_types.h>

#include <algorithm>
#include <map>

namespace plinth {

std::string file_type_name(uint64_t file_type) {
    static const std::map<uint64_t, const char*> names = {
        {0, "F32"},     {1, "F16"},      {2, "Q4_0"},    {3, "Q4_1"},    {7, "Q8_0"},     {8, "Q5_0"},
        {9, "Q5_1"},    {10, "Q2_K"},    {11, "Q3_K_S"}, {12, "Q3_K_M"}, {13, "Q3_K_L"},  {14, "Q4_K_S"},
        {15, "Q4_K_M"}, {16, "Q5_K_S"},  {17, "Q5_K_M"}, {18, "Q6_K"},   {19, "IQ2_XXS"}, {20, "IQ2_XS"},
        {21, "Q2_K_S"}, {22, "IQ3_XS"},  {23, "IQ3_XXS"}, {24, "IQ1_S"}, {25, "IQ4_NL"},  {26, "IQ3_S"},
        {27, "IQ3_M"},  {28, "IQ2_S"},   {29, "IQ2_M"},  {30, "IQ4_XS"}, {31, "IQ1_M"},   {32, "BF16"},
        {36, "TQ1_0"},  {37, "TQ2_0"},   {38, "MXFP4_MOE"},
    };
    auto it = names.find(file_type);
    return it != names.end() ? it->second : "unknown (" + std::to_string(file_type) + ")";
}

model_summary summarize(const model_file& file) {
    model_summary s;
    s.format = file.format_name();
    s.architecture = file.get_string("general.architecture").value_or("unknown");
    s.name = file.get_string("general.name").value_or("");
    if (auto ft = file.get_uint("general.file_type")) s.file_type = file_type_name(*ft);

    // Shape keys are namespaced by architecture: llama.block_count, qwen2.block_count, ...
    const std::string arch = s.architecture + ".";
    s.context_length = file.get_uint(arch + "context_length");
    s.layers = file.get_uint(arch + "block_count");
    s.heads = file.get_uint(arch + "attention.head_count");
    s.kv_heads = file.get_uint(arch + "attention.head_count_kv");
    if (!s.kv_heads) s.kv_heads = s.heads;  // absent means no grouping
    s.embedding = file.get_uint(arch + "embedding_length");
    s.ffn = file.get_uint(arch + "feed_forward_length");
    s.vocab = file.get_uint(arch + "vocab_size");
    if (!s.vocab) s.vocab = file.array_size("tokenizer.ggml.tokens");

    std::map<uint32_t, weight_type_share> by_type;
    for (const auto& t : file.tensors()) {
        const uint64_t n = t.elements();
        s.parameters += n;
        s.tensor_bytes += t.size;
        auto& share = by_type[t.type];
        const char* type_name = plinth_weight_type_info(t.type).name;
        share.type = type_name ? type_name : "type " + std::to_string(t.type);
        share.tensors += 1;
        share.parameters += n;
        share.bytes += t.size;
    }
    s.tensor_count = file.tensors().size();
    for (auto& [type, share] : by_type) s.type_mix.push_back(share);
    std::sort(s.type_mix.begin(), s.type_mix.end(),
              [](const auto& a, const auto& b) { return a.parameters > b.parameters; });
    return s;
}

}  // namespace plinth
