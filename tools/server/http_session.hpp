#pragma once
// One client connection: reads requests one after another (keep-alive), answers the simple
// endpoints at once, and hands generation requests to the scheduler, writing their answer whole
// or as server-sent events as tokens arrive. A client that goes away cancels its request.
#include "server_state.hpp"

#include <utility>  // before Asio: Boost 1.74's Asio uses std::exchange without including it

#include <boost/asio/ip/tcp.hpp>

namespace plinth::server {

void start_session(boost::asio::ip::tcp::socket socket, server_state& state);

}  // namespace plinth::server
