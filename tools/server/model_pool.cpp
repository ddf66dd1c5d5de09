#include "model_pool.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <future>
#include <numeric>

namespace plinth::server {

using clock = std::chrono::steady_clock;

served_model::served_model(std::string name, std::unique_ptr<engine> eng, std::unique_ptr<tokenizer> tok,
                           std::optional<chat_template> tmpl, scheduler_options options, uint32_t request_timeout)
    : eng_(std::move(eng)),
      tok_(std::move(tok)),
      tmpl_(std::move(tmpl)),
      sched_(std::make_unique<scheduler>(*eng_, *tok_, options)),
      api_{*tok_, *sched_, std::move(name), request_timeout, tmpl_ ? &*tmpl_ : nullptr} {}

served_model::~served_model() = default;

void served_model::stop() { sched_.reset(); }

uint64_t served_model::memory_bytes() const {
    const auto& plan = eng_->placement();
    return std::accumulate(plan.weight_bytes.begin(), plan.weight_bytes.end(), uint64_t{0}) +
           std::accumulate(plan.kv_bytes.begin(), plan.kv_bytes.end(), uint64_t{0});
}

struct model_pool::slot {
    served_model_settings settings;
    std::shared_ptr<served_model> model;  // loaded
    bool loading = false;
    uint32_t in_use = 0;
    clock::time_point last_used = clock::now();
    uint64_t memory = 0;  // at the last load: the estimate for the next one
    uint64_t loads = 0;
    metrics stats;

    explicit slot(served_model_settings s) : settings(std::move(s)), stats(settings.name) {}
};

model_pool::model_pool(std::vector<served_model_settings> models, model_loader loader, pool_options options)
    : loader_(std::move(loader)), options_(options) {
    for (auto& m : models) slots_.push_back(std::make_unique<slot>(std::move(m)));
    thread_ = std::thread([this] { loop(); });
}

model_pool::~model_pool() {
    std::unique_lock lock(mutex_);
    stopping_ = true;
    lock.unlock();
    wake_.notify_all();
    thread_.join();
    lock.lock();
    for (auto& p : queue_) p.done({}, api_error(503, "the server is shutting down", {}, "server_error"));
    queue_.clear();
    for (size_t i = 0; i < slots_.size(); ++i)
        if (slots_[i]->model) unload(lock, i, "the server stops");
}

void model_pool::stop_all() {
    std::lock_guard lock(mutex_);
    for (auto& s : slots_)
        if (s->model) s->model->stop();
}

size_t model_pool::find(std::string_view name) const {
    if (name.empty() || (options_.any_name && slots_.size() == 1)) return 0;
    for (size_t i = 0; i < slots_.size(); ++i)
        if (slots_[i]->settings.name == name) return i;
    std::string known;
    for (const auto& s : slots_) known += (known.empty() ? "" : ", ") + s->settings.name;
    throw api_error(404, "no model named '" + std::string(name) + "' on this server; it has: " + known, "model", "model_not_found");
}

model_pool::lease model_pool::make_lease(size_t index) {
    slot& s = *slots_[index];
    ++s.in_use;
    s.last_used = clock::now();
    lease l;
    l.model_ = s.model;
    l.stats_ = &s.stats;
    l.hold_ = std::shared_ptr<void>(nullptr, [this, index](void*) { release(index); });
    return l;
}

void model_pool::release(size_t index) {
    {
        std::lock_guard lock(mutex_);
        slot& s = *slots_[index];
        if (s.in_use > 0) --s.in_use;
        s.last_used = clock::now();
    }
    wake_.notify_all();
}

void model_pool::acquire(std::string_view name, std::function<void(lease, std::optional<api_error>)> done) {
    size_t index = 0;
    try {
        index = find(name);
    } catch (const api_error& e) {
        return done({}, e);
    }
    std::unique_lock lock(mutex_);
    if (slots_[index]->model) {
        lease l = make_lease(index);
        lock.unlock();
        return done(std::move(l), std::nullopt);
    }
    queue_.push_back(pending{index, std::move(done)});
    lock.unlock();
    wake_.notify_all();
}

model_pool::lease model_pool::acquire_now(std::string_view name) {
    std::promise<std::pair<lease, std::optional<api_error>>> promise;
    auto result = promise.get_future();
    acquire(name, [&promise](lease l, std::optional<api_error> e) { promise.set_value({std::move(l), std::move(e)}); });
    auto [l, failed] = result.get();
    if (failed) throw *failed;
    return l;
}

uint64_t model_pool::loaded_bytes() const {
    uint64_t total = 0;
    for (const auto& s : slots_)
        if (s->model) total += s->memory;
    return total;
}

void model_pool::unload(std::unique_lock<std::mutex>& lock, size_t index, const char* why) {
    std::shared_ptr<served_model> model = std::move(slots_[index]->model);
    spdlog::info("unloading model {} ({})", slots_[index]->settings.name, why);
    // Its scheduler joins its thread: not under the lock, which its callbacks' releases take.
    lock.unlock();
    model->stop();
    model.reset();
    lock.lock();
}

bool model_pool::make_room(std::unique_lock<std::mutex>& lock, size_t for_index, uint64_t needed) {
    if (options_.memory_budget == 0) return true;
    while (loaded_bytes() + needed > options_.memory_budget) {
        // The least recently used idle model other than the one being loaded.
        std::optional<size_t> victim;
        for (size_t i = 0; i < slots_.size(); ++i) {
            const slot& s = *slots_[i];
            if (i == for_index || !s.model || s.in_use > 0) continue;
            if (!victim || s.last_used < slots_[*victim]->last_used) victim = i;
        }
        if (!victim) return false;
        unload(lock, *victim, "its memory is needed for another model");
    }
    return true;
}

void model_pool::load(std::unique_lock<std::mutex>& lock, pending p) {
    slot& s = *slots_[p.index];
    if (s.model) {  // loaded for an earlier request in the queue
        lease l = make_lease(p.index);
        lock.unlock();
        p.done(std::move(l), std::nullopt);
        lock.lock();
        return;
    }
    const std::string& name = s.settings.name;
    const auto fail = [&](api_error e) {
        lock.unlock();
        p.done({}, std::move(e));
        lock.lock();
    };
    if (options_.memory_budget && s.memory > options_.memory_budget)
        return fail(api_error(503, "model '" + name + "' needs " + std::to_string(s.memory) + " bytes, more than the server's memory budget of " +
                                       std::to_string(options_.memory_budget) + " bytes (server.memory_budget)", "model", "server_error"));
    // Room for what it took last time (the first time the estimate is 0: the check after loading
    // makes room then); busy models are waited for, up to load_wait.
    const auto give_up = clock::now() + options_.load_wait;
    while (!make_room(lock, p.index, s.memory)) {
        if (stopping_ || wake_.wait_until(lock, give_up) == std::cv_status::timeout)
            return fail(api_error(503, "model '" + name + "' does not fit the memory budget beside the models busy with other requests; retry later",
                                  "model", "server_busy"));
    }
    s.loading = true;
    const served_model_settings settings = s.settings;
    lock.unlock();
    spdlog::info("loading model {} from {}", name, settings.path);
    std::shared_ptr<served_model> model;
    std::optional<api_error> failed;
    const auto start = clock::now();
    try {
        model = loader_(settings);
    } catch (const std::exception& e) {
        failed.emplace(500, "model '" + name + "' could not be loaded: " + e.what(), "model", "server_error");
    }
    lock.lock();
    s.loading = false;
    if (failed) return fail(*failed);
    s.memory = model->memory_bytes();
    ++s.loads;
    spdlog::info("model {} loaded in {:.2f} s, {} bytes", name, std::chrono::duration<double>(clock::now() - start).count(), s.memory);
    if (options_.memory_budget && s.memory > options_.memory_budget) {
        lock.unlock();
        model->stop();
        model.reset();
        lock.lock();
        return fail(api_error(503, "model '" + name + "' needs " + std::to_string(s.memory) + " bytes, more than the server's memory budget of " +
                                       std::to_string(options_.memory_budget) + " bytes (server.memory_budget)", "model", "server_error"));
    }
    s.model = std::move(model);
    // Now that its real size is known, others may have to go (idle ones only: busy ones finish
    // with the budget briefly exceeded).
    if (!make_room(lock, p.index, 0)) spdlog::warn("the loaded models exceed the memory budget until busy ones finish");
    lease l = make_lease(p.index);
    lock.unlock();
    p.done(std::move(l), std::nullopt);
    lock.lock();
}

void model_pool::loop() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        if (!queue_.empty()) {
            pending p = std::move(queue_.front());
            queue_.pop_front();
            load(lock, std::move(p));
            continue;
        }
        // Idle models past their keep-alive go; then sleep until the next one would.
        auto next = clock::time_point::max();
        if (options_.keep_alive.count() > 0) {
            const auto now = clock::now();
            for (size_t i = 0; i < slots_.size(); ++i) {
                const slot& s = *slots_[i];
                if (!s.model || s.in_use > 0) continue;
                const auto expiry = s.last_used + options_.keep_alive;
                if (expiry <= now) {
                    unload(lock, i, "idle for its keep-alive time");
                    next = now;  // look again: the lock was released
                    break;
                }
                next = std::min(next, expiry);
            }
            if (next == now) continue;
        }
        if (next == clock::time_point::max()) wake_.wait(lock);
        else wake_.wait_until(lock, next);
    }
}

std::vector<model_pool::model_state> model_pool::states() const {
    std::lock_guard lock(mutex_);
    std::vector<model_state> out;
    const auto now = clock::now();
    for (const auto& s : slots_) {
        model_state st;
        st.name = s->settings.name;
        st.state = s->model ? "loaded" : s->loading ? "loading" : "unloaded";
        st.memory_bytes = s->memory;
        st.in_use = s->in_use;
        st.loads = s->loads;
        st.stats = &s->stats;
        if (s->model && !s->model->stopped()) {
            st.context = s->model->eng().context();
            st.running = s->model->sched().stats();
            if (s->in_use == 0) st.idle_seconds = std::chrono::duration<double>(now - s->last_used).count();
        }
        out.push_back(std::move(st));
    }
    return out;
}

}  // namespace plinth::server
