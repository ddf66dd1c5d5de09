// libFuzzer target for the GGUF reader. Any input must either parse or throw format_error (anything
// else escapes and is reported as a crash), and every view the reader hands out must lie inside the
// input: the harness reads the first and last byte of each, which AddressSanitizer checks.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "gguf_reader.hpp"

namespace {

using plinth::gguf::array_value;

volatile unsigned char sink;

void touch(std::span<const std::byte> bytes) {
    if (bytes.empty()) return;
    sink = sink ^ std::to_integer<unsigned char>(bytes.front()) ^ std::to_integer<unsigned char>(bytes.back());
}

void touch(std::string_view text) { touch(std::as_bytes(std::span(text.data(), text.size()))); }

void visit(const array_value& array) {
    touch(array.encoded);
    if (array.element_type == plinth::gguf::value_type::string) {
        for (std::uint64_t i = 0; i < array.count; ++i) touch(array.string_at(i));
    }
    for (const auto& nested : array.nested) visit(nested);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        const auto file = plinth::gguf::gguf_file::from_memory(std::as_bytes(std::span(data, size)));
        for (const auto& entry : file.metadata()) {
            touch(entry.key);
            if (file.find(entry.key) != &entry) std::abort();
            if (const auto text = entry.as_string()) touch(*text);
            if (const auto* array = entry.as_array()) visit(*array);
        }
        for (const auto& tensor : file.tensors()) {
            touch(tensor.name);
            touch(tensor.data);
            if (file.find_tensor(tensor.name) != &tensor || tensor.data.size() != tensor.size_bytes) std::abort();
        }
    } catch (const plinth::gguf::format_error&) {
        // the expected outcome for most inputs
    }
    return 0;
}
