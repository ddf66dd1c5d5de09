#pragma once
// For plugin authors: no exception may cross the C ABI. Each entry point's body runs inside one of
// these, which turn whatever escapes into the ABI's answer:
//
//   plinth_status api_buffer_alloc(uint32_t d, uint64_t n, plinth_buffer* out, plinth_message* err) {
//       return plinth::sdk::guarded(err, "buffer_alloc", [&] { return buffer_alloc(d, n, out, err); });
//   }
//
// Header-only and C++17, like plugin_entry.hpp.
#include <plinth/plugin_api.h>

#include <cstdio>
#include <exception>
#include <new>

namespace plinth::sdk {

// The body's status; an escaping exception becomes PLINTH_ERR_OUT_OF_MEMORY (std::bad_alloc) or
// PLINTH_ERR_INTERNAL, with "what: why" in *err.
template <class Body>
plinth_status guarded(plinth_message* err, const char* what, Body&& body) noexcept {
    const auto answer = [&](plinth_status status, const char* why) {
        if (err) std::snprintf(err->text, sizeof err->text, "%s: %s", what, why);
        return status;
    };
    try {
        return body();
    } catch (const std::bad_alloc&) {
        return answer(PLINTH_ERR_OUT_OF_MEMORY, "out of host memory");
    } catch (const std::exception& e) {
        return answer(PLINTH_ERR_INTERNAL, e.what());
    } catch (...) {
        return answer(PLINTH_ERR_INTERNAL, "unexpected exception");
    }
}

// For the entry points that answer nothing (shutdown, buffer_free): what escapes is dropped.
template <class Body>
void guarded_quietly(Body&& body) noexcept {
    try {
        body();
    } catch (...) {
    }
}

// For probe: an escaping exception makes the plugin unusable, its reason "probe failed: why".
template <class Body>
void guarded_probe(plinth_probe_result* out, Body&& body) noexcept {
    const auto refuse = [out](const char* why) {
        out->usable = 0;
        std::snprintf(out->reason, sizeof out->reason, "probe failed: %s", why);
    };
    try {
        body();
    } catch (const std::exception& e) {
        refuse(e.what());
    } catch (...) {
        refuse("unexpected exception");
    }
}

}  // namespace plinth::sdk
