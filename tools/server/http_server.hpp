#pragma once
// The network side of `plinth serve`: HTTP/1.1 with keep-alive on Boost.Beast, every connection
// served asynchronously by one I/O thread that never waits on compute (the scheduler's thread
// runs the engine), so /health and /metrics answer at once while every slot is busy.
#include "model_pool.hpp"

#include <plinth/config.hpp>

#include <cstdint>
#include <memory>
#include <string>

namespace plinth::server {

class http_server {
public:
    // Binds and listens (throws plinth::error when the address cannot be used).
    http_server(model_pool& models, const server_settings& settings);
    ~http_server();
    http_server(const http_server&) = delete;
    http_server& operator=(const http_server&) = delete;

    uint16_t port() const;
    // Serves until SIGINT or SIGTERM, or stop().
    void run();
    void stop();

    struct impl;

private:
    std::unique_ptr<impl> impl_;
};

}  // namespace plinth::server
