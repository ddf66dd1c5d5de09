#pragma once
// Broken variants of a valid GGUF file, each broken in exactly one way, for the reader's tests, the
// plinth-make-malformed-gguf tool and the fuzzer's seed corpus.
#include <span>
#include <string>
#include <vector>

#include "gguf_image.hpp"

namespace plinth::gguf_test {

struct malformed_variant {
    std::string name;            // what is wrong, e.g. "huge_tensor_count"; usable as a file name
    std::string expected_error;  // a fragment the reader's error message must contain
    bytes data;
};

// At least 30 variants of `valid_gguf`, which must be a valid GGUF file with at least two tensors,
// a string value, an array of strings and a numeric array (stories260K.gguf qualifies).
// Throws std::invalid_argument when it does not.
std::vector<malformed_variant> make_malformed_corpus(std::span<const std::byte> valid_gguf);

}  // namespace plinth::gguf_test
