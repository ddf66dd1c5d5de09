#!/usr/bin/env bash
# Builds the weight-format library (sdk/weight_formats), the CPU kernels over it (plugins/cpu/quant)
# and their tests (tests/quant) for AArch64 with Debian's cross compiler and runs them under
# qemu-user, so the NEON kernels are held to the reference, bit for bit where the orders say so, on a
# machine without an Arm CPU (qemu's "max" CPU has the dot-product extension). Installs
# g++-aarch64-linux-gnu and qemu-user when missing.
#
#   tools/test-neon.sh [CATCH_ARGS...]      (build folder: $NEON_BUILD_DIR, default build-neon)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=${NEON_BUILD_DIR:-$here/build-neon}
shared=${PLINTH_SHARED_DIR:-$here/../shared}
if ! command -v aarch64-linux-gnu-g++ >/dev/null || ! command -v qemu-aarch64 >/dev/null; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -q >&2
  $sudo apt-get install -y -q g++-aarch64-linux-gnu qemu-user >&2
fi
mkdir -p "$out/include/catch2" "$out/obj"
ln -sf /usr/include/catch2/catch.hpp "$out/include/catch2/catch.hpp"  # header-only Catch2 v2

cxx="aarch64-linux-gnu-g++"
flags=(-std=c++20 -O2 -ffp-contract=off -Wall -Wextra -Werror -Wno-unused-parameter
       -I"$here/sdk/weight_formats/include" -I"$here/plugins/cpu/quant" -I"$here/plugin-api/include"
       -I"$here/tests/support" -I"$out/include"
       -DPLINTH_QUANT_X86_SIMD=0 -DPLINTH_QUANT_NEON=1
       -DPLINTH_SHARED_DIR_DEFAULT="\"$shared\"" -DPLINTH_BUILD_DIR="\"$out\"")
objs=()
compile() {  # source [extra flags...]
  local src=$1 obj
  shift
  obj="$out/obj/$(basename "${src%.cpp}").o"
  if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] ||
     [ -n "$(find "$here/sdk/weight_formats" "$here/plugins/cpu/quant" "$here/tests/quant" -newer "$obj" -name '*.hpp' | head -1)" ]; then
    echo "  $cxx $(basename "$src")" >&2
    "$cxx" "${flags[@]}" "$@" -c "$src" -o "$obj"
  fi
  objs+=("$obj")
}
for f in types dequantize quantize_reference dot_reference; do compile "$here/sdk/weight_formats/$f.cpp"; done
compile "$here/plugins/cpu/quant/dispatch.cpp"
compile "$here/plugins/cpu/quant/interleaved.cpp"
compile "$here/plugins/cpu/quant/dot_neon.cpp" -march=armv8.2-a+dotprod
compile "$here/tests/test_main.cpp"
compile "$here/tests/support/run_command.cpp"
for f in "$here"/tests/quant/test_*.cpp; do compile "$f"; done
"$cxx" -static -o "$out/test_weight_formats_and_kernels" "${objs[@]}"
echo "running the weight-format and CPU kernel tests under qemu-aarch64" >&2
qemu-aarch64 -cpu max "$out/test_weight_formats_and_kernels" "$@"
