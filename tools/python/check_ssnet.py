#!/usr/bin/env python3
"""check_ssnet.py — checks fusor's own PyTorch SSNet (tools/python/fusor_ref/ssnet.py) against the outputs of the
OFFICIAL SSDiff code stored in tests/golden (ssdiff_random.safetensors: FP8-exact random weights;
ssdiff_parity.safetensors: official forward_impl and SSNet.sample outputs, see tests/golden/README.md).

Prints the max abs difference of (a) the forward pass (batch of two, image 1 mirrored, t = fwd.t) and (b) the
10-step DDIM "ddim10" run with the injected x_T, and exits 1 when either exceeds --tol (default 1e-5).
Usage: /usr/bin/python3 tools/python/check_ssnet.py [--golden-dir tests/golden] [--tol 1e-5]
"""
import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fusor_ref import safetensors_io as st  # noqa: E402
from fusor_ref.ssnet import SSNet, ddim_sample, load_numpy  # noqa: E402


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--golden-dir", default=os.path.join(here, "..", "..", "tests", "golden"))
    ap.add_argument("--tol", type=float, default=1e-5)
    a = ap.parse_args()
    torch.set_num_threads(1)
    w, meta = st.read(os.path.join(a.golden_dir, "ssdiff_random.safetensors"))
    g, _ = st.read(os.path.join(a.golden_dir, "ssdiff_parity.safetensors"))
    # the golden configuration (tests/golden/README.md): dim 32, model_channels 128, dim_head 16, ms_dim 4, ratios 0.125
    net = SSNet(dim=32, model_channels=128, dim_head=16, ms_dim=4, se_ratio_mlp=0.125, se_ratio_rb=0.125, norm_type="bn")
    load_numpy(net, w)
    net.eval()
    f = lambda k: torch.from_numpy(g[k].astype(np.float32))
    lms, pan, ms, xt = f("lms"), f("pan"), f("ms"), f("fwd.x_t")
    two = lambda v: torch.cat([v, v.flip(-1)], 0)  # image 1 = image 0 mirrored left-right
    with torch.no_grad():
        out = net.forward_impl(two(lms), two(pan), two(ms), two(xt), f("fwd.t"))
    d_fwd = float((out - f("fwd.out")).abs().max())
    print("forward  (batch 2, t = %s): max |ours - official| = %.3g (outputs up to %.3g)"
          % (g["fwd.t"].tolist(), d_fwd, float(f("fwd.out").abs().max())))
    x = ddim_sample(net, lms, pan, ms, f("ddim.x_T"), respace="ddim10", time_input="respaced")
    d_ddim = float((x - f("ddim.out")).abs().max())
    print("ddim10   (x_T injected, respaced index as time): max |ours - official| = %.3g" % d_ddim)
    ok = d_fwd <= a.tol and d_ddim <= a.tol
    print("PASS" if ok else "FAIL (tolerance %.1g)" % a.tol)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
