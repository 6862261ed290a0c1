"""sb.py — fusor's PyTorch reference of the Schrödinger-bridge pansharpening model (arch `sb_pan`).

The bridge is I²SB's (Liu et al. 2023, i2sb/diffusion.py), the formulation fusor's samplers/bridge.c implements:
  betas  = linspace(sqrt(1e-4), sqrt(beta_max/T), T)**2, first half then its mirror (beta_max 0.3, T 1000)
  std_fwd[n] = sqrt(sum_{i<=n} beta_i),  std_bwd[n] = sqrt(sum_{i>=n} beta_i)
  x_n | x0, x1 ~ N(a·x0 + m·x1, s² I),  a = bwd²/(fwd²+bwd²), m = fwd²/(fwd²+bwd²), s² = fwd²bwd²/(fwd²+bwd²)
with x0 the HRMS and x1 the LMS (both divided by the sensor scale). The network (fusor condunet) sees x_n with cond = cat[lms, pan] and
the bridge index n as its time and predicts x0 − lms; the sampler callback returns x̂0 = net + lms (fusor FZ_PRED_X0).
Sampling (p_posterior): from x = lms at n = T−1 along I²SB space_indices, x' = mu_x0·x̂0 + mu_xn·x + sqrt(var)·z
(no z for bridge_ode and for the step to index 0).

Also here: fusor's Philox4x32-10 normal noise (runtime/rng.h, kernels/cpu/random.c) in numpy, so a C sampler run
and this reference use the same noise; a safetensors writer with fusor's metadata; the PanCollection split loader.
"""
import json
import math
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from . import safetensors_io

T_DEFAULT = 1000
BETA_MAX_DEFAULT = 0.3


# ----------------------------------------------------------------------------- the bridge schedule
def bridge_betas(T=T_DEFAULT, beta_max=BETA_MAX_DEFAULT):
    """I²SB symmetric beta table [T] (float64): make_beta_schedule(linear_end=beta_max/T), first half mirrored."""
    if T < 2 or T % 2:
        raise ValueError(f"bridge: train_steps {T}, expected an even number >= 2")
    r = np.linspace(math.sqrt(1e-4), math.sqrt(beta_max / T), T, dtype=np.float64)
    half = r[: T // 2] ** 2
    return np.concatenate([half, half[::-1]])


def bridge_std(T=T_DEFAULT, beta_max=BETA_MAX_DEFAULT):
    """(std_fwd[T], std_bwd[T]) float64: sqrt of the forward / backward cumulative beta sums (I²SB)."""
    b = bridge_betas(T, beta_max)
    return np.sqrt(np.cumsum(b)), np.sqrt(np.flip(np.cumsum(np.flip(b))).copy())


def bridge_std_fwd_closed(n, T=T_DEFAULT, beta_max=BETA_MAX_DEFAULT):
    """std_fwd[n] from the closed form of sums of squares of an arithmetic sequence (the test oracle)."""
    r0, r1 = math.sqrt(1e-4), math.sqrt(beta_max / T)
    d = (r1 - r0) / (T - 1)

    def S(m):  # sum_{i=0}^{m} (r0 + i d)^2, S(-1) = 0
        if m < 0:
            return 0.0
        k = m + 1
        return k * r0 * r0 + r0 * d * m * k + d * d * m * k * (2 * m + 1) / 6.0

    h = T // 2
    return math.sqrt(S(n) if n < h else 2 * S(h - 1) - S(T - 2 - n))


def gaussian_product(s1, s2):
    """I²SB compute_gaussian_product_coef: (coef of the s1 end, coef of the s2 end, variance)."""
    d = s1 * s1 + s2 * s2
    return s2 * s2 / d, s1 * s1 / d, s1 * s1 * s2 * s2 / d


def posterior(s_prev, s_n):
    """p(x_n' | x_n, x0) = N(mu_x0·x0 + mu_xn·x_n, var): fusor fz_bridge_posterior / I²SB p_posterior."""
    d2, p2 = s_n * s_n - s_prev * s_prev, s_prev * s_prev
    den = p2 + d2
    if den <= 0:
        return 1.0, 0.0, 0.0
    return d2 / den, p2 / den, p2 * d2 / den


class Bridge:
    """The bridge tables as torch tensors (float64 kept, cast at use)."""

    def __init__(self, T=T_DEFAULT, beta_max=BETA_MAX_DEFAULT):
        self.T, self.beta_max = T, beta_max
        f, b = bridge_std(T, beta_max)
        self.std_fwd, self.std_bwd = f, b
        a, m, v = gaussian_product(f, b)
        self.a, self.m, self.s = a, m, np.sqrt(v)

    def q_sample(self, n, x0, x1, noise):
        """x_n = a·x0 + m·x1 + s·noise for per-sample indices n [B] (long); x0, x1, noise [B,C,H,W]."""
        idx = n.cpu().numpy()
        sh = (-1, 1, 1, 1)
        a = torch.tensor(self.a[idx], dtype=x0.dtype).view(sh)
        m = torch.tensor(self.m[idx], dtype=x0.dtype).view(sh)
        s = torch.tensor(self.s[idx], dtype=x0.dtype).view(sh)
        return a * x0 + m * x1 + s * noise

    def grid(self, steps):
        """I²SB space_indices(T, steps+1) descending, exactly as fusor's schedule.c (accumulated stride, round half even)."""
        if not 1 <= steps <= self.T - 1:
            raise ValueError(f"bridge: {steps} steps for a {self.T}-step table, expected 1..{self.T - 1}")
        stride, cur, ts = (self.T - 1) / steps, 0.0, [0] * (steps + 1)
        for k in range(steps + 1):
            ts[steps - k] = int(np.rint(cur))
            cur += stride
        return ts


# ----------------------------------------------------------------------------- fusor's Philox noise
_M0, _M1, _W0, _W1 = np.uint64(0xD2511F53), np.uint64(0xCD9E8D57), np.uint64(0x9E3779B9), np.uint64(0xBB67AE85)
_MASK = np.uint64(0xFFFFFFFF)


def philox_block(seed, stream, block):
    """Philox4x32-10 words [4, n] for arrays stream/block (uint64), as runtime/rng.h fz_philox_block."""
    block = np.asarray(block, dtype=np.uint64)
    stream = np.broadcast_to(np.asarray(stream, dtype=np.uint64), block.shape)
    c0, c1 = block & _MASK, block >> np.uint64(32)
    c2, c3 = stream & _MASK, stream >> np.uint64(32)
    k0 = np.full(block.shape, np.uint64(seed & 0xFFFFFFFF), dtype=np.uint64)
    k1 = np.full(block.shape, np.uint64(seed >> 32), dtype=np.uint64)
    for _ in range(10):
        p0, p1 = _M0 * c0, _M1 * c2
        n0 = (p1 >> np.uint64(32)) ^ c1 ^ k0
        n2 = (p0 >> np.uint64(32)) ^ c3 ^ k1
        c1, c3, c0, c2 = p1 & _MASK, p0 & _MASK, n0, n2
        k0, k1 = (k0 + _W0) & _MASK, (k1 + _W1) & _MASK
    return c0, c1, c2, c3


def philox_normal(seed, stream, index):
    """fz_philox_normal(seed, stream, index) for arrays (float32): Box–Muller in double, rounded once."""
    index = np.asarray(index, dtype=np.uint64)
    w = philox_block(seed, stream, index >> np.uint64(2))
    lane = (index & np.uint64(3)).astype(np.int64)
    u = [(x.astype(np.float64) + 0.5) * (1.0 / 4294967296.0) for x in w]
    out = np.empty(index.shape, dtype=np.float64)
    for p in range(2):
        r = np.sqrt(-2.0 * np.log(u[2 * p]))
        a = 6.283185307179586476925286766559 * u[2 * p + 1]
        out = np.where(lane == 2 * p, r * np.cos(a), out)
        out = np.where(lane == 2 * p + 1, r * np.sin(a), out)
    return out.astype(np.float32)


def philox_image(seed, stream_base, shape, y0=0, x0=0, global_w=None):
    """fz_op_randn_image: out[n,c,y,x] = normal(seed, stream_base + n·C + c, (y0+y)·gw + x0 + x), float32 [N,C,H,W]."""
    N, C, H, W = shape
    gw = W if global_w is None else global_w
    stream = (np.uint64(stream_base) + np.arange(N * C, dtype=np.uint64)).reshape(N, C, 1, 1)
    yy = np.arange(H, dtype=np.int64).reshape(1, 1, H, 1)
    xx = np.arange(W, dtype=np.int64).reshape(1, 1, 1, W)
    idx = ((y0 + yy) * gw + x0 + xx).astype(np.uint64)
    stream, idx = np.broadcast_arrays(stream, idx)
    return philox_normal(seed, stream, idx)


def sampler_noise(seed, k, shape, image_index=0):
    """The z of bridge step k in fusor's sampler: slot 1 + 2k, stream base (slot << 32) + image_index·C."""
    slot = 1 + 2 * k
    return philox_image(seed, (slot << 32) + image_index * shape[1], shape)


# ----------------------------------------------------------------------------- the model
class SBPan(nn.Module):
    """Schrödinger-bridge pansharpening denoiser: x̂0 = lms + net(x_n, cond = cat[lms, pan], t = n) where net is
    fusor's condunet (in_ch C, cond_ch C + 1, out_ch C) and n the bridge index 0..T−1 (fusor time input `index`)."""

    def __init__(self, bands, width=32, levels=2, blocks=1, groups=8, attn=0, heads=4, ch_mult=None):
        super().__init__()
        from .condunet import CondUNet
        self.net = CondUNet(bands, bands + 1, bands, width=width, levels=levels, blocks=blocks, groups=groups,
                            attn=attn, heads=heads, ch_mult=ch_mult)
        self.bands = bands

    def forward(self, x_t, lms, pan, t):
        """x_t, lms [B,C,H,W], pan [B,1,H,W], t [B] (bridge index n as float) -> x̂0 [B,C,H,W]."""
        return lms + self.net(x_t, torch.cat([lms, pan], 1), t)


@torch.no_grad()
def sample(model, bridge, lms, pan, steps, sde, seed=0, image_index=0, noise=None):
    """fusor bridge_sde / bridge_ode from x = lms: returns the final state [B,C,H,W]. noise(k, shape) -> z
    overrides fusor's Philox noise."""
    ts = bridge.grid(steps)
    x = lms.clone()
    for k in range(steps):
        n, nprev = ts[k], ts[k + 1]
        t = torch.full((lms.shape[0],), float(n), dtype=lms.dtype)
        x0 = model(x, lms, pan, t)
        mx0, mxn, var = posterior(bridge.std_fwd[nprev], bridge.std_fwd[n])
        x = mx0 * x0 + mxn * x
        if sde and nprev > 0:
            z = noise(k, tuple(x.shape)) if noise else torch.from_numpy(sampler_noise(seed, k, tuple(x.shape), image_index))
            x = x + math.sqrt(var) * z.to(x.dtype)
    return x


# ----------------------------------------------------------------------------- files
def save_safetensors(path, tensors, metadata=None):
    """Writes {name: torch tensor} with a string->string __metadata__ (fusor_ref.safetensors_io)."""
    safetensors_io.write(path, {k: v.detach().cpu().contiguous().numpy() for k, v in tensors.items()}, metadata)


def load_safetensors(path):
    """Reads a safetensors file -> (dict name -> torch tensor, metadata dict)."""
    arrays, meta = safetensors_io.read(path)
    return {k: torch.from_numpy(np.array(v)) for k, v in arrays.items()}, meta


def export_fusor(path, model, hparams, backbone_prefix="net."):
    """Writes model (SBPan) as a fusor sb_pan safetensors: the backbone's state dict under `net.`, fp32."""
    sd = {k: v.float() for k, v in model.state_dict().items()}
    save_safetensors(path, sd, {"fusor.arch": "sb_pan", "fusor.hparams": json.dumps(hparams, sort_keys=True),
                                "fusor.sampler": "bridge_ode 1 step (default) or bridge_sde 5 steps; beta_max %g, T %d"
                                % (hparams.get("beta_max", BETA_MAX_DEFAULT), hparams.get("train_steps", T_DEFAULT))})


def load_split(crops_path, idx, scale=2047.0):
    """PanCollection HDF5 crops idx -> (gt, lms, pan, ms) float32 tensors divided by scale."""
    import h5py
    with h5py.File(crops_path, "r") as f:
        out = [torch.from_numpy(np.asarray(f[k][idx], dtype=np.float32) / scale) for k in ("gt", "lms", "pan", "ms")]
    return out


# ----------------------------------------------------------------------------- parity goldens
def _smooth(g, shape, lo, hi):
    """Synthetic image [shape] in [lo, hi]: a random 4x4 field upsampled bilinearly plus small noise (no real data)."""
    N, C, H, W = shape
    base = torch.rand((N, C, 4, 4), generator=g)
    img = F.interpolate(base, size=(H, W), mode="bilinear", align_corners=False)
    img = img + 0.05 * torch.rand(shape, generator=g)
    img = (img - img.min()) / (img.max() - img.min())
    return lo + (hi - lo) * img


def make_goldens(outdir):
    """Writes tests/golden/sb_random.safetensors (a random-weight sb_pan model: 4 bands, width 16, 2 levels, attention)
    and sb_parity.safetensors (synthetic inputs; one forward at n = 999 and 431.5; bridge_sde 5 steps and bridge_ode
    1 step with fusor's Philox noise, seed 1234; the step-0 noise z0 itself)."""
    import os
    torch.manual_seed(20241122)
    g = torch.Generator().manual_seed(7)
    C, H, W = 4, 32, 32
    model = SBPan(C, width=16, levels=2, blocks=1, groups=4, attn=1, heads=2).eval()
    with torch.no_grad():  # GroupNorm affine and biases away from their 1 / 0 init, so every parameter matters
        for name, p in model.named_parameters():
            if "norm" in name:
                p.add_(0.2 * torch.randn(p.shape, generator=g))
            elif name.endswith(".bias"):
                p.copy_(0.05 * torch.randn(p.shape, generator=g))
        model.net.out_conv.weight.mul_(0.1)  # residuals of a realistic size (|x0 - lms| ~ 0.1)
    hp = dict(model.net.hp, spectral_num=C, scale=2047, sensor="QB", ratio=4, beta_max=BETA_MAX_DEFAULT,
              train_steps=T_DEFAULT, pred="x0", time_input="index")
    export_fusor(os.path.join(outdir, "sb_random.safetensors"), model, hp)
    bridge = Bridge()
    lms = _smooth(g, (2, C, H, W), 0.1, 0.7)
    pan = _smooth(g, (2, 1, H, W), 0.05, 0.9)
    gt = (lms + 0.05 * torch.randn(lms.shape, generator=g)).clamp(0, 1)
    n = torch.tensor([999, 431], dtype=torch.long)
    x_t = bridge.q_sample(n, gt, lms, torch.randn(lms.shape, generator=g)).float()
    t = torch.tensor([999.0, 431.5])
    seed = 1234
    with torch.no_grad():
        fwd = model(x_t, lms, pan, t)
        sde5 = sample(model, bridge, lms, pan, 5, True, seed=seed)
        ode1 = sample(model, bridge, lms, pan, 1, False, seed=seed)
    z0 = torch.from_numpy(sampler_noise(seed, 0, (2, C, H, W)))
    save_safetensors(os.path.join(outdir, "sb_parity.safetensors"),
                     {"lms": lms, "pan": pan, "fwd.x_t": x_t, "fwd.t": t, "fwd.out": fwd, "sde5.out": sde5,
                      "ode1.out": ode1, "noise.z0": z0, "std_fwd": torch.from_numpy(bridge.std_fwd)},
                     {"made_by": "tools/python/fusor_ref/sb.py make_goldens (fusor's own PyTorch reference, torch %s)"
                      % torch.__version__, "seed": str(seed),
                      "cases": "fwd: SBPan at t = [999, 431.5]; sde5: bridge_sde 5 steps; ode1: bridge_ode 1 step; "
                               "noise.z0: Philox noise of step 0 (slot 1); std_fwd: I2SB table, beta_max 0.3, T 1000"})
    print("sb goldens: fwd |out| max %.3g, sde5 range %.3g..%.3g, ode1 range %.3g..%.3g"
          % (fwd.abs().max(), sde5.min(), sde5.max(), ode1.min(), ode1.max()))


def self_check():
    """Checks the torch/numpy bridge against closed forms (raises AssertionError on a mismatch):
    std_fwd vs the sum-of-squares closed form; the posterior vs the Brownian-bridge form x0 + (s'²/s²)(x_n − x0),
    var s'²(s² − s'²)/s²; q_sample's coefficients vs I²SB's Gaussian product; the grid vs space_indices."""
    for T, bm in ((1000, 0.3), (200, 0.5), (2, 0.1)):
        f, b = bridge_std(T, bm)
        err = max(abs(f[n] - bridge_std_fwd_closed(n, T, bm)) for n in range(T))
        assert err < 1e-12, f"std_fwd T {T} beta_max {bm}: max error {err}"
        assert abs(f[-1] - b[0]) < 1e-12, "std_fwd[T-1] must equal std_bwd[0] (the whole sum)"
    for sp, sn in ((0.01, 0.3755), (0.2, 0.3), (0.1, 0.1000001)):
        mx0, mxn, var = posterior(sp, sn)
        assert abs(mxn - sp * sp / (sn * sn)) < 1e-12 and abs(mx0 - (1 - sp * sp / (sn * sn))) < 1e-12
        assert abs(var - sp * sp * (sn * sn - sp * sp) / (sn * sn)) < 1e-12
    br = Bridge()
    assert abs(br.a[0] + br.m[0] - 1) < 1e-12 and br.m[0] < 1e-3 and br.a[-1] < 1e-3, "bridge ends: x_0 ~ x0, x_T-1 ~ x1"
    x0, x1, z = torch.zeros(1, 1, 1, 1, dtype=torch.float64), torch.ones(1, 1, 1, 1, dtype=torch.float64), torch.ones(1, 1, 1, 1, dtype=torch.float64)
    for n in (0, 137, 500, 999):
        v = br.q_sample(torch.tensor([n]), x0, x1, z).item()
        f2, b2 = br.std_fwd[n] ** 2, br.std_bwd[n] ** 2
        assert abs(v - (f2 / (f2 + b2) + math.sqrt(f2 * b2 / (f2 + b2)))) < 1e-12, f"q_sample at n {n}"
    assert br.grid(1) == [999, 0] and br.grid(5) == [999, 799, 599, 400, 200, 0]
    print("sb.py self-check: bridge table, posterior, q_sample and grid match their closed forms")


if __name__ == "__main__":
    import argparse
    ap = argparse.ArgumentParser(description="fusor sb_pan reference: closed-form self-check and the parity goldens")
    ap.add_argument("--goldens", help="output directory (tests/golden) for sb_random / sb_parity.safetensors")
    ap.add_argument("--check", action="store_true", help="check the bridge against its closed forms")
    a = ap.parse_args()
    if a.check or not a.goldens:
        self_check()
    if a.goldens:
        make_goldens(a.goldens)
