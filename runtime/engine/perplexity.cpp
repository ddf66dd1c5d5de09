#include <plinth/perplexity.hpp>

#include <plinth/error.hpp>
#include <plinth/sampler.hpp>

#include <cmath>
#include <span>

namespace plinth {

perplexity_result compute_perplexity(engine& eng, const std::vector<int32_t>& tokens, uint32_t context, int32_t bos,
                                     const std::function<void(uint32_t, double)>& on_chunk) {
    if (context < 4) throw error("the perplexity context must be at least 4 tokens");
    if (context > eng.context())
        throw error("the perplexity context " + std::to_string(context) + " exceeds the engine's " +
                    std::to_string(eng.context()));
    const uint32_t chunks = static_cast<uint32_t>(tokens.size() / context);
    if (chunks == 0)
        throw error("the text has " + std::to_string(tokens.size()) + " tokens, fewer than one chunk of " +
                    std::to_string(context));

    const uint32_t n_vocab = eng.hparams().n_vocab;
    const uint32_t first_scored = context / 2;
    double nll = 0;
    uint64_t count = 0;
    for (uint32_t c = 0; c < chunks; ++c) {
        std::vector<int32_t> chunk(tokens.begin() + uint64_t(c) * context, tokens.begin() + uint64_t(c + 1) * context);
        if (bos >= 0) chunk[0] = bos;
        const int32_t seq = eng.add_sequence();
        std::vector<float> logits;
        try {
            logits = eng.evaluate(seq, chunk, /*all_logits=*/true);
        } catch (...) {
            eng.remove_sequence(seq);
            throw;
        }
        eng.remove_sequence(seq);
        // The logits at position j predict the token at j + 1.
        for (uint32_t j = first_scored; j + 1 < context; ++j) {
            const std::span<const float> row(logits.data() + uint64_t(j) * n_vocab, n_vocab);
            nll -= log_softmax_at(row, chunk[j + 1]);
            ++count;
        }
        if (on_chunk) on_chunk(c, std::exp(nll / static_cast<double>(count)));
    }
    return {std::exp(nll / static_cast<double>(count)), chunks, count};
}

}  // namespace plinth
