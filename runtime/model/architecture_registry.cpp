// Which architecture loads which file, by general.architecture. Adding an architecture: its file
// under arch/ and one line in the table below.
#include <plinth/architecture.hpp>

#include <plinth/error.hpp>

namespace plinth {
namespace arch {
std::unique_ptr<architecture> load_llama(const model_file&);
std::unique_ptr<architecture> load_qwen2(const model_file&);
std::unique_ptr<architecture> load_qwen3(const model_file&);
std::unique_ptr<architecture> load_gemma2(const model_file&);
std::unique_ptr<architecture> load_gemma3(const model_file&);
std::unique_ptr<architecture> load_phi3(const model_file&);
std::unique_ptr<architecture> load_olmo2(const model_file&);
}  // namespace arch

namespace {

struct entry {
    const char* name;
    std::unique_ptr<architecture> (*load)(const model_file&);
};

const entry registry[] = {
    {"llama", arch::load_llama},   {"mistral", arch::load_llama}, {"qwen2", arch::load_qwen2},
    {"qwen3", arch::load_qwen3},   {"qwen3moe", arch::load_qwen3}, {"gemma2", arch::load_gemma2},
    {"gemma3", arch::load_gemma3}, {"phi3", arch::load_phi3},     {"olmo2", arch::load_olmo2},
};

}  // namespace

std::vector<std::string> supported_architectures() {
    std::vector<std::string> names;
    for (const auto& e : registry) names.emplace_back(e.name);
    return names;
}

std::unique_ptr<architecture> load_architecture(const model_file& file) {
    const std::string name = file.get_string("general.architecture").value_or("");
    if (name.empty()) throw error(file.path().string() + ": missing metadata 'general.architecture'");
    for (const auto& e : registry)
        if (name == e.name) return e.load(file);
    std::string known;
    for (const auto& e : registry) known += (known.empty() ? "" : ", ") + std::string(e.name);
    throw error(file.path().string() + ": unsupported architecture '" + name + "' (supported: " + known + ")");
}

}  // namespace plinth
