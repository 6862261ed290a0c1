# bench_steps.sh — `fusor bench steps` end to end on the tiny closed-form set tests/data/bench/steps4.h5 (2 images,
# 4 bands, 32x32; tests/test_bench_steps.c checks it against its formula) with the random-weight SSDiff model:
# a 2-point sweep writes CSV / JSON / SVG; its metrics equal `fusor eval` of `fusor sample` output for the same
# points (the oracle: the independently tested sample and eval paths); a rerun recomputes nothing; a sweep killed
# with -9 keeps every finished point and resumes the rest; bad specs give clear errors and no output.
# Sourced by tests/cli_test.sh ($FUSOR, $TMP, expect, ok, bad).
SSM=tests/golden/ssdiff_random.safetensors
BS=tests/data/bench/steps4.h5
expect bench-help 0 "Pareto front" -- "$FUSOR" bench steps --help
expect bench-no-kind 2 "usage: fusor bench steps" -- "$FUSOR" bench
expect bench-unknown-kind 2 "unknown benchmark 'speed'" -- "$FUSOR" bench speed
if [ -f "$SSM" ] && [ -f "$BS" ]; then
  BO="$TMP/bench"
  COMMON=(--set "$BS" --sensor QB --tile 32 --merge blend --threads 1)
  expect bench-steps-sweep 0 "2 points \(2 runs: 2 computed, 0 reused" -- \
    "$FUSOR" bench steps "${COMMON[@]}" -m "$SSM" --samplers "ddim:2,5" -o "$BO"
  [ "$(wc -l < "$BO/results.csv" 2>/dev/null)" = 3 ] && ok "bench-steps-csv-rows" || bad "bench-steps-csv-rows"
  grep -q '"git":".*"machine":".*"threads":1' "$BO/results.json" 2>/dev/null && grep -q '"per_image":\[{"index":0' "$BO/results.json" &&
    ok "bench-steps-json-header" || bad "bench-steps-json-header"
  n=$(ls "$BO"/steps_*.svg "$BO"/time_*.svg 2>/dev/null | wc -l)
  [ "$n" = 20 ] && grep -q "Pareto front" "$BO/time_Q2n.svg" && ok "bench-steps-svg" || bad "bench-steps-svg ($n plots)"
  # oracle: fusor sample (f32 output) + fusor eval of the same points, per metric
  for st in 2 5; do
    mkdir -p "$TMP/bs$st"
    for i in 0 1; do
      "$FUSOR" sample -m "$SSM" --ms "$BS" --ms-key ms --pan "$BS" --pan-key pan --lms "$BS" --lms-key lms --index $i --sampler ddim \
        --steps $st --seed 0 --tile 32 --merge blend --threads 1 --dtype f32 -o "$TMP/bs$st/img$i.tif" >/dev/null 2>&1
    done
    "$FUSOR" eval --ref "$BS" --fused "$TMP/bs$st" --format csv > "$TMP/bs$st.rr.csv" 2>/dev/null
    "$FUSOR" eval --fused "$TMP/bs$st" --ms "$BS" --sensor QB --format csv > "$TMP/bs$st.fr.csv" 2>/dev/null
    for m in SAM ERGAS SCC Q2n Q_avg PSNR SSIM D_lambda D_s HQNR; do
      case $m in D_*|HQNR) f="$TMP/bs$st.fr.csv" ;; *) f="$TMP/bs$st.rr.csv" ;; esac
      want=$(awk -F, -v c=$m 'NR==1{for(i=1;i<=NF;i++) if($i==c) k=i} $1=="mean" && k{print $k}' "$f")
      got=$(awk -F, -v c=$m -v s=$st 'NR==1{for(i=1;i<=NF;i++) if($i==c) k=i} $3=="ddim" && $4==s && k{print $k}' "$BO/results.csv")
      if [ -n "$want" ] && [ -n "$got" ] && awk -v g="$got" -v w="$want" 'BEGIN{d=g-w; if(d<0)d=-d; a=w<0?-w:w; exit !(d<=1e-8*a+1e-12)}'; then
        ok "bench-steps-ddim$st-$m-equals-eval"
      else bad "bench-steps-ddim$st-$m-equals-eval (bench '$got', eval '$want')"; fi
    done
  done
  # --no-fork (in-process points) gives the same numbers, without a peak memory
  expect bench-steps-no-fork 0 "1 points" -- "$FUSOR" bench steps "${COMMON[@]}" -m "$SSM" --samplers ddim:2 --no-fork -o "$TMP/bnf"
  a=$(awk -F, '$3=="ddim" && $4==2 {print $11, $12, $14, $20}' "$BO/results.csv"); b=$(awk -F, 'NR==2 {print $11, $12, $14, $20}' "$TMP/bnf/results.csv" 2>/dev/null)
  [ -n "$a" ] && [ "$a" = "$b" ] && awk -F, 'NR==2 {exit !($10=="nan")}' "$TMP/bnf/results.csv" && ok "bench-steps-no-fork-same" ||
    bad "bench-steps-no-fork-same ('$a' vs '$b')"
  # the LMS reference line equals fusor eval of the set's lms
  expect bench-steps-lms 0 "1 points" -- "$FUSOR" bench steps "${COMMON[@]}" --lms -o "$TMP/blms"
  "$FUSOR" eval --ref "$BS" --fused "$BS" --fused-key lms --format csv > "$TMP/lms.rr.csv" 2>/dev/null
  for m in SAM ERGAS Q2n; do
    want=$(awk -F, -v c=$m 'NR==1{for(i=1;i<=NF;i++) if($i==c) k=i} $1=="mean" && k{print $k}' "$TMP/lms.rr.csv")
    got=$(awk -F, -v c=$m 'NR==1{for(i=1;i<=NF;i++) if($i==c) k=i} $1=="lms" && k{print $k}' "$TMP/blms/results.csv" 2>/dev/null)
    [ -n "$want" ] && [ "$got" = "$want" ] && ok "bench-steps-lms-$m-equals-eval" || bad "bench-steps-lms-$m-equals-eval (bench '$got', eval '$want')"
  done
  # resume: nothing recomputed, results.jsonl untouched; a new step count computes only itself
  cp "$BO/results.jsonl" "$TMP/jsonl.before"
  expect bench-steps-resume 0 "2 runs: 0 computed, 2 reused" -- "$FUSOR" bench steps "${COMMON[@]}" -m "$SSM" --samplers "ddim:2,5" -o "$BO"
  cmp -s "$BO/results.jsonl" "$TMP/jsonl.before" && ok "bench-steps-resume-unchanged" || bad "bench-steps-resume-unchanged"
  expect bench-steps-resume-extend 0 "3 points \(3 runs: 1 computed, 2 reused" -- \
    "$FUSOR" bench steps "${COMMON[@]}" -m "$SSM" --samplers "ddim:2,5,10" -o "$BO"
  expect bench-steps-seeds 0 "2 runs: 1 computed, 1 reused" -- "$FUSOR" bench steps "${COMMON[@]}" -m "$SSM" --samplers "ddim:2" --seeds 2 -o "$BO"
  awk -F, '$3=="ddim" && $4==2 && $5==2' "$BO/results.csv" | grep -q . && ok "bench-steps-seeds-csv" || bad "bench-steps-seeds-csv"
  # kill -9 in the middle: every kept line is a whole record, the rerun computes only the missing points
  KO="$TMP/bench_kill"
  "$FUSOR" bench steps "${COMMON[@]}" -m "$SSM" --samplers "ddim:3,4,6,8,10,12" -o "$KO" >/dev/null 2>&1 &
  kpid=$!
  for _ in $(seq 1 600); do [ -s "$KO/results.jsonl" ] && break; sleep 0.1; done
  kill -9 $kpid 2>/dev/null; wait $kpid 2>/dev/null
  kept=$(wc -l < "$KO/results.jsonl" 2>/dev/null || echo 0)
  if [ "$kept" -ge 1 ] && [ "$(grep -vc '^{"key":.*}$' "$KO/results.jsonl")" = 0 ]; then ok "bench-steps-kill9-kept-$kept-whole"; else bad "bench-steps-kill9-kept ($kept lines)"; fi
  sleep 0.5
  if pgrep -f -- "-o $KO" >/dev/null 2>&1; then bad "bench-steps-kill9-worker-left"; else ok "bench-steps-kill9-no-worker-left"; fi
  if [ "$kept" -lt 6 ]; then
    expect bench-steps-kill9-resume 0 "6 runs: $((6 - kept)) computed, $kept reused" -- \
      "$FUSOR" bench steps "${COMMON[@]}" -m "$SSM" --samplers "ddim:3,4,6,8,10,12" -o "$KO"
  else ok "bench-steps-kill9-resume (the sweep had finished)"; fi
  # a regression model as the reference line (needs ../shared for a 4-band checkpoint)
  SH=${FUSOR_SHARED:-../shared}
  if [ -r "$SH/weights/cannet_qb.pth" ] && "$FUSOR" convert "$SH/weights/cannet_qb.pth" "$TMP/cannet_qb.safetensors" --arch cannet --set scale=2047 >/dev/null 2>&1; then
    expect bench-steps-regression 0 "3 points \(3 runs: 1 computed, 2 reused" -- \
      "$FUSOR" bench steps "${COMMON[@]}" -m "$SSM" --samplers "ddim:2,5" -m "$TMP/cannet_qb.safetensors" -o "$BO"
    awk -F, '$2=="cannet" && $3=="regression" && $4==1' "$BO/results.csv" | grep -q . && grep -q 'cannet_qb (regression)' "$BO/steps_SAM.svg" &&
      ok "bench-steps-regression-line" || bad "bench-steps-regression-line"
    expect bench-steps-regression-spec 1 "regression network \(one reference point" -- \
      "$FUSOR" bench steps "${COMMON[@]}" -m "$TMP/cannet_qb.safetensors" --samplers ddim:2 -o "$TMP/bx"
  else
    echo "skip cli: bench-steps regression reference line ($SH/weights/cannet_qb.pth absent)"
  fi
  # bad specs and inputs: clear messages, no output directory
  expect bench-steps-zero-steps 2 "ddim steps '0': expected an integer from 1 to 1000" -- \
    "$FUSOR" bench steps "${COMMON[@]}" -m "$SSM" --samplers ddim:0 -o "$TMP/bx"
  expect bench-steps-unknown-sampler 2 "frob" -- "$FUSOR" bench steps "${COMMON[@]}" -m "$SSM" --samplers "frob:10" -o "$TMP/bx"
  expect bench-steps-wrong-process 1 "flow_euler:4 does not fit the model.*vp" -- \
    "$FUSOR" bench steps "${COMMON[@]}" -m "$SSM" --samplers "ddim:2;flow_euler:4" -o "$TMP/bx"
  expect bench-steps-no-grid 1 "cannot create exactly 1 steps" -- "$FUSOR" bench steps "${COMMON[@]}" -m "$SSM" --samplers ddim:1 -o "$TMP/bx"
  expect bench-steps-bad-index 1 "image 5 is out of range \(the set holds 2: 0-1\)" -- \
    "$FUSOR" bench steps "${COMMON[@]}" --index 0-5 -m "$SSM" --samplers ddim:2 -o "$TMP/bx"
  expect bench-steps-not-a-set 1 "expected a PanCollection HDF5 set" -- \
    "$FUSOR" bench steps --set tests/data/raster/pc_small.h5 --sensor QB -m "$SSM" --samplers ddim:2 -o "$TMP/bx"
  expect bench-steps-needs-sensor 1 "names no sensor: pass --sensor" -- \
    "$FUSOR" bench steps --set "$BS" -m "$SSM" --samplers ddim:2 -o "$TMP/bx"
  expect bench-steps-needs-args 2 "are required" -- "$FUSOR" bench steps -m "$SSM" -o "$TMP/bx"
  [ -e "$TMP/bx" ] && bad "bench-steps bad input left an output directory" || ok "bench-steps-bad-no-output"
else
  ok "bench-steps-cli (skipped: $SSM or $BS missing)"
fi
