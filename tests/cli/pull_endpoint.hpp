#pragma once
// A local Hugging Face-compatible endpoint for the pull tests: Debian's nginx, run as a child on
// 127.0.0.1 with a free port, HTTPS with a certificate made for the test, serving a folder laid out
// like the Hub (static JSON listings under api/models/, files under <repo>/resolve/main/).
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <sys/types.h>

namespace plinth::test {

struct repo_file {
    std::string path;              // in the repository
    std::filesystem::path source;  // its content
    std::string listed_sha256;     // what the listing claims; empty: the real checksum
};

class hub_endpoint {
public:
    static constexpr const char* nginx = "/usr/sbin/nginx";
    hub_endpoint();  // makes the folder and the certificate, starts nginx; throws when it cannot
    ~hub_endpoint();
    hub_endpoint(const hub_endpoint&) = delete;
    hub_endpoint& operator=(const hub_endpoint&) = delete;

    void add_repo(const std::string& repo, const std::vector<repo_file>& files);
    std::string url() const { return "https://127.0.0.1:" + std::to_string(port_); }
    const std::filesystem::path& dir() const { return dir_; }
    std::filesystem::path ca_bundle() const { return dir_ / "cert.pem"; }
    std::filesystem::path store() const { return dir_ / "store"; }
    // "PLINTH_STORE=... PLINTH_HF_ENDPOINT=... PLINTH_CA_BUNDLE=...": the environment of a pull.
    std::string environment() const;
    // The access log's lines: "URI STATUS BYTES_SENT RANGE" ("-" for no range).
    std::vector<std::string> access_log() const;

private:
    std::filesystem::path dir_;
    int port_ = 0;
    pid_t pid_ = -1;
};

// Runs argv with `env` added (NAME=VALUE entries) and PLINTH_PLUGIN_PATH removed, output to files.
struct child_process {
    pid_t pid = -1;
    std::filesystem::path out, err;
    child_process(const std::vector<std::string>& argv, const std::vector<std::string>& env, const std::filesystem::path& output_base);
    // The exit status (128 + signal when killed); SIGKILL after `limit`.
    int wait(std::chrono::seconds limit);
};

}  // namespace plinth::test
