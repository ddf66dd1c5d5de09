#pragma once
// The chat page `plinth serve` answers GET / with (tools/server/web/chat.html, embedded at build
// time by embed_web_page.cmake).
#include <string_view>

namespace plinth::server {

std::string_view chat_page();

}  // namespace plinth::server
