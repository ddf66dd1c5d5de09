#pragma once
// A `plinth serve` started by a test: spawned with --port 0, its address read from the
// "listening on" line it prints, stopped (SIGTERM, then SIGKILL) when the object goes.
#include <string>
#include <vector>

namespace plinth::test {

class server_process {
public:
    // Throws std::runtime_error when the server does not come up within `startup_seconds`
    // (its stderr is in the message).
    explicit server_process(const std::vector<std::string>& args, double startup_seconds = 30);
    ~server_process();
    server_process(const server_process&) = delete;
    server_process& operator=(const server_process&) = delete;

    unsigned short port() const { return port_; }
    // Still running (not crashed, not exited)?
    bool alive();
    // Stops it and returns its stderr so far.
    std::string stop();
    // Sends SIGTERM and waits: the exit status (as waitpid gives it), or -1 when it had to be killed.
    int terminate();
    std::string log() const;

private:
    int pid_ = -1;
    unsigned short port_ = 0;
    std::string log_path_;
};

}  // namespace plinth::test
