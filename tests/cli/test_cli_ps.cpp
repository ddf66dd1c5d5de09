// `plinth ps` against answers that are not plinth's: another server on the port may list its models
// with other fields, or the same fields typed otherwise. The table shows what it can, and a
// non-list is a clear error; never an exception of the JSON library.
#include <catch2/catch.hpp>

#include "cli.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

using namespace plinth::test;

namespace {

// Answers one HTTP request on 127.0.0.1 with `body` as JSON, then closes.
class canned_server {
public:
    explicit canned_server(std::string body) : body_(std::move(body)) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in at{};
        at.sin_family = AF_INET;
        at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t size = sizeof at;
        REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&at), sizeof at) == 0);
        REQUIRE(::listen(fd_, 1) == 0);
        REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&at), &size) == 0);
        port_ = ntohs(at.sin_port);
        thread_ = std::thread([this] { answer(); });
    }
    ~canned_server() {
        ::shutdown(fd_, SHUT_RDWR);  // an accept still waiting returns
        thread_.join();
        ::close(fd_);
    }
    unsigned port() const { return port_; }

private:
    void answer() {
        const int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        std::string request;
        char buf[4096];
        while (request.find("\r\n\r\n") == std::string::npos) {
            const ssize_t n = ::recv(c, buf, sizeof buf, 0);
            if (n <= 0) break;
            request.append(buf, size_t(n));
        }
        const std::string reply = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body_.size()) +
                                  "\r\nConnection: close\r\n\r\n" + body_;
        for (size_t sent = 0; sent < reply.size();) {
            const ssize_t n = ::send(c, reply.data() + sent, reply.size() - sent, MSG_NOSIGNAL);
            if (n <= 0) break;
            sent += size_t(n);
        }
        ::close(c);
    }

    std::string body_;
    int fd_ = -1;
    unsigned port_ = 0;
    std::thread thread_;
};

}  // namespace

TEST_CASE("plinth ps shows another server's model list, whatever its entries hold", "[cli][ps]") {
    canned_server server(R"({"object": "list", "data": [)"
                         R"({"id": "llama", "object": "model", "owned_by": "llamacpp", "meta": {"n_ctx_train": 2048}},)"
                         R"({"id": 5, "state": null, "max_model_len": "long", "memory_bytes": -3, "in_use": "x", "idle_seconds": true},)"
                         R"(7, "text", null],)"
                         R"( "memory_budget_bytes": "lots"})");
    const auto r = run_plinth("ps --port " + std::to_string(server.port()));
    INFO(r.out << r.err);
    REQUIRE_FALSE(r.signaled);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("\nllama ") != std::string::npos);  // the entry it can read, with dashes for the rest
    CHECK(r.out.find("\n? ") != std::string::npos);      // an id that is no string
    CHECK(r.out.find("json.exception") == std::string::npos);
    CHECK(r.out.find("memory budget") == std::string::npos);
}

TEST_CASE("plinth ps refuses an answer that is no model list, in words", "[cli][ps]") {
    canned_server server(R"({"data": 5})");
    const auto r = run_plinth("ps --port " + std::to_string(server.port()));
    REQUIRE_FALSE(r.signaled);
    CHECK(r.exit_code != 0);
    CHECK(r.err.find("not a model list") != std::string::npos);
}
