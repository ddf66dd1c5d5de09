#include <plinth/generate.hpp>

#include <plinth/error.hpp>

#include <chrono>

namespace plinth {
namespace {

double ms_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

generation_timings generate(engine& eng, const tokenizer& tok, const generation_request& request,
                            const token_callback& on_token) {
    if (request.prompt.empty()) throw error("the prompt is empty (no tokens)");
    const uint64_t needed = request.prompt.size() + request.max_tokens;
    if (request.prompt.size() > eng.context())
        throw error("the prompt has " + std::to_string(request.prompt.size()) + " tokens; the context holds " +
                    std::to_string(eng.context()));
    if (needed > eng.context())
        throw error("the prompt (" + std::to_string(request.prompt.size()) + " tokens) plus " +
                    std::to_string(request.max_tokens) + " new tokens do not fit the context of " +
                    std::to_string(eng.context()) + " (lower -n or raise the context)");

    sampler sample(request.sampling);
    for (int32_t t : request.prompt) sample.accept(t);

    generation_timings timings;
    std::unique_ptr<token_constraint> constraint;
    std::vector<float> masked;
    if (request.constraint) {
        const auto built = std::chrono::steady_clock::now();
        constraint = std::make_unique<token_constraint>(request.constraint, token_index::build(tok));
        timings.index_ms = ms_since(built);
    }
    timings.prompt_tokens = static_cast<uint32_t>(request.prompt.size());
    const int32_t seq = eng.add_sequence();
    struct sequence_guard {
        engine& e;
        int32_t s;
        ~sequence_guard() { e.remove_sequence(s); }
    } guard{eng, seq};

    const auto start = std::chrono::steady_clock::now();
    if (request.reuse_prefix) timings.cached_tokens = eng.attach_prefix(seq, request.prompt);
    std::vector<float> logits =
        eng.evaluate(seq, std::span<const int32_t>(request.prompt).subspan(timings.cached_tokens));
    timings.prompt_ms = ms_since(start);

    auto decode_start = start;
    for (uint32_t n = 0; n < request.max_tokens; ++n) {
        int32_t token;
        if (constraint) {
            // The mask goes before the sampler's stages, so the token drawn is always allowed.
            const auto masking = std::chrono::steady_clock::now();
            masked.assign(logits.begin(), logits.end());
            const size_t allowed = constraint->apply(masked);
            timings.mask_ms += ms_since(masking);
            if (allowed == 0) throw error("the grammar allows no token of this vocabulary here");
            token = sample.sample(masked);
            constraint->accept(token);
        } else {
            token = sample.sample(logits);
        }
        sample.accept(token);
        if (n == 0) {
            timings.first_token_ms = ms_since(start);
            decode_start = std::chrono::steady_clock::now();
        }
        ++timings.generated_tokens;
        if (!on_token(token, logits)) break;
        if (!request.ignore_end && tok.is_end_of_generation(token)) {
            timings.stopped_at_end = true;
            break;
        }
        if (constraint && constraint->finished()) {
            timings.stopped_at_end = true;
            break;
        }
        if (n + 1 == request.max_tokens) break;
        const int32_t next[] = {token};
        logits = eng.evaluate(seq, next);
    }
    if (timings.generated_tokens > 0) timings.generation_ms = ms_since(decode_start);
    return timings;
}

}  // namespace plinth
