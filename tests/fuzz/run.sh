#!/usr/bin/env bash
# run.sh SECONDS — builds the libFuzzer targets (clang, ASan + UBSan) into build/fuzz/ and runs each
# for SECONDS seconds on a copy of the seed corpus (tests/fuzz/corpus/). Exits non-zero when a
# target crashes, leaks, times out or fails to build; crash inputs are kept in build/fuzz/.
set -euo pipefail
SECS=${1:-30}
cd "$(dirname "$0")/../.."
OUT=${FUZZ_OUT:-build/fuzz}
CC=${FUZZ_CC:-clang}
if ! command -v "$CC" >/dev/null; then
  echo "fuzz: '$CC' not found: install clang (apt-get install clang) to build the libFuzzer targets" >&2
  exit 1
fi
for pc in libzip libcjson; do
  pkg-config --exists "$pc" || { echo "fuzz: pkg-config cannot find $pc (apt-get install ${pc}-dev)" >&2; exit 1; }
done
mkdir -p "$OUT"
CFLAGS="-std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
        -Iinclude -Iruntime -DFZ_HAVE_ZIP -DFZ_HAVE_CJSON $(pkg-config --cflags libzip libcjson)"
LIBS="$(pkg-config --libs libzip libcjson) -lm"
COMMON="runtime/error.c runtime/log.c runtime/tensor.c runtime/weights.c"
declare -A SRCS=(
  [fuzz_safetensors]="$COMMON runtime/safetensors.c runtime/safetensors_write.c"
  [fuzz_pth]="$COMMON runtime/unpickle.c runtime/pth.c runtime/pth_zip.c"
)
declare -A CORPUS=([fuzz_safetensors]=safetensors [fuzz_pth]=pth)
status=0
for t in fuzz_safetensors fuzz_pth; do
  echo "fuzz: building $OUT/$t"
  # shellcheck disable=SC2086
  $CC $CFLAGS "tests/fuzz/$t.c" ${SRCS[$t]} $LIBS -o "$OUT/$t"
  work="$OUT/corpus_${CORPUS[$t]}"
  mkdir -p "$work"
  cp -n tests/fuzz/corpus/"${CORPUS[$t]}"/* "$work"/ 2>/dev/null || true
  dict=()
  [ -f "tests/fuzz/${CORPUS[$t]}.dict" ] && dict=(-dict="tests/fuzz/${CORPUS[$t]}.dict")
  echo "fuzz: running $t for ${SECS}s"
  if ! ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1 \
      "$OUT/$t" "$work" "${dict[@]}" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
      -artifact_prefix="$OUT/$t-" -print_final_stats=1 > "$OUT/$t.log" 2>&1; then
    echo "fuzz: $t FAILED — see $OUT/$t.log and $OUT/$t-crash-* / -leak-* / -timeout-*" >&2
    tail -40 "$OUT/$t.log" >&2
    status=1
  else
    grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb" "$OUT/$t.log" | sed "s/^/fuzz: $t: /"
    echo "fuzz: $t ok (no crash in ${SECS}s; corpus $(ls "$work" | wc -l) inputs)"
  fi
done
exit $status
