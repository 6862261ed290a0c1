#!/usr/bin/env python3
"""train_landsat.py — trains the small Landsat pansharpening network fusor ships (weights/fusionnet_landsat_r2.safetensors).

Architecture: FusionNet (Deng et al. 2021, the DLPan-Toolbox layout fusor's models/fusionnet.c runs): out = lms +
conv3(res4..1(relu(conv1(pan.repeat(C) - lms)))), 32 channels, 3x3 convs; own PyTorch code below. conv3 starts at zero,
so the untrained network is exactly its LMS input and training can only move away from it where the loss says so.

Data (tools/python/landsat_data.py): Wald's protocol at ratio 2 by `fusor simulate` (MTF-filter and decimate the
MS, bicubic-shrink the PAN, lms = interp23tap) of the Landsat 7 scene (all of it) and the Landsat 8 scene except its
bottom-right reduced-resolution quadrant (gt rows/cols 20..39), which is held out for `fusor eval`. Training samples
are 16x16 windows (reduced-resolution PAN grid) with the 8 flips/rotations; an L8 window never touches the held-out
quadrant's ground truth. Normalisation per sensor: L8 DN / 65535, L7 DN / 255 (the model's fusor.hparams.scale is the
L8 one: it runs on Landsat 8).

Outputs in --out: loss.csv (step, seconds, lr, loss, lms_loss: the same batch's L1 of the plain LMS), the safetensors
file with fusor.arch = fusionnet and fusor.hparams {ratio 2, scale 65535, sensor L8, spectral_num 4, bands}, and
train.json (seed, steps, versions, seconds). Seeded (torch, numpy, Python); deterministic on one thread.

  /usr/bin/python3 tools/python/train_landsat.py --deb DEB --fusor build/fusor --out weights/ [--steps 6000 --seed 0]
"""
import argparse
import csv
import json
import os
import platform
import random
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import landsat_data as ld  # noqa: E402
from fusor_ref import safetensors_io as st  # noqa: E402

PATCH = 16
HOLD = (20, 20)  # top-left of the held-out quadrant on the 40x40 reduced-resolution grid (size 20x20)


class Res(nn.Module):
    """FusionNet residual block: x + conv21(relu(conv20(x)))."""

    def __init__(self, ch):
        super().__init__()
        self.conv20 = nn.Conv2d(ch, ch, 3, padding=1)
        self.conv21 = nn.Conv2d(ch, ch, 3, padding=1)

    def forward(self, x):
        return x + self.conv21(F.relu(self.conv20(x)))


class FusionNet(nn.Module):
    """lms [N,C,H,W], pan [N,1,H,W] -> lms + conv3(res(relu(conv1(pan - lms))))."""

    def __init__(self, c, ch=32):
        super().__init__()
        self.conv1 = nn.Conv2d(c, ch, 3, padding=1)
        self.res = nn.ModuleList([Res(ch) for _ in range(4)])
        self.conv3 = nn.Conv2d(ch, c, 3, padding=1)
        nn.init.zeros_(self.conv3.weight)
        nn.init.zeros_(self.conv3.bias)

    def forward(self, lms, pan):
        x = F.relu(self.conv1(pan.expand_as(lms) - lms))
        for r in self.res:
            x = r(x)
        return lms + self.conv3(x)

    def fusor_tensors(self):
        """name -> float32 array with fusor's FusionNet names (res1..4.conv20/conv21)."""
        out = {}
        for k, v in self.state_dict().items():
            if k.startswith("res."):
                i, rest = k[4:].split(".", 1)
                k = "res%d.%s" % (int(i) + 1, rest)
            out[k] = v.detach().cpu().numpy().astype(np.float32)
        return out


def windows(h, w, holdout):
    """Top-left corners of every PATCH x PATCH window of an h x w grid (not touching the held-out quadrant)."""
    out = []
    for y in range(h - PATCH + 1):
        for x in range(w - PATCH + 1):
            if holdout and y + PATCH > HOLD[0] and x + PATCH > HOLD[1]:
                continue
            out.append((y, x))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--deb", required=True, help="r-cran-satellite .deb (apt-get download r-cran-satellite)")
    ap.add_argument("--fusor", default="build/fusor")
    ap.add_argument("--out", required=True)
    ap.add_argument("--work", default=None, help="scratch folder (default OUT/work)")
    ap.add_argument("--steps", type=int, default=6000)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--name", default="fusionnet_landsat_r2.safetensors")
    a = ap.parse_args()
    torch.set_num_threads(1)
    random.seed(a.seed)
    np.random.seed(a.seed)
    torch.manual_seed(a.seed)
    os.makedirs(a.out, exist_ok=True)
    work = a.work or os.path.join(a.out, "work")
    ext = ld.unpack(a.deb, os.path.join(work, "deb"))
    sets = ld.simulate(a.fusor, ext, work)
    data = []  # (lms, pan, gt) float32 [C,H,W] normalised, windows
    for name, sensor, hold in (("L7", "L7", False), ("L8", "L8", True)):
        s, k = sets[name], ld.SCALE[sensor]
        t = [torch.tensor(s[n][0] / k, dtype=torch.float32) for n in ("lms", "pan", "gt")]
        data.append((t, windows(t[0].shape[1], t[0].shape[2], hold)))
    pool = [(i, yx) for i, (_, ws) in enumerate(data) for yx in ws]
    print("training windows: %d (L7 %d, L8 %d)" % (len(pool), len(data[0][1]), len(data[1][1])))
    rng = np.random.default_rng(a.seed)
    net = FusionNet(4)
    opt = torch.optim.Adam(net.parameters(), lr=a.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, a.steps, eta_min=a.lr * 0.01)
    t0 = time.time()
    log = open(os.path.join(a.out, "loss.csv"), "w", newline="")
    wr = csv.writer(log)
    wr.writerow(["step", "seconds", "lr", "loss", "lms_loss"])
    for step in range(1, a.steps + 1):
        idx = rng.integers(0, len(pool), a.batch)
        lms, pan, gt = [], [], []
        for j in idx:
            i, (y, x) = pool[j]
            (L, P, G), _ = data[i]
            tr = rng.integers(0, 8)
            for dst, src in ((lms, L), (pan, P), (gt, G)):
                v = src[:, y:y + PATCH, x:x + PATCH]
                v = torch.rot90(v, int(tr % 4), (1, 2))
                if tr >= 4:
                    v = torch.flip(v, (2,))
                dst.append(v)
        lms, pan, gt = torch.stack(lms), torch.stack(pan), torch.stack(gt)
        out = net(lms, pan)
        loss = F.l1_loss(out, gt)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 50 == 0 or step == 1:
            wr.writerow([step, "%.1f" % (time.time() - t0), "%.3g" % sched.get_last_lr()[0], "%.6g" % loss.item(),
                         "%.6g" % F.l1_loss(lms, gt).item()])
            log.flush()
        if step % 500 == 0:
            print("step %d  loss %.3e  lms %.3e  %.0f s" % (step, loss.item(), F.l1_loss(lms, gt).item(), time.time() - t0),
                  flush=True)
    log.close()
    secs = time.time() - t0
    hp = {"ratio": ld.RATIO, "scale": ld.SCALE["L8"], "sensor": "L8", "spectral_num": 4,
          "bands": "OLI B2,B3,B4,B5 (blue, green, red, NIR); PAN B8", "trained": "tools/python/train_landsat.py seed %d" % a.seed}
    meta = {"fusor.arch": "fusionnet", "fusor.hparams": json.dumps(hp)}
    path = os.path.join(a.out, a.name)
    st.write(path + ".tmp", net.fusor_tensors(), meta)
    os.replace(path + ".tmp", path)
    info = {"seed": a.seed, "steps": a.steps, "batch": a.batch, "lr": a.lr, "patch": PATCH, "seconds": round(secs, 1),
            "windows": len(pool), "params": sum(p.numel() for p in net.parameters()), "torch": torch.__version__,
            "numpy": np.__version__, "python": platform.python_version(), "threads": torch.get_num_threads()}
    with open(os.path.join(a.out, "train.json"), "w") as f:
        json.dump(info, f, indent=1)
    print("wrote %s (%d parameters, %.0f s)" % (path, info["params"], secs))


if __name__ == "__main__":
    main()
