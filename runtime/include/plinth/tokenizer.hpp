#pragma once
// Text <-> token ids for the vocabularies GGUF files carry (`tokenizer.ggml.*` metadata):
//   - "llama": SentencePiece-style, merges by highest score, byte fallback <0xXX>, ▁ for spaces;
//   - "gpt2":  byte-level BPE with ranked merges and a regex-like pre-tokenizer named by
//              `tokenizer.ggml.pre` (a table of split rules: gpt-2, llama3, qwen2, qwen35,
//              command-r, falcon, deepseek-llm, ...);
//   - "gemma4": BPE with ranked merges over characters, ▁ for spaces, byte fallback;
//   - "bert":  WordPiece; "t5": Unigram.
// See docs/tokenizer.md for what each model type does and what is not supported.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace plinth {

class model_file;

// `tokenizer.ggml.token_type` values.
enum class token_type : int32_t {
    undefined = 0,
    normal = 1,
    unknown = 2,
    control = 3,
    user_defined = 4,
    unused = 5,
    byte = 6,
};

// Everything a tokenizer is built from, as plain data (what the GGUF metadata holds).
struct vocabulary {
    std::string model = "llama";        // tokenizer.ggml.model: "llama", "gpt2", "gemma4", "bert", "t5"
    std::string pre;                    // tokenizer.ggml.pre; empty means "default"
    std::vector<std::string> tokens;    // tokenizer.ggml.tokens (id = index)
    std::vector<float> scores;          // tokenizer.ggml.scores; empty: all 0
    std::vector<token_type> types;      // tokenizer.ggml.token_type; empty: all normal
    std::vector<std::string> merges;    // tokenizer.ggml.merges ("left right", rank = index)
    // Special token ids; -1 when absent.
    int32_t bos_id = -1;
    int32_t eos_id = -1;
    int32_t unknown_id = -1;
    int32_t padding_id = -1;
    int32_t eot_id = -1;  // end of turn
    int32_t eom_id = -1;  // end of message
    // nullopt: the model type's default (see docs/tokenizer.md).
    std::optional<bool> add_bos;
    std::optional<bool> add_eos;
    std::optional<bool> add_space_prefix;

    // Reads the `tokenizer.ggml.*` keys. Throws plinth::error when the tokens are missing or
    // an array's length disagrees with the token count.
    static vocabulary from_model(const model_file& file);
};

class tokenizer {
public:
    // Throws plinth::error for an unsupported model type or pre-tokenizer, or a malformed vocabulary.
    static std::unique_ptr<tokenizer> from_model(const model_file& file);
    static std::unique_ptr<tokenizer> from_vocabulary(vocabulary vocab);
    ~tokenizer();
    tokenizer(const tokenizer&) = delete;
    tokenizer& operator=(const tokenizer&) = delete;

    // add_special: put BOS first / EOS last as the vocabulary says (add_bos / add_eos).
    // parse_special: text equal to a control or unknown token (e.g. "<s>", "<|endoftext|>")
    // becomes that token's id. User-defined tokens are always recognised.
    std::vector<int32_t> encode(std::string_view text, bool add_special, bool parse_special) const;

    // The bytes one token stands for: ▁ -> space (SPM), <0xXX> -> that byte, the byte-level BPE
    // mapping undone; control and unused tokens give "". May be an incomplete UTF-8 sequence.
    std::string token_piece(int32_t id) const;
    // The concatenated pieces; for SPM vocabularies with add_space_prefix, the one space that
    // encode() puts in front of the text is taken off again, so decode(encode(x)) == x.
    std::string decode(const std::vector<int32_t>& ids) const;

    // The token's text as stored in the vocabulary (e.g. "▁the", "Ġthe", "<0x0A>", "<s>").
    const std::string& token_text(int32_t id) const;
    token_type type_of(int32_t id) const;
    float score(int32_t id) const;
    // The id of a token with exactly this text, or -1.
    int32_t find(std::string_view text) const;

    int32_t bos() const;  // -1 when the vocabulary has none
    int32_t eos() const;
    int32_t eot() const;
    int32_t eom() const;
    int32_t unknown() const;
    int32_t padding() const;
    bool add_bos() const;
    bool add_eos() const;
    bool add_space_prefix() const;
    // EOS, EOT and EOM.
    bool is_end_of_generation(int32_t id) const;
    size_t vocab_size() const;
    const std::string& model_type() const;      // "llama" or "gpt2"
    const std::string& pre_tokenizer() const;   // normalised name, e.g. "llama3"; "" for llama

    struct impl;

private:
    explicit tokenizer(std::unique_ptr<impl> p);
    std::unique_ptr<impl> impl_;
};

// Turns a stream of token ids into text, one token at a time, never splitting a UTF-8 character:
// an incomplete multi-byte sequence at the end is held back until the bytes that complete it
// arrive (or flush() is called). Bytes that can never become valid UTF-8 are passed through.
class stream_decoder {
public:
    // text_start: the tokens begin the text (as encode() made them), so the space prefix an SPM
    // vocabulary adds is dropped from the first piece, as decode() does. Leave false for
    // generated continuations.
    explicit stream_decoder(const tokenizer& tok, bool text_start = false);

    // The bytes this token completes (possibly empty).
    std::string push(int32_t id);
    // Whatever is held back (an incomplete sequence), and reset.
    std::string flush();
    // Bytes currently held back.
    size_t pending() const { return pending_.size(); }

private:
    const tokenizer* tok_;
    std::string pending_;
    bool strip_space_;
};

}  // namespace plinth
