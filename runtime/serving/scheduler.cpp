#include <plinth/scheduler.hpp>

#include <plinth/error.hpp>
#include <plinth/text_stream.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace plinth {
namespace {

using clock_type = std::chrono::steady_clock;

double seconds(clock_type::time_point from, clock_type::time_point to) {
    return std::chrono::duration<double>(to - from).count();
}

}  // namespace

const char* finish_reason_name(finish_reason r) {
    switch (r) {
        case finish_reason::stop: return "stop";
        case finish_reason::length: return "length";
        case finish_reason::cancelled: return "cancelled";
        case finish_reason::timeout: return "timeout";
        case finish_reason::error: return "error";
    }
    return "?";
}

// A request the scheduler holds: its tokens so far and where it stands.
struct scheduler::active {
    uint64_t id = 0;
    completion_request req;
    request_callbacks cb;
    std::unique_ptr<sampler> sample;
    std::unique_ptr<token_constraint> constraint;  // with a grammar
    std::vector<float> masked;                     // the logits with the mask applied (reused)
    std::unique_ptr<text_stream> text;
    std::vector<int32_t> tokens;   // prompt, then generated tokens
    int32_t seq = -1;              // the engine's sequence while it holds KV
    uint32_t computed = 0;         // leading tokens whose KV is in the cache
    uint32_t generated = 0;
    uint32_t cached = 0;           // prompt tokens found in the prefix cache at first admission
    bool admitted_once = false;
    bool running = false;          // counted in stat_running_
    bool stopped_by_text = false;
    bool done = false;
    clock_type::time_point submitted, admitted, last_token;
    request_timings timings;
};

scheduler::scheduler(engine& eng, const tokenizer& tok, scheduler_options options)
    : eng_(eng), tok_(tok), options_(options) {
    if (options_.max_running == 0) throw error("the scheduler needs at least one slot");
    if (options_.step_tokens == 0) throw error("the scheduler's step budget must be positive");
    thread_ = std::thread([this] { loop(); });
}

scheduler::~scheduler() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

scheduler::submitted scheduler::submit(completion_request request, request_callbacks callbacks) {
    if (request.prompt.empty() || request.prompt.size() >= eng_.context()) return {0, refusal::too_long};
    auto a = std::make_unique<active>();
    a->sample = std::make_unique<sampler>(request.sampling);
    if (request.constraint) a->constraint = std::make_unique<token_constraint>(request.constraint, vocabulary_index());
    for (int32_t t : request.prompt) a->sample->accept(t);
    a->text = std::make_unique<text_stream>(tok_, request.stop);
    a->tokens = request.prompt;
    a->req = std::move(request);
    a->cb = std::move(callbacks);
    a->submitted = clock_type::now();
    std::lock_guard lock(mutex_);
    // Requests wait beyond the free slots only up to the queue's length.
    const uint32_t free_slots = options_.max_running - std::min(options_.max_running, stat_running_.load());
    if (waiting_count_ >= options_.max_waiting + free_slots) return {0, refusal::queue_full};
    a->id = next_id_++;
    const uint64_t id = a->id;
    incoming_.push_back(std::move(a));
    ++waiting_count_;
    wake_.notify_one();
    return {id, refusal::none};
}

std::shared_ptr<const token_index> scheduler::vocabulary_index() {
    // The vocabulary's trie, for every constrained request: built once, by whichever thread
    // submits the first one.
    std::call_once(index_once_, [this] { index_ = token_index::build(tok_); });
    return index_;
}

void scheduler::cancel(uint64_t id) {
    {
        std::lock_guard lock(mutex_);
        cancels_.push_back(id);
    }
    wake_.notify_one();
}

scheduler_stats scheduler::stats() const {
    scheduler_stats s;
    {
        std::lock_guard lock(mutex_);
        s.waiting = waiting_count_;
    }
    s.running = stat_running_.load();
    s.kv_usage = stat_kv_usage_.load();
    s.prompt_tokens = stat_prompt_tokens_.load();
    s.generation_tokens = stat_generation_tokens_.load();
    s.prefix_queries = stat_prefix_queries_.load();
    s.prefix_hits = stat_prefix_hits_.load();
    s.preemptions = stat_preemptions_.load();
    return s;
}

void scheduler::loop() {
    for (;;) {
        std::vector<uint64_t> cancels;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [&] {
                return stopping_ || !incoming_.empty() || !cancels_.empty() || !running_.empty() || !waiting_.empty();
            });
            if (stopping_) break;
            while (!incoming_.empty()) {
                waiting_.push_back(std::move(incoming_.front()));
                incoming_.pop_front();
            }
            cancels.swap(cancels_);
        }
        const auto now = clock_type::now();
        const auto check = [&](active& a) {
            if (a.done) return;
            if (std::find(cancels.begin(), cancels.end(), a.id) != cancels.end()) finish(a, finish_reason::cancelled);
            else if (now >= a.req.deadline) finish(a, finish_reason::timeout);
        };
        for (auto& a : running_) check(*a);
        for (auto& a : waiting_) check(*a);
        drop_finished();
        admit();
        step();
        drop_finished();
    }
    // Shutting down: every request still held ends as cancelled.
    {
        std::lock_guard lock(mutex_);
        for (auto& a : incoming_) waiting_.push_back(std::move(a));
        incoming_.clear();
    }
    for (auto& a : running_) finish(*a, finish_reason::cancelled);
    for (auto& a : waiting_) finish(*a, finish_reason::cancelled);
}

void scheduler::drop_finished() {
    // The queue count covers requests never admitted.
    uint32_t left_queue = 0;
    for (auto& a : waiting_)
        if (a->done && !a->admitted_once) ++left_queue;
    std::erase_if(running_, [](const auto& a) { return a->done; });
    std::erase_if(waiting_, [](const auto& a) { return a->done; });
    stat_running_ = static_cast<uint32_t>(running_.size());
    stat_kv_usage_ = double(eng_.kv_cache().used_blocks()) / eng_.kv_cache().block_count();
    if (left_queue) {
        std::lock_guard lock(mutex_);
        waiting_count_ -= left_queue;
    }
}

void scheduler::admit() {
    const kv_block_table& kv = eng_.kv_cache();
    uint32_t admitted_new = 0;
    while (running_.size() < options_.max_running && !waiting_.empty()) {
        active& a = *waiting_.front();
        const int32_t seq = eng_.add_sequence();
        const uint32_t cached = eng_.attach_prefix(seq, a.tokens);
        // Room for the rest of the prompt and the first generated token, or it waits.
        if (kv.blocks_needed(seq, static_cast<uint32_t>(a.tokens.size()) - cached + 1) > kv.free_blocks()) {
            eng_.remove_sequence(seq);
            break;
        }
        a.seq = seq;
        a.computed = cached;
        const auto now = clock_type::now();
        a.admitted = now;
        if (!a.admitted_once) {
            a.admitted_once = true;
            a.cached = cached;
            a.timings.queue = seconds(a.submitted, now);
            stat_prompt_tokens_ += a.req.prompt.size();
            stat_prefix_queries_ += a.req.prompt.size();
            stat_prefix_hits_ += cached;
            ++admitted_new;
        }
        a.running = true;
        running_.push_back(std::move(waiting_.front()));
        waiting_.pop_front();
    }
    stat_running_ = static_cast<uint32_t>(running_.size());
    if (admitted_new) {
        std::lock_guard lock(mutex_);
        waiting_count_ -= admitted_new;
    }
}

void scheduler::preempt(active& a) {
    // Recompute later: the tokens stay, the KV goes (the prefix cache may keep some of it).
    eng_.remove_sequence(a.seq);
    a.seq = -1;
    a.computed = 0;
    a.running = false;
    --stat_running_;
    ++stat_preemptions_;
    spdlog::debug("request {}: preempted for lack of KV cache ({} tokens to recompute)", a.id, a.tokens.size());
}

void scheduler::step() {
    const kv_block_table& kv = eng_.kv_cache();
    struct part {
        active* a;
        uint32_t n;
    };
    std::vector<part> parts;
    // Prompt tokens per step: as many as take about step_seconds at the measured prefill rate
    // (at least 16, at most step_tokens), so that a cancel, a new arrival or the next token of
    // every decoding sequence waits at most about that long. Decoding tokens always go in.
    // Until a step has been measured, a modest 64.
    uint32_t prompt_budget = std::min<uint32_t>(64, options_.step_tokens);
    if (prefill_rate_ > 0)
        prompt_budget = static_cast<uint32_t>(std::clamp(prefill_rate_ * options_.step_seconds, 16.0, double(options_.step_tokens)));
    uint32_t budget = std::numeric_limits<uint32_t>::max();
    uint32_t reserved = 0;  // blocks the parts will allocate
    const auto in_parts = [&](const active* a) {
        return std::any_of(parts.begin(), parts.end(), [&](const part& p) { return p.a == a; });
    };
    // Decoding sequences first (one token each), then prompt chunks, in admission order.
    for (int pass = 0; pass < 2 && budget > 0; ++pass) {
        if (pass == 1) budget = prompt_budget;
        for (size_t i = 0; i < running_.size() && budget > 0; ++i) {
            active& a = *running_[i];
            if (a.done || a.seq < 0) continue;
            const uint32_t pending = static_cast<uint32_t>(a.tokens.size()) - a.computed;
            if (pending == 0 || (pass == 0) != (pending == 1)) continue;
            uint32_t n = std::min(pending, budget);
            // Not enough KV: preempt the most recently admitted sequence not in this batch.
            while (kv.blocks_needed(a.seq, n) + reserved > kv.free_blocks()) {
                active* victim = nullptr;
                for (size_t j = running_.size(); j-- > 0;) {
                    active* v = running_[j].get();
                    if (v != &a && !v->done && v->seq >= 0 && !in_parts(v)) {
                        victim = v;
                        break;
                    }
                }
                if (!victim) break;
                preempt(*victim);
            }
            while (n > 0 && kv.blocks_needed(a.seq, n) + reserved > kv.free_blocks()) n = n > 16 ? n / 2 : n - 1;
            if (n == 0) continue;
            reserved += kv.blocks_needed(a.seq, n);
            parts.push_back({&a, n});
            budget -= n;
        }
    }
    // Preempted sequences wait again at the front of the queue, oldest first.
    for (size_t j = running_.size(); j-- > 0;)
        if (!running_[j]->done && running_[j]->seq < 0) {
            waiting_.push_front(std::move(running_[j]));
            running_.erase(running_.begin() + static_cast<std::ptrdiff_t>(j));
        }
    if (parts.empty()) return;

    std::vector<batch_item> items;
    for (const part& p : parts) {
        const uint32_t end = p.a->computed + p.n;
        for (uint32_t t = p.a->computed; t < end; ++t)
            items.push_back({p.a->seq, p.a->tokens[t], t + 1 == p.a->tokens.size()});
    }
    std::vector<float> logits;
    const auto started = clock_type::now();
    try {
        logits = eng_.forward(items);
    } catch (const std::exception& e) {
        spdlog::error("forward pass failed: {}", e.what());
        for (const part& p : parts) finish(*p.a, finish_reason::error, e.what());
        return;
    }
    // A step that read a prompt chunk measures the prefill rate (tokens per second, smoothed).
    if (items.size() >= 16) {
        const double rate = items.size() / std::max(1e-6, seconds(started, clock_type::now()));
        prefill_rate_ = prefill_rate_ > 0 ? 0.7 * prefill_rate_ + 0.3 * rate : rate;
    }
    const size_t n_vocab = eng_.hparams().n_vocab;
    size_t row = 0;
    for (const part& p : parts) {
        p.a->computed += p.n;
        if (p.a->computed == p.a->tokens.size()) {
            on_logits(*p.a, std::span<const float>(logits).subspan(row * n_vocab, n_vocab));
            ++row;
        }
    }
}

void scheduler::on_logits(active& a, std::span<const float> logits) {
    token_event ev;
    bool grammar_done = false;  // complete, and nothing may follow
    try {
        if (a.constraint) {
            // The mask goes before the sampler's stages, so whatever they keep is allowed.
            a.masked.assign(logits.begin(), logits.end());
            if (a.constraint->apply(a.masked) == 0) {
                finish(a, finish_reason::error, "the grammar allows no token of this vocabulary here");
                return;
            }
            ev.token = a.sample->sample(a.masked);
            a.constraint->accept(ev.token);
            grammar_done = a.constraint->finished();
        } else {
            ev.token = a.sample->sample(logits);
        }
    } catch (const std::exception& e) {
        finish(a, finish_reason::error, std::string("sampling failed: ") + e.what());
        return;
    }
    a.sample->accept(ev.token);
    const auto now = clock_type::now();
    if (a.generated == 0) {
        a.timings.first_token = seconds(a.submitted, now);
        a.timings.prefill = seconds(a.admitted, now);
    } else {
        a.timings.inter_token.push_back(seconds(a.last_token, now));
    }
    a.last_token = now;
    ++a.generated;
    ++stat_generation_tokens_;
    a.tokens.push_back(ev.token);

    if (a.req.logprobs) {
        // log softmax in double, the max subtracted first.
        float max = -INFINITY;
        for (float l : logits) max = std::max(max, std::isnan(l) ? -INFINITY : l);
        double sum = 0;
        for (float l : logits) sum += std::isnan(l) ? 0.0 : std::exp(double(l) - max);
        const double log_sum = std::log(sum) + max;
        const auto lp = [&](int32_t t) { return static_cast<float>(double(logits[t]) - log_sum); };
        ev.logprob = lp(ev.token);
        const uint32_t k = std::min<uint32_t>(a.req.top_logprobs, static_cast<uint32_t>(logits.size()));
        if (k > 0) {
            std::vector<int32_t> ids(logits.size());
            std::iota(ids.begin(), ids.end(), 0);
            std::partial_sort(ids.begin(), ids.begin() + k, ids.end(), [&](int32_t x, int32_t y) {
                return logits[x] > logits[y] || (logits[x] == logits[y] && x < y);
            });
            for (uint32_t i = 0; i < k; ++i) ev.top.push_back({ids[i], lp(ids[i])});
        }
    }

    const bool end_token = !a.req.ignore_eos && tok_.is_end_of_generation(ev.token);
    bool stopped = false;
    if (!end_token) {
        auto s = a.text->push(ev.token);
        ev.text = std::move(s.text);
        stopped = s.stopped;
    }
    if (a.cb.on_token) a.cb.on_token(ev);
    if (stopped) {
        a.stopped_by_text = true;
        finish(a, finish_reason::stop);
    } else if (end_token || grammar_done) {
        // A complete grammar that nothing can follow ends the request as an EOS would.
        finish(a, finish_reason::stop);
    } else if (a.generated >= a.req.max_tokens || a.tokens.size() >= eng_.context()) {
        finish(a, finish_reason::length);
    }
}

void scheduler::finish(active& a, finish_reason reason, std::string error) {
    if (a.done) return;
    a.done = true;
    if (a.seq >= 0) eng_.remove_sequence(a.seq);
    a.seq = -1;
    // Counted out before the client hears of it, so the metrics it reads next agree.
    if (a.running) {
        a.running = false;
        --stat_running_;
    }
    completion_result r;
    r.reason = reason;
    r.error = std::move(error);
    if (!a.stopped_by_text && (reason == finish_reason::stop || reason == finish_reason::length)) r.tail = a.text->finish();
    r.prompt_tokens = static_cast<uint32_t>(a.req.prompt.size());
    r.cached_tokens = a.cached;
    r.completion_tokens = a.generated;
    a.timings.total = seconds(a.submitted, clock_type::now());
    r.timings = a.timings;
    if (a.cb.on_done) a.cb.on_done(r);
}

}  // namespace plinth
