#pragma once
// The parsed template: expression and statement nodes, each with its source offset for errors.
#include "template_value.hpp"

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace plinth::jinja {

struct expr;
using expr_ptr = std::unique_ptr<expr>;

struct expr {
    enum class kind {
        literal,      // constant
        name,         // name
        list,         // children
        tuple,        // children
        dict,         // children: key, value, key, value, ...
        attribute,    // children[0].name
        subscript,    // children[0][children[1]]
        slice,        // children: start, stop, step (null where omitted)
        call,         // children[0](children[1..], named)
        filter,       // children[0] | name(children[1..], named); children[0] null in a set block
        test,         // children[0] is [not] name(children[1..], named)
        logical_not,  // not children[0]
        negate,       // -children[0]
        unary_plus,   // +children[0]
        binary,       // children[0] name children[1]: + - * / // % ** ~
        compare,      // children[0] ops[0] children[1] ops[1] children[2] ...
        logical_and,
        logical_or,
        conditional,  // children[1] if children[0] else children[2] (null: undefined)
    };
    kind type;
    std::size_t offset;
    value constant;
    std::string name;
    bool negated = false;
    std::vector<expr_ptr> children;
    std::vector<std::pair<std::string, expr_ptr>> named;
    std::vector<std::string> ops;
};

struct stmt;
using stmt_list = std::vector<std::unique_ptr<stmt>>;

struct stmt {
    enum class kind { text, output, if_chain, for_loop, set, set_block, macro, break_loop, continue_loop };
    kind type;
    std::size_t offset;
    std::string text;                                // text
    std::vector<expr_ptr> conditions;                // if: one per branch
    std::vector<stmt_list> bodies;                   // if: one per branch (+ else); for: body (+ else); set_block, macro: body
    std::vector<std::string> targets;                // for / set: names (several: tuple unpacking)
    std::string attribute;                           // set ns.attribute
    expr_ptr subject;                                // output, for: iterable, set: value
    expr_ptr loop_filter;                            // for ... if cond
    expr_ptr block_filter;                           // set_block: {% set x | filter %}
    bool has_else = false;
    std::vector<std::pair<std::string, expr_ptr>> params;  // macro: name, default (may be null)
};

}  // namespace plinth::jinja
