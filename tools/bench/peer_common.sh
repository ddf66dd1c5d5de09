# Sourced by tools/bench-vs-peer and tools/bench-serve-vs-peer: what both need beside the peer.
# Expects $here (the repository), $shared, $bench_dir and $plinth to be set.

# Some virtual machines report AMX but refuse the permission to use its tiles, and the peer then
# dies; a tiny preload makes that permission request fail cleanly so the peer falls back.
preload=""
if grep -q amx_tile /proc/cpuinfo 2>/dev/null; then
  preload=$bench_dir/no-amx.so
  [ -f "$preload" ] || cc -shared -fPIC -O2 -o "$preload" "$here/tools/bench/no_amx_permission.c" -ldl
fi

# machine_line -> one line naming this CPU, printed above each table: the same build measured 0.57x
# and 1.64x the peer's decode on two kinds of machine (docs/performance.md, "On an AMD Zen 4").
machine_line() {
  local name family model caches
  name=$(grep -m1 '^model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//')
  family=$(grep -m1 '^cpu family' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | tr -d ' ')
  model=$(grep -m1 '^model[[:space:]]*:' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | tr -d ' ')
  caches=$(lscpu 2>/dev/null | awk -F: '/^L[23] cache/ {gsub(/^ +/, "", $2); printf "%s%s %s", sep, $1, $2; sep = ", "}')
  echo "machine: ${name:-unknown CPU} (family ${family:-?}, model ${model:-?}), $(nproc) CPUs${caches:+, $caches}"
}

# make_model SPEC -> prints the file: a benchmark model (random weights, real shapes), written by
# `plinth make-model` once and cached in $bench_dir. SPEC is SHAPE-TYPE, e.g. 1.1B-Q4_0, 134M-Q8_0, 7B-Q4_K_M.
make_model() {
  local spec=$1 file=$bench_dir/$1.gguf shape type
  shape=${spec%%-*} type=${spec#*-}
  if [ ! -f "$file" ]; then
    case $shape in
      1.1B) "$plinth" make-model "$file" --embd 2048 --layers 22 --heads 32 --kv-heads 4 --ffn 5632 --vocab 32000 \
              --type "$type" --vocab-from "$shared/vocab/ggml-vocab-llama-spm.gguf" >&2 ;;
      7B) "$plinth" make-model "$file" --embd 4096 --layers 32 --heads 32 --kv-heads 32 --ffn 11008 --vocab 32000 \
              --type "$type" --vocab-from "$shared/vocab/ggml-vocab-llama-spm.gguf" >&2 ;;
      134M) "$plinth" make-model "$file" --embd 768 --layers 12 --heads 12 --kv-heads 12 --ffn 2048 --vocab 32000 \
              --type "$type" --vocab-from "$shared/vocab/ggml-vocab-llama-spm.gguf" >&2 ;;
      *) echo "unknown shape in $spec" >&2; exit 2 ;;
    esac
  fi
  echo "$file"
}
