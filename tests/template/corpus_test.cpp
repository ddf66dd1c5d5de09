// Every case of every template in ../shared/templates, rendered and compared byte for byte with
// Python Jinja2 3.1.2's rendering in Hugging Face's settings (or its expected error).
#include "run_command.hpp"
#include "shared_dir.hpp"
#include "template_test_support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

TEST_CASE("every case of the reference chat templates renders exactly", "[template][corpus]") {
    const auto folder = plinth::test::shared_dir() / "templates";
    REQUIRE(std::filesystem::is_directory(folder));
    std::vector<std::filesystem::path> kits;
    for (const auto& entry : std::filesystem::directory_iterator(folder))
        if (entry.path().extension() == ".json") kits.push_back(entry.path());
    std::sort(kits.begin(), kits.end());
    REQUIRE(kits.size() == 50);

    plinth::render_options options;
    options.fixed_time = plinth::test::reference_time;
    std::size_t passed = 0, total = 0;
    for (const auto& kit_path : kits) {
        const auto kit = nlohmann::ordered_json::parse(plinth::test::read_file(kit_path));
        const std::string template_file = kit.at("template").get<std::string>();
        std::size_t kit_passed = 0;
        const auto& cases = kit.at("cases");
        for (const auto& c : cases) {
            ++total;
            const std::string where = template_file + " / " + c.at("name").get<std::string>();
            INFO(where);
            std::string rendered, error;
            try {
                const auto tmpl = plinth::chat_template::parse(plinth::test::read_file(folder / template_file), template_file);
                rendered = tmpl.render(c.at("variables"), options);
            } catch (const plinth::template_error& e) {
                error = e.message();
                INFO("raised: " << e.what());
            }
            bool ok;
            if (c.contains("error")) {
                ok = !error.empty();
                CHECK(error == c.at("error").get<std::string>());
            } else {
                ok = error.empty() && rendered == c.at("expected").get<std::string>();
                CHECK(error == "");
                CHECK(rendered == c.at("expected").get<std::string>());
            }
            kit_passed += ok;
        }
        passed += kit_passed;
        if (kit_passed != cases.size()) std::cout << "templates: " << template_file << ": " << kit_passed << "/" << cases.size() << " cases\n";
    }
    std::cout << "templates: " << passed << "/" << total << " cases\n";
    CHECK(total == 348);
    CHECK(passed == total);
}
