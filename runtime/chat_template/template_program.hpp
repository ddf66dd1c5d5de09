#pragma once
// A parsed template with what its errors need: its name and a map from offsets to lines.
#include "template_ast.hpp"

#include <plinth/chat_template.hpp>

#include <string>
#include <utility>
#include <vector>

struct plinth::chat_template::program {
    std::string name;
    std::string source;  // normalized (see normalize_source)
    jinja::stmt_list body;

    // 1-based line and column (in characters) of a source offset.
    std::pair<int, int> location(std::size_t offset) const;
    template_error error_at(std::size_t offset, std::string message) const;
};
