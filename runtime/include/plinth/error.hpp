#pragma once
// The one exception type the runtime throws for failures a user can act on (bad file, missing
// plugin, missing device). Commands catch it, print what() and exit 1.
#include <stdexcept>
#include <string>

namespace plinth {

class error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace plinth
