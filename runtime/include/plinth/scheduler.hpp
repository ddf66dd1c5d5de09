#pragma once
// Serving many requests on one engine: iteration-level continuous batching. One thread drives the
// engine; every step gathers the next token of every running sequence and chunks of prompts still
// being read (under a per-step token budget) into ONE forward pass. Requests join and leave
// between steps. Prompts reuse cached KV blocks of earlier requests with the same prefix; when
// the KV cache runs out, the most recently admitted sequence is preempted (its KV freed) and
// later recomputed, so a stream never fails halfway for lack of KV.
//
// Submit, cancel and stats may be called from any thread. The callbacks run on the scheduler's
// thread: they must be quick and must not call back into the scheduler's submit.
#include <plinth/engine.hpp>
#include <plinth/grammar.hpp>
#include <plinth/sampler.hpp>
#include <plinth/tokenizer.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace plinth {

struct completion_request {
    std::vector<int32_t> prompt;     // tokenized, BOS included if wanted; not empty
    uint32_t max_tokens = 16;        // generated tokens at most (the context may end it sooner)
    sampling_settings sampling;
    std::vector<std::string> stop;   // stop strings: matched across tokens, never emitted
    bool ignore_eos = false;         // end-of-generation tokens do not end the request
    uint32_t top_logprobs = 0;       // alternatives reported per token (with logprobs)
    bool logprobs = false;           // report each token's log-probability
    // Constrained sampling: every token keeps the output on this grammar (tokens that would
    // leave it are masked before sampling); the request stops when the grammar is complete.
    std::shared_ptr<const grammar> constraint;
    std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
};

struct token_logprob {
    int32_t token = 0;
    float logprob = 0;
};

// One generated token.
struct token_event {
    int32_t token = 0;
    std::string text;                 // what this token releases (may be empty: held back)
    float logprob = 0;                // when logprobs were asked for
    std::vector<token_logprob> top;   // top_logprobs alternatives, most likely first
};

enum class finish_reason { stop, length, cancelled, timeout, error };
const char* finish_reason_name(finish_reason r);

// Seconds, measured by the scheduler.
struct request_timings {
    double queue = 0;          // submitted -> first admitted
    double prefill = 0;        // first admitted -> first token
    double first_token = 0;    // submitted -> first token
    double total = 0;          // submitted -> finished
    std::vector<double> inter_token;  // gaps between successive tokens
};

struct completion_result {
    finish_reason reason = finish_reason::stop;
    std::string error;             // with finish_reason::error
    std::string tail;              // text held back until the end (released now)
    uint32_t prompt_tokens = 0;
    uint32_t cached_tokens = 0;    // prompt tokens whose KV came from the prefix cache
    uint32_t completion_tokens = 0;
    request_timings timings;
};

struct request_callbacks {
    std::function<void(const token_event&)> on_token;
    std::function<void(const completion_result&)> on_done;  // exactly once per accepted request
};

struct scheduler_options {
    uint32_t max_running = 4;      // sequences decoded together (slots)
    uint32_t max_waiting = 64;     // requests queued beyond those; more are refused
    uint32_t step_tokens = 512;    // prompt tokens per forward pass at most (decoding tokens go first)
    double step_seconds = 0.15;    // ... and about this long at the measured prefill rate
};

// Counters for metrics; a snapshot, consistent enough for dashboards.
struct scheduler_stats {
    uint32_t running = 0;
    uint32_t waiting = 0;
    double kv_usage = 0;             // used KV blocks / all blocks, in [0, 1]
    uint64_t prompt_tokens = 0;      // prompt tokens of admitted requests
    uint64_t generation_tokens = 0;
    uint64_t prefix_queries = 0;     // prompt tokens looked up in the prefix cache
    uint64_t prefix_hits = 0;        // of those, found
    uint64_t preemptions = 0;
};

class scheduler {
public:
    scheduler(engine& eng, const tokenizer& tok, scheduler_options options);
    ~scheduler();  // finishes every request as cancelled and joins the thread
    scheduler(const scheduler&) = delete;
    scheduler& operator=(const scheduler&) = delete;

    enum class refusal { none, queue_full, too_long };
    struct submitted {
        uint64_t id = 0;
        refusal refused = refusal::none;
    };
    // Queues a request. Refused at once (no callback) when the wait queue is full or the prompt
    // does not fit the context.
    submitted submit(completion_request request, request_callbacks callbacks);
    // Ends a request within one step (on_done with finish_reason::cancelled); unknown ids are ignored.
    void cancel(uint64_t id);

    scheduler_stats stats() const;
    const scheduler_options& options() const { return options_; }
    uint32_t context() const { return eng_.context(); }

private:
    struct active;
    void loop();
    void step();
    void drop_finished();
    void admit();
    void preempt(active& a);
    void finish(active& a, finish_reason reason, std::string error = {});
    void on_logits(active& a, std::span<const float> logits);
    std::shared_ptr<const token_index> vocabulary_index();  // built on first use

    std::once_flag index_once_;
    std::shared_ptr<const token_index> index_;

    engine& eng_;
    const tokenizer& tok_;
    scheduler_options options_;

    mutable std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    uint64_t next_id_ = 1;
    std::deque<std::unique_ptr<active>> incoming_;   // submitted, not yet seen by the loop
    std::vector<uint64_t> cancels_;
    uint32_t waiting_count_ = 0;                     // incoming_ + waiting_ (for the queue limit)

    // Owned by the scheduler thread.
    std::deque<std::unique_ptr<active>> waiting_;
    std::vector<std::unique_ptr<active>> running_;
    double prefill_rate_ = 0;                        // tokens per second of prompt-reading steps

    std::atomic<uint32_t> stat_running_{0};
    std::atomic<double> stat_kv_usage_{0};
    std::atomic<uint64_t> stat_prompt_tokens_{0}, stat_generation_tokens_{0}, stat_prefix_queries_{0},
        stat_prefix_hits_{0}, stat_preemptions_{0};
    std::thread thread_;
};

}  // namespace plinth
