#!/usr/bin/env bash
# Installs what plinth needs to build and test, from Debian 12 packages. Idempotent.
set -euo pipefail
packages=(
  build-essential cmake ninja-build ccache pkg-config
  libboost-dev libboost-program-options-dev   # Boost.DLL (header-only) and Program_options
  libyaml-cpp-dev libspdlog-dev nlohmann-json3-dev catch2 libre2-dev
  libcurl4-openssl-dev libssl-dev   # plinth pull: downloads (libcurl) and SHA-256 (OpenSSL)
  libvulkan-dev glslc mesa-vulkan-drivers vulkan-tools   # Vulkan plugin: headers, shader compiler, lavapipe
  python3-prometheus-client   # tests only: parses the server's /metrics
  tmux                        # tests only: drives `plinth chat` in a terminal (Ctrl-C mid-reply)
  nginx                       # tests only: a local HTTPS model endpoint for plinth pull
  clang                       # tests only: builds the SDK example out of tree with another compiler
  chromium                    # tests only: the chat page in a headless browser (via npm playwright-core)
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "installing: ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
# Tests only: the official OpenAI and Anthropic clients, playwright-core and ajv (JSON Schema
# validation of structured output) for Node, pinned by the lock file (Node.js 20). playwright-core never downloads a browser: the tests use Debian's chromium.
node_tests="$(dirname "$0")/../tests/server/node"
if command -v npm >/dev/null && { [ ! -d "$node_tests/node_modules/openai" ] || [ ! -d "$node_tests/node_modules/@anthropic-ai/sdk" ] ||
                                 [ ! -d "$node_tests/node_modules/playwright-core" ] || [ ! -d "$node_tests/node_modules/ajv" ]; }; then
  (cd "$node_tests" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi
