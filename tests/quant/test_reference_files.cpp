// The block layouts against data quantized by llama.cpp: ../shared/models holds the same model in
// F32 and as llama.cpp wrote it in Q8_0 and Q4_0 (its 172-wide ffn_down in F16). Dequantizing their
// tensors must give back the F32 weights within each format's error, which a wrong nibble order,
// scale offset or sign convention would not. Skipped when ../shared is absent.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <plinth/weight_formats.hpp>
#include <plinth/weight_formats/block_layouts.hpp>
#include <plinth/weight_formats/half.hpp>

#include "shared_dir.hpp"

using namespace plinth::weight_formats;

namespace {

// Just enough GGUF (v2/v3) to find tensors: header, metadata skipped (but general.alignment), tensor
// infos. Bounds-checked; throws on anything malformed.
struct GgufTensor {
    uint32_t type = 0;
    std::vector<uint64_t> dims;  // dims[0] is the row length
    const uint8_t* data = nullptr;
};

struct GgufFile {
    std::vector<uint8_t> bytes;
    std::map<std::string, GgufTensor> tensors;
};

class Cursor {
public:
    explicit Cursor(const std::vector<uint8_t>& b) : bytes_(b) {}
    template <class T> T get() {
        need(sizeof(T));
        T v;
        std::memcpy(&v, bytes_.data() + pos_, sizeof(T));
        pos_ += sizeof(T);
        return v;
    }
    std::string str() {
        const auto len = get<uint64_t>();
        need(len);
        std::string s(reinterpret_cast<const char*>(bytes_.data() + pos_), size_t(len));
        pos_ += size_t(len);
        return s;
    }
    void skip_value(uint32_t type) {
        static const size_t kSize[] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};  // by GGUF value type
        if (type == 8) {
            str();
        } else if (type == 9) {
            const auto item = get<uint32_t>();
            const auto count = get<uint64_t>();
            for (uint64_t i = 0; i < count; ++i) skip_value(item);
        } else if (type < 13) {
            need(kSize[type]);
            pos_ += kSize[type];
        } else {
            throw std::runtime_error("gguf: bad value type");
        }
    }
    size_t pos() const { return pos_; }

private:
    void need(uint64_t n) const {
        if (n > bytes_.size() - pos_) throw std::runtime_error("gguf: truncated");
    }
    const std::vector<uint8_t>& bytes_;
    size_t pos_ = 0;
};

GgufFile load_gguf(const std::filesystem::path& path) {
    GgufFile f;
    std::ifstream in(path, std::ios::binary);
    f.bytes.assign(std::istreambuf_iterator<char>(in), {});
    Cursor c(f.bytes);
    if (c.get<uint32_t>() != 0x46554747u) throw std::runtime_error("gguf: bad magic");  // "GGUF"
    c.get<uint32_t>();  // version
    const auto n_tensors = c.get<uint64_t>();
    const auto n_kv = c.get<uint64_t>();
    uint64_t alignment = 32;
    for (uint64_t i = 0; i < n_kv; ++i) {
        const std::string key = c.str();
        const auto type = c.get<uint32_t>();
        if (key == "general.alignment" && type == 4) alignment = c.get<uint32_t>();
        else c.skip_value(type);
    }
    std::vector<std::pair<std::string, uint64_t>> offsets;
    for (uint64_t i = 0; i < n_tensors; ++i) {
        const std::string name = c.str();
        GgufTensor t;
        t.dims.resize(c.get<uint32_t>());
        for (uint64_t& d : t.dims) d = c.get<uint64_t>();
        t.type = c.get<uint32_t>();
        offsets.emplace_back(name, c.get<uint64_t>());
        f.tensors[name] = t;
    }
    const size_t data_start = (c.pos() + alignment - 1) / alignment * alignment;
    for (const auto& [name, offset] : offsets) {
        GgufTensor& t = f.tensors[name];
        uint64_t elements = 1;
        for (uint64_t d : t.dims) elements *= d;
        const size_t size = row_bytes(t.type, int64_t(t.dims[0])) * size_t(elements / t.dims[0]);
        if (data_start + offset + size > f.bytes.size()) throw std::runtime_error("gguf: tensor out of file");
        t.data = f.bytes.data() + data_start + offset;
    }
    return f;
}

}  // namespace

TEST_CASE("layouts agree with llama.cpp's Q8_0, Q4_0 and F16 (stories260K)", "[quant][files]") {
    const auto f32_path = plinth::test::shared_model("stories260K.gguf");
    if (!std::filesystem::exists(f32_path)) {
        WARN("no " << f32_path << ": skipped");
        return;
    }
    const GgufFile f32 = load_gguf(f32_path);

    for (const char* file : {"stories260K-Q8_0.gguf", "stories260K-Q4_0.gguf"}) {
        const GgufFile q = load_gguf(plinth::test::shared_model(file));
        std::map<uint32_t, int> checked;  // tensors checked, by type
        double theirs_err = 0, ours_err = 0;
        for (const auto& [name, t] : q.tensors) {
            if (t.type != PLINTH_TYPE_Q8_0 && t.type != PLINTH_TYPE_Q4_0 && t.type != PLINTH_TYPE_F16) continue;
            INFO(file << " " << name);
            const auto it = f32.tensors.find(name);
            REQUIRE(it != f32.tensors.end());
            REQUIRE(it->second.type == PLINTH_TYPE_F32);
            REQUIRE(it->second.dims == t.dims);
            const int64_t n = int64_t(t.dims[0]);
            const size_t rb = row_bytes(t.type, n);
            uint64_t rows = 1;
            for (size_t d = 1; d < t.dims.size(); ++d) rows *= t.dims[d];
            std::vector<float> y(static_cast<size_t>(n)), ours(static_cast<size_t>(n));
            std::vector<uint8_t> requantized(rb);
            for (uint64_t r = 0; r < rows; ++r) {
                const float* x = reinterpret_cast<const float*>(it->second.data) + r * uint64_t(n);
                const uint8_t* row = t.data + r * rb;
                dequantize_row(t.type, row, y.data(), n);
                for (int64_t i = 0; i < n; ++i) {
                    if (t.type == PLINTH_TYPE_F16) {  // both round to nearest even: the same bits
                        REQUIRE(reinterpret_cast<const uint16_t*>(row)[i] == fp32_to_fp16(x[i]));
                        continue;
                    }
                    // llama.cpp rounds codes against the f32 scale, then stores it as f16: Q8_0 within
                    // d/2 + 127 |d - d_f16| < 0.6 d; Q4_0 within a step d (clamped top code) + 8 |d - d_f16|.
                    const uint16_t dh = t.type == PLINTH_TYPE_Q8_0 ? reinterpret_cast<const BlockQ8_0*>(row)[i / 32].d
                                                                   : reinterpret_cast<const BlockQ4_0*>(row)[i / 32].d;
                    const double d = std::fabs(fp16_to_fp32(dh));
                    REQUIRE(std::fabs(x[i] - y[size_t(i)]) <= (t.type == PLINTH_TYPE_Q8_0 ? 0.6 : 1.01) * d + 1e-12);
                }
                if (t.type == PLINTH_TYPE_F16) continue;
                // Our quantizer on the same rows: no worse than theirs.
                quantize_row(t.type, x, requantized.data(), n);
                dequantize_row(t.type, requantized.data(), ours.data(), n);
                for (int64_t i = 0; i < n; ++i) {
                    theirs_err += double(x[i] - y[size_t(i)]) * double(x[i] - y[size_t(i)]);
                    ours_err += double(x[i] - ours[size_t(i)]) * double(x[i] - ours[size_t(i)]);
                }
            }
            ++checked[t.type];
        }
        INFO(file);
        CHECK(checked[PLINTH_TYPE_F16] > 0);
        CHECK(checked[std::string(file).find("Q8_0") != std::string::npos ? PLINTH_TYPE_Q8_0 : PLINTH_TYPE_Q4_0] > 0);
        CHECK(ours_err <= 1.01 * theirs_err);
    }
}
