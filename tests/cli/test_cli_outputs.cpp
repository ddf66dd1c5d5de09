// Verbs that write a model never lose a file: devices, pipes, existing files and links are not
// replaced without --force, absurd shapes and full disks are refused before writing, and Ctrl-C
// leaves nothing behind.
#include <catch2/catch.hpp>

#include "cli.hpp"

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <thread>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace plinth::test;
namespace fs = std::filesystem;

namespace {

struct temp_folder {
    fs::path path = fs::temp_directory_path() / ("plinth-outputs-" + std::to_string(::getpid()));
    temp_folder() { fs::create_directories(path); }
    ~temp_folder() { fs::remove_all(path); }
};

std::string quantize_to(const fs::path& out, const std::string& extra = "") {
    return "quantize " + model_arg("stories260K.gguf") + " " + shell_quote(out.string()) + " Q8_0 " + extra;
}

}  // namespace

TEST_CASE("a device or a pipe is never replaced by an output file", "[cli][outputs]") {
    temp_folder dir;
    for (const char* device : {"/dev/null", "/dev/full"}) {
        const auto r = run_plinth(quantize_to(device, "--force"));
        CHECK(r.exit_code == 1);
        CHECK_THAT(r.err, Catch::Contains("is not a regular file"));
        CHECK(fs::is_character_file(device));
    }
    const fs::path fifo = dir.path / "pipe";
    REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
    const auto r = run_plinth("make-model " + shell_quote(fifo.string()) + " --embd 64 --layers 1 --heads 1 --ffn 64 --vocab 300 --force");
    CHECK(r.exit_code == 1);
    CHECK(fs::is_fifo(fifo));
}

TEST_CASE("an existing file or link is replaced only with --force; a link's target is written", "[cli][outputs]") {
    temp_folder dir;
    const fs::path file = dir.path / "out.gguf";
    std::ofstream(file) << "precious";
    const auto refused = run_plinth(quantize_to(file));
    CHECK(refused.exit_code == 1);
    CHECK_THAT(refused.err, Catch::Contains("exists; pass --force"));
    CHECK(fs::file_size(file) == 8);
    CHECK(run_plinth(quantize_to(file, "--force")).exit_code == 0);
    CHECK(fs::file_size(file) > 8);

    const fs::path target = dir.path / "target.gguf", link = dir.path / "link.gguf";
    std::ofstream(target) << "old";
    fs::create_symlink(target, link);
    CHECK(run_plinth(quantize_to(link)).exit_code == 1);
    CHECK(run_plinth(quantize_to(link, "--force")).exit_code == 0);
    CHECK(fs::is_symlink(link));
    CHECK(fs::file_size(target) > 3);
    CHECK(run_plinth("inspect " + shell_quote(link.string())).exit_code == 0);
}

TEST_CASE("make-model refuses absurd shapes and files larger than the free space", "[cli][outputs]") {
    temp_folder dir;
    const auto absurd = run_plinth("make-model " + shell_quote((dir.path / "a.gguf").string()) + " --embd 1000000 --layers 1 --heads 1 --ffn 8");
    CHECK(absurd.exit_code == 1);
    CHECK_THAT(absurd.err, Catch::Contains("beyond any model"));
    const auto huge = run_plinth("make-model " + shell_quote((dir.path / "b.gguf").string()) +
                                 " --embd 65536 --layers 1024 --heads 64 --ffn 200000 --type F32");
    CHECK(huge.exit_code == 1);
    CHECK_THAT(huge.err, Catch::Contains("free"));
    CHECK(fs::is_empty(dir.path));
}

TEST_CASE("Ctrl-C while writing a model leaves no file behind", "[cli][outputs]") {
    temp_folder dir;
    const fs::path out = dir.path / "big.gguf";
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        const int devnull = ::open("/dev/null", O_WRONLY);
        dup2(devnull, STDERR_FILENO);
        execl(PLINTH_CLI, PLINTH_CLI, "make-model", out.c_str(), "--embd", "4096", "--layers", "32", "--heads", "32", "--ffn",
              "11008", "--type", "F32", "-t", "1", static_cast<char*>(nullptr));
        _exit(127);
    }
    // Interrupt it once it has begun writing.
    for (int i = 0; i < 200 && fs::is_empty(dir.path); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(25));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    kill(pid, SIGINT);
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 130);
    CHECK(fs::is_empty(dir.path));
}
