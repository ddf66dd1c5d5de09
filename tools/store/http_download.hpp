#pragma once
// HTTP(S) through libcurl: small texts (the file listing) and files fetched into a partial file
// that a later call resumes with a Range request. Redirects are followed (Hugging Face sends
// downloads to a CDN).
#include <cstdint>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>

namespace plinth::store {

struct http_settings {
    std::string token;      // sent as "Authorization: Bearer TOKEN" when not empty
    std::string ca_bundle;  // a PEM file of certificates to trust instead of the system's; empty: the system's
    long connect_timeout_s = 30;
    long stall_timeout_s = 60;           // a transfer slower than 1 byte/s for this long fails
    std::function<bool()> cancelled;     // polled during transfers (Ctrl-C); true aborts
};
// The token from HF_TOKEN; the CA bundle from PLINTH_CA_BUNDLE, else CURL_CA_BUNDLE.
http_settings http_settings_from_environment();

// The server answered with an error status.
struct http_error : std::runtime_error {
    long status;
    http_error(long code, const std::string& message) : std::runtime_error(message), status(code) {}
};
// settings.cancelled said stop; what was fetched so far stays in the partial file.
struct download_cancelled : std::runtime_error {
    download_cancelled() : std::runtime_error("download interrupted") {}
};

// GET url as text (at most `limit` bytes). Throws http_error, download_cancelled, or
// std::runtime_error for network failures.
std::string http_get_text(const std::string& url, const http_settings& settings, std::size_t limit = 64u << 20);

// What the server did with a download.
enum class download_outcome {
    resumed,        // 206: the bytes after those already in the partial file were appended
    restarted,      // 200: the whole file was fetched again (no partial, or the server ignored the range)
    range_refused,  // 416: nothing fetched; the partial is already complete, or it is stale
};
// Fetches url into `partial`, asking only for the bytes after those it already holds.
// `progress(bytes_in_partial)` is called as data arrives. Throws like http_get_text; the partial
// file keeps what was received.
download_outcome download_into(const std::string& url, const std::filesystem::path& partial, const http_settings& settings,
                               const std::function<void(uint64_t)>& progress);

}  // namespace plinth::store
