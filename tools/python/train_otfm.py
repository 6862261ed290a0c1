"""train_otfm.py — trains PAN-OTFM (fusor_ref/otfm.py; docs/MODELS_GENERATIVE.md "PAN-OTFM") on CPU and exports a
fusor safetensors file (arch pan_otfm).

Data: a PanCollection-layout HDF5 (gt/ms/lms/pan, DN) from `fusor simulate`; only PAN rows [row0, row1) are read
(the project split: wv2_scene.h5 rows 0..191 train, 192..319 held out). Random patches at multiples of 4, flips and
rot90. Objective per minibatch: UOT coupling (otfm.uot_pairs) of sources x_0 = lms + σ·z and targets x_1 = gt,
weighted flow-matching loss ‖v_θ(x_s, s) − (x_1 − x_0)‖² with s = 0 w.p. p0 else U(0,1), plus λ·spectral consistency
‖D(x̂_1) − D(x_1)‖² (D = MTF Gaussian + ↓4, x̂_1 = x_s + (1 − s)·v_θ). Adam, EMA of the weights (exported).
Writes: OUT.safetensors (EMA weights), OUT.ckpt (resume), OUT.csv (loss log).

  nice -n 10 nohup /usr/bin/python3 tools/python/train_otfm.py --data /work/data/wv2_scene.h5 \
      --out /work/trained/otfm_wv2 --minutes 35 > /work/trained/otfm_wv2.log 2>&1 &
"""
import argparse
import copy
import csv
import json
import math
import os
import sys
import time

import h5py
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fusor_ref import st_io  # noqa: E402
from fusor_ref.otfm import PanOTFM, degrade, mtf_kernel, sample, uot_pairs  # noqa: E402

GNYQ = {"WV2": [0.35] * 7 + [0.27], "WV3": [0.325, 0.355, 0.360, 0.350, 0.365, 0.360, 0.335, 0.315],
        "QB": [0.34, 0.32, 0.30, 0.22]}


def load(path, row0, row1, scale):
    """gt, lms [1,C,R,W], pan [1,1,R,W], ms [1,C,R/4,W/4] as float32 / scale for PAN rows [row0, row1)."""
    with h5py.File(path, "r") as f:
        gt = torch.from_numpy(f["gt"][:, :, row0:row1, :].astype(np.float32)) / scale
        lms = torch.from_numpy(f["lms"][:, :, row0:row1, :].astype(np.float32)) / scale
        pan = torch.from_numpy(f["pan"][:, :, row0:row1, :].astype(np.float32)) / scale
        ms = torch.from_numpy(f["ms"][:, :, row0 // 4:row1 // 4, :].astype(np.float32)) / scale
    return gt, lms, pan, ms


def batch(gt, lms, pan, B, P, gen):
    """B random P x P patches (corners at multiples of 4) with a random flip / rot90 each -> gt, lms, pan."""
    _, _, R, W = gt.shape
    out = [[], [], []]
    for _ in range(B):
        y = 4 * int(torch.randint(0, (R - P) // 4 + 1, (1,), generator=gen))
        x = 4 * int(torch.randint(0, (W - P) // 4 + 1, (1,), generator=gen))
        k = int(torch.randint(0, 4, (1,), generator=gen))
        fl = bool(torch.randint(0, 2, (1,), generator=gen))
        for o, t in zip(out, (gt, lms, pan)):
            p = t[0, :, y:y + P, x:x + P]
            p = torch.rot90(p, k, (1, 2))
            o.append(p.flip(-1) if fl else p)
    return [torch.stack(o) for o in out]


def rr_metrics(ref, x):
    """SAM (degrees, mean over pixels) and ERGAS (ratio 4) of x vs ref, both [C,H,W] in [0,1] (quick monitor)."""
    num = (ref * x).sum(0)
    den = ref.norm(dim=0) * x.norm(dim=0)
    sam = torch.rad2deg(torch.acos((num / den.clamp_min(1e-12)).clamp(-1, 1))).mean()
    rmse = ((ref - x) ** 2).mean((1, 2)).sqrt()
    ergas = 100 / 4 * torch.sqrt(((rmse / ref.mean((1, 2))) ** 2).mean())
    return float(sam), float(ergas)


def export(model, path, args):
    """Writes the model as a fusor safetensors file (arch pan_otfm)."""
    sd = {k: v.float() for k, v in model.state_dict().items()}
    hp = model.hparams(scale=args.scale, sensor=args.sensor)
    tmp = path + ".tmp"
    st_io.write(tmp, sd, {"fusor.arch": "pan_otfm", "fusor.hparams": json.dumps(hp, separators=(",", ":")),
                          "fusor.sampler": "onestep (default); flow_euler/flow_heun/flow_midpoint from the LMS prior"})
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True, help="output prefix (OUT.safetensors, OUT.ckpt, OUT.csv)")
    ap.add_argument("--rows", default="0,192", help="PAN rows used for training: start,end")
    ap.add_argument("--sensor", default="WV2")
    ap.add_argument("--scale", type=float, default=2047)
    ap.add_argument("--minutes", type=float, default=35)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--patch", type=int, default=32)
    ap.add_argument("--width", type=int, default=32)
    ap.add_argument("--levels", type=int, default=2)
    ap.add_argument("--blocks", type=int, default=1)
    ap.add_argument("--groups", type=int, default=8)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--attn", type=int, default=1)
    ap.add_argument("--source-noise", type=float, default=0.005)
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--p0", type=float, default=0.3, help="probability of training at s = 0 (the one-step point)")
    ap.add_argument("--lam-spec", type=float, default=0.1)
    ap.add_argument("--uot-reg", type=float, default=0.05)
    ap.add_argument("--uot-reg-m", type=float, default=1.0)
    ap.add_argument("--cond-weight", type=float, default=10.0)
    ap.add_argument("--ema", type=float, default=0.999)
    ap.add_argument("--ckpt-minutes", type=float, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    r0, r1 = (int(v) for v in args.rows.split(","))
    gt, lms, pan, ms = load(args.data, r0, r1, args.scale)
    C = gt.shape[1]
    kern = mtf_kernel(GNYQ.get(args.sensor, [0.3] * C)[:C])
    dgt = degrade(gt, kern)
    print(f"data {args.data} rows {r0}..{r1}: gt {tuple(gt.shape)}; |D(gt) - ms| mean {float((dgt - ms).abs().mean()):.4g}, "
          f"|ms| mean {float(ms.abs().mean()):.4g}", flush=True)
    model = PanOTFM(C, args.width, args.levels, args.blocks, args.groups, args.attn, args.heads, None, args.source_noise)
    with torch.no_grad():  # start at the identity map (v = 0: the output is the source, i.e. ~LMS)
        model.net.out_conv.weight.zero_()
        model.net.out_conv.bias.zero_()
    ema = copy.deepcopy(model)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    step, t_used = 0, 0.0
    ck = args.out + ".ckpt"
    if os.path.exists(ck):
        st = torch.load(ck)
        model.load_state_dict(st["model"]); ema.load_state_dict(st["ema"]); opt.load_state_dict(st["opt"])
        step, t_used = st["step"], st["t_used"]
        gen.set_state(st["gen"])
        print(f"resumed at step {step} ({t_used / 60:.1f} min used)", flush=True)
    print(f"params {sum(p.numel() for p in model.parameters())}, hparams {model.hparams()}", flush=True)
    new_csv = not os.path.exists(args.out + ".csv")
    logf = open(args.out + ".csv", "a", newline="")
    log = csv.writer(logf)
    if new_csv:
        log.writerow(["step", "minutes", "loss", "fm", "spec", "offdiag", "wmin", "wmax", "lr"])
    budget = args.minutes * 60
    t0 = time.time() - t_used
    last_ck = time.time()
    acc = np.zeros(5)
    nacc = 0
    # monitor: one-step on 4 fixed training patches (from the training rows only)
    mg = torch.Generator().manual_seed(123)
    mgt, mlms, mpan = batch(gt, lms, pan, 4, 64, mg)
    mz = torch.randn(mlms.shape, generator=mg)
    while time.time() - t0 < budget:
        frac = (time.time() - t0) / budget
        lr = args.lr * (0.5 * (1 + math.cos(math.pi * min(1.0, frac)))) * min(1.0, (step + 1) / 200)
        for g_ in opt.param_groups:
            g_["lr"] = lr
        x1, cl, cp = batch(gt, lms, pan, args.batch, args.patch, gen)
        z = torch.randn(cl.shape, generator=gen)
        x0 = model.source(cl, z)
        cond = torch.cat([cl, cp], 1)
        with torch.no_grad():
            i, j, w, _ = uot_pairs(x0, x1, cond, args.uot_reg, args.uot_reg_m, args.cond_weight, gen)
        x0p, x1p, clp, cpp = x0[i], x1[j], cl[j], cp[j]
        B = x1p.shape[0]
        s = torch.rand(B, generator=gen)
        s = torch.where(torch.rand(B, generator=gen) < args.p0, torch.zeros_like(s), s)
        sb = s[:, None, None, None]
        xs = (1 - sb) * x0p + sb * x1p
        v = model(xs, clp, cpp, s)
        fm = (w * ((v - (x1p - x0p)) ** 2).mean((1, 2, 3))).mean()
        x1hat = xs + (1 - sb) * v
        spec = ((degrade(x1hat, kern) - degrade(x1p, kern)) ** 2).mean()
        loss = fm + args.lam_spec * spec
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        with torch.no_grad():
            for pe, pm in zip(ema.parameters(), model.parameters()):
                pe.mul_(args.ema).add_(pm, alpha=1 - args.ema)
            for be_, bm in zip(ema.buffers(), model.buffers()):
                be_.copy_(bm)
        step += 1
        acc += [float(loss), float(fm), float(spec), float((i != j).float().mean()), 0]
        nacc += 1
        if step % 20 == 0:
            a = acc / nacc
            log.writerow([step, f"{(time.time() - t0) / 60:.2f}", f"{a[0]:.6g}", f"{a[1]:.6g}", f"{a[2]:.6g}", f"{a[3]:.3f}",
                          f"{float(w.min()):.3f}", f"{float(w.max()):.3f}", f"{lr:.3g}"])
            logf.flush()
            acc[:] = 0
            nacc = 0
        if time.time() - last_ck > args.ckpt_minutes * 60 or time.time() - t0 >= budget:
            last_ck = time.time()
            t_used = time.time() - t0
            torch.save({"model": model.state_dict(), "ema": ema.state_dict(), "opt": opt.state_dict(), "step": step,
                        "t_used": t_used, "gen": gen.get_state()}, ck + ".tmp")
            os.replace(ck + ".tmp", ck)
            export(ema, args.out + ".safetensors", args)
            with torch.no_grad():
                ema.eval()
                o1 = sample(ema, ema.source(mlms, mz), mlms, mpan, 1).clamp(0, 1)
                ms_, me_ = zip(*[rr_metrics(mgt[k], o1[k]) for k in range(4)])
                ls_, le_ = zip(*[rr_metrics(mgt[k], mlms[k]) for k in range(4)])
            print(f"step {step} {t_used / 60:.1f} min loss {float(loss):.4g}: train-patch one-step SAM {np.mean(ms_):.3f} "
                  f"ERGAS {np.mean(me_):.3f} (LMS {np.mean(ls_):.3f} / {np.mean(le_):.3f})", flush=True)
    t_used = time.time() - t0
    export(ema, args.out + ".safetensors", args)
    print(f"done: {step} steps in {t_used / 60:.1f} min; wrote {args.out}.safetensors", flush=True)


if __name__ == "__main__":
    main()
