#include "pull_endpoint.hpp"

#include "run_command.hpp"

#include <store/sha256.hpp>

#include <nlohmann/json.hpp>

#include <csignal>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace plinth::test {
namespace {

namespace fs = std::filesystem;

int free_port() {
    const int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
        ::close(s);
        throw std::runtime_error("no free port");
    }
    ::close(s);
    return ntohs(a.sin_port);
}

bool accepts(int port) {
    const int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(s);
    return ok;
}

std::string nginx_conf(const fs::path& dir, int port) {
    const std::string d = dir.string();
    std::ostringstream c;
    if (::geteuid() == 0) c << "user root root;\n";  // workers read the test's files as its owner
    c << "worker_processes 1;\n"
      << "error_log " << d << "/error.log;\n"
      << "events { worker_connections 64; }\n"
      << "http {\n"
      << "  log_format hub '$uri $status $bytes_sent $http_range';\n"
      << "  access_log " << d << "/access.log hub;\n";
    for (const char* t : {"client_body", "proxy", "fastcgi", "uwsgi", "scgi"}) c << "  " << t << "_temp_path " << d << "/tmp/" << t << ";\n";
    // A first request (no Range) for the slow repository trickles, so that a test can cut it;
    // the resumed request (with a Range) runs at full speed.
    c << "  map $http_range $hub_rate { \"\" 150k; default 0; }\n"
      << "  server {\n"
      << "    listen 127.0.0.1:" << port << " ssl;\n"
      << "    ssl_certificate " << d << "/cert.pem;\n"
      << "    ssl_certificate_key " << d << "/key.pem;\n"
      << "    root " << d << "/www;\n"
      << "    location /api/ { default_type application/json; }\n"
      << "    location /org/slow-GGUF/ { limit_rate $hub_rate; }\n"
      << "  }\n}\n";
    return c.str();
}

}  // namespace

child_process::child_process(const std::vector<std::string>& argv, const std::vector<std::string>& env, const fs::path& output_base)
    : out(output_base.string() + ".out"), err(output_base.string() + ".err") {
    pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        const int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644), e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        const int in = ::open("/dev/null", O_RDONLY);
        ::dup2(in, 0);
        ::dup2(o, 1);
        ::dup2(e, 2);
        ::unsetenv("PLINTH_PLUGIN_PATH");
        for (const auto& kv : env) ::putenv(const_cast<char*>(kv.c_str()));
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        ::execv(args[0], args.data());
        ::_exit(127);
    }
}

int child_process::wait(std::chrono::seconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    int status = 0;
    while (::waitpid(pid, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > deadline) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    pid = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

hub_endpoint::hub_endpoint() : dir_(fs::temp_directory_path() / ("plinth-hub-" + std::to_string(::getpid()))), port_(free_port()) {
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "www");
    fs::create_directories(dir_ / "tmp");
    const auto cert = run_command("timeout 60 openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=127.0.0.1"
                                  " -addext subjectAltName=IP:127.0.0.1 -keyout " + shell_quote((dir_ / "key.pem").string()) +
                                  " -out " + shell_quote((dir_ / "cert.pem").string()));
    if (cert.exit_code != 0) throw std::runtime_error("openssl req failed: " + cert.err);
    std::ofstream(dir_ / "nginx.conf") << nginx_conf(dir_, port_);
    child_process server({nginx, "-p", dir_.string(), "-c", (dir_ / "nginx.conf").string(), "-e", (dir_ / "error.log").string(), "-g",
                          "daemon off; pid " + (dir_ / "nginx.pid").string() + ";"},
                         {}, dir_ / "nginx");
    pid_ = server.pid;
    server.pid = -1;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!accepts(port_)) {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_ || std::chrono::steady_clock::now() > deadline) {
            pid_ = -1;
            throw std::runtime_error("nginx did not start: " + read_file(dir_ / "nginx.err") + read_file(dir_ / "error.log"));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

hub_endpoint::~hub_endpoint() {
    if (pid_ > 0) {
        ::kill(pid_, SIGTERM);  // the master stops its workers
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        int status = 0;
        while (::waitpid(pid_, &status, WNOHANG) == 0 && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        if (std::chrono::steady_clock::now() >= deadline) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, &status, 0);
        }
    }
    std::error_code ec;
    fs::remove_all(dir_, ec);
}

void hub_endpoint::add_repo(const std::string& repo, const std::vector<repo_file>& files) {
    nlohmann::json listing = nlohmann::json::array();
    listing.push_back({{"type", "file"}, {"oid", "0000"}, {"size", 9}, {"path", "README.md"}});
    fs::create_directories(dir_ / "www" / repo / "resolve/main");
    std::ofstream(dir_ / "www" / repo / "resolve/main/README.md") << "a model\n";
    for (const auto& f : files) {
        const fs::path target = dir_ / "www" / repo / "resolve/main" / f.path;
        fs::create_directories(target.parent_path());
        fs::copy_file(f.source, target, fs::copy_options::overwrite_existing);
        fs::permissions(target, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);
        const uint64_t size = fs::file_size(target);
        const std::string sha = f.listed_sha256.empty() ? store::sha256_hex_of_file(target) : f.listed_sha256;
        listing.push_back({{"type", "file"}, {"oid", "1111"}, {"size", 135}, {"path", f.path}, {"lfs", {{"oid", sha}, {"size", size}, {"pointerSize", 135}}}});
    }
    const fs::path tree = dir_ / "www/api/models" / repo / "tree/main";
    fs::create_directories(tree.parent_path());
    std::ofstream(tree) << listing.dump();
}

std::string hub_endpoint::environment() const {
    return "PLINTH_STORE=" + shell_quote(store().string()) + " PLINTH_HF_ENDPOINT=" + shell_quote(url()) +
           " PLINTH_CA_BUNDLE=" + shell_quote(ca_bundle().string());
}

std::vector<std::string> hub_endpoint::access_log() const {
    std::vector<std::string> lines;
    std::istringstream in(read_file(dir_ / "access.log"));
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

}  // namespace plinth::test
