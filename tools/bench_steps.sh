#!/usr/bin/env bash
# bench_steps.sh — the steps-vs-quality sweep of issue #8 item 6 with `fusor bench steps`, on the held-out test set
# of the generative-model work (crops 15..24 of /work/data/wv2_crops64.h5 = PAN rows 192..319 of the WorldView-2
# scene, and the WorldView-3 scene /work/data/wv3_scene.h5 as a second, held-out sensor):
#   SSDiff        DDIM 10 / 50, DDPM 100 / 1000, DPM-Solver++(2M) 10
#   PAN-OTFM      one step, and the 2 / 4 / 8-step flow ODE (Euler)
#   bridge        1-step ODE, 5-step SDE
#   references    the LMS (interpolated MS), the six DLPan regression models + CANNet + FusionMamba (WV3
#                 checkpoints of ../shared/weights, converted here) as horizontal lines
# Trained models are taken from $TRAINED (not committed); whichever exist and load are swept, the others are
# reported as missing. Every point lands in $OUT/<set>/results.jsonl, so an interrupted run (Ctrl-C, kill -9)
# resumes where it stopped. With --docs, the tables of docs/BENCHMARKS.md and the plots under docs/bench/ are
# regenerated from the results.
# usage: bash tools/bench_steps.sh [--docs] [--quick]
#   --quick   a draft: 3 crops (15-17), no DDPM 1000 (the full DDPM 1000 point costs ~1000 network calls per crop)
# env: FUSOR (build/fusor), TRAINED (/work/trained), DATA (/work/data), FUSOR_SHARED (../shared),
#      OUT (out/bench-steps, git-ignored), THREADS (1: steadier times on a shared machine; part of the resume key),
#      SEEDS (1), INDEX (15-24), SSDIFF_SPEC, OTFM_SPEC, SB_SPEC,
#      TILING ("--tile 0 --merge blend": every crop / scene in one forward, FusionMamba padded to its 256 tile)
set -uo pipefail
FUSOR=${FUSOR:-build/fusor}
TRAINED=${TRAINED:-/work/trained}
DATA=${DATA:-/work/data}
SH=${FUSOR_SHARED:-../shared}
OUT=${OUT:-out/bench-steps}
THREADS=${THREADS:-1}
SEEDS=${SEEDS:-1}
INDEX=${INDEX:-15-24}
SSDIFF_SPEC=${SSDIFF_SPEC:-ddim:10,50;dpmpp_2m:10;ddpm:100,1000}
TILING=${TILING:---tile 0 --merge blend}
OTFM_SPEC=${OTFM_SPEC:-onestep:1;flow_euler:2,4,8}
SB_SPEC=${SB_SPEC:-bridge_ode:1;bridge_sde:5}
DOCS=0
for a in "$@"; do
  case $a in
    --docs) DOCS=1 ;;
    --quick) INDEX=15-17; SSDIFF_SPEC=${SSDIFF_SPEC//,1000/} ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "bench_steps: unknown option '$a' (--docs, --quick)" >&2; exit 2 ;;
  esac
done
log() { echo "bench_steps: $*" >&2; }
[ -x "$FUSOR" ] || { log "$FUSOR not found (make all)"; exit 2; }
mkdir -p "$OUT/models"

# 1. the models: trained generative ones (first existing name wins), converted regression references
first() { for f in "$@"; do [ -s "$f" ] && { echo "$f"; return; }; done; }
# a content-addressed copy (OUT/snap/<sha256 prefix>/NAME), so that a model still being trained cannot change under
# a running sweep; the same file always lands at the same path (and so keeps its resume keys)
snap() {
  [ -n "$1" ] || return 0
  local h; h=$(sha256sum "$1" | cut -c1-16)
  mkdir -p "$OUT/snap/$h"
  [ -s "$OUT/snap/$h/$(basename "$1")" ] || cp "$1" "$OUT/snap/$h/$(basename "$1")"
  echo "$OUT/snap/$h/$(basename "$1")"
}
SSDIFF=$(snap "$(first "$TRAINED/ssdiff_wv2.safetensors")")
OTFM=$(snap "$(first "$TRAINED/pan_otfm_wv2.safetensors" "$TRAINED/otfm_wv2.safetensors")")
SB=$(snap "$(first "$TRAINED/sb_pan_wv2.safetensors" "$TRAINED/sb_pan/sb_pan.safetensors")")
declare -A CK=([pnn]=dlpan_wv3/pnn.pth [pannet]=dlpan_wv3/pannet.pth [dicnn]=dlpan_wv3/dicnn1.pth
               [msdcnn]=dlpan_wv3/msdcnn.pth [fusionnet]=dlpan_wv3/fusionnet.pth [drpnn]=dlpan_wv3/drpnn.pth
               [cannet]=cannet_wv3.pth [fusionmamba]=fusionmamba_wv3.pth)
REFS=()
for m in pnn pannet dicnn msdcnn fusionnet drpnn cannet fusionmamba; do
  f="$OUT/models/${m}_wv3.safetensors"
  if [ ! -s "$f" ] && [ -r "$SH/weights/${CK[$m]}" ]; then
    "$FUSOR" convert "$SH/weights/${CK[$m]}" "$f" --arch "$m" --set sensor=WV3 --set scale=2047 >/dev/null 2>&1 || log "cannot convert ${CK[$m]}"
  fi
  if [ -s "$f" ]; then REFS+=(-m "$f"); else log "reference $m missing ($SH/weights/${CK[$m]})"; fi
done

# keeps a generative model when it loads and takes its spec (fusor bench steps --plan probes it)
GEN=()
add_gen() {  # NAME FILE SPEC SET
  if [ -z "$2" ]; then log "$1: no trained model in $TRAINED (skipped)"; return; fi
  if "$FUSOR" bench steps --set "$4" -m "$2" --samplers "$3" --sensor WV2 --plan -o "$OUT/plan" >/dev/null 2>"$OUT/plan.err"; then
    GEN+=(-m "$2" --samplers "$3")
  else
    log "$1: $2 does not run here: $(tail -1 "$OUT/plan.err") (skipped)"
  fi
}

# 2. the sweeps: the WV3 scene (a sensor the models never saw; one 32x32 image, quick), then the WV2 held-out crops
run_set() {  # NAME SET INDEX SENSOR
  local name=$1 set=$2 index=$3 sensor=$4
  [ -r "$set" ] || { log "$set missing (tools/make_pan_sets.sh makes it)"; return 1; }
  GEN=()
  add_gen sb_pan "$SB" "$SB_SPEC" "$set"
  add_gen pan_otfm "$OTFM" "$OTFM_SPEC" "$set"
  add_gen ssdiff "$SSDIFF" "$SSDIFF_SPEC" "$set"  # last: its DDPM 1000 point is the longest
  log "$name: $set [$index], $(( ${#GEN[@]} / 4 )) generative models, $(( ${#REFS[@]} / 2 )) references, $SEEDS seed(s)"
  nice -n 10 "$FUSOR" bench steps --set "$set" --index "$index" --sensor "$sensor" --lms "${REFS[@]}" "${GEN[@]}" \
    --seeds "$SEEDS" --threads "$THREADS" $TILING -o "$OUT/$name"
}
run_set wv3 "$DATA/wv3_scene.h5" all WV3 || log "wv3 sweep failed (the WV2 sweep follows)"
run_set wv2 "$DATA/wv2_crops64.h5" "$INDEX" WV2 || exit 1

[ "$DOCS" = 1 ] || { log "results in $OUT/wv2 and $OUT/wv3 (pass --docs to update docs/BENCHMARKS.md)"; exit 0; }

# 3. docs: markdown tables from results.csv between the markers of docs/BENCHMARKS.md, plots into docs/bench/
table() {  # results.csv -> markdown (model, sampler, steps, NFE, s/image, metrics, Pareto of Q2n)
  awk -F, 'NR==1 {for (i = 1; i <= NF; i++) k[$i] = i; next}
    function f(v, d) { return v == "nan" || v == "" ? "–" : sprintf("%." d "f", v) }
    { m = $1; sub(/.*\//, "", m); sub(/\.safetensors$/, "", m); if (m == "lms") m = "LMS (interpolated MS)"
      s = $(k["sampler"]) == "regression" ? "—" : $(k["sampler"]); st = $(k["sampler"]) == "regression" ? "—" : $(k["steps"])
      p = $(k["pareto"]); par = (p ~ /Q2n/ ? "Q2n " : "") (p ~ /SAM/ ? "SAM " : "") (p ~ /HQNR/ ? "HQNR" : "")
      printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", m, s, st, f($(k["nfe"]), 0),
        f($(k["wall_median_s"]), 3), f($(k["SAM"]), 3), f($(k["ERGAS"]), 3), f($(k["Q2n"]), 4), f($(k["SCC"]), 4),
        f($(k["PSNR"]), 2), f($(k["HQNR"]), 4), f($(k["peak_rss_mib"]), 0), par }' "$1"
}
mkdir -p docs/bench
for name in wv2 wv3; do
  csv="$OUT/$name/results.csv"
  [ -s "$csv" ] || continue
  {
    echo "| model | sampler | steps | NFE/tile | s/image | SAM | ERGAS | Q2n | SCC | PSNR | HQNR | peak MiB | Pareto (time) |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    table "$csv"
    echo
    echo "Command: \`$(sed -n 's/^{"command":"\([^"]*\)".*/\1/p' "$OUT/$name/results.json")\`  "
    echo "Build: $(sed -n 's/.*"git":"\([^"]*\)","machine":"\([^"]*\)","threads":\([0-9]*\).*/git \1, \2, threads \3/p' "$OUT/$name/results.json")"
  } > "$OUT/$name/table.md"
  for m in SAM ERGAS Q2n SCC PSNR HQNR; do
    cp "$OUT/$name/steps_$m.svg" "docs/bench/${name}_steps_$m.svg"
    cp "$OUT/$name/time_$m.svg" "docs/bench/${name}_time_$m.svg"
  done
  cp "$csv" "docs/bench/${name}_results.csv"
  # replace the lines between <!-- table:NAME --> and <!-- /table:NAME --> by the new table
  awk -v t="$OUT/$name/table.md" -v n="$name" '
    $0 == "<!-- table:" n " -->" { print; while ((getline l < t) > 0) print l; skip = 1; next }
    $0 == "<!-- /table:" n " -->" { skip = 0 }
    !skip { print }' docs/BENCHMARKS.md > docs/BENCHMARKS.md.tmp && mv docs/BENCHMARKS.md.tmp docs/BENCHMARKS.md
  log "docs/BENCHMARKS.md table:$name and docs/bench/${name}_*.svg updated"
done
