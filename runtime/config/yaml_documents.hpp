#pragma once
// The documents of a YAML text, counted from yaml-cpp's event stream (config_loader.cpp's first step).
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

namespace plinth::config_yaml {

// What the first documents of a text look like, from yaml-cpp's event stream. yaml-cpp 0.7's
// LoadAll never returns on some invalid input (a stray ',' outside a flow collection yields null
// documents forever without consuming it: jbeder/yaml-cpp#1040, fixed upstream by PR #1319), so the
// documents are counted here, with a cap, and a document that consumed nothing is a syntax error.
class document_survey : public YAML::EventHandler {
public:
    struct document {
        YAML::Mark start;
        YAML::Mark root;
        bool root_is_null = false;
    };
    std::vector<document> documents;

    void OnDocumentStart(const YAML::Mark& mark) override {
        documents.push_back(document{mark, mark, false});
        root_seen_ = false;
    }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { root(mark, true); }
    void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { root(mark, false); }
    void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t, const std::string&) override {
        root(mark, false);
    }
    void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                         YAML::EmitterStyle::value) override {
        root(mark, false);
    }
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
        root(mark, false);
    }
    void OnMapEnd() override {}

private:
    bool root_seen_ = false;
    void root(const YAML::Mark& mark, bool is_null) {
        if (root_seen_ || documents.empty()) return;
        root_seen_ = true;
        documents.back().root = mark;
        documents.back().root_is_null = is_null;
    }
};

}  // namespace plinth::config_yaml
