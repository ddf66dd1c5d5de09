#pragma once
// A small blocking HTTP/1.1 client for the server tests (Boost.Beast), and raw socket helpers
// for the abuse cases.
#include <utility>  // before Asio: Boost 1.74's Asio uses std::exchange without including it

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace plinth::test {

struct http_result {
    int status = 0;                          // 0: no answer (connection failed or closed)
    std::map<std::string, std::string> headers;  // lower-case names
    std::string body;
    double seconds = 0;                      // from sending to the whole answer

    std::string header(const std::string& lower_case_name) const {
        const auto it = headers.find(lower_case_name);
        return it == headers.end() ? std::string() : it->second;
    }
};

// One request on a new connection. `headers`: extra "Name: value" pairs.
http_result http_request(unsigned short port, const std::string& method, const std::string& target,
                         const std::string& body = {}, const std::vector<std::pair<std::string, std::string>>& headers = {},
                         double timeout_seconds = 60);
inline http_result post_json(unsigned short port, const std::string& target, const std::string& body,
                             double timeout_seconds = 60) {
    return http_request(port, "POST", target, body, {{"Content-Type", "application/json"}}, timeout_seconds);
}

// The `data:` payloads of a server-sent-event body, in order.
std::vector<std::string> sse_events(const std::string& body);

// A raw connection: write bytes, read what comes back, close at will.
class raw_connection {
public:
    explicit raw_connection(unsigned short port);
    ~raw_connection();
    raw_connection(const raw_connection&) = delete;
    raw_connection& operator=(const raw_connection&) = delete;
    bool send(const std::string& bytes);  // false when the server closed the connection
    // Reads until `until` appears, the connection ends, or the timeout passes.
    std::string receive(double timeout_seconds, const std::string& until = {});
    // True when the server closed the connection (checked for up to the timeout).
    bool at_end(double timeout_seconds);
    void close();

private:
    int fd_ = -1;
};

}  // namespace plinth::test
