#pragma once
// Running a prompt and the decode loop on an engine: the one generation path every front end uses.
#include <plinth/engine.hpp>
#include <plinth/grammar.hpp>
#include <plinth/sampler.hpp>
#include <plinth/tokenizer.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

namespace plinth {

struct generation_request {
    std::vector<int32_t> prompt;   // already tokenized, BOS included if wanted
    uint32_t max_tokens = 128;     // stop after this many generated tokens
    sampling_settings sampling;
    // Start from the KV blocks an earlier request left for the same opening tokens (a chat's
    // earlier turns), computing only the rest of the prompt.
    bool reuse_prefix = false;
    // Keep generating past an end-of-generation token (benchmarks, tests); max_tokens still ends it.
    bool ignore_end = false;
    // Constrained sampling (docs/sampling.md): tokens that would leave the grammar are masked
    // before sampling, and generation ends once the grammar is complete and nothing can follow.
    std::shared_ptr<const grammar> constraint;
};

// What the engine measured for one request (milliseconds).
struct generation_timings {
    uint32_t prompt_tokens = 0;
    uint32_t cached_tokens = 0;  // of prompt_tokens, taken from the cache (reuse_prefix)
    uint32_t generated_tokens = 0;
    double prompt_ms = 0;       // the prefill forward pass(es)
    double first_token_ms = 0;  // from the start to the first generated token
    double generation_ms = 0;   // decode forward passes and sampling after the first token
    bool stopped_at_end = false;  // an end-of-generation token ended it
    double mask_ms = 0;           // of generation, the grammar's token masks (with a grammar)
    double index_ms = 0;          // building the vocabulary's trie, before the prompt (with a grammar)
};

// Called with each generated token and the logits it was chosen from; return false to stop.
using token_callback = std::function<bool(int32_t token, std::span<const float> logits)>;

// Throws plinth::error when prompt + max_tokens do not fit the engine's context.
generation_timings generate(engine& eng, const tokenizer& tok, const generation_request& request,
                            const token_callback& on_token);

}  // namespace plinth
