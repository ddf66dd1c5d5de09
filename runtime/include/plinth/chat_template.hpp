#pragma once
// Chat templates: the Jinja2 dialect of Hugging Face's `apply_chat_template` (trim_blocks,
// lstrip_blocks, the immutable sandbox, loop controls, `raise_exception`, `strftime_now`, HF's
// `tojson`), rendered by plinth's own engine. What is supported: docs/chat-templates.md.
#include <plinth/error.hpp>

#include <nlohmann/json_fwd.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace plinth {

// A syntax or evaluation error, or a `raise_exception(msg)` of the template itself. what() is
// "NAME:LINE:COLUMN: MESSAGE"; message() is the bare message (for raise_exception, its text).
class template_error : public error {
public:
    template_error(const std::string& template_name, int line, int column, std::string message);
    const std::string& message() const noexcept { return message_; }
    int line() const noexcept { return line_; }
    int column() const noexcept { return column_; }

private:
    std::string message_;
    int line_;
    int column_;
};

struct render_options {
    // Bounds that keep a hostile template from hanging or exhausting memory; exceeding one is a
    // template_error.
    std::size_t max_output_bytes = std::size_t{64} << 20;  // also the largest string or list built
    std::uint64_t max_steps = 10'000'000;                   // expressions evaluated + loop iterations (~1 s)
    int max_call_depth = 64;                                // nested macro calls
    // What `strftime_now` formats: this many seconds since the epoch, as UTC; -1 for the real
    // clock in local time (as Python's datetime.now()).
    std::int64_t fixed_time = -1;
};

class chat_template {
public:
    // Throws template_error on a syntax error.
    static chat_template parse(std::string source, std::string name = "template");
    // `variables` is a JSON object: its members are the template's top-level variables. It is an
    // ordered_json because templates see dicts in their keys' order (tojson, items()).
    std::string render(const nlohmann::ordered_json& variables, const render_options& options = {}) const;
    const std::string& name() const;
    const std::string& source() const;  // the template's text (line ends normalized)

    struct program;  // the parsed template (internal)

private:
    explicit chat_template(std::shared_ptr<const program> parsed) : program_(std::move(parsed)) {}
    std::shared_ptr<const program> program_;
};

}  // namespace plinth
