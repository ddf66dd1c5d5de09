#pragma once
// `plinth pull`: list a repository, pick the model, fetch each of its files into a .partial file
// beside its place in the store (resuming one that is there), check its size and SHA-256 against
// the listing, move it into place, and record the model last.
#include "store/http_download.hpp"
#include "store/model_store.hpp"
#include "store/progress_bar.hpp"

#include <stdexcept>
#include <string>

namespace plinth::store {

struct pull_request {
    std::string reference;  // OWNER/REPO[:QUANT|:FILE]
    std::string endpoint;   // no trailing '/'
    std::string revision = "main";
};

// Ctrl-C during a download: the partial file is kept for the next pull to resume.
struct pull_interrupted : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct pull_result {
    stored_model model;
    bool already_present = false;  // every file was already in the store, verified
};

// Throws pull_interrupted, std::invalid_argument for a bad reference, std::runtime_error otherwise
// (with nothing of this pull left in the store when a checksum does not match).
pull_result pull_model(const model_store& store, const pull_request& request, const http_settings& http, progress_reporter& progress);

// Percent-encodes everything but unreserved characters; '/' too unless keep_slashes.
std::string url_escape(const std::string& text, bool keep_slashes);

}  // namespace plinth::store
