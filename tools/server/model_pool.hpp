#pragma once
// The models a server answers with, by name. Each loads on its first request (on the pool's own
// thread, so the network side never waits), within a memory budget: when a model does not fit,
// the least recently used idle ones are unloaded first. An idle model is also unloaded after the
// keep-alive time. A request holds a lease on its model; a leased model is never unloaded.
#include "api_error.hpp"
#include "generation_job.hpp"
#include "metrics.hpp"

#include <plinth/chat_template.hpp>
#include <plinth/config.hpp>
#include <plinth/engine.hpp>
#include <plinth/scheduler.hpp>
#include <plinth/tokenizer.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace plinth::server {

// A loaded model with its own scheduler: what every request to it reads.
class served_model {
public:
    served_model(std::string name, std::unique_ptr<engine> eng, std::unique_ptr<tokenizer> tok, std::optional<chat_template> tmpl,
                 scheduler_options options, uint32_t request_timeout);
    ~served_model();
    const api_context& api() const { return api_; }
    engine& eng() const { return *eng_; }
    scheduler& sched() const { return *sched_; }
    bool stopped() const { return !sched_; }
    // Ends its requests (as cancelled) and its scheduler's thread; nothing may use it after.
    void stop();
    // Host and device memory it holds: its weights and its KV cache.
    uint64_t memory_bytes() const;

private:
    std::unique_ptr<engine> eng_;
    std::unique_ptr<tokenizer> tok_;
    std::optional<chat_template> tmpl_;
    std::unique_ptr<scheduler> sched_;  // after the engine: destroyed (and joined) before it
    api_context api_;
};

// Makes a served model from its settings (the front end knows the plugins, the config and the
// store). Throws on failure; the message is given to the client.
using model_loader = std::function<std::unique_ptr<served_model>(const served_model_settings&)>;

struct pool_options {
    uint64_t memory_budget = 0;              // 0: no limit
    std::chrono::seconds keep_alive{0};      // 0: idle models stay until the budget needs room
    std::chrono::seconds load_wait{600};     // how long a load may wait for busy models to finish
    bool any_name = false;                   // one model, answering whatever `model` a request names
};

class model_pool {
public:
    model_pool(std::vector<served_model_settings> models, model_loader loader, pool_options options);
    ~model_pool();  // unloads every model
    // Stops every loaded model's scheduler, ending its requests as cancelled: call while the
    // network side that receives their last callbacks still exists.
    void stop_all();
    model_pool(const model_pool&) = delete;
    model_pool& operator=(const model_pool&) = delete;

    // A model held for one request. While any lease on it lives, it stays loaded.
    class lease {
    public:
        lease() = default;
        const served_model& model() const { return *model_; }
        metrics& stats() const { return *stats_; }
        explicit operator bool() const { return model_ != nullptr; }

    private:
        friend class model_pool;
        std::shared_ptr<const served_model> model_;
        std::shared_ptr<void> hold_;  // its release tells the pool the model is idle again
        metrics* stats_ = nullptr;
    };

    // The model named `name` (empty: the first), loaded now when it is not yet. Calls `done` once,
    // with a lease or the error for the client (404 for an unknown name), on this thread when the
    // model is loaded already, else on the pool's loading thread.
    void acquire(std::string_view name, std::function<void(lease, std::optional<api_error>)> done);
    // The same, waiting (at startup, and for tests).
    lease acquire_now(std::string_view name);

    struct model_state {
        std::string name;
        std::string state;            // "unloaded", "loading", "loaded"
        uint64_t memory_bytes = 0;    // while loaded, else what it took at its last load (0: never loaded)
        uint32_t context = 0;         // while loaded
        uint32_t in_use = 0;          // leases held
        double idle_seconds = 0;      // since its last lease ended, while loaded and idle
        uint64_t loads = 0;
        std::optional<scheduler_stats> running;  // while loaded
        const metrics* stats = nullptr;
    };
    std::vector<model_state> states() const;
    uint64_t memory_budget() const { return options_.memory_budget; }

private:
    struct slot;
    struct pending {
        size_t index;
        std::function<void(lease, std::optional<api_error>)> done;
    };
    size_t find(std::string_view name) const;  // throws api_error 404
    lease make_lease(size_t index);            // with mutex_ held; the slot is loaded
    void release(size_t index);
    void loop();
    void load(std::unique_lock<std::mutex>& lock, pending p);
    // Unloads idle models, least recently used first, until `needed` more bytes fit; false when
    // busy ones are in the way.
    bool make_room(std::unique_lock<std::mutex>& lock, size_t for_index, uint64_t needed);
    void unload(std::unique_lock<std::mutex>& lock, size_t index, const char* why);
    uint64_t loaded_bytes() const;

    model_loader loader_;
    pool_options options_;
    std::vector<std::unique_ptr<slot>> slots_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;       // the loading thread: work, a release, or stop
    std::deque<pending> queue_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace plinth::server
