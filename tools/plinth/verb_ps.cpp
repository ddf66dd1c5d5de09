// plinth ps: what a running `plinth serve` has loaded, asked through its HTTP API (GET /v1/models).
#include "cli_common.hpp"
#include "format_bytes.hpp"

#include <utility>  // before Asio: Boost 1.74's Asio uses std::exchange without including it

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>
#include <sstream>

namespace plinth::cli {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using json = nlohmann::json;

std::string fetch_models(const std::string& host, uint16_t port, const std::string& api_key) {
    net::io_context io;
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::seconds(10));
    beast::error_code ec;
    const auto endpoints = net::ip::tcp::resolver(io).resolve(host, std::to_string(port), ec);
    if (!ec) stream.connect(endpoints, ec);
    if (ec) throw std::runtime_error("no server answers at " + host + ":" + std::to_string(port) + " (" + ec.message() + ")");
    http::request<http::empty_body> req(http::verb::get, "/v1/models", 11);
    req.set(http::field::host, host);
    if (!api_key.empty()) req.set(http::field::authorization, "Bearer " + api_key);
    http::write(stream, req, ec);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(16u << 20);
    if (!ec) http::read(stream, buffer, parser, ec);
    if (ec) throw std::runtime_error("the server at " + host + ":" + std::to_string(port) + " did not answer: " + ec.message());
    const auto& res = parser.get();
    if (res.result_int() != 200)
        throw std::runtime_error("the server answered " + std::to_string(res.result_int()) + ": " + res.body());
    return res.body();
}

std::string seconds(double s) {
    char buf[32];
    if (s < 60) std::snprintf(buf, sizeof buf, "%.0f s", s);
    else if (s < 3600) std::snprintf(buf, sizeof buf, "%.0f min", s / 60);
    else std::snprintf(buf, sizeof buf, "%.1f h", s / 3600);
    return buf;
}

// What a model entry says, or the fallback where it says nothing of that type: the answer may come
// from another server on the port, whose entries hold other fields, or the same ones typed otherwise.
std::string text_member(const json& m, const char* key, const std::string& fallback) {
    const auto it = m.find(key);
    return it != m.end() && it->is_string() ? it->get<std::string>() : fallback;
}
uint64_t count_member(const json& m, const char* key, uint64_t fallback) {
    const auto it = m.find(key);
    return it != m.end() && it->is_number_unsigned() ? it->get<uint64_t>() : fallback;
}
double number_member(const json& m, const char* key, double fallback) {
    const auto it = m.find(key);
    return it != m.end() && it->is_number() ? it->get<double>() : fallback;
}

}  // namespace

int run_ps(const std::vector<std::string>& args) {
    return guarded("ps", [&] {
        common_options common;
        std::string host, api_key;
        int port = -1;
        bool as_json = false;
        po::options_description options("options");
        options.add_options()
            ("host", po::value(&host)->value_name("ADDRESS"), "the server's address (default: config, else 127.0.0.1)")
            ("port", po::value(&port)->value_name("PORT"), "the server's port (default: config, else 8080)")
            ("api-key", po::value(&api_key)->value_name("KEY"), "the server's API key (default: config)")
            ("json", po::bool_switch(&as_json), "print the server's answer as JSON");
        add_common_options(options, common);
        if (!parse_arguments("ps", "[--host ADDRESS] [--port PORT] [--api-key KEY] [--json]", args, options, {}, common)) return 0;
        if (port < -1 || port == 0 || port > 65535) throw po::error("--port must be between 1 and 65535");
        const plinth::config cfg = load_config_and_logging(common);
        if (host.empty()) host = cfg.server.host == "0.0.0.0" ? "127.0.0.1" : cfg.server.host == "::" ? "::1" : cfg.server.host;
        const uint16_t to = port > 0 ? static_cast<uint16_t>(port) : cfg.server.port;
        if (api_key.empty()) api_key = cfg.server.api_key;

        const json models = json::parse(fetch_models(host, to, api_key), nullptr, false);
        if (models.is_discarded() || !models.contains("data") || !models["data"].is_array())
            throw std::runtime_error("the server's /v1/models answer is not a model list");
        if (as_json) {
            std::cout << models.dump(2) << "\n";
            return 0;
        }
        std::ostringstream out;
        char line[256];
        std::snprintf(line, sizeof line, "%-32s %-9s %10s %8s %7s %8s\n", "NAME", "STATE", "MEMORY", "CONTEXT", "IN USE", "IDLE");
        out << line;
        uint64_t loaded = 0;
        for (const auto& m : models["data"]) {
            if (!m.is_object()) continue;
            const std::string state = text_member(m, "state", "loaded");
            const uint64_t memory = count_member(m, "memory_bytes", 0);
            const auto context = m.find("max_model_len");
            const uint64_t in_use = count_member(m, "in_use", 0);
            if (state == "loaded") loaded += memory;
            std::snprintf(line, sizeof line, "%-32s %-9s %10s %8s %7s %8s\n", text_member(m, "id", "?").c_str(), state.c_str(),
                          state == "loaded" && memory ? format_bytes(memory).c_str() : "-",
                          context != m.end() && context->is_number_unsigned() ? std::to_string(context->get<uint64_t>()).c_str() : "-",
                          std::to_string(in_use).c_str(),
                          state == "loaded" && in_use == 0 ? seconds(number_member(m, "idle_seconds", 0.0)).c_str() : "-");
            out << line;
        }
        out << "loaded: " << format_bytes(loaded);
        if (const uint64_t budget = count_member(models, "memory_budget_bytes", 0)) out << " of a memory budget of " << format_bytes(budget);
        out << "\n";
        std::cout << out.str();
        return 0;
    });
}

}  // namespace plinth::cli
