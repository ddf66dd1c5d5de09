#include "http_server.hpp"

#include "http_session.hpp"
#include "server_state.hpp"

#include <plinth/error.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <spdlog/spdlog.h>

namespace plinth::server {

namespace net = boost::asio;
using tcp = net::ip::tcp;

struct http_server::impl {
    net::io_context io{1};
    tcp::acceptor acceptor{io};
    net::signal_set signals{io, SIGINT, SIGTERM};
    server_state state;

    impl(model_pool& models, const server_settings& settings) : state{models, settings} {}

    void accept() {
        acceptor.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
            if (ec == net::error::operation_aborted) return;
            if (!ec) {
                boost::system::error_code nodelay;
                socket.set_option(tcp::no_delay(true), nodelay);  // events go out as they are made
                start_session(std::move(socket), state);
            } else {
                spdlog::warn("accepting a connection failed: {}", ec.message());
            }
            accept();
        });
    }
};

http_server::http_server(model_pool& models, const server_settings& settings)
    : impl_(std::make_unique<impl>(models, settings)) {
    boost::system::error_code ec;
    const auto address = net::ip::make_address(settings.host, ec);
    if (ec) throw error("server.host '" + settings.host + "' is not an IP address (e.g. 127.0.0.1, 0.0.0.0, ::1)");
    const tcp::endpoint endpoint(address, settings.port);
    auto& a = impl_->acceptor;
    a.open(endpoint.protocol(), ec);
    if (!ec) a.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) a.bind(endpoint, ec);
    if (!ec) a.listen(net::socket_base::max_listen_connections, ec);
    if (ec) throw error("cannot listen on " + settings.host + ":" + std::to_string(settings.port) + ": " + ec.message());
}

http_server::~http_server() = default;

uint16_t http_server::port() const { return impl_->acceptor.local_endpoint().port(); }

void http_server::run() {
    impl_->signals.async_wait([this](boost::system::error_code ec, int signal) {
        if (ec) return;
        spdlog::info("signal {}: stopping the server", signal);
        stop();
    });
    impl_->accept();
    impl_->io.run();
}

void http_server::stop() { impl_->io.stop(); }

}  // namespace plinth::server
