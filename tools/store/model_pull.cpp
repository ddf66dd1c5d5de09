#include "store/model_pull.hpp"

#include "store/hf_listing.hpp"
#include "store/model_selection.hpp"
#include "store/sha256.hpp"

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <ctime>

namespace plinth::store {
namespace {

namespace fs = std::filesystem;

std::string utc_now() {
    const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    gmtime_r(&now, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return text;
}

uint64_t size_or_zero(const fs::path& file) {
    std::error_code ec;
    const auto size = fs::file_size(file, ec);
    return ec ? 0 : size;
}

// The file's content is what the listing says: its size, and its SHA-256 where one is listed
// (small non-LFS files have none; their size is all that can be checked).
std::string content_problem(const fs::path& file, const remote_file& expected) {
    const uint64_t size = size_or_zero(file);
    if (size != expected.size) return fmt::format("{} bytes where the listing says {}", size, expected.size);
    if (expected.sha256.empty()) return "";
    const std::string actual = sha256_hex_of_file(file);
    if (actual != expected.sha256) return "sha256 " + actual + " where the listing says " + expected.sha256;
    return "";
}

struct file_job {
    const remote_file& file;
    std::string url;
    fs::path target, partial;
    std::string label;
};

// Fetches one file into its .partial (resuming) until the partial holds the listed content; a
// partial that turns out stale is fetched again from the start, once.
void fetch(const file_job& job, const http_settings& http, progress_reporter& progress, const std::string& reference) {
    for (int attempt = 0; attempt < 2; ++attempt) {
        uint64_t have = size_or_zero(job.partial);
        if (have > job.file.size) {
            fs::remove(job.partial);
            have = 0;
        }
        download_outcome outcome = download_outcome::range_refused;
        if (have < job.file.size || job.file.size == 0) {
            if (have > 0) spdlog::info("resuming {} after {} bytes", job.label, have);
            progress.start(job.label, have, job.file.size);
            try {
                outcome = download_into(job.url, job.partial, http, [&](uint64_t done) { progress.update(done); });
            } catch (const download_cancelled&) {
                progress.finish();
                throw pull_interrupted(fmt::format("interrupted; the {} of {} fetched so far are kept in {}, and `plinth pull {}` resumes from there",
                                                   format_size(size_or_zero(job.partial)), job.label, job.partial.string(), reference));
            }
            progress.finish();
            if (outcome == download_outcome::restarted && have > 0) spdlog::warn("the server ignored the range request: {} was fetched again from its start", job.label);
        }
        const std::string problem = content_problem(job.partial, job.file);
        if (problem.empty()) return;
        // 416, or a partial of the full size: complete but wrong, hence stale. Anything else is a bad download.
        fs::remove(job.partial);
        if (outcome != download_outcome::range_refused || attempt == 1)
            throw std::runtime_error("checksum mismatch for " + job.label + ": " + problem +
                                     "; the download was deleted and nothing was stored");
        spdlog::info("the partial download of {} is stale ({}); fetching it again", job.label, problem);
    }
}

}  // namespace

std::string url_escape(const std::string& text, bool keep_slashes) {
    std::string out;
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slashes && c == '/')) out += c;
        else out += fmt::format("%{:02X}", u);
    }
    return out;
}

pull_result pull_model(const model_store& store, const pull_request& request, const http_settings& http, progress_reporter& progress) {
    const model_reference ref = parse_reference(request.reference);
    const std::string revision = url_escape(request.revision, false);
    const std::string listing_url = request.endpoint + "/api/models/" + ref.repo + "/tree/" + revision + "?recursive=true";
    std::vector<remote_file> listing;
    try {
        listing = parse_listing(http_get_text(listing_url, http));
    } catch (const http_error& e) {
        throw std::runtime_error(std::string("cannot list ") + ref.repo + ": " + e.what());
    }
    const std::vector<remote_file> parts = select_model(listing, ref.selector);

    pull_result result;
    result.model = stored_model{request.endpoint, ref.repo, request.revision, parts, utc_now(), store.folder_of(ref.repo)};
    const auto previous = store.find(result.model.name());
    result.already_present = true;
    std::vector<fs::path> placed;  // by this pull: taken back when a checksum fails
    try {
        for (const auto& file : parts) {
            const file_job job{file, request.endpoint + "/" + ref.repo + "/resolve/" + revision + "/" + url_escape(file.path, true),
                               result.model.folder / file.path, result.model.folder / (file.path + ".partial"), ref.repo + "/" + file.path};
            // Already here from an earlier pull of the same content: nothing to fetch.
            if (previous && fs::exists(job.target) && std::any_of(previous->files.begin(), previous->files.end(), [&](const remote_file& f) {
                    return f.path == file.path && f.sha256 == file.sha256 && f.size == file.size && !f.sha256.empty();
                }) && size_or_zero(job.target) == file.size)
                continue;
            if (fs::exists(job.target) && content_problem(job.target, file).empty()) continue;
            result.already_present = false;
            fs::create_directories(job.partial.parent_path());
            fetch(job, http, progress, request.reference);
            fs::rename(job.partial, job.target);
            placed.push_back(job.target);
        }
    } catch (const pull_interrupted&) {
        throw;
    } catch (const std::exception&) {
        // A bad file means the model is not what the listing says: keep none of this pull's files.
        for (const auto& p : placed) fs::remove(p);
        for (const auto& file : parts) store.prune_empty_folders((result.model.folder / file.path).parent_path());
        throw;
    }
    store.record(result.model);
    return result;
}

}  // namespace plinth::store
