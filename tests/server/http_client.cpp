#include "http_client.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <stdexcept>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace plinth::test {
namespace {

using clock_type = std::chrono::steady_clock;

int connect_to(unsigned short port) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

bool send_all(int fd, const std::string& bytes) {
    size_t sent = 0;
    while (sent < bytes.size()) {
        const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) return false;
        sent += static_cast<size_t>(n);
    }
    return true;
}

// Reads more into `buf`; false at the end of the connection or the deadline.
bool read_more(int fd, std::string& buf, clock_type::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now()).count();
    if (left <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left)) <= 0) return false;
    char tmp[65536];
    const ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
    if (n <= 0) return false;
    buf.append(tmp, static_cast<size_t>(n));
    return true;
}

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

}  // namespace

http_result http_request(unsigned short port, const std::string& method, const std::string& target, const std::string& body,
                         const std::vector<std::pair<std::string, std::string>>& headers, double timeout_seconds) {
    http_result r;
    const auto start = clock_type::now();
    const auto deadline = start + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(timeout_seconds));
    const int fd = connect_to(port);
    if (fd < 0) return r;
    std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
    for (const auto& [k, v] : headers) req += k + ": " + v + "\r\n";
    if (!body.empty() || method == "POST") req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    req += "\r\n" + body;
    if (!send_all(fd, req)) {
        ::close(fd);
        return r;
    }
    std::string buf;
    size_t header_end;
    while ((header_end = buf.find("\r\n\r\n")) == std::string::npos)
        if (!read_more(fd, buf, deadline)) {
            ::close(fd);
            return r;
        }
    const std::string head = buf.substr(0, header_end);
    std::string rest = buf.substr(header_end + 4);
    if (head.size() < 12) {
        ::close(fd);
        return r;
    }
    r.status = std::atoi(head.substr(9, 3).c_str());
    size_t pos = head.find("\r\n");
    while (pos != std::string::npos && pos + 2 < head.size()) {
        const size_t next = head.find("\r\n", pos + 2);
        const std::string line = head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
        const size_t colon = line.find(':');
        if (colon != std::string::npos) {
            std::string v = line.substr(colon + 1);
            v.erase(0, v.find_first_not_of(' '));
            r.headers[lower(line.substr(0, colon))] = v;
        }
        pos = next;
    }
    if (lower(r.headers["transfer-encoding"]) == "chunked") {
        // Chunks until the zero-length one.
        for (;;) {
            size_t line_end;
            while ((line_end = rest.find("\r\n")) == std::string::npos)
                if (!read_more(fd, rest, deadline)) goto done;
            const size_t size = std::stoul(rest.substr(0, line_end), nullptr, 16);
            while (rest.size() < line_end + 2 + size + 2)
                if (!read_more(fd, rest, deadline)) goto done;
            r.body += rest.substr(line_end + 2, size);
            rest.erase(0, line_end + 2 + size + 2);
            if (size == 0) break;
        }
    } else if (r.headers.count("content-length")) {
        const size_t length = std::stoul(r.headers["content-length"]);
        while (rest.size() < length)
            if (!read_more(fd, rest, deadline)) break;
        r.body = rest.substr(0, length);
    } else {
        while (read_more(fd, rest, deadline)) {
        }
        r.body = rest;
    }
done:
    ::close(fd);
    r.seconds = std::chrono::duration<double>(clock_type::now() - start).count();
    return r;
}

std::vector<std::string> sse_events(const std::string& body) {
    std::vector<std::string> out;
    size_t pos = 0;
    while ((pos = body.find("data: ", pos)) != std::string::npos) {
        const size_t end = body.find("\n\n", pos);
        out.push_back(body.substr(pos + 6, end == std::string::npos ? std::string::npos : end - pos - 6));
        if (end == std::string::npos) break;
        pos = end + 2;
    }
    return out;
}

raw_connection::raw_connection(unsigned short port) : fd_(connect_to(port)) {
    if (fd_ < 0) throw std::runtime_error("cannot connect to the server");
}

raw_connection::~raw_connection() { close(); }

bool raw_connection::send(const std::string& bytes) { return fd_ >= 0 && send_all(fd_, bytes); }

std::string raw_connection::receive(double timeout_seconds, const std::string& until) {
    std::string buf;
    const auto deadline = clock_type::now() + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(timeout_seconds));
    while ((until.empty() || buf.find(until) == std::string::npos) && read_more(fd_, buf, deadline)) {
    }
    return buf;
}

bool raw_connection::at_end(double timeout_seconds) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(timeout_seconds * 1000)) <= 0) return false;
    char c;
    return ::recv(fd_, &c, 1, MSG_PEEK) <= 0;
}

void raw_connection::close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

}  // namespace plinth::test
