#!/usr/bin/env bash
# The CUDA plugin's checks on a lent GPU machine (issue 16), prepared here and run there in one call.
#
#   tools/device-check.sh pack   here: build for the lent GPU and fill .device-check.tar.xz (about 40 MiB)
#   tools/device-check.sh run    there, through the device tool: run with carry [".device-check.tar.xz"] and
#                                  command "bash tools/device-check.sh run"; prints everything and
#                                  keeps a copy in $OUT/device-check.log
#
# Why two halves: the lent machine has nvcc and a driver but none of the project's libraries
# (Boost, yaml-cpp, spdlog, ...) and no network, and a session has about 15 minutes of device time.
# So the plugin is compiled here for that machine's GPU only (CUDA_ARCH, default 90-real: the
# H200's compute capability 9.0), and the binaries travel with the shared libraries they need, the
# test data of ../shared and a llama.cpp built here with its CUDA backend for the same GPU.
#
# `run` (about 5 minutes on an H200, every step under its own time limit):
#   1. the GPU, and whether the plugin was built for it; `plinth plugins` and `plinth devices`;
#   2. the conformance suite on the device (test_conformance "*cuda:0*");
#   3. every stories260K and ../shared/arch golden on the device whole and on hybrid placements
#      with the CPU (test_golden "*cuda:0*"); a failure of 2 or 3 is run again with the CUDA
#      graphs on and then the tensor cores off (PLINTH_CUDA_GRAPHS=on / PLINTH_CUDA_TENSOR_CORES=off);
#   4. plinth against llama.cpp's CUDA backend on a 1.1B and a 7B-shaped Llama (random weights,
#      Q4_0 and Q4_K_M, written by `plinth make-model` there while 2-3 run): pp512 and tg128, the
#      ratio, and decode's weight bytes per second as a fraction of the GPU's read bandwidth
#      (measured in the same run with PyTorch, which that machine has); then the first file again
#      with CUDA graphs on and with the tensor cores off, to see what each is worth.
# SKIP_GOLDENS=1 leaves step 3 out, AB_ROUNDS=N (default 2) sets the rounds of step 4's last part.
# Knobs for trying the plumbing without a GPU: DEVICE=cpu:0 PEER=/path/to/llama-bench PEER_NGL=0
# MODELS="134M-Q4_0" tools/device-check.sh run.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bundle=$here/.device-check

pack() {
  set -e
  local arch=${CUDA_ARCH:-90-real} build=$here/build-device shared=${PLINTH_SHARED_DIR:-$here/../shared}
  local launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache
                                            -DCMAKE_CUDA_COMPILER_LAUNCHER=ccache)
  # $ORIGIN-relative run paths: bin/ finds ../lib wherever the bundle lands.
  cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPLINTH_WITH_CUDA=ON -DPLINTH_WITH_VULKAN=OFF \
    -DCMAKE_CUDA_ARCHITECTURES="$arch" -DCMAKE_BUILD_RPATH_USE_ORIGIN=ON "${launcher[@]}" >&2
  cmake --build "$build" --target plinth_cli cpu cuda gguf test_conformance test_golden >&2

  rm -rf "$bundle" && mkdir -p "$bundle"/{bin,lib/plinth/plugins,deps,shared/vocab,peer}
  cp "$build"/bin/{plinth,test_conformance,test_golden} "$bundle/bin/"
  cp "$build/lib/libplinth.so" "$bundle/lib/"
  cp "$build"/lib/plinth/plugins/plinth-{cpu,cuda,gguf}.so "$bundle/lib/plinth/plugins/"
  strip --strip-unneeded "$bundle"/bin/* "$bundle"/lib/*.so "$bundle"/lib/plinth/plugins/*.so
  # Every library they load that is not the C library or the driver: the lent machine's
  # distribution is another one. libstdc++ travels too, in case that one is older than ours.
  local lib
  for lib in $(ldd "$bundle"/bin/* "$bundle"/lib/*.so "$bundle"/lib/plinth/plugins/*.so 2>/dev/null |
               awk '$2 == "=>" && $3 ~ /^\// {print $3}' | sort -u); do
    case $(basename "$lib") in
      libc.so*|libm.so*|libpthread.so*|libdl.so*|librt.so*|libresolv.so*|ld-linux*|libcuda.so*|libplinth.so) ;;
      *) cp -L "$lib" "$bundle/deps/" ;;
    esac
  done
  cp -r "$shared"/{models,golden,arch} "$bundle/shared/"
  cp "$shared/README.md" "$bundle/shared/"
  cp "$shared/vocab/ggml-vocab-llama-spm.gguf" "$bundle/shared/vocab/"
  cp "$here/tools/bench/peer_common.sh" "$bundle/"
  echo "$arch" >"$bundle/cuda-arch"
  [[ ${PACK_PEER:-1} == 0 ]] || pack_peer "$arch"
  # One compressed file travels (the tool's limit is 64 MiB with the working tree).
  tar -C "$here" -cf - .device-check | xz -T0 -6 >"$bundle.tar.xz"
  du -sh "$bundle" "$bundle.tar.xz" >&2
  echo "device-check: packed $bundle.tar.xz for CUDA architecture $arch" >&2
}

# llama.cpp with its CUDA backend, built here for the same GPU, statically (one file travels).
pack_peer() {
  local arch=${1%-real} peer_dir=${PEER_DIR:-/tmp/peer-llama.cpp} launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache
                                            -DCMAKE_CUDA_COMPILER_LAUNCHER=ccache)
  arch=${arch%-virtual}
  local build=$peer_dir/build-cuda-$arch
  bash "${PLINTH_SHARED_DIR:-$here/../shared}/peer/build-llama-cpp.sh" >/dev/null
  if [[ ! -x $build/bin/llama-bench ]]; then
    # The first time about two hours on 2 cores (its CUDA template instances); kept in $PEER_DIR.
    cmake -S "$peer_dir/src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DGGML_CUDA=ON "${launcher[@]}" \
      -DCMAKE_CUDA_COMPILER="$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)" \
      -DCMAKE_CUDA_ARCHITECTURES="$arch-real" -DGGML_NATIVE=OFF -DBUILD_SHARED_LIBS=OFF -DLLAMA_CURL=OFF \
      -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF >&2
    cmake --build "$build" --target llama-bench >&2
  fi
  cp "$build/bin/llama-bench" "$bundle/peer/"
  strip --strip-unneeded "$bundle/peer/llama-bench"
}

# --- run: on the lent machine ------------------------------------------------------------------

log=${OUT:+$OUT/device-check.log}
say() { printf '%s\n' "$@" | tee -a "${log:-/dev/null}"; }
results=()
# step NAME SECONDS COMMAND...: runs it with a time limit, its output shown and logged.
step() {
  local name=$1 limit=$2 start=$SECONDS rc
  shift 2
  say "" "== $name (limit ${limit}s)"
  timeout --kill-after=10 "$limit" "$@" 2>&1 | tee -a "${log:-/dev/null}"
  rc=${PIPESTATUS[0]}
  results+=("$(printf '%-44s %s (%ds)' "$name" "$([[ $rc == 0 ]] && echo pass || echo "FAIL rc=$rc")" $((SECONDS - start)))")
  return "$rc"
}

# The GPU's read bandwidth in GB/s: a reduction over 4 GiB, best of 6 (PyTorch is on that machine).
read -r -d '' gpu_read_bandwidth_py <<'PY'
import torch
x = torch.ones(1 << 30, dtype=torch.float32, device="cuda")
best = 0.0
for _ in range(6):
    a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    a.record(); x.sum(); b.record(); torch.cuda.synchronize()
    best = max(best, x.numel() * 4 / (a.elapsed_time(b) / 1e3))
print(f"{best / 1e9:.1f}")
PY

# bench_pair MODEL: plinth and llama.cpp on one file; two rows of the table, appended to $table.
bench_pair() {
  local model=$1 spec a b
  spec=$(basename "$model" .gguf)
  a=$(env LD_LIBRARY_PATH="$libs" "$bundle/bin/plinth" bench -m "$model" --device "$DEVICE" -p 512 -n 128 -r 3 --output json) || return 1
  # Without the peer (packed with PACK_PEER=0: its CUDA build takes hours here) plinth's rows alone.
  b='[]'
  if [[ -x $PEER ]]; then
    b=$(env LD_LIBRARY_PATH="$peer_libs" "$PEER" -m "$model" -ngl "$PEER_NGL" -p 512 -n 128 -r 3 -o json) || return 1
  fi
  python3 - "$spec" "$gpu_bw" "$a" "$b" <<'PY' | tee -a "$table"
import json, sys
spec, bw, a, b = sys.argv[1], float(sys.argv[2] or 0), json.loads(sys.argv[3]), json.loads(sys.argv[4])
pp = next((r["avg_ts"] for r in b if r["n_prompt"] > 0), 0)
tg = next((r["avg_ts"] for r in b if r["n_gen"] > 0), 0)
gbs = a["weight_bytes_per_token"] * a["tg_tok_s"] / 1e9
frac = f"{100 * gbs / bw:.0f}% of {bw:.0f}" if bw > 0 else "bandwidth unmeasured"
ratio = lambda ours, peer: f"{ours / peer:.2f}x" if peer > 0 else "no peer"
print(f"| {spec} | pp512 | {a['pp_tok_s']:.1f} | {pp:.1f} | {ratio(a['pp_tok_s'], pp)} | |")
print(f"| {spec} | tg128 | {a['tg_tok_s']:.1f} | {tg:.1f} | {ratio(a['tg_tok_s'], tg)} | {gbs:.0f} GB/s, {frac} |")
PY
}

make_models() {
  export LD_LIBRARY_PATH=$libs
  local here=$bundle plinth=$bundle/bin/plinth shared=$bundle/shared bench_dir=$BENCH_DIR spec
  source "$bundle/peer_common.sh"
  for spec in $MODELS; do make_model "$spec" >/dev/null; done
}

run() {
  DEVICE=${DEVICE:-cuda:0} PEER=${PEER:-$bundle/peer/llama-bench} PEER_NGL=${PEER_NGL:-99}
  local models=(${MODELS:-1.1B-Q4_0 1.1B-Q4_K_M 7B-Q4_0 7B-Q4_K_M})
  if [[ ! -x $bundle/bin/plinth && -f $bundle.tar.xz ]]; then  # Python's tarfile where there is no xz
    tar -C "$here" -xJf "$bundle.tar.xz" 2>/dev/null ||
      python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$bundle.tar.xz" "$here"
  fi
  [[ -x $bundle/bin/plinth ]] || { echo "device-check: no $bundle; run 'tools/device-check.sh pack' here first" >&2; exit 2; }
  export PLINTH_SHARED_DIR=$bundle/shared
  # The travelling libraries for our binaries and the peer only: the machine's own Python (PyTorch)
  # needs its own libstdc++, newer than ours.
  libs=$bundle/deps
  local d
  for d in /usr/local/nvidia/lib64 /usr/local/cuda/lib64; do [[ -d $d ]] && libs+=:$d; done
  export libs
  # The peer links the CUDA runtime, cuBLAS and NCCL dynamically: the toolkit's, else the ones
  # PyTorch's wheels bring (site-packages/nvidia/*/lib).
  peer_libs=$libs
  for d in $(python3 -c 'import glob, site; print(" ".join(sorted(glob.glob(site.getsitepackages()[0] + "/nvidia/*/lib"))))' 2>/dev/null); do
    peer_libs+=:$d
  done
  export peer_libs
  local plinth=(env LD_LIBRARY_PATH="$libs" "$bundle/bin/plinth")
  local bench_dir=${BENCH_DIR:-/tmp/device-bench}
  mkdir -p "$bench_dir"
  say "device-check $(date -u +%FT%TZ) on $(hostname): $DEVICE, plugin built for $(cat "$bundle/cuda-arch")"

  if [[ $DEVICE == cuda:* ]]; then
    step "gpu" 30 nvidia-smi --query-gpu=name,compute_cap,memory.total,driver_version --format=csv
    local cap want
    cap=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d .)
    want=$(cut -d- -f1 <"$bundle/cuda-arch")
    say "the peer's libraries:" "$(LD_LIBRARY_PATH=$peer_libs ldd "$PEER" 2>&1 | grep -E 'cuda|cublas|nccl|not found')"
    [[ $cap == "$want" ]] || say "WARNING: the GPU is compute capability $cap; the plugin was built for $want (CUDA_ARCH=${cap}-real tools/device-check.sh pack)"
  fi

  # The benchmark files, written on the CPU while the GPU runs the tests (5 minutes at most).
  export BENCH_DIR=$bench_dir MODELS="${models[*]}"
  timeout 300 "$0" make-models >"$bench_dir/make-model.log" 2>&1 &
  local maker=$!

  step "plugins" 30 "${plinth[@]}" plugins
  step "devices" 30 "${plinth[@]}" devices
  # A failure is run again with the CUDA graphs on, then the tensor cores off: which one it is.
  local what binary whats=(conformance)
  [[ -n ${SKIP_GOLDENS:-} ]] || whats+=(goldens)
  for what in "${whats[@]}"; do
    binary=$bundle/bin/test_$([[ $what == conformance ]] && echo conformance || echo golden)
    step "$what on $DEVICE" 200 env LD_LIBRARY_PATH="$libs" "$binary" "*$DEVICE*" && continue
    [[ $DEVICE == cuda:* ]] || continue
    step "$what, CUDA graphs on" 200 env LD_LIBRARY_PATH="$libs" PLINTH_CUDA_GRAPHS=on "$binary" "*$DEVICE*"
    step "$what, tensor cores off" 200 env LD_LIBRARY_PATH="$libs" PLINTH_CUDA_TENSOR_CORES=off "$binary" "*$DEVICE*"
  done

  export DEVICE PEER PEER_NGL gpu_bw="" table=$bench_dir/table.md
  if [[ $DEVICE == cuda:* ]]; then
    gpu_bw=$(timeout 60 python3 -c "$gpu_read_bandwidth_py" 2>/dev/null | tail -1)
    say "" "GPU read bandwidth (PyTorch, a sum over 4 GiB): ${gpu_bw:-unmeasured} GB/s"
  fi
  say "" "== waiting for the benchmark files"
  wait "$maker" || { say "make-model failed:"; tail -5 "$bench_dir/make-model.log" | tee -a "${log:-/dev/null}"; }
  printf '%s\n' "| model | test | plinth t/s | llama.cpp t/s | ratio | decode weights read |" "|---|---|---|---|---|---|" >"$table"
  local spec
  for spec in "${models[@]}"; do
    if [[ ! -f $bench_dir/$spec.gguf ]]; then
      echo "| $spec | file missing | | | | |" >>"$table"
      results+=("$(printf '%-44s %s' "bench $spec" "FAIL (no file: see $bench_dir/make-model.log)")")
      continue
    fi
    step "bench $spec" 90 "$0" bench-pair "$bench_dir/$spec.gguf"
  done

  say "" "== plinth on $DEVICE against llama.cpp (-ngl $PEER_NGL)"
  tee -a "${log:-/dev/null}" <"$table"
  # What the CUDA graphs and the tensor cores are worth: the first file with the graphs on and the
  # tensor cores off, AB_ROUNDS rounds (default 2) in turn, so that a slow minute does not land on
  # one of them.
  if [[ $DEVICE == cuda:* && -f $bench_dir/${models[0]}.gguf ]]; then
    local option round
    for ((round = 1; round <= ${AB_ROUNDS:-2}; ++round)); do
      for option in "" graphs=on tensor_cores=off; do
        step "${models[0]} ${option:-as is} (round $round)" 60 "${plinth[@]}" bench -m "$bench_dir/${models[0]}.gguf" \
          --device "$DEVICE" -p 512 -n 128 -r 3 ${option:+--backend-option cuda.$option}
      done
    done
  fi
  say "" "== summary" "${results[@]}"
  for r in "${results[@]}"; do [[ $r == *FAIL* ]] && exit 1; done
  exit 0
}

case ${1:-} in
  pack) pack ;;
  run) run ;;
  bench-pair) bench_pair "$2" ;;  # run's own: one benchmark under step's time limit
  make-models) make_models ;;     # run's own: the benchmark files, under a time limit
  *) sed -n '2,8p' "$0" >&2; exit 2 ;;
esac
