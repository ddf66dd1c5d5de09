// model_writer -> the gguf plugin's writer -> a file, read back through model_file: every metadata
// type, arrays of strings, tensor bytes (lent and streamed in odd pieces), alignment, and what a
// misuse does (an error with a message, and never a file at the path).
#include <catch2/catch.hpp>

#include "writer_test_util.hpp"

#include <plinth/error.hpp>
#include <plinth/model_file.hpp>
#include <plinth/model_writer.hpp>
#include <plinth/weight_types.h>

#include <cstring>
#include <numeric>

using namespace plinth;
using writer_test::host;
using writer_test::temp_dir;

namespace {

plinth_metadata_entry scalar(const char* key, plinth_value_type type) {
    plinth_metadata_entry e{};
    e.struct_size = sizeof e;
    e.type = type;
    e.key = {key, std::strlen(key)};
    return e;
}

template <class T>
plinth_metadata_entry array(const char* key, plinth_value_type element_type, const std::vector<T>& values) {
    auto e = scalar(key, PLINTH_VALUE_ARRAY);
    e.array_type = element_type;
    e.array_count = values.size();
    e.array_data = values.data();
    return e;
}

template <class T>
std::vector<T> array_values(const model_file& f, const char* key) {
    const auto* e = f.entry(key);
    REQUIRE(e != nullptr);
    REQUIRE(e->type == PLINTH_VALUE_ARRAY);
    std::vector<T> out(e->array_count);
    if (!out.empty()) std::memcpy(out.data(), e->array_data, out.size() * sizeof(T));
    return out;
}

std::vector<std::byte> pattern(size_t n, unsigned seed) {
    std::vector<std::byte> out(n);
    for (size_t i = 0; i < n; ++i) out[i] = std::byte((i * 131 + seed * 17 + (i >> 8)) & 0xff);
    return out;
}

bool same_bytes(const tensor_view& t, const std::vector<std::byte>& expected) {
    return t.size == expected.size() && std::memcmp(t.data, expected.data(), expected.size()) == 0;
}

}  // namespace

TEST_CASE("every metadata type and arrays of strings round-trip", "[writer]") {
    temp_dir dir("meta");
    const auto path = dir / "meta.gguf";
    const std::vector<std::string> words = {"alpha", "", "\xE2\x96\x81sp ace", std::string(300, 'x'), "<0x0A>"};
    const std::vector<float> floats = {1.5f, -0.25f, 3.0e-7f};
    const std::vector<int32_t> ints = {-7, 0, 2147483647};
    const std::vector<uint32_t> uints = {0, 4294967295u};
    const std::vector<uint8_t> u8s = {0, 255, 7};
    const std::vector<int8_t> i8s = {-128, 127};
    const std::vector<uint16_t> u16s = {65535, 1};
    const std::vector<int16_t> i16s = {-32768, 5};
    const std::vector<uint64_t> u64s = {~uint64_t{0}, 3};
    const std::vector<int64_t> i64s = {INT64_MIN, INT64_MAX};
    const std::vector<double> f64s = {1e300, -2.5};
    const std::vector<uint8_t> bools = {1, 0, 1};
    {
        auto w = model_writer::create(host(), path);
        w->set("t.u32", uint32_t{4000000000u});
        w->set("t.i32", int32_t{-123456});
        w->set("t.f32", 0.15625f);
        w->set("t.bool", true);
        w->set("t.string", "hello, world");
        w->set("t.u64", uint64_t{1} << 40);
        w->set("t.i64", int64_t{-(int64_t{1} << 40)});
        w->set("t.strings", words);
        w->set("t.empty_strings", std::vector<std::string>{});
        w->set("t.f32s", floats);
        w->set("t.i32s", ints);
        w->set("t.u32s", std::span<const uint32_t>(uints));
        auto e = scalar("t.u8", PLINTH_VALUE_U8);
        e.value.u64 = 200;
        w->set_entry(e);
        e = scalar("t.i8", PLINTH_VALUE_I8);
        e.value.i64 = -100;
        w->set_entry(e);
        e = scalar("t.u16", PLINTH_VALUE_U16);
        e.value.u64 = 60000;
        w->set_entry(e);
        e = scalar("t.i16", PLINTH_VALUE_I16);
        e.value.i64 = -30000;
        w->set_entry(e);
        e = scalar("t.f64", PLINTH_VALUE_F64);
        e.value.f64 = 0.1;
        w->set_entry(e);
        w->set_entry(array("t.u8s", PLINTH_VALUE_U8, u8s));
        w->set_entry(array("t.i8s", PLINTH_VALUE_I8, i8s));
        w->set_entry(array("t.u16s", PLINTH_VALUE_U16, u16s));
        w->set_entry(array("t.i16s", PLINTH_VALUE_I16, i16s));
        w->set_entry(array("t.u64s", PLINTH_VALUE_U64, u64s));
        w->set_entry(array("t.i64s", PLINTH_VALUE_I64, i64s));
        w->set_entry(array("t.f64s", PLINTH_VALUE_F64, f64s));
        w->set_entry(array("t.bools", PLINTH_VALUE_BOOL, bools));
        w->set("t.replaced", "first");
        w->set("t.last", uint32_t{1});
        w->set("t.replaced", uint32_t{99});  // keeps its place, takes the new type and value
        w->finish();
    }
    const auto f = model_file::open(host(), path);
    CHECK(f->get_uint("t.u32") == 4000000000u);
    CHECK(f->entry("t.u32")->type == PLINTH_VALUE_U32);
    CHECK(f->get_int("t.i32") == -123456);
    CHECK(f->entry("t.i32")->type == PLINTH_VALUE_I32);
    CHECK(f->get_float("t.f32") == 0.15625);
    CHECK(f->entry("t.f32")->type == PLINTH_VALUE_F32);
    CHECK(f->get_bool("t.bool") == true);
    CHECK(f->get_string("t.string") == "hello, world");
    CHECK(f->get_uint("t.u64") == uint64_t{1} << 40);
    CHECK(f->entry("t.u64")->type == PLINTH_VALUE_U64);
    CHECK(f->get_int("t.i64") == -(int64_t{1} << 40));
    CHECK(f->entry("t.i64")->type == PLINTH_VALUE_I64);
    CHECK(f->get_string_array("t.strings") == words);
    CHECK(f->get_string_array("t.empty_strings") == std::vector<std::string>{});
    CHECK(f->get_f32_array("t.f32s") == floats);
    CHECK(f->get_i32_array("t.i32s") == ints);
    CHECK(array_values<uint32_t>(*f, "t.u32s") == uints);
    CHECK(f->entry("t.u8")->type == PLINTH_VALUE_U8);
    CHECK(f->get_uint("t.u8") == 200);
    CHECK(f->entry("t.i8")->type == PLINTH_VALUE_I8);
    CHECK(f->get_int("t.i8") == -100);
    CHECK(f->get_uint("t.u16") == 60000);
    CHECK(f->get_int("t.i16") == -30000);
    CHECK(f->entry("t.f64")->type == PLINTH_VALUE_F64);
    CHECK(f->get_float("t.f64") == 0.1);
    CHECK(array_values<uint8_t>(*f, "t.u8s") == u8s);
    CHECK(array_values<int8_t>(*f, "t.i8s") == i8s);
    CHECK(array_values<uint16_t>(*f, "t.u16s") == u16s);
    CHECK(array_values<int16_t>(*f, "t.i16s") == i16s);
    CHECK(array_values<uint64_t>(*f, "t.u64s") == u64s);
    CHECK(array_values<int64_t>(*f, "t.i64s") == i64s);
    CHECK(array_values<double>(*f, "t.f64s") == f64s);
    CHECK(array_values<uint8_t>(*f, "t.bools") == bools);
    CHECK(f->entry("t.bools")->array_type == PLINTH_VALUE_BOOL);
    CHECK(f->get_uint("t.replaced") == 99);

    const auto keys = f->metadata_keys();
    REQUIRE(keys.size() == 27);
    CHECK(keys.front() == "t.u32");
    CHECK(keys[keys.size() - 2] == "t.replaced");
    CHECK(keys.back() == "t.last");
    CHECK(f->tensors().empty());
    CHECK(dir.files() == std::vector<std::string>{"meta.gguf"});  // no temporary file left
}

TEST_CASE("copy_from copies every kind of entry from an open file", "[writer]") {
    temp_dir dir("copy");
    const auto vocab = test::shared_dir() / "vocab" / "ggml-vocab-llama-spm.gguf";
    if (!std::filesystem::exists(vocab)) {
        WARN("no " << vocab.string() << ": skipped");
        return;
    }
    const auto in = model_file::open(host(), vocab);
    {
        auto w = model_writer::create(host(), dir / "copy.gguf");
        for (const auto& key : in->metadata_keys()) w->copy_from(*in, key);
        CHECK_THROWS_AS(w->copy_from(*in, "no.such.key"), error);
        w->finish();
    }
    const auto out = model_file::open(host(), dir / "copy.gguf");
    REQUIRE(out->metadata_keys() == in->metadata_keys());
    CHECK(out->get_string_array("tokenizer.ggml.tokens") == in->get_string_array("tokenizer.ggml.tokens"));
    CHECK(out->get_f32_array("tokenizer.ggml.scores") == in->get_f32_array("tokenizer.ggml.scores"));
    CHECK(out->get_i32_array("tokenizer.ggml.token_type") == in->get_i32_array("tokenizer.ggml.token_type"));
    CHECK(out->get_bool("tokenizer.ggml.add_bos_token") == in->get_bool("tokenizer.ggml.add_bos_token"));
    CHECK(out->get_float("llama.attention.layer_norm_rms_epsilon") == in->get_float("llama.attention.layer_norm_rms_epsilon"));
    // A file with no tensors is not padded: byte for byte what llama.cpp wrote.
    CHECK(std::filesystem::file_size(dir / "copy.gguf") == std::filesystem::file_size(vocab));
}

TEST_CASE("tensor bytes round-trip, lent or streamed in any pieces", "[writer]") {
    const uint32_t alignment = GENERATE(0u, 64u, 4096u);  // 0: the default, 32
    INFO("alignment " << alignment);
    temp_dir dir("tensors");
    const auto path = dir / "t.gguf";
    const auto a = pattern(7 * 3 * 4, 1);        // F32 [7, 3], lent
    const auto b = pattern(2 * 5 * 34, 2);       // Q8_0 [64, 5], streamed byte by byte and in odd pieces
    const auto c = pattern(3 * 2, 3);            // F16 [3], lent
    const auto d = pattern(2 * 144 * 2 * 2, 4);  // Q4_K [512, 2, 2], streamed at once
    const auto e = pattern(4 * 4, 5);            // I32 [4], lent after the streamed ones
    {
        auto w = model_writer::create(host(), path);
        w->set("general.architecture", "test");
        if (alignment) w->set("general.alignment", alignment);
        w->add_tensor("a", PLINTH_TYPE_F32, {7, 3}, a.data(), a.size());
        w->add_tensor("b", PLINTH_TYPE_Q8_0, {64, 5});
        w->add_tensor("c", PLINTH_TYPE_F16, {3}, c.data());
        w->add_tensor("d", PLINTH_TYPE_Q4_K, {512, 2, 2}, nullptr, d.size());
        w->add_tensor("e", PLINTH_TYPE_I32, {4}, e.data(), e.size());
        size_t at = 0;
        for (size_t piece = 1; at < b.size(); piece = piece * 3 + 1) {
            const size_t n = std::min(piece, b.size() - at);
            w->write(b.data() + at, n);
            at += n;
        }
        w->write(d.data(), d.size());
        w->finish();
    }
    const auto f = model_file::open(host(), path);
    const auto& ts = f->tensors();
    REQUIRE(ts.size() == 5);
    const std::vector<const std::vector<std::byte>*> expected = {&a, &b, &c, &d, &e};
    const std::vector<std::string> names = {"a", "b", "c", "d", "e"};
    const std::vector<uint32_t> types = {PLINTH_TYPE_F32, PLINTH_TYPE_Q8_0, PLINTH_TYPE_F16, PLINTH_TYPE_Q4_K, PLINTH_TYPE_I32};
    const std::vector<std::vector<uint64_t>> shapes = {{7, 3}, {64, 5}, {3}, {512, 2, 2}, {4}};
    for (size_t i = 0; i < ts.size(); ++i) {
        INFO("tensor " << names[i]);
        CHECK(ts[i].name == names[i]);
        CHECK(ts[i].type == types[i]);
        CHECK(ts[i].shape == shapes[i]);
        CHECK(ts[i].file_offset % (alignment ? alignment : 32) == 0);
        CHECK(same_bytes(ts[i], *expected[i]));
    }
}

TEST_CASE("misuse is refused with a message, and leaves no file behind", "[writer]") {
    temp_dir dir("errors");
    const auto path = dir / "bad.gguf";
    const std::vector<std::byte> data(34 * 2);

    SECTION("bad tensors and keys") {
        auto w = model_writer::create(host(), path);
        w->add_tensor("x", PLINTH_TYPE_Q8_0, {64, 1});
        CHECK_THROWS_WITH(w->add_tensor("x", PLINTH_TYPE_F32, {4}), Catch::Contains("duplicate tensor name"));
        CHECK_THROWS_WITH(w->add_tensor("y", PLINTH_TYPE_Q4_0, {48, 2}), Catch::Contains("not a multiple of the Q4_0 block size"));
        CHECK_THROWS_WITH(w->add_tensor("z", PLINTH_TYPE_F32, {4}, data.data(), 12), Catch::Contains("takes 16"));
        CHECK_THROWS_WITH(w->add_tensor("", PLINTH_TYPE_F32, {4}), Catch::Contains("name is empty"));
        CHECK_THROWS_WITH(w->add_tensor("q", 4, {4}), Catch::Contains("unknown type"));
        CHECK_THROWS_WITH(w->add_tensor("r", PLINTH_TYPE_F32, {4, 0}), Catch::Contains("is zero"));
        CHECK_THROWS_WITH(w->set("bad key", uint32_t{1}), Catch::Contains("not valid"));
        CHECK_THROWS_WITH(w->set("general.alignment", uint32_t{48}), Catch::Contains("power of two"));
        CHECK_THROWS_WITH(w->set("general.alignment", int32_t{64}), Catch::Contains("must be a u32"));
        auto nested = scalar("nested", PLINTH_VALUE_ARRAY);
        nested.array_type = PLINTH_VALUE_ARRAY;
        CHECK_THROWS_WITH(w->set_entry(nested), Catch::Contains("nested arrays"));
        auto wrong = scalar("u8", PLINTH_VALUE_U8);
        wrong.value.u64 = 256;
        CHECK_THROWS_WITH(w->set_entry(wrong), Catch::Contains("does not fit"));
        auto flag = scalar("flag", PLINTH_VALUE_BOOL);
        flag.value.u64 = 2;
        CHECK_THROWS_WITH(w->set_entry(flag), Catch::Contains("neither 0 nor 1"));
        // The header is fixed by the first tensor byte.
        w->write(data.data(), 10);
        CHECK_THROWS_WITH(w->set("late", uint32_t{1}), Catch::Contains("after tensor data"));
        CHECK_THROWS_WITH(w->add_tensor("late", PLINTH_TYPE_F32, {4}), Catch::Contains("after tensor data"));
        CHECK_THROWS_WITH(w->write(data.data(), data.size()), Catch::Contains("more tensor data than"));
    }
    SECTION("a tensor left incomplete fails finish") {
        auto w = model_writer::create(host(), path);
        w->add_tensor("x", PLINTH_TYPE_Q8_0, {64, 2});
        w->add_tensor("y", PLINTH_TYPE_F32, {4});
        w->write(data.data(), 40);
        CHECK_THROWS_WITH(w->finish(), Catch::Contains("'x' got 40 of its 136 bytes"));
        CHECK_THROWS_WITH(w->finish(), Catch::Contains("already finished"));
    }
    SECTION("an abandoned writer") {
        auto w = model_writer::create(host(), path);
        w->add_tensor("x", PLINTH_TYPE_Q8_0, {64, 2});
        w->write(data.data(), 20);
        CHECK(dir.files().size() == 1);  // the temporary file, under another name
        w.reset();
    }
    SECTION("an unwritable folder") {
        CHECK_THROWS_WITH(model_writer::create(host(), dir / "no" / "such" / "folder.gguf"), Catch::Contains("cannot create"));
    }
    CHECK(dir.files().empty());
}

TEST_CASE("a finished file replaces an existing one only when complete", "[writer]") {
    temp_dir dir("replace");
    const auto path = dir / "m.gguf";
    const auto write = [&](uint32_t value, bool complete) {
        auto w = model_writer::create(host(), path);
        w->set("v", value);
        w->add_tensor("x", PLINTH_TYPE_F32, {4});
        const std::vector<float> x = {1, 2, 3, 4};
        w->write(x.data(), complete ? 16 : 8);
        if (complete) w->finish();
    };
    write(1, true);
    write(2, false);
    CHECK(model_file::open(host(), path)->get_uint("v") == 1);
    write(3, true);
    CHECK(model_file::open(host(), path)->get_uint("v") == 3);
    CHECK(dir.files() == std::vector<std::string>{"m.gguf"});
}
