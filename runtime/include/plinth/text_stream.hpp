#pragma once
// The text a client sees of generated tokens: whole UTF-8 characters (stream_decoder), and stop
// strings matched across token boundaries. Text that could be the start of a stop string is held
// back until the next tokens decide; a stop string and everything after it are never released.
#include <plinth/tokenizer.hpp>

#include <string>
#include <vector>

namespace plinth {

class text_stream {
public:
    text_stream(const tokenizer& tok, std::vector<std::string> stop);

    struct step {
        std::string text;      // released by this token (possibly empty)
        bool stopped = false;  // a stop string completed: `text` ends just before it
    };
    step push(int32_t token);
    // Everything still held back, once no more tokens come.
    std::string finish();

private:
    stream_decoder decoder_;
    std::vector<std::string> stop_;
    std::string held_;
};

}  // namespace plinth
