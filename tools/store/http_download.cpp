#include "store/http_download.hpp"

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace plinth::store {
namespace {

namespace fs = std::filesystem;

std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v ? v : "";
}

// curl_global_init is not thread-safe: run it once, before the first handle.
void init_curl_once() {
    static const bool ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
    if (!ok) throw std::runtime_error("libcurl failed to initialise");
}

struct curl_handle {
    CURL* curl;
    curl_slist* headers = nullptr;
    char error[CURL_ERROR_SIZE] = {};
    curl_handle() : curl((init_curl_once(), curl_easy_init())) {
        if (!curl) throw std::runtime_error("libcurl cannot create a handle");
    }
    ~curl_handle() {
        curl_slist_free_all(headers);
        curl_easy_cleanup(curl);
    }
    curl_handle(const curl_handle&) = delete;
    curl_handle& operator=(const curl_handle&) = delete;
};

struct progress_hook {
    const http_settings* settings;
    std::function<void(uint64_t)> on_bytes;  // bytes of this response's body so far
};

extern "C" int on_transfer_progress(void* user, curl_off_t, curl_off_t now, curl_off_t, curl_off_t) {
    auto* hook = static_cast<progress_hook*>(user);
    if (hook->settings->cancelled && hook->settings->cancelled()) return 1;
    if (hook->on_bytes) hook->on_bytes(static_cast<uint64_t>(now));
    return 0;
}

void configure(curl_handle& h, const std::string& url, const http_settings& settings, progress_hook& hook) {
    curl_easy_setopt(h.curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h.curl, CURLOPT_ERRORBUFFER, h.error);
    curl_easy_setopt(h.curl, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h.curl, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(h.curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h.curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h.curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h.curl, CURLOPT_USERAGENT, "plinth");
    curl_easy_setopt(h.curl, CURLOPT_CONNECTTIMEOUT, settings.connect_timeout_s);
    curl_easy_setopt(h.curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h.curl, CURLOPT_LOW_SPEED_TIME, settings.stall_timeout_s);
    if (!settings.ca_bundle.empty()) curl_easy_setopt(h.curl, CURLOPT_CAINFO, settings.ca_bundle.c_str());
    // libcurl (7.58 and later) drops this header when a redirect leads to another host.
    if (!settings.token.empty()) h.headers = curl_slist_append(h.headers, ("Authorization: Bearer " + settings.token).c_str());
    curl_easy_setopt(h.curl, CURLOPT_HTTPHEADER, h.headers);
    curl_easy_setopt(h.curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h.curl, CURLOPT_XFERINFOFUNCTION, on_transfer_progress);
    curl_easy_setopt(h.curl, CURLOPT_XFERINFODATA, &hook);
}

std::string status_message(long status, const std::string& url) {
    std::string message = "HTTP " + std::to_string(status) + " from " + url;
    if (status == 401 || status == 403) message += " (a private or gated repository needs a token: set HF_TOKEN)";
    else if (status == 404) message += " (no such repository, revision or file)";
    return message;
}

// After a transfer: cancellation, network failures and error statuses become exceptions.
long finish(curl_handle& h, CURLcode res, const std::string& url, const http_settings& settings) {
    if (res == CURLE_ABORTED_BY_CALLBACK && settings.cancelled && settings.cancelled()) throw download_cancelled();
    if (res != CURLE_OK) {
        std::string why = h.error[0] ? h.error : curl_easy_strerror(res);
        if (res == CURLE_PEER_FAILED_VERIFICATION || res == CURLE_SSL_CACERT_BADFILE)
            why += " (to trust another certificate authority, set PLINTH_CA_BUNDLE to its PEM file)";
        throw std::runtime_error("cannot fetch " + url + ": " + why);
    }
    long status = 0;
    curl_easy_getinfo(h.curl, CURLINFO_RESPONSE_CODE, &status);
    return status;
}

struct text_sink {
    std::string text;
    std::size_t limit;
    bool too_long = false;
};

extern "C" size_t on_text(char* data, size_t, size_t n, void* user) {
    auto* sink = static_cast<text_sink*>(user);
    if (sink->text.size() + n > sink->limit) {
        sink->too_long = true;
        return 0;
    }
    sink->text.append(data, n);
    return n;
}

// The body of a download: its first bytes decide, by the final response's status, whether they
// continue the partial file (206), replace it (200) or are an error page to ignore.
struct file_sink {
    CURL* curl;
    fs::path path;
    uint64_t offset;       // bytes already in the partial
    std::FILE* file = nullptr;
    bool decided = false;
    long status = 0;
    std::string content_range;  // of the last response
    std::string failure;
};

extern "C" size_t on_header(char* data, size_t, size_t n, void* user) {
    auto* sink = static_cast<file_sink*>(user);
    std::string line(data, n);
    if (line.rfind("HTTP/", 0) == 0) sink->content_range.clear();  // a new response (after a redirect)
    constexpr std::string_view key = "content-range:";
    if (line.size() > key.size() && strncasecmp(line.c_str(), key.data(), key.size()) == 0)
        sink->content_range = line.substr(key.size());
    return n;
}

bool open_for(file_sink& sink) {
    sink.decided = true;
    curl_easy_getinfo(sink.curl, CURLINFO_RESPONSE_CODE, &sink.status);
    if (sink.status == 206) {
        // "bytes START-END/TOTAL": the server must continue where the partial stops.
        const auto bytes = sink.content_range.find("bytes ");
        const uint64_t start = bytes == std::string::npos ? 0 : std::strtoull(sink.content_range.c_str() + bytes + 6, nullptr, 10);
        if (bytes == std::string::npos || start != sink.offset) {
            sink.failure = "the server resumed at the wrong place (Content-Range:" + sink.content_range + ")";
            return false;
        }
        sink.file = std::fopen(sink.path.c_str(), "ab");
    } else if (sink.status == 200) {
        sink.offset = 0;
        sink.file = std::fopen(sink.path.c_str(), "wb");
    } else {
        return true;  // an error page: read and dropped
    }
    if (!sink.file) sink.failure = "cannot write " + sink.path.string() + ": " + std::strerror(errno);
    return sink.file != nullptr;
}

extern "C" size_t on_file_data(char* data, size_t, size_t n, void* user) {
    auto* sink = static_cast<file_sink*>(user);
    if (!sink->decided && !open_for(*sink)) return 0;
    if (!sink->file) return n;
    if (std::fwrite(data, 1, n, sink->file) != n) {
        sink->failure = "cannot write " + sink->path.string() + ": " + std::strerror(errno);
        return 0;
    }
    return n;
}

}  // namespace

http_settings http_settings_from_environment() {
    http_settings s;
    s.token = env("HF_TOKEN");
    s.ca_bundle = env("PLINTH_CA_BUNDLE");
    if (s.ca_bundle.empty()) s.ca_bundle = env("CURL_CA_BUNDLE");
    return s;
}

std::string http_get_text(const std::string& url, const http_settings& settings, std::size_t limit) {
    curl_handle h;
    progress_hook hook{&settings, {}};
    configure(h, url, settings, hook);
    text_sink sink{{}, limit, false};
    curl_easy_setopt(h.curl, CURLOPT_WRITEFUNCTION, on_text);
    curl_easy_setopt(h.curl, CURLOPT_WRITEDATA, &sink);
    spdlog::debug("GET {}", url);
    const CURLcode res = curl_easy_perform(h.curl);
    if (sink.too_long) throw std::runtime_error(url + " answered more than " + std::to_string(limit) + " bytes");
    const long status = finish(h, res, url, settings);
    if (status >= 400) throw http_error(status, status_message(status, url));
    return sink.text;
}

download_outcome download_into(const std::string& url, const fs::path& partial, const http_settings& settings,
                               const std::function<void(uint64_t)>& progress) {
    std::error_code ec;
    const uint64_t have = fs::is_regular_file(partial, ec) ? fs::file_size(partial, ec) : 0;
    curl_handle h;
    file_sink sink{h.curl, partial, have, nullptr, false, 0, {}, {}};
    progress_hook hook{&settings, [&](uint64_t now) {
                           if (progress && sink.file) progress(sink.offset + now);
                       }};
    configure(h, url, settings, hook);
    curl_easy_setopt(h.curl, CURLOPT_WRITEFUNCTION, on_file_data);
    curl_easy_setopt(h.curl, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(h.curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h.curl, CURLOPT_HEADERDATA, &sink);
    const std::string range = std::to_string(have) + "-";
    if (have > 0) curl_easy_setopt(h.curl, CURLOPT_RANGE, range.c_str());
    spdlog::debug("GET {} (from byte {})", url, have);
    const CURLcode res = curl_easy_perform(h.curl);
    const bool closed_ok = !sink.file || std::fclose(sink.file) == 0;
    if (!sink.failure.empty()) throw std::runtime_error("cannot download " + url + ": " + sink.failure);
    const long status = finish(h, res, url, settings);
    if (!closed_ok) throw std::runtime_error("cannot write " + partial.string() + ": " + std::strerror(errno));
    if (status == 416) return download_outcome::range_refused;
    if (status != 200 && status != 206) throw http_error(status, status_message(status, url));
    if (status == 200 && !sink.decided) {  // an empty file: no body to open it
        std::FILE* f = std::fopen(partial.c_str(), "wb");
        if (!f || std::fclose(f) != 0) throw std::runtime_error("cannot write " + partial.string());
    }
    if (progress) progress(fs::file_size(partial, ec));
    return status == 206 ? download_outcome::resumed : download_outcome::restarted;
}

}  // namespace plinth::store
