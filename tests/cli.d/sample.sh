# sample.sh — `fusor sample` end-to-end checks (sourced by tests/cli_test.sh; uses expect, $FUSOR, $TMP).
expect sample-help 0 "gaussian:MU,SD" -- "$FUSOR" sample --help
expect sample-needs-model 2 "--model is required" -- "$FUSOR" sample --steps 3
expect sample-missing-model-file 1 "weights.safetensors: cannot open" -- "$FUSOR" sample --model weights.safetensors
expect sample-bad-sampler 1 "'plms' is not a sampler" -- "$FUSOR" sample --model gaussian:0,1 --sampler plms
expect sample-bad-model-spec 1 "expected gaussian:MU,SD" -- "$FUSOR" sample --model gaussian:0.5
expect sample-bad-option 2 "unknown option" -- "$FUSOR" sample --model gaussian:0,1 --frobnicate
expect sample-euler-a-flow 1 "flow_euler" -- "$FUSOR" sample --model gaussian:0,1 --sampler euler_a --process flow
# the sample statistics approach the data's (mean 0.5, std 0.2) for a deterministic and a stochastic sampler
expect sample-heun-stats 0 "channel 1: mean 0\.(49|50|51)[0-9]* std 0\.(19|20|21)" -- "$FUSOR" sample --model gaussian:0.5,0.2 --sampler heun --steps 30 --shape 2,64,64
expect sample-dpm-sde-stats 0 "channel 0: mean 0\.(49|50|51)[0-9]* std 0\.(19|20|21)" -- "$FUSOR" sample --model "gaussian:0.5,0.2;1.0,0.5" --sampler dpmpp_2m_sde --steps 100 --shape 2,64,64 --seed 3
expect sample-flow-json 0 '"event":"result","sampler":"euler"' -- "$FUSOR" sample --model gaussian:-1,0.3 --sampler flow_euler --steps 20 --shift 3 --json --shape 1,32,32
expect sample-json-progress 0 '"event":"progress"' -- "$FUSOR" sample --model gaussian:0,1 --sampler ddim --steps 5 --json --shape 1,16,16
expect sample-bridge 0 "channel 0: mean" -- "$FUSOR" sample --model gaussian:0.3,0.1 --sampler bridge_sde --steps 5 --prior 0.6 --shape 1,32,32
expect sample-npy 0 "wrote .*sample.npy" -- "$FUSOR" sample --model gaussian:0,1 --sampler euler --steps 4 --shape 3,8,8 -o "$TMP/sample.npy"
if [ -f "$TMP/sample.npy" ] && [ "$(stat -c %s "$TMP/sample.npy")" = $((128 + 3*8*8*4)) ] && head -c 6 "$TMP/sample.npy" | grep -q NUMPY; then ok "sample-npy-size"; else bad "sample-npy-size"; fi
expect sample-npy-no-overwrite 1 "file exists" -- "$FUSOR" sample --model gaussian:0,1 --steps 2 --shape 3,8,8 -o "$TMP/sample.npy"
expect sample-same-seed-same-output 0 "" -- bash -c "'$FUSOR' sample --model gaussian:0,1 --sampler euler_a --steps 6 --shape 1,8,8 --seed 9 | cmp - <('$FUSOR' sample --model gaussian:0,1 --sampler euler_a --steps 6 --shape 1,8,8 --seed 9)"
