# sb.sh — `fusor sample -m SB_PAN` end to end on the tiny synthetic 4-band fixtures (tests/data/models) with the
# random-weight Schrödinger-bridge model (tests/golden/sb_random.safetensors, made by tools/python/fusor_ref/sb.py;
# a random network, so only the contract is checked: default sampler, output, seeds, evaluation counts, refusals).
# Parity with the PyTorch reference is tests/test_sb_pan.c. Sourced by tests/cli_test.sh ($FUSOR, $TMP, expect, ok, bad).
SBM=tests/golden/sb_random.safetensors
MF=tests/data/models
if [ -f "$SBM" ]; then
  # the default sampler: bridge_ode, 1 step, from the LMS
  expect sb-default-ode1 0 "wrote .*sb1.tif: 4 bands 64x64 \(u16\), sb_pan bridge_ode 1 steps, seed 0, 1 tiles \(blend\)" -- \
    "$FUSOR" sample -m "$SBM" --ms $MF/ms4.tif --pan $MF/pan.tif --merge blend --threads 1 -o "$TMP/sb1.tif"
  expect sb-out-georeferenced 0 "EPSG:32633" -- "$FUSOR" info "$TMP/sb1.tif"
  # the ODE adds no noise: another seed gives the same file
  "$FUSOR" sample -m "$SBM" --ms $MF/ms4.tif --pan $MF/pan.tif --seed 9 --merge blend --threads 1 -o "$TMP/sb1s9.tif" >/dev/null 2>&1
  if [ -f "$TMP/sb1s9.tif" ] && cmp -s "$TMP/sb1.tif" "$TMP/sb1s9.tif"; then ok "sb-ode-seed-free"; else bad "sb-ode-seed-free"; fi
  # the SDE: 5 evaluations per tile; same seed same file, another seed another file
  expect sb-sde5-json 0 '"arch":"sb_pan","sampler":"bridge_sde","steps":5,"seed":7.*"tiles":4.*"network_evaluations":20' -- \
    "$FUSOR" sample -m "$SBM" --ms $MF/ms4.tif --pan $MF/pan.tif --sampler bridge_sde --steps 5 --seed 7 --threads 1 --json -o "$TMP/sde7a.tif"
  "$FUSOR" sample -m "$SBM" --ms $MF/ms4.tif --pan $MF/pan.tif --sampler bridge_sde --steps 5 --seed 7 --threads 1 -o "$TMP/sde7b.tif" >/dev/null 2>&1
  "$FUSOR" sample -m "$SBM" --ms $MF/ms4.tif --pan $MF/pan.tif --sampler bridge_sde --steps 5 --seed 8 --threads 1 -o "$TMP/sde8.tif" >/dev/null 2>&1
  if [ -f "$TMP/sde7b.tif" ] && cmp -s "$TMP/sde7a.tif" "$TMP/sde7b.tif"; then ok "sb-sde-same-seed-same-output"; else bad "sb-sde-same-seed-same-output"; fi
  if [ -f "$TMP/sde8.tif" ] && ! cmp -s "$TMP/sde7a.tif" "$TMP/sde8.tif"; then ok "sb-sde-other-seed-other-output"; else bad "sb-sde-other-seed-other-output"; fi
  # refusals: non-bridge samplers and processes, another time input; nothing written
  expect sb-ddim-refused 1 "sampler ddim is not a bridge sampler; sb_pan samples with bridge_ode or bridge_sde" -- \
    "$FUSOR" sample -m "$SBM" --ms $MF/ms4.tif --pan $MF/pan.tif --sampler ddim -o "$TMP/sbx.tif"
  expect sb-flow-refused 1 "trained on the bridge process" -- \
    "$FUSOR" sample -m "$SBM" --ms $MF/ms4.tif --pan $MF/pan.tif --process flow -o "$TMP/sbx.tif"
  expect sb-time-input-refused 1 "bridge index" -- \
    "$FUSOR" sample -m "$SBM" --ms $MF/ms4.tif --pan $MF/pan.tif --time-input sigma -o "$TMP/sbx.tif"
  expect sb-bands 1 "ms8.tif has 8 bands; model .* takes 4" -- "$FUSOR" sample -m "$SBM" --ms $MF/ms8.tif --pan $MF/pan.tif -o "$TMP/sbx.tif"
  if [ ! -e "$TMP/sbx.tif" ]; then ok "sb-no-partial-output"; else bad "sb-no-partial-output"; fi
else
  ok "sb-cli (skipped: $SBM missing)"
fi
