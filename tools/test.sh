#!/usr/bin/env bash
# Installs the dependencies, builds plinth and runs the whole test suite (the README's test command).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/build.sh "$@"
ctest --test-dir build --output-on-failure -j "$(nproc)"
