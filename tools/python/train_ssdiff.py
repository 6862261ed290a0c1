#!/usr/bin/env python3
"""train_ssdiff.py — trains SSDiff (fusor's own SSNet, tools/python/fusor_ref/ssnet.py) on the training split of a
reduced-resolution PanCollection HDF5 scene and exports fusor safetensors (`fusor.arch ssdiff`).

Objective (as released): x0 / residual prediction, loss = MSE(net(lms, pan, ms, x_t, t), gt - lms), t uniform
in 0..T-1 on improved-diffusion's cosine table (T = 1000), the training index t fed to the time embedding.
--xt-space says where x_t lives: "image" (default) x_t = q_sample(gt), the state fusor's sampler (and the
released DDIM loop) keeps during sampling — x_prev is built from pred_x0 = clamp(net + lms) in image space;
"residual" x_t = q_sample(gt - lms), the released training (which then disagrees with its own sampler).

Data: --data (PanCollection layout gt/ms/lms/pan, DN) image 0, PAN rows [row0, row1) only (the split of
docs/MODELS_GENERATIVE.md "Training SSDiff": rows 0..191 of /work/data/wv2_scene.h5), random --patch crops
at multiples of 4 (MS aligned), random flips / rot90, values / --scale.
Budget: --minutes of wall clock; checkpoint (full state) every --ckpt-minutes; loss CSV (step, seconds, loss,
EMA loss, lr). The exported file holds the EMA weights (--ema) or the raw weights (--ema 0).

Example (1 thread, background):
  nice -n 10 nohup /usr/bin/python3 tools/python/train_ssdiff.py --data /work/data/wv2_scene.h5 \
      --out /work/trained/ssdiff_wv2.safetensors --minutes 35 > /work/trained/ssdiff_wv2.log 2>&1 &
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fusor_ref import safetensors_io as st  # noqa: E402
from fusor_ref.ssnet import SSNet, cosine_alphas_cumprod, q_sample, state_dict_numpy, load_numpy  # noqa: E402


def load_split(path, row0, row1, scale):
    """(gt, lms, pan, ms) float32 numpy of image 0 restricted to PAN rows [row0, row1) (MS rows / 4)."""
    import h5py
    with h5py.File(path, "r") as f:
        for k in ("gt", "ms", "lms", "pan"):
            if k not in f:
                sys.exit("%s: dataset '%s' is missing; expected the PanCollection layout gt/ms/lms/pan" % (path, k))
        gt, lms, pan, ms = (np.asarray(f[k][0], dtype=np.float64) for k in ("gt", "lms", "pan", "ms"))
    if row0 % 4 or row1 % 4 or not (0 <= row0 < row1 <= pan.shape[1]):
        sys.exit("%s: rows [%d, %d) must be multiples of 4 inside 0..%d" % (path, row0, row1, pan.shape[1]))
    if ms.shape[1] * 4 != pan.shape[1] or gt.shape != lms.shape or gt.shape[1:] != pan.shape[1:]:
        sys.exit("%s: shapes gt %s lms %s pan %s ms %s are not a ratio-4 set" % (path, gt.shape, lms.shape, pan.shape, ms.shape))
    cut = lambda a, r: (a[:, r * row0:r * row1] / scale).astype(np.float32)
    return cut(gt, 1), cut(lms, 1), cut(pan, 1), (ms[:, row0 // 4:row1 // 4] / scale).astype(np.float32)


def batch(data, n, patch, rng):
    """A random batch: crops at multiples of 4 with a random flip / rot90 each -> torch (gt, lms, pan, ms)."""
    gt, lms, pan, ms = data
    H, W = pan.shape[1:]
    out = [[], [], [], []]
    for _ in range(n):
        y = 4 * rng.integers(0, (H - patch) // 4 + 1)
        x = 4 * rng.integers(0, (W - patch) // 4 + 1)
        p = patch // 4
        crops = [gt[:, y:y + patch, x:x + patch], lms[:, y:y + patch, x:x + patch], pan[:, y:y + patch, x:x + patch],
                 ms[:, y // 4:y // 4 + p, x // 4:x // 4 + p]]
        k, fl = int(rng.integers(0, 4)), bool(rng.integers(0, 2))
        for i, c in enumerate(crops):
            c = np.rot90(c, k, axes=(1, 2))
            if fl:
                c = c[:, :, ::-1]
            out[i].append(np.ascontiguousarray(c))
    return [torch.from_numpy(np.stack(o)) for o in out]


def export(path, net_sd, args, note):
    """Writes fusor safetensors: the SSNet state_dict (f32) + fusor.arch / fusor.hparams / fusor.sampler metadata."""
    hp = {"spectral_num": args.bands, "scale": args.scale, "sensor": args.sensor, "ratio": 4, "dim": args.dim,
          "dim_head": args.dim_head, "model_channels": args.model_channels, "se_ratio_mlp": args.se_ratio,
          "se_ratio_rb": args.se_ratio, "norm_type": "bn", "patch": args.patch, "init": args.init,
          "xt_space": args.xt_space}
    meta = {"fusor.arch": "ssdiff", "fusor.hparams": json.dumps(hp, separators=(",", ":")),
            "fusor.sampler": "trained with x_t in %s space and the training index t as time input: sample with "
                             "--time-input index (the released default feeds the respaced index)" % args.xt_space,
            "fusor.note": note}
    st.write(path, net_sd, meta)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="/work/data/wv2_scene.h5")
    ap.add_argument("--rows", default="0,192", help="PAN rows [row0,row1) used for training")
    ap.add_argument("--out", default="/work/trained/ssdiff_wv2.safetensors")
    ap.add_argument("--scale", type=float, default=2047.0)
    ap.add_argument("--sensor", default="WV2")
    ap.add_argument("--dim", type=int, default=32)
    ap.add_argument("--dim-head", type=int, default=32)
    ap.add_argument("--model-channels", type=int, default=32)
    ap.add_argument("--se-ratio", type=float, default=0.25)
    ap.add_argument("--patch", type=int, default=32)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--ema", type=float, default=0.999)
    ap.add_argument("--xt-space", choices=("image", "residual"), default="image")
    ap.add_argument("--init", choices=("zero-out", "default"), default="zero-out",
                    help="zero-out: zero the output conv to_hrms.2 and the MS upsampling conv, so the untrained net "
                         "predicts residual 0 (x0 = LMS); default: PyTorch's init everywhere except the zero-init "
                         "convs of the release")
    ap.add_argument("--minutes", type=float, default=35.0)
    ap.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (0: the time budget only)")
    ap.add_argument("--ckpt-minutes", type=float, default=5.0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--resume", default="", help="a checkpoint (.pt) written by this script")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    row0, row1 = (int(v) for v in args.rows.split(","))
    data = load_split(args.data, row0, row1, args.scale)
    args.bands = data[0].shape[0]
    if args.patch % 4 or args.patch > min(data[2].shape[1:]):
        sys.exit("--patch %d must be a multiple of 4 no larger than the training region %s" % (args.patch, data[2].shape[1:]))
    net = SSNet(dim=args.dim, model_channels=args.model_channels, dim_head=args.dim_head, ms_dim=args.bands,
                se_ratio_mlp=args.se_ratio, se_ratio_rb=args.se_ratio, norm_type="bn")
    ema = SSNet(dim=args.dim, model_channels=args.model_channels, dim_head=args.dim_head, ms_dim=args.bands,
                se_ratio_mlp=args.se_ratio, se_ratio_rb=args.se_ratio, norm_type="bn")
    if args.init == "zero-out":
        with torch.no_grad():
            net.to_hrms[2].weight.zero_()
            net.to_hrms[2].bias.zero_()
            net.upsample.upsamle[0].weight.zero_()
    ema.load_state_dict(net.state_dict())
    opt = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=0.0)
    ac = cosine_alphas_cumprod(1000)
    step, elapsed0 = 0, 0.0
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    ckpt = os.path.splitext(args.out)[0] + ".ckpt.pt"
    csv_path = os.path.splitext(args.out)[0] + ".loss.csv"
    if args.resume:
        c = torch.load(args.resume)
        net.load_state_dict(c["net"])
        ema.load_state_dict(c["ema"])
        opt.load_state_dict(c["opt"])
        step, elapsed0 = c["step"], c["elapsed"]
    nparam = sum(p.numel() for p in net.parameters())
    print("SSNet dim %d dim_head %d model_channels %d se %.3g: %d parameters; %d training pixels (rows %d..%d); "
          "patch %d batch %d; x_t in %s space; init %s; budget %.1f min"
          % (args.dim, args.dim_head, args.model_channels, args.se_ratio, nparam, data[2].shape[1] * data[2].shape[2],
             row0, row1 - 1, args.patch, args.batch, args.xt_space, args.init, args.minutes), flush=True)
    csv = open(csv_path, "a" if args.resume else "w")
    if not args.resume:
        csv.write("step,seconds,loss,loss_ema,lr\n")
    t0 = time.time() - elapsed0
    last_ckpt = time.time()
    budget = args.minutes * 60
    loss_ema = None
    net.train()
    while True:
        el = time.time() - t0
        if el >= budget or (args.max_steps and step >= args.max_steps):
            break
        lr = args.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(el / budget, 1.0))))  # cosine to lr/10 over the budget
        for g in opt.param_groups:
            g["lr"] = lr
        gt, lms, pan, ms = batch(data, args.batch, args.patch, rng)
        t = torch.randint(0, 1000, (args.batch,))
        res = gt - lms
        x_t = q_sample(gt if args.xt_space == "image" else res, t, ac, torch.randn_like(gt))
        out = net.forward_impl(lms, pan, ms, x_t, t.float())
        loss = torch.mean((out - res) ** 2)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        step += 1
        d = min(args.ema, (1 + step) / (10 + step))
        with torch.no_grad():
            for pe, p in zip(ema.parameters(), net.parameters()):
                pe.mul_(d).add_(p, alpha=1 - d)
            for be, b in zip(ema.buffers(), net.buffers()):
                be.copy_(b)
        lv = float(loss)
        loss_ema = lv if loss_ema is None else 0.98 * loss_ema + 0.02 * lv
        if step % 10 == 0:
            csv.write("%d,%.1f,%.6g,%.6g,%.3g\n" % (step, time.time() - t0, lv, loss_ema, lr))
            csv.flush()
        if step % 100 == 0:
            print("step %d  %.0f s  loss %.4g  (ema %.4g)  lr %.2g" % (step, time.time() - t0, lv, loss_ema, lr), flush=True)
        if time.time() - last_ckpt > args.ckpt_minutes * 60:
            torch.save({"net": net.state_dict(), "ema": ema.state_dict(), "opt": opt.state_dict(), "step": step,
                        "elapsed": time.time() - t0}, ckpt)
            export(args.out, state_dict_numpy(ema if args.ema > 0 else net), args,
                   "SSDiff trained by tools/python/train_ssdiff.py (checkpoint at step %d)" % step)
            last_ckpt = time.time()
    torch.save({"net": net.state_dict(), "ema": ema.state_dict(), "opt": opt.state_dict(), "step": step,
                "elapsed": time.time() - t0}, ckpt)
    export(args.out, state_dict_numpy(ema if args.ema > 0 else net), args,
           "SSDiff trained by tools/python/train_ssdiff.py on %s rows %d..%d, %d steps, %.0f s"
           % (os.path.basename(args.data), row0, row1 - 1, step, time.time() - t0))
    print("done: %d steps in %.0f s; final loss ema %.4g; wrote %s, %s, %s" % (step, time.time() - t0, loss_ema or 0, args.out, ckpt, csv_path),
          flush=True)


if __name__ == "__main__":
    main()
