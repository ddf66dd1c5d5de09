#include "http_session.hpp"

#include "api_error.hpp"
#include "anthropic_job.hpp"
#include "endpoints.hpp"
#include "generation_job.hpp"
#include "request_fields.hpp"
#include "responses_job.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <nlohmann/json.hpp>

#include <spdlog/spdlog.h>

#include <array>
#include <deque>
#include <memory>
#include <numeric>
#include <optional>

namespace plinth::server {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr auto write_timeout = std::chrono::seconds(60);
constexpr size_t header_limit = 64 * 1024;

bool iequals_prefix(std::string_view text, std::string_view prefix) {
    if (text.size() < prefix.size()) return false;
    for (size_t i = 0; i < prefix.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
    return true;
}

// Compares without an early exit, so the time taken does not tell how much of a key matched.
bool same_key(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    unsigned diff = 0;
    for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(b[i]);
    return diff == 0;
}

// A handler's exception that is not an api_error: a bug, answered with a 500, never let out to the
// event loop (which would end the server).
api_error internal_error(const std::exception& e) { return api_error(500, std::string("internal error: ") + e.what(), {}, "server_error"); }

// The model a request names (empty: none, the server's first). The body is checked here as the
// jobs check it, so that a malformed request loads no model.
std::string requested_model(std::string_view body) {
    const auto j = request_object(body);
    const auto m = j.find("model");
    if (m == j.end() || m->is_null()) return {};
    if (!m->is_string()) throw api_error(400, "'model' must be a string", "model");
    return m->get<std::string>();
}

bool is_generation(std::string_view path) {
    return path == "/v1/completions" || path == "/v1/chat/completions" || path == "/v1/responses" || path == "/v1/messages";
}

void log_finished(const std::string& id, const completion_result& r) {
    const double decode = r.timings.total - r.timings.first_token;
    const double rate = r.completion_tokens > 1 && decode > 0 ? (r.completion_tokens - 1) / decode : 0.0;
    spdlog::info("{}: prompt {} tokens ({} cached), completion {} tokens, first token {:.3f} s, {:.1f} tokens/s, finish {}{}{}", id,
                 r.prompt_tokens, r.cached_tokens, r.completion_tokens, r.timings.first_token, rate,
                 finish_reason_name(r.reason), r.error.empty() ? "" : ": ", r.error);
}

class session : public std::enable_shared_from_this<session> {
public:
    session(tcp::socket socket, server_state& state) : stream_(std::move(socket)), state_(state) {}

    void start() { read_request(); }

private:
    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    server_state& state_;

    // The request being answered.
    unsigned version_ = 11;
    bool keep_alive_ = true;
    std::string origin_;
    // The model the request at hand uses: held until its answer is written.
    model_pool::lease lease_;
    // A generation in flight: its job, the scheduler's id, and `generation_` to tell its
    // callbacks from a finished request's.
    std::unique_ptr<api_job> job_;
    uint64_t request_ = 0;
    uint64_t generation_ = 0;
    bool gone_ = false;
    // Server-sent events: the header, then chunks queued while one is written.
    std::shared_ptr<http::response<http::empty_body>> sse_;
    std::shared_ptr<http::response_serializer<http::empty_body>> sse_writer_;
    std::deque<std::string> pending_;
    bool writing_ = false;
    bool stream_done_ = false;
    std::array<char, 65536> drain_{};

    // ---- reading ----

    void read_request() {
        parser_.emplace();
        parser_->body_limit(state_.settings.body_limit);
        parser_->header_limit(header_limit);
        stream_.expires_after(std::chrono::seconds(state_.settings.read_timeout));
        http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&session::on_read, shared_from_this()));
    }

    void on_read(beast::error_code ec, size_t) {
        if (ec == http::error::end_of_stream || ec == net::error::eof || ec == net::error::connection_reset) return close();
        // A request not received within read_timeout (a client trickling bytes, an idle
        // keep-alive connection): the stream has closed the socket already.
        if (ec == beast::error::timeout) return close();
        if (ec == http::error::body_limit)
            return send_error(api_error(413, "the request body is larger than the server's limit of " +
                                                 std::to_string(state_.settings.body_limit) + " bytes"), true);
        if (ec == http::error::header_limit) return send_error(api_error(431, "the request's headers are too large"), true);
        if (ec.category() == http::make_error_code(http::error::bad_version).category())
            return send_error(api_error(400, "malformed HTTP request: " + ec.message()), true);
        if (ec) return close();
        handle(parser_->release());
    }

    // ---- answering ----

    void handle(http::request<http::string_body> req) {
        version_ = req.version();
        keep_alive_ = req.keep_alive();
        origin_ = std::string(req[http::field::origin]);
        std::string_view target(req.target().data(), req.target().size());
        const std::string_view path = target.substr(0, target.find('?'));
        const std::string_view method(req.method_string().data(), req.method_string().size());
        try {
            if (req.method() == http::verb::options) return send_preflight();
            if (path.substr(0, 4) == "/v1/" && !state_.settings.api_key.empty()) {
                const std::string_view auth(req[http::field::authorization].data(), req[http::field::authorization].size());
                if (!iequals_prefix(auth, "bearer ") || !same_key(auth.substr(7), state_.settings.api_key))
                    throw api_error(401, "a valid API key is needed: send 'Authorization: Bearer KEY'", {}, "authentication_error");
            }
            if (req.method() == http::verb::post) {
                const std::string_view type(req[http::field::content_type].data(), req[http::field::content_type].size());
                if (!type.empty() && !iequals_prefix(type, "application/json"))
                    throw api_error(415, "the request body must be JSON (Content-Type: application/json)");
            }
            if (is_generation(path) || needs_model(path)) {
                if (req.method() != http::verb::post) throw api_error(405, "use POST for " + std::string(path));
                const std::string name = requested_model(req.body());
                // The model may have to load first: on the pool's thread, then back on this one.
                auto request = std::make_shared<http::request<http::string_body>>(std::move(req));
                state_.models.acquire(name, [self = shared_from_this(), request](model_pool::lease lease, std::optional<api_error> failed) {
                    net::post(self->stream_.get_executor(), [self, request, lease = std::move(lease), failed = std::move(failed)]() mutable {
                        self->with_model(*request, std::move(lease), std::move(failed));
                    });
                });
                return;
            }
            auto answer = answer_simple(state_, method, path, req.body());
            if (!answer) throw api_error(404, "no such endpoint: " + std::string(method) + " " + std::string(path), {}, "not_found_error");
            send(answer->status, answer->content_type, std::move(answer->body), false, nullptr, answer->headers);
        } catch (const api_error& e) {
            send_error(e, false);
        } catch (const std::exception& e) {
            send_error(internal_error(e), false);
        }
    }

    void with_model(const http::request<http::string_body>& req, model_pool::lease lease, std::optional<api_error> failed) {
        std::string_view target(req.target().data(), req.target().size());
        const std::string_view path = target.substr(0, target.find('?'));
        const std::string_view method(req.method_string().data(), req.method_string().size());
        try {
            if (failed) throw *failed;
            lease_ = std::move(lease);
            const api_context& api = lease_.model().api();
            if (needs_model(path)) {
                auto answer = answer_with_model(api, method, path, req.body());
                lease_ = {};
                return send(answer.status, answer.content_type, std::move(answer.body), false, nullptr, answer.headers);
            }
            const uint64_t serial = state_.next_serial++;
            if (path == "/v1/responses")  // OpenAI's Responses API
                return start_generation(std::make_unique<responses_job>(api, req.body(), serial));
            if (path == "/v1/messages")  // Anthropic's Messages API
                return start_generation(std::make_unique<anthropic_job>(api, req.body(), serial));
            const api_kind kind = path == "/v1/completions" ? api_kind::completion : api_kind::chat;
            return start_generation(std::make_unique<generation_job>(api, req.body(), kind, serial));
        } catch (const api_error& e) {
            lease_ = {};
            send_error(e, false);
        } catch (const std::exception& e) {
            lease_ = {};
            send_error(internal_error(e), false);
        }
    }

    void add_common_headers(http::fields& h) const {
        h.set(http::field::server, "plinth");
        if (origin_.empty()) return;
        for (const auto& allowed : state_.settings.cors_origins)
            if (allowed == "*" || allowed == origin_) {
                h.set(http::field::access_control_allow_origin, origin_);
                h.set(http::field::vary, "Origin");
                return;
            }
    }

    void send(int status, const std::string& content_type, std::string body, bool close_after = false,
              const char* retry_after = nullptr, const std::vector<std::pair<std::string, std::string>>& extra = {}) {
        auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(status), version_);
        add_common_headers(*res);
        res->set(http::field::content_type, content_type);
        for (const auto& [name, value] : extra) res->set(name, value);
        if (retry_after) res->set(http::field::retry_after, retry_after);
        res->body() = std::move(body);
        res->keep_alive(keep_alive_ && !close_after);
        res->prepare_payload();
        stream_.expires_after(write_timeout);
        http::async_write(stream_, *res, [self = shared_from_this(), res, close_after](beast::error_code ec, size_t) {
            if (ec) return self->close();
            if (close_after || !res->keep_alive()) return self->shutdown_and_drain();
            self->read_request();
        });
    }

    void send_error(const api_error& e, bool close_after) {
        send(e.status, "application/json", e.body(), close_after, e.status == 503 ? "1" : nullptr);
    }

    void send_preflight() {
        auto res = std::make_shared<http::response<http::empty_body>>(http::status::no_content, version_);
        add_common_headers(*res);
        res->set(http::field::access_control_allow_methods, "GET, POST, OPTIONS");
        res->set(http::field::access_control_allow_headers, "Authorization, Content-Type");
        res->set(http::field::access_control_max_age, "600");
        res->keep_alive(keep_alive_);
        http::async_write(stream_, *res, [self = shared_from_this(), res](beast::error_code ec, size_t) {
            if (ec) return self->close();
            if (!res->keep_alive()) return self->shutdown_and_drain();
            self->read_request();
        });
    }

    // ---- generation ----

    void start_generation(std::unique_ptr<api_job> job) {
        job_ = std::move(job);
        const uint64_t generation = ++generation_;
        gone_ = false;
        stream_done_ = false;
        auto self = shared_from_this();
        request_callbacks callbacks;
        // Called on the scheduler's thread: hand over to this connection's I/O thread.
        callbacks.on_token = [self, generation](const token_event& ev) {
            net::post(self->stream_.get_executor(), [self, generation, ev] { self->on_token(generation, ev); });
        };
        const std::string id = job_->id();
        metrics* stats = &lease_.stats();
        callbacks.on_done = [self, generation, id, stats](const completion_result& r) {
            stats->record(r);
            log_finished(id, r);
            net::post(self->stream_.get_executor(), [self, generation, r] { self->on_done(generation, r); });
        };
        const auto submitted = lease_.model().sched().submit(job_->make_request(), std::move(callbacks));
        if (submitted.refused != scheduler::refusal::none) {
            job_.reset();
            if (submitted.refused == scheduler::refusal::queue_full)
                throw api_error(503, "the server is busy: every slot and the wait queue are full; retry later", {}, "server_busy");
            throw api_error(400, "the prompt does not fit the context");
        }
        request_ = submitted.id;
        stream_.expires_never();
        watch_for_disconnect(generation);
        if (job_->streaming()) start_event_stream();
    }

    // A readable socket with nothing to read means the client closed its side: cancel.
    void watch_for_disconnect(uint64_t generation) {
        stream_.socket().async_wait(tcp::socket::wait_read, [self = shared_from_this(), generation](beast::error_code ec) {
            if (ec || generation != self->generation_ || !self->job_ || self->gone_) return;
            beast::error_code aec;
            if (self->stream_.socket().available(aec) == 0 || aec) self->client_gone("disconnected");
        });
    }

    void client_gone(const char* why) {
        if (gone_) return;
        gone_ = true;
        spdlog::info("{}: client {}; cancelling", job_ ? job_->id() : std::string("request"), why);
        lease_.model().sched().cancel(request_);
    }

    void start_event_stream() {
        sse_ = std::make_shared<http::response<http::empty_body>>(http::status::ok, version_);
        add_common_headers(*sse_);
        sse_->set(http::field::content_type, "text/event-stream");
        sse_->set(http::field::cache_control, "no-cache");
        sse_->keep_alive(keep_alive_);
        sse_->chunked(true);
        sse_writer_ = std::make_shared<http::response_serializer<http::empty_body>>(*sse_);
        writing_ = true;
        stream_.expires_after(write_timeout);
        http::async_write_header(stream_, *sse_writer_, [self = shared_from_this()](beast::error_code ec, size_t) {
            self->writing_ = false;
            if (ec) return self->client_gone("stopped reading");
            self->write_next();
        });
    }

    void queue_event(std::string text) {
        if (text.empty()) return;
        pending_.push_back(std::move(text));
        if (!writing_) write_next();
    }

    void write_next() {
        if (gone_) return;
        if (pending_.empty()) {
            if (stream_done_) end_event_stream();
            return;
        }
        writing_ = true;
        stream_.expires_after(write_timeout);
        net::async_write(stream_, http::make_chunk(net::buffer(pending_.front())), [self = shared_from_this()](beast::error_code ec, size_t) {
            self->writing_ = false;
            if (ec) {
                self->pending_.clear();
                if (self->job_) self->client_gone("stopped reading");
                return self->close();
            }
            self->pending_.pop_front();
            self->write_next();
        });
    }

    void end_event_stream() {
        writing_ = true;
        net::async_write(stream_, http::make_chunk_last(), [self = shared_from_this()](beast::error_code ec, size_t) {
            self->writing_ = false;
            self->sse_writer_.reset();
            self->sse_.reset();
            if (ec) return self->close();
            if (!self->keep_alive_) return self->shutdown_and_drain();
            self->read_request();
        });
    }

    void on_token(uint64_t generation, const token_event& ev) {
        if (generation != generation_ || !job_ || gone_) return;
        if (job_->streaming()) queue_event(job_->stream_token(ev));
        else job_->add(ev);
    }

    void on_done(uint64_t generation, const completion_result& r) {
        if (generation != generation_ || !job_) return;
        // The model stays leased until this answer is made (the job reads its tokenizer), no longer.
        const model_pool::lease held = std::move(lease_);
        lease_ = {};
        std::unique_ptr<api_job> job = std::move(job_);
        if (gone_) return close();
        std::optional<api_error> failed;
        if (r.reason == finish_reason::timeout)
            failed.emplace(504, "the request took longer than the server's request_timeout of " +
                                    std::to_string(state_.settings.request_timeout) + " s", std::string(), "timeout");
        else if (r.reason == finish_reason::error)
            failed.emplace(500, "generation failed: " + r.error, std::string(), "server_error");
        else if (r.reason == finish_reason::cancelled)
            failed.emplace(503, "the server is shutting down", std::string(), "server_error");
        if (job->streaming()) {
            // An error after the stream began: one error event, then the end of the stream.
            if (failed) queue_event(job->stream_error(*failed));
            else queue_event(job->stream_end(r));
            stream_done_ = true;
            if (!writing_) write_next();
            return;
        }
        if (failed) return send_error(*failed, false);
        send(200, "application/json", job->response_body(r));
    }

    // ---- closing ----

    void close() {
        beast::error_code ec;
        stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
        stream_.socket().close(ec);
    }

    // Closes our side, then reads what the client still sends (a body we refused) for a moment,
    // so that it sees our answer rather than a reset connection.
    void shutdown_and_drain() {
        beast::error_code ec;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
        stream_.expires_after(std::chrono::seconds(2));
        drain();
    }

    void drain() {
        stream_.async_read_some(net::buffer(drain_), [self = shared_from_this()](beast::error_code ec, size_t) {
            if (ec) return self->close();
            self->drain();
        });
    }
};

}  // namespace

void start_session(tcp::socket socket, server_state& state) { std::make_shared<session>(std::move(socket), state)->start(); }

}  // namespace plinth::server
