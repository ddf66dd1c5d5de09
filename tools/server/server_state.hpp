#pragma once
// What every connection of the server shares.
#include "generation_job.hpp"
#include "metrics.hpp"

#include <plinth/config.hpp>

#include <atomic>
#include <cstdint>

namespace plinth::server {

struct server_state {
    const api_context& api;
    metrics& stats;
    const server_settings& settings;
    std::atomic<uint64_t> next_serial{1};  // request ids
};

}  // namespace plinth::server
