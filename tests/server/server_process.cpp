#include "server_process.hpp"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <chrono>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

namespace plinth::test {

server_process::server_process(const std::vector<std::string>& args, double startup_seconds) {
    char log_template[] = "/tmp/plinth-serve-test-XXXXXX";
    const int log_fd = mkstemp(log_template);
    if (log_fd < 0) throw std::runtime_error("cannot make a log file");
    log_path_ = log_template;
    int out[2];
    if (pipe(out) != 0) throw std::runtime_error("pipe failed");
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
        dup2(out[1], STDOUT_FILENO);
        dup2(log_fd, STDERR_FILENO);
        close(out[0]);
        close(out[1]);
        std::vector<char*> argv;
        argv.push_back(const_cast<char*>(PLINTH_CLI));
        argv.push_back(const_cast<char*>("serve"));
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(const_cast<char*>("--port"));
        argv.push_back(const_cast<char*>("0"));
        argv.push_back(nullptr);
        execv(PLINTH_CLI, argv.data());
        _exit(127);
    }
    close(out[1]);
    close(log_fd);
    // Read stdout until the "listening on" line.
    std::string text;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(startup_seconds);
    while (text.find('\n') == std::string::npos) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
        pollfd p{out[0], POLLIN, 0};
        if (left <= 0 || poll(&p, 1, static_cast<int>(left)) <= 0) break;
        char buf[256];
        const ssize_t n = read(out[0], buf, sizeof buf);
        if (n <= 0) break;
        text.append(buf, static_cast<size_t>(n));
    }
    close(out[0]);
    const auto colon = text.rfind(':');
    if (text.find("listening on http://") != 0 || colon == std::string::npos) {
        const std::string err = stop();
        throw std::runtime_error("plinth serve did not start; stdout: " + text + "; stderr: " + err);
    }
    port_ = static_cast<unsigned short>(std::stoi(text.substr(colon + 1)));
}

server_process::~server_process() {
    stop();
    if (!log_path_.empty()) std::remove(log_path_.c_str());
}

bool server_process::alive() {
    if (pid_ <= 0) return false;
    int status = 0;
    return waitpid(pid_, &status, WNOHANG) == 0;
}

std::string server_process::log() const {
    std::ifstream in(log_path_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

int server_process::terminate() {
    if (pid_ <= 0) return -1;
    kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 200; ++i) {
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            return status;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    stop();
    return -1;
}

std::string server_process::stop() {
    if (pid_ > 0) {
        kill(pid_, SIGTERM);
        int status = 0;
        for (int i = 0; i < 100; ++i) {
            if (waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        if (pid_ > 0) {
            kill(pid_, SIGKILL);
            waitpid(pid_, &status, 0);
            pid_ = -1;
        }
    }
    return log();
}

}  // namespace plinth::test
