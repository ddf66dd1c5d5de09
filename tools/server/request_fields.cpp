#include "request_fields.hpp"

namespace plinth::server {

using json = nlohmann::json;

json request_object(std::string_view body) {
    json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) throw api_error(400, "the request body is not valid JSON");
    if (!j.is_object()) throw api_error(400, "the request body must be a JSON object");
    return j;
}

api_error bad_field(const std::string& field, const std::string& what) { return api_error(400, "'" + field + "' " + what, field); }

const json* given(const json& object, const char* name) {
    if (!object.is_object()) return nullptr;
    const auto it = object.find(name);
    return it == object.end() || it->is_null() ? nullptr : &*it;
}

double number_field(const json& body, const char* name, double lo, double hi, double fallback) {
    const json* v = given(body, name);
    if (!v) return fallback;
    if (!v->is_number()) throw bad_field(name, "must be a number");
    const double d = v->get<double>();
    if (!(d >= lo && d <= hi)) throw bad_field(name, "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
    return d;
}

bool bool_field(const json& body, const char* name, bool fallback) {
    const json* v = given(body, name);
    if (!v) return fallback;
    if (!v->is_boolean()) throw bad_field(name, "must be a boolean");
    return v->get<bool>();
}

std::string string_field(const json& object, const char* key, const std::string& where, const std::string& fallback) {
    const json* v = given(object, key);
    if (!v) return fallback;
    if (!v->is_string()) throw bad_field(where + "." + key, "must be a string");
    return v->get<std::string>();
}

std::string dump_json(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace plinth::server
