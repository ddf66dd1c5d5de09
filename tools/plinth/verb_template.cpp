// plinth template: renders a chat template with a JSON object of variables, for debugging prompt
// formats. The rendering goes to stdout exactly as rendered (no newline added).
#include "cli_common.hpp"

#include <plinth/chat_template.hpp>
#include <plinth/model_file.hpp>

#include <nlohmann/json.hpp>

#include <ctime>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

namespace plinth::cli {

namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw po::error("cannot read " + path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SS" (UTC) to seconds since the epoch.
std::int64_t parse_now(const std::string& text) {
    std::tm tm{};
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
    char tail = '\0';
    const int n = std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &s, &tail);
    if (!(n == 3 || n == 6) || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
        throw po::error("--now: expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS, got '" + text + "'");
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    return static_cast<std::int64_t>(timegm(&tm));
}

}  // namespace

int run_template(const std::vector<std::string>& args) {
    return guarded("template", [&] {
        common_options common;
        std::string model, variant, now;
        std::vector<std::string> files;
        po::options_description options("options");
        options.add_options()
            ("model,m", po::value(&model)->value_name("MODEL"), "use the model's own template (tokenizer.chat_template)")
            ("template-name", po::value(&variant)->value_name("NAME"), "with -m: the named variant tokenizer.chat_template.NAME")
            ("now", po::value(&now)->value_name("DATE"),
             "the date strftime_now formats, YYYY-MM-DD[THH:MM:SS] in UTC (default: $SOURCE_DATE_EPOCH, else the clock)")
            ("files", po::value(&files)->multitoken()->value_name("FILE"), "TEMPLATE_FILE VARIABLES.json, or VARIABLES.json with -m");
        add_common_options(options, common);
        po::positional_options_description positional;
        positional.add("files", -1);
        if (!parse_arguments("template", "(TEMPLATE_FILE | -m MODEL [--template-name NAME]) VARIABLES.json [--now DATE]", args, options,
                             positional, common))
            return 0;
        if (files.size() != (model.empty() ? 2u : 1u))
            throw po::error(model.empty() ? "expected TEMPLATE_FILE VARIABLES.json" : "expected VARIABLES.json (the template comes from -m MODEL)");
        if (!variant.empty() && model.empty()) throw po::error("--template-name needs -m MODEL");
        const std::string& variables_file = files.back();

        nlohmann::ordered_json variables;
        try {
            variables = nlohmann::ordered_json::parse(read_file(variables_file));
        } catch (const nlohmann::json::exception& e) {
            throw plinth::error(variables_file + ": not valid JSON: " + e.what());
        }
        render_options render;
        if (!now.empty()) {
            render.fixed_time = parse_now(now);
        } else if (const char* epoch = std::getenv("SOURCE_DATE_EPOCH"); epoch && *epoch) {
            render.fixed_time = std::strtoll(epoch, nullptr, 10);
        }

        std::string source, name;
        if (model.empty()) {
            load_config_and_logging(common);
            source = read_file(files[0]);
            name = files[0];
        } else {
            auto s = open_session(common);
            const auto file = model_file::open(s->host, resolve_model_argument(s->config, model));
            const std::string key = variant.empty() ? "tokenizer.chat_template" : "tokenizer.chat_template." + variant;
            auto text = file->get_string(key);
            if (!text) throw plinth::error(model + " has no chat template (no '" + key + "' in its metadata)");
            source = std::move(*text);
            name = model + ":" + key;
        }
        const auto tmpl = chat_template::parse(std::move(source), name);
        std::cout << tmpl.render(variables, render);
        return 0;
    });
}

}  // namespace plinth::cli
