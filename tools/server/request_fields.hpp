#pragma once
// What every API's request reader shares: a field that is absent or JSON null is "not given", a
// field of the wrong type or out of range is a 400 naming it (never the JSON library's own
// exception), and JSON goes out with invalid UTF-8 replaced.
#include "api_error.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace plinth::server {

// A request body: a JSON object, else a 400.
nlohmann::json request_object(std::string_view body);

// 400: "'FIELD' WHAT", with FIELD as the error's param.
api_error bad_field(const std::string& field, const std::string& what);

// The member `name` of `object`; null when it is absent or JSON null, or `object` is no object.
const nlohmann::json* given(const nlohmann::json& object, const char* name);

// A number from lo to hi; `fallback` when not given.
double number_field(const nlohmann::json& body, const char* name, double lo, double hi, double fallback);

// true or false; `fallback` when not given.
bool bool_field(const nlohmann::json& body, const char* name, bool fallback);

// The string member `key` of `object`; `fallback` when not given. `where` is the object's place in
// the request (e.g. "input[2]"), for the error.
std::string string_field(const nlohmann::json& object, const char* key, const std::string& where, const std::string& fallback = {});

// Serialised, invalid UTF-8 (from a model's bytes) replaced rather than thrown on.
std::string dump_json(const nlohmann::json& j);

}  // namespace plinth::server
