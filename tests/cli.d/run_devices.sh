# run_devices.sh — `fusor devices` and `--device cuda:N` in a build without a usable GPU (this test suite's fusor is
# the CPU build; the nvcc build without a driver takes the same path): the listing says why CUDA is unavailable,
# and `run` / `sample` with --device cuda:0 say so and run on the CPU; a malformed device is an error.
# Sourced by tests/cli_test.sh ($FUSOR, $TMP, expect, ok, bad); uses run.sh's fixtures ($MF, $ZM).
MF=tests/data/models
expect devices-cuda-reason 0 "^cuda +not available: .*the CPU backend runs" -- "$FUSOR" devices
expect devices-cuda-reason-json 0 '"device":"cuda","available":false,"reason":"' -- "$FUSOR" devices --json
expect device-cuda-run-falls-back 0 "cuda:0 requested, but .*the CPU backend runs instead" -- \
  "$FUSOR" run -m "$ZM" --ms $MF/ms8.tif --pan $MF/pan.tif -o "$TMP/dev_cuda.tif" --device cuda:0
if [ -s "$TMP/dev_cuda.tif" ]; then ok "device-cuda-run-output"; else bad "device-cuda-run-output: $TMP/dev_cuda.tif missing"; fi
expect device-cuda-sample-falls-back 0 "cuda:0 requested, but .*the CPU backend runs instead" -- \
  "$FUSOR" sample --model gaussian:0.5,0.2 --sampler ddim --steps 4 --seed 1 --device cuda:0
expect device-malformed 1 "'cuda:x' is not a device; expected cpu or cuda:N" -- \
  "$FUSOR" sample --model gaussian:0.5,0.2 --steps 4 --device cuda:x
