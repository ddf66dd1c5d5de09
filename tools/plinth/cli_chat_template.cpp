#include "cli_chat_template.hpp"

#include "cli_common.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>

namespace plinth::cli {

std::optional<chat_template> choose_chat_template(const model_file& model, const std::string& file) {
    if (!file.empty()) {
        std::ifstream in(file, std::ios::binary);
        if (!in || std::filesystem::is_directory(file)) throw po::error("cannot read the chat template " + file);
        return chat_template::parse(std::string(std::istreambuf_iterator<char>(in), {}), file);
    }
    if (auto source = model.get_string("tokenizer.chat_template")) return chat_template::parse(std::move(*source), "tokenizer.chat_template");
    return std::nullopt;
}

}  // namespace plinth::cli
