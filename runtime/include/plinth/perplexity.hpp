#pragma once
// Perplexity as the reference measures it: the text is cut into non-overlapping chunks of
// `context` tokens, each evaluated from a fresh sequence with its first token replaced by BOS; only
// the second half of each chunk's positions is scored; PPL = exp(mean negative log-likelihood).
#include <plinth/engine.hpp>

#include <cstdint>
#include <functional>
#include <vector>

namespace plinth {

struct perplexity_result {
    double perplexity = 0;
    uint32_t chunks = 0;
    uint64_t scored_tokens = 0;
};

// `tokens` is the whole text tokenized once, BOS first. Calls on_chunk(i, running_ppl) after each
// chunk. Throws plinth::error when the text is shorter than one chunk.
perplexity_result compute_perplexity(engine& eng, const std::vector<int32_t>& tokens, uint32_t context, int32_t bos,
                                     const std::function<void(uint32_t, double)>& on_chunk = {});

}  // namespace plinth
