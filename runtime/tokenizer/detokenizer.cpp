// Token ids back to bytes: one token's piece, whole sequences, and streaming that only ever emits
// complete UTF-8 characters.
#include "tokenizer_impl.hpp"
#include "unicode.hpp"

#include <plinth/error.hpp>

namespace plinth {

namespace {

constexpr std::string_view spm_space = "\xE2\x96\x81";  // U+2581 '▁'
constexpr std::string_view unknown_piece = "\xE2\x96\x85";  // U+2585 '▅', what llama.cpp shows

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

}  // namespace

std::string tokenizer::impl::piece(int32_t id) const {
    if (!valid(id))
        throw error("token id " + std::to_string(id) + " is outside the vocabulary (size " +
                    std::to_string(vocab.tokens.size()) + ")");
    const std::string& text = vocab.tokens[static_cast<size_t>(id)];
    const token_type t = type_of(id);
    switch (t) {
    case token_type::control:
    case token_type::unused:
        return {};
    case token_type::unknown:
        return std::string(unknown_piece);
    case token_type::byte:
        if (text.size() == 6 && text.compare(0, 3, "<0x") == 0 && text[5] == '>') {
            const int hi = hex_digit(text[3]);
            const int lo = hex_digit(text[4]);
            if (hi >= 0 && lo >= 0) return std::string(1, static_cast<char>(hi * 16 + lo));
        }
        return text;
    default:
        break;
    }

    std::string out;
    out.reserve(text.size());
    // WordPiece in Hugging Face's spelling: "##" continues a word, anything else starts one.
    if (type == kind::wordpiece && wordpiece_hash_prefix) {
        if (text.size() > 2 && text.compare(0, 2, "##") == 0) return text.substr(2);
        return " " + text;
    }
    // All but byte-level BPE spell spaces (or word starts) as U+2581.
    if (type != kind::bpe || !byte_encode) {
        for (size_t pos = 0; pos < text.size();) {
            if (text.compare(pos, spm_space.size(), spm_space) == 0) {
                out += ' ';
                pos += spm_space.size();
            } else {
                out += text[pos++];
            }
        }
        return out;
    }
    // Byte-level BPE: user-defined tokens hold raw text; the others hold stand-in code points.
    if (t == token_type::user_defined) return text;
    for (size_t pos = 0; pos < text.size();) {
        const size_t len = unicode::sequence_length(text, pos);
        const uint32_t cp = unicode::decode_at(text, pos, len);
        const int b = unicode::code_point_to_byte(cp);
        if (b >= 0) out += static_cast<char>(b);
        else out.append(text, pos, len);
        pos += len;
    }
    return out;
}

std::string tokenizer::token_piece(int32_t id) const { return impl_->piece(id); }

std::string tokenizer::decode(const std::vector<int32_t>& ids) const {
    std::string out;
    bool strip = impl_->add_space_prefix;
    for (const int32_t id : ids) {
        std::string p = impl_->piece(id);
        if (strip && !p.empty()) {
            if (p[0] == ' ') p.erase(0, 1);
            strip = false;
        }
        out += p;
    }
    return out;
}

stream_decoder::stream_decoder(const tokenizer& tok, bool text_start)
    : tok_(&tok), strip_space_(text_start && tok.add_space_prefix()) {}

std::string stream_decoder::push(int32_t id) {
    std::string p = tok_->token_piece(id);
    if (strip_space_ && !p.empty()) {
        if (p[0] == ' ') p.erase(0, 1);
        strip_space_ = false;
    }
    pending_ += p;
    const size_t keep = unicode::incomplete_tail(pending_);
    std::string out = pending_.substr(0, pending_.size() - keep);
    pending_.erase(0, pending_.size() - keep);
    return out;
}

std::string stream_decoder::flush() {
    std::string out;
    out.swap(pending_);
    return out;
}

}  // namespace plinth
