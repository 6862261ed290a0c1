#!/usr/bin/env bash
# make_pan_sets.sh — recreates the reduced-resolution pansharpening sets the generative models are trained and
# tested on (gen_common.md: Wald's protocol by `fusor simulate`, PanCollection HDF5 gt/ms/lms/pan, DN float64):
#   wv2_scene.h5    grip_imgWV2.mat, the whole reduced scene (gt 1x8x320x320)       --crop 320 --count 1
#   wv2_crops64.h5  the same scene as 25 non-overlapping 64x64 crops (row-major 5x5)  --crop 64
#   wv3_scene.h5    zpnn_WV3_example.mat, the held-out sensor (gt 1x8x32x32)          --sensor WV3 --crop 32
# Split: training uses PAN rows 0..191 of wv2_scene (= crops 0..14); crops 15..24 and wv3_scene are held out.
# usage: tools/make_pan_sets.sh OUT_DIR [--force] [--fusor PATH] [--shared DIR]
#   An existing set is kept (it is never overwritten without --force), so running it twice is harmless.
#   FUSOR (default build/fusor) and SHARED (default ../shared) may also come from the environment.
set -u
usage() { sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; }
OUT=""; FORCE=0; FUSOR=${FUSOR:-build/fusor}; SHARED=${SHARED:-../shared}
while [ $# -gt 0 ]; do
  case "$1" in
    --force) FORCE=1 ;;
    --fusor) [ $# -ge 2 ] || { echo "make_pan_sets.sh: --fusor needs a path" >&2; exit 2; }; FUSOR=$2; shift ;;
    --shared) [ $# -ge 2 ] || { echo "make_pan_sets.sh: --shared needs a directory" >&2; exit 2; }; SHARED=$2; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "make_pan_sets.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) [ -z "$OUT" ] || { echo "make_pan_sets.sh: one output directory expected, got '$OUT' and '$1'" >&2; exit 2; }; OUT=$1 ;;
  esac
  shift
done
[ -n "$OUT" ] || { usage >&2; exit 2; }
[ -x "$FUSOR" ] || { echo "make_pan_sets.sh: $FUSOR is not an executable fusor binary (run make, or pass --fusor PATH)" >&2; exit 1; }
PS=$SHARED/data/pansharpening
for f in grip_imgWV2.mat zpnn_WV3_example.mat; do
  [ -f "$PS/$f" ] || { echo "make_pan_sets.sh: $PS/$f is missing (the sets are simulated from ../shared data; pass --shared DIR)" >&2; exit 1; }
done
mkdir -p "$OUT" || { echo "make_pan_sets.sh: cannot create $OUT" >&2; exit 1; }
# make NAME SCENE ARGS...: simulates OUT/NAME unless it exists (or --force); fusor writes atomically.
make_set() {
  local name=$1 scene=$2; shift 2
  if [ -e "$OUT/$name" ] && [ $FORCE = 0 ]; then echo "kept   $OUT/$name (exists; --force remakes it)"; return 0; fi
  local f=(); [ $FORCE = 1 ] && f=(--force)
  if "$FUSOR" simulate "$PS/$scene" "$@" -o "$OUT/$name" "${f[@]}" >/dev/null; then echo "made   $OUT/$name"
  else echo "make_pan_sets.sh: fusor simulate $scene $* failed" >&2; return 1; fi
}
make_set wv2_scene.h5 grip_imgWV2.mat --crop 320 --count 1 || exit 1
make_set wv2_crops64.h5 grip_imgWV2.mat --crop 64 || exit 1
make_set wv3_scene.h5 zpnn_WV3_example.mat --sensor WV3 --crop 32 || exit 1
