"""otfm.py — fusor's PyTorch reference of PAN-OTFM (arXiv 2503.14975; code unreleased, so defined here and in
docs/MODELS_GENERATIVE.md "PAN-OTFM"): the velocity network, its samplers, and the training objective pieces.

Flow (model time s: s = 0 source, s = 1 data — fusor's flow process with flow_data_at_one):
    source x_0 = lms + source_noise · z          (z ~ N(0, I); lms = MS upsampled to the PAN grid)
    target x_1 = HRMS (gt)                       path x_s = (1 − s)·x_0 + s·x_1, velocity u = x_1 − x_0
    v_θ(x_s, s | lms, pan) = CondUNet(x_s, cat[lms, pan], time_scale · s)
One step: x̂_1 = x_0 + v_θ(x_0, 0). Multi-step: Euler / Heun / midpoint on s ∈ [0, 1] with a uniform grid.
Coupling: per-minibatch unbalanced OT (entropic Sinkhorn with KL-relaxed marginals, sinkhorn_unbalanced below)
between the sources and the targets, cost = mean squared difference of (x_0, x_1) plus cond_weight · mean squared
difference of the conditions (lms, pan); pairs are drawn from the plan, and each drawn pair is weighted by the
plan's relaxed marginal mass (UOT's down-weighting of pairs with unusual spectral / spatial disparity).
Regulariser: spectral consistency ‖MTF↓4(x̂_1) − ms‖² of the one-step estimate x̂_1 = x_s + (1 − s)·v_θ.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .condunet import CondUNet


class PanOTFM(nn.Module):
    """The velocity field; state dict keys are "net.<condunet key>" (fusor arch pan_otfm)."""

    def __init__(self, bands, width=32, levels=2, blocks=1, groups=8, attn=1, heads=4, ch_mult=None,
                 source_noise=0.005, time_scale=1000.0):
        super().__init__()
        self.net = CondUNet(bands, bands + 1, bands, width, levels, blocks, groups, attn, heads, ch_mult)
        self.bands, self.source_noise, self.time_scale = bands, source_noise, time_scale

    def hparams(self, **extra):
        h = dict(self.net.hp)
        h.update(spectral_num=self.bands, source_noise=self.source_noise, time_scale=self.time_scale)
        for k in ("in_ch", "cond_ch", "out_ch"):
            h.pop(k)
        h.update(extra)
        return h

    def forward(self, x_s, lms, pan, s):  # x_s, lms [B,C,H,W], pan [B,1,H,W], s [B] model time -> velocity
        return self.net(x_s, torch.cat([lms, pan], dim=1), s * self.time_scale)

    def source(self, lms, z):
        """x_0 = lms + source_noise · z."""
        return lms + self.source_noise * z


@torch.no_grad()
def sample(model, x0, lms, pan, steps=1, method="euler"):
    """Integrates dx/ds = v_θ from s = 0 (x0) to s = 1 on a uniform grid: euler | heun | midpoint. -> x_1."""
    x = x0.clone()
    B = x.shape[0]
    for k in range(steps):
        s0, s1 = k / steps, (k + 1) / steps
        h = s1 - s0
        t0 = torch.full((B,), s0)
        v = model(x, lms, pan, t0)
        if method == "euler":
            x = x + h * v
        elif method == "heun":
            xe = x + h * v
            if k == steps - 1 and s1 >= 1.0:  # fusor / k-diffusion Heun: Euler on the step to the end
                x = xe
            else:
                x = x + h * 0.5 * (v + model(xe, lms, pan, torch.full((B,), s1)))
        elif method == "midpoint":
            xm = x + 0.5 * h * v
            x = x + h * model(xm, lms, pan, torch.full((B,), s0 + 0.5 * h))
        else:
            raise ValueError(method)
    return x


def sinkhorn_unbalanced(a, b, C, reg, reg_m, iters=200):
    """Entropic unbalanced OT (POT's sinkhorn_knopp_unbalanced, KL-relaxed marginals), in the log domain.

    min_π <π, C> + reg·KL(π | a⊗b) + reg_m·KL(π1 | a) + reg_m·KL(πᵀ1 | b); a [n], b [m], C [n, m] -> π [n, m].
    """
    fi = reg_m / (reg_m + reg)
    la, lb = torch.log(a), torch.log(b)
    K = -C / reg
    f = torch.zeros_like(a)
    g = torch.zeros_like(b)
    for _ in range(iters):
        f = fi * (la - torch.logsumexp(K + g[None, :] + lb[None, :], dim=1))
        g = fi * (lb - torch.logsumexp(K + f[:, None] + la[:, None], dim=0))
    return torch.exp(f[:, None] + la[:, None] + K + g[None, :] + lb[None, :])


def uot_pairs(x0, x1, cond, reg=0.05, reg_m=1.0, cond_weight=10.0, gen=None):
    """Minibatch UOT coupling: returns (i, j, w) — B pairs drawn from the plan and their weights (mean 1)."""
    B = x0.shape[0]
    d = lambda u, v: ((u.flatten(1)[:, None, :] - v.flatten(1)[None, :, :]) ** 2).mean(-1)
    C = d(x0, x1) + cond_weight * d(cond, cond)
    Cn = C / C.mean().clamp_min(1e-12)  # scale-free cost, so reg is relative to the mean cost
    a = torch.full((B,), 1.0 / B)
    pi = sinkhorn_unbalanced(a, a, Cn, reg, reg_m)
    flat = (pi / pi.sum()).flatten()
    idx = torch.multinomial(flat, B, replacement=True, generator=gen)
    i, j = idx // B, idx % B
    mass = pi.sum(0)  # relaxed target marginal (balanced: 1/B each)
    w = (mass[j] * B).clamp(0.1, 10.0)
    return i, j, w / w.mean(), pi


def mtf_kernel(gnyq, ratio=4, n=41):
    """Gaussian MTF-matched low-pass filters [C, 1, n, n] (DLPan genMTF without the Kaiser window).

    genMTF designs the frequency response exp(-(f·(n-1)/2)²/(2α²)) (f = 1 at Nyquist) with gain GNyq at f = 1/ratio,
    α² = ((n-1)/(2·ratio))² / (-2 ln GNyq); its spatial twin is a Gaussian of σ = (n-1)/2 / (π·α) pixels.
    """
    ks = []
    fcut = 1.0 / ratio
    for g in gnyq:
        alpha = math.sqrt(((n - 1) * (fcut / 2)) ** 2 / (-2 * math.log(g)))
        sigma = (n - 1) / 2 / (math.pi * alpha)
        ax = torch.arange(n, dtype=torch.float64) - (n - 1) / 2
        k1 = torch.exp(-0.5 * (ax / sigma) ** 2)
        k = k1[:, None] * k1[None, :]
        ks.append((k / k.sum()).float())
    return torch.stack(ks)[:, None]


def degrade(x, kern, ratio=4):
    """MTF low-pass (replicate padding) then decimation by `ratio` taking pixel ratio//2 of each block -> [B,C,H/r,W/r]."""
    C, n = x.shape[1], kern.shape[-1]
    y = F.conv2d(F.pad(x, [n // 2] * 4, mode="replicate"), kern, groups=C)
    return y[:, :, ratio // 2::ratio, ratio // 2::ratio]
