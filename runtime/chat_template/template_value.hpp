#pragma once
// The values a template computes with: Python's None, bool, int, float, str, list/tuple and
// ordered dict, plus Jinja's Undefined, namespace() objects and callables. Lists and dicts are
// immutable once built (the sandbox forbids mutating methods), so copies share them.
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace plinth::jinja {

// An evaluation failure without a location; the evaluator adds the line and column of the
// expression that raised it.
class failure : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class value;
using list_items = std::vector<value>;

struct dict_items {
    std::vector<std::pair<value, value>> entries;  // in insertion order, as Python dicts keep them
    const value* find(const value& key) const;
    void set(value key, value item);
};

struct call_args {
    std::vector<value> positional;
    std::vector<std::pair<std::string, value>> named;
    // The argument at `position` or named `name`, or nullptr.
    const value* get(std::size_t position, const char* name) const;
};
using native_function = std::function<value(const call_args&)>;

class value {
public:
    enum class kind : std::uint8_t { undefined, none, boolean, integer, floating, string, list, dict, namespace_object, function };

    value() = default;  // undefined, with no name
    static value undefined(std::string hint);  // hint: the error message using it would raise
    static value none();
    static value boolean(bool b);
    static value integer(std::int64_t i);
    static value floating(double f);
    static value string(std::string s);
    static value markup(std::string s);  // a string marked safe (`|safe`): `+` escapes the other side
    static value list(list_items items, bool tuple = false);
    static value dict(dict_items items);
    static value make_namespace(dict_items items);
    static value function(std::string name, native_function fn);

    kind type() const noexcept { return kind_; }
    bool is(kind k) const noexcept { return kind_ == k; }
    bool is_undefined() const noexcept { return kind_ == kind::undefined; }
    bool is_number() const noexcept { return kind_ == kind::integer || kind_ == kind::floating || kind_ == kind::boolean; }
    bool is_tuple() const noexcept { return tuple_; }
    bool is_markup() const noexcept { return markup_; }

    bool as_bool() const noexcept { return bool_; }
    std::int64_t as_int() const noexcept { return kind_ == kind::boolean ? std::int64_t{bool_} : int_; }
    double as_float() const noexcept { return kind_ == kind::floating ? float_ : static_cast<double>(as_int()); }
    const std::string& as_string() const {  // string; undefined: its hint (may be empty)
        static const std::string empty;
        return text_ ? *text_ : empty;
    }
    const list_items& as_list() const { return *list_; }
    const dict_items& as_dict() const { return *dict_; }           // dict or namespace
    dict_items& namespace_items() const { return *namespace_; }   // namespace only
    const native_function& as_function() const { return *function_; }
    const std::string& function_name() const { return *text_; }

private:
    kind kind_ = kind::undefined;
    bool tuple_ = false;
    bool markup_ = false;
    std::uint16_t depth_ = 0;  // how deeply lists and dicts nest inside (bounded: recursion over values stays shallow)
    static constexpr std::uint16_t max_nesting = 256;
    bool bool_ = false;
    std::int64_t int_ = 0;
    double float_ = 0;
    std::shared_ptr<const std::string> text_;
    std::shared_ptr<const list_items> list_;
    std::shared_ptr<const dict_items> dict_;
    std::shared_ptr<dict_items> namespace_;
    std::shared_ptr<const native_function> function_;
};

// Caps every string that str(), repr() and tojson build in this thread while it lives (the
// evaluator sets the render's max_output_bytes), so printing a list that holds one long string a
// million times fails instead of exhausting memory.
class text_limit_scope {
public:
    explicit text_limit_scope(std::size_t limit);
    ~text_limit_scope();
    text_limit_scope(const text_limit_scope&) = delete;
    text_limit_scope& operator=(const text_limit_scope&) = delete;

private:
    std::size_t saved_;
};
std::size_t current_text_limit();

// Python semantics.
bool truthy(const value& v);
bool equals(const value& a, const value& b);
int compare(const value& a, const value& b);  // <0, 0, >0; throws failure for unorderable types
bool contains(const value& container, const value& item);  // `item in container`
std::string to_str(const value& v);   // str(v); undefined prints as ""
std::string repr(const value& v);     // repr(v)
std::string type_name(const value& v); // "dict", "str", ... as Python names them
std::string float_repr(double f);
std::string html_escape(const std::string& s);  // markupsafe's escape: & < > " '

// Strings are UTF-8; Python indexes them by code point.
std::u32string decode_utf8(const std::string& s);
std::string encode_utf8(const std::u32string& s);
std::size_t codepoint_count(const std::string& s);

// Iterating: a list's items, a dict's keys, a string's characters; undefined is empty.
list_items iterate(const value& v);

}  // namespace plinth::jinja
