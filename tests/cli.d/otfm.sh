# otfm.sh — `fusor sample -m PAN_OTFM` end to end on the tiny synthetic 4-band fixtures (tests/data/models) with the
# random-weight PAN-OTFM model (tests/golden/condunet_random.safetensors, made by tools/python/golden_condunet.py; a
# random network, so only the contract is checked: default one-step sampler, multi-step ODE samplers, evaluation
# counts, seeds, refusals, no partial output). Parity with the PyTorch reference is tests/test_pan_otfm.c.
# Sourced by tests/cli_test.sh ($FUSOR, $TMP, expect, ok, bad).
OTM=tests/golden/condunet_random.safetensors
MF=tests/data/models
if [ -f "$OTM" ]; then
  # the default sampler: one step from the LMS-based source, one evaluation per tile
  expect otfm-sample-onestep 0 "wrote .*ot1.tif: 4 bands 64x64 \(u16\), pan_otfm onestep 1 steps, seed 42" -- \
    "$FUSOR" sample -m "$OTM" --ms $MF/ms4.tif --pan $MF/pan.tif --seed 42 --merge blend --threads 1 -o "$TMP/ot1.tif"
  expect otfm-out-georeferenced 0 "EPSG:32633" -- "$FUSOR" info "$TMP/ot1.tif"
  expect otfm-onestep-nfe 0 '"sampler":"onestep","steps":1.*"tiles":1,.*"network_evaluations":1,' -- \
    "$FUSOR" sample -m "$OTM" --ms $MF/ms4.tif --pan $MF/pan.tif --merge blend --threads 1 --json -o "$TMP/ot1.h5"
  # multi-step ODE on the same velocity field: 4 Euler steps = 4 evaluations, Heun 2 steps = 3, midpoint 2 steps = 4
  expect otfm-euler4-nfe 0 '"sampler":"euler","steps":4.*"network_evaluations":4,' -- \
    "$FUSOR" sample -m "$OTM" --ms $MF/ms4.tif --pan $MF/pan.tif --sampler flow_euler --steps 4 --merge blend --threads 1 --json -o "$TMP/ot4.h5"
  expect otfm-heun2-nfe 0 '"sampler":"heun","steps":2.*"network_evaluations":3,' -- \
    "$FUSOR" sample -m "$OTM" --ms $MF/ms4.tif --pan $MF/pan.tif --sampler flow_heun --steps 2 --merge blend --threads 1 --json -o "$TMP/oth.h5"
  expect otfm-midpoint2-nfe 0 '"sampler":"midpoint","steps":2.*"network_evaluations":4,' -- \
    "$FUSOR" sample -m "$OTM" --ms $MF/ms4.tif --pan $MF/pan.tif --sampler flow_midpoint --steps 2 --merge blend --threads 1 --json -o "$TMP/otm.h5"
  # flow_euler with 1 step is the one-step map: same file
  "$FUSOR" sample -m "$OTM" --ms $MF/ms4.tif --pan $MF/pan.tif --sampler flow_euler --steps 1 --seed 42 --merge blend --threads 1 -o "$TMP/ote1.tif" >/dev/null 2>&1
  if [ -f "$TMP/ote1.tif" ] && cmp -s "$TMP/ot1.tif" "$TMP/ote1.tif"; then ok "otfm-euler1-is-onestep"; else bad "otfm-euler1-is-onestep"; fi
  # the source noise follows the seed
  "$FUSOR" sample -m "$OTM" --ms $MF/ms4.tif --pan $MF/pan.tif --seed 42 --merge blend --threads 1 -o "$TMP/ot1b.tif" >/dev/null 2>&1
  "$FUSOR" sample -m "$OTM" --ms $MF/ms4.tif --pan $MF/pan.tif --seed 43 --merge blend --threads 1 -o "$TMP/ot1c.tif" >/dev/null 2>&1
  if [ -f "$TMP/ot1b.tif" ] && cmp -s "$TMP/ot1.tif" "$TMP/ot1b.tif"; then ok "otfm-same-seed-same-output"; else bad "otfm-same-seed-same-output"; fi
  if [ -f "$TMP/ot1c.tif" ] && ! cmp -s "$TMP/ot1.tif" "$TMP/ot1c.tif"; then ok "otfm-other-seed-other-output"; else bad "otfm-other-seed-other-output"; fi
  # refusals: diffusion samplers, other processes, SDEdit starts; nothing written
  expect otfm-ddim-refused 1 "sampler ddim does not apply to PAN-OTFM.*use onestep, flow_euler, flow_heun or flow_midpoint" -- \
    "$FUSOR" sample -m "$OTM" --ms $MF/ms4.tif --pan $MF/pan.tif --sampler ddim -o "$TMP/otb.tif"
  expect otfm-bridge-refused 1 "sampler bridge_ode does not apply to PAN-OTFM" -- \
    "$FUSOR" sample -m "$OTM" --ms $MF/ms4.tif --pan $MF/pan.tif --sampler bridge_ode -o "$TMP/otb.tif"
  expect otfm-vp-refused 1 "trained on the flow process" -- \
    "$FUSOR" sample -m "$OTM" --ms $MF/ms4.tif --pan $MF/pan.tif --process vp -o "$TMP/otb.tif"
  expect otfm-sdedit-refused 1 "starts from its source" -- \
    "$FUSOR" sample -m "$OTM" --ms $MF/ms4.tif --pan $MF/pan.tif --sampler flow_euler --strength 0.5 -o "$TMP/otb.tif"
  expect otfm-bands 1 "ms8.tif has 8 bands; model .* takes 4" -- "$FUSOR" sample -m "$OTM" --ms $MF/ms8.tif --pan $MF/pan.tif -o "$TMP/otb.tif"
  if [ ! -e "$TMP/otb.tif" ]; then ok "otfm-no-partial-output"; else bad "otfm-no-partial-output"; fi
else
  ok "otfm-cli (skipped: $OTM missing)"
fi
