#!/usr/bin/env python3
"""train_sb.py — trains fusor's Schrödinger-bridge pansharpening model (arch sb_pan) and exports it to safetensors.

Data (gen_common.md split): random patches of PAN rows 0..191 of the reduced-resolution WorldView-2 scene
(/work/data/wv2_scene.h5; = crops 0..14 of wv2_crops64), flips / rot90 augmentation, DN / 2047. The held-out crops
15..24 and wv3_scene are never read here.
Loss (I²SB bridge matching, x0 form): n ~ U{0..T−1}, x_n = a_n·gt + m_n·lms + s_n·ε (sb.Bridge.q_sample),
L = mean((SBPan(x_n, lms, pan, n) − gt)²), i.e. the network's residual net = x̂0 − lms regresses gt − lms.
Outputs in --out: loss.csv (step, seconds, loss, lr), ckpt.pt (every --ckpt-min minutes), sb_pan.safetensors
(fusor format, exported at every checkpoint and at the end).

usage: /usr/bin/python3 tools/python/train_sb.py --out /work/trained/sb_pan --minutes 35
"""
import argparse
import csv
import json
import math
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fusor_ref import sb  # noqa: E402


def load_train(path, rows, scale):
    """gt, lms, pan of the scene's PAN rows [0, rows) as float32 tensors [1,C,rows,W] / scale."""
    import h5py
    with h5py.File(path, "r") as f:
        out = []
        for k in ("gt", "lms", "pan"):
            a = np.asarray(f[k][:, :, :rows, :], dtype=np.float32) / scale
            out.append(torch.from_numpy(a))
    return out


def batch(gt, lms, pan, bs, p, g):
    """bs random p×p patches with a random flip / rot90 each -> (gt, lms, pan) [bs, ·, p, p]."""
    H, W = gt.shape[2], gt.shape[3]
    G, L, P = [], [], []
    for _ in range(bs):
        y = int(torch.randint(0, H - p + 1, (1,), generator=g))
        x = int(torch.randint(0, W - p + 1, (1,), generator=g))
        k = int(torch.randint(0, 4, (1,), generator=g))
        fl = bool(torch.randint(0, 2, (1,), generator=g))
        parts = []
        for t in (gt, lms, pan):
            c = t[0, :, y:y + p, x:x + p]
            c = torch.rot90(c, k, (1, 2))
            parts.append(torch.flip(c, (2,)) if fl else c)
        G.append(parts[0]); L.append(parts[1]); P.append(parts[2])
    return torch.stack(G), torch.stack(L), torch.stack(P)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="/work/data/wv2_scene.h5")
    ap.add_argument("--rows", type=int, default=192, help="training PAN rows (the split: 0..191)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--minutes", type=float, default=35.0)
    ap.add_argument("--ckpt-min", type=float, default=4.0)
    ap.add_argument("--batch", type=int, default=12)
    ap.add_argument("--patch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--width", type=int, default=32)
    ap.add_argument("--levels", type=int, default=2)
    ap.add_argument("--blocks", type=int, default=1)
    ap.add_argument("--groups", type=int, default=8)
    ap.add_argument("--attn", type=int, default=0)
    ap.add_argument("--beta-max", type=float, default=sb.BETA_MAX_DEFAULT)
    ap.add_argument("--T", type=int, default=sb.T_DEFAULT)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--resume", action="store_true")
    a = ap.parse_args()
    if a.rows > 192:
        sys.exit(f"train_sb.py: --rows {a.rows}: the training split is PAN rows 0..191 (gen_common.md), expected <= 192")
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    os.makedirs(a.out, exist_ok=True)
    scale = 2047.0
    gt, lms, pan = load_train(a.data, a.rows, scale)
    C = gt.shape[1]
    bridge = sb.Bridge(a.T, a.beta_max)
    model = sb.SBPan(C, width=a.width, levels=a.levels, blocks=a.blocks, groups=a.groups, attn=a.attn)
    # zero output conv: training starts from x̂0 = lms (the bridge's own start), a better first guess than noise
    torch.nn.init.zeros_(model.net.out_conv.weight); torch.nn.init.zeros_(model.net.out_conv.bias)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=0.0)
    hp = dict(model.net.hp, spectral_num=C, bands=C, scale=scale, sensor="WV2", ratio=4, beta_max=a.beta_max,
              train_steps=a.T, pred="x0", time_input="index")
    step, t_used = 0, 0.0
    ck = os.path.join(a.out, "ckpt.pt")
    if a.resume and os.path.exists(ck):
        s = torch.load(ck)
        model.load_state_dict(s["model"]); opt.load_state_dict(s["opt"]); step, t_used = s["step"], s["seconds"]
    g = torch.Generator().manual_seed(a.seed + step)
    budget = a.minutes * 60
    t0, last_ck = time.time() - t_used, time.time()
    logf = open(os.path.join(a.out, "loss.csv"), "a", newline="")
    log = csv.writer(logf)
    if step == 0:
        log.writerow(["step", "seconds", "loss", "lr"])
    ema = None

    def save():
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "seconds": time.time() - t0,
                    "hparams": hp}, ck + ".tmp")
        os.replace(ck + ".tmp", ck)
        sb.export_fusor(os.path.join(a.out, "sb_pan.safetensors.tmp"), model, hp)
        os.replace(os.path.join(a.out, "sb_pan.safetensors.tmp"), os.path.join(a.out, "sb_pan.safetensors"))

    while time.time() - t0 < budget:
        frac = (time.time() - t0) / budget
        lr = a.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(frac, 1.0))))
        for pg in opt.param_groups:
            pg["lr"] = lr
        x0, x1, p = batch(gt, lms, pan, a.batch, a.patch, g)
        n = torch.randint(0, a.T, (a.batch,), generator=g)
        z = torch.randn(x0.shape, generator=g)
        xn = bridge.q_sample(n, x0, x1, z)
        pred = model(xn, x1, p, n.float())
        loss = torch.mean((pred - x0) ** 2)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        ema = loss.item() if ema is None else 0.98 * ema + 0.02 * loss.item()
        if step % 10 == 0:
            log.writerow([step, round(time.time() - t0, 1), f"{loss.item():.6e}", f"{lr:.3e}"])
            logf.flush()
        if step % 50 == 0:
            print(f"step {step} t {time.time() - t0:.0f}s loss {loss.item():.3e} ema {ema:.3e} lr {lr:.2e}", flush=True)
        if time.time() - last_ck > a.ckpt_min * 60:
            save()
            last_ck = time.time()
    save()
    print(f"done: {step} steps in {time.time() - t0:.0f}s, final ema loss {ema:.3e}; "
          f"weights {os.path.join(a.out, 'sb_pan.safetensors')}", flush=True)
    json.dump(hp, open(os.path.join(a.out, "hparams.json"), "w"), indent=1)


if __name__ == "__main__":
    main()
