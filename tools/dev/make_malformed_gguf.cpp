// plinth-make-malformed-gguf SOURCE.gguf OUTDIR [--with-valid-samples]
// Writes every malformed variant of SOURCE as OUTDIR/<name>.gguf (fuzzer seeds, manual checks of other
// GGUF readers); with --with-valid-samples also the small valid samples as OUTDIR/valid_<name>.gguf.
#include <cstdio>
#include <exception>
#include <filesystem>
#include <string_view>

#include "file_bytes.hpp"
#include "malformed_corpus.hpp"
#include "valid_samples.hpp"

int main(int argc, char** argv) {
    const bool with_valid = argc == 4 && std::string_view(argv[3]) == "--with-valid-samples";
    if (argc != 3 && !with_valid) {
        std::fprintf(stderr, "usage: %s SOURCE.gguf OUTDIR [--with-valid-samples]\n", argv[0]);
        return 2;
    }
    try {
        using namespace plinth::gguf_test;
        const auto variants = make_malformed_corpus(read_file_bytes(argv[1]));
        const std::filesystem::path out_dir = argv[2];
        std::filesystem::create_directories(out_dir);
        for (const auto& variant : variants) write_file_bytes(out_dir / (variant.name + ".gguf"), variant.data);
        std::size_t written = variants.size();
        if (with_valid) {
            for (const auto& sample : make_valid_samples()) {
                write_file_bytes(out_dir / ("valid_" + sample.name + ".gguf"), sample.data);
                ++written;
            }
        }
        std::printf("wrote %zu files to %s\n", written, out_dir.c_str());
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "plinth-make-malformed-gguf: %s\n", e.what());
        return 1;
    }
}
