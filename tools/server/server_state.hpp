#pragma once
// What every connection of the server shares.
#include "model_pool.hpp"

#include <plinth/config.hpp>

#include <atomic>
#include <cstdint>

namespace plinth::server {

struct server_state {
    model_pool& models;
    const server_settings& settings;
    std::atomic<uint64_t> next_serial{1};  // request ids
};

}  // namespace plinth::server
