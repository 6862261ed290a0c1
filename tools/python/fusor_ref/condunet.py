"""condunet.py — fusor's small conditional U-Net (the backbone of PAN-OTFM and the Schrödinger-bridge model).

Own architecture (no official code exists for either paper; docs/MODELS_GENERATIVE.md). One evaluation:
    h    = in_conv(cat[x_t (C), cond... (lms C, pan 1, extra)])                       conv3x3 -> w·mult[0]
    emb  = temb.2(SiLU(temb.0(sinusoid_w(t))))                                        [B, 4w]
    down level l = 0..L-1: `blocks` ResBlocks (-> w·mult[l]); skip_l = h; l < L-1: h = conv3x3 stride 2
    mid: ResBlock, [self-attention (heads)], ResBlock at the lowest level
    up level l = L-1..0: h = cat[h, skip_l]; `blocks` ResBlocks (-> w·mult[l]); l > 0: h = conv3x3(nearest2x(h)) -> w·mult[l-1]
    out  = out_conv(SiLU(GN(h)))                                                       conv3x3 -> out_ch
ResBlock(cin, cout): h = conv1(SiLU(GN(x))); s, b = chunk(emb(SiLU(emb)), 2) (scale first);
    h = conv2(SiLU(GN(h)·(1+s) + b)); out = skip(x) + h  (skip = 1x1 conv when cin != cout, else identity).
Attention(c): y = GN(x) as tokens [B, HW, c]; out = x + proj(SDPA(q(y), k(y), v(y))) per head, scale 1/sqrt(c/heads).
sinusoid: guided-diffusion timestep_embedding(t, w): freqs = exp(-ln(10000)·i/half), [cos, sin]. GroupNorm eps 1e-5.
Hyper-parameters (fusor.hparams): width, levels, blocks, groups, attn, heads, ch_mult ("1,2,2"), in_ch, cond_ch, out_ch.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def timestep_embedding(t, dim, max_period=10000.0):
    """guided-diffusion sinusoid: t [B] -> [B, dim] = [cos(t·f), sin(t·f)], f_i = exp(-ln(max_period)·i/half)."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32) / half)
    args = t[:, None].float() * freqs[None]
    emb = torch.cat([torch.cos(args), torch.sin(args)], dim=-1)
    if dim % 2:
        emb = torch.cat([emb, torch.zeros_like(emb[:, :1])], dim=-1)
    return emb


class ResBlock(nn.Module):
    """GN-SiLU-conv3x3, time scale/shift on the second GN, GN-SiLU-conv3x3, residual (1x1 conv when widths differ)."""

    def __init__(self, cin, cout, temb, groups):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin, eps=1e-5)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.emb = nn.Linear(temb, 2 * cout)
        self.norm2 = nn.GroupNorm(groups, cout, eps=1e-5)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, emb):  # x [B, cin, H, W], emb [B, temb] -> [B, cout, H, W]
        h = self.conv1(F.silu(self.norm1(x)))
        s, b = self.emb(F.silu(emb)).chunk(2, dim=1)
        h = self.norm2(h) * (1 + s[:, :, None, None]) + b[:, :, None, None]
        h = self.conv2(F.silu(h))
        return (self.skip(x) if self.skip is not None else x) + h


class Attention(nn.Module):
    """Multi-head self-attention over the H·W pixels after a GroupNorm; residual."""

    def __init__(self, c, heads, groups):
        super().__init__()
        self.heads = heads
        self.norm = nn.GroupNorm(groups, c, eps=1e-5)
        self.q = nn.Linear(c, c)
        self.k = nn.Linear(c, c)
        self.v = nn.Linear(c, c)
        self.proj = nn.Linear(c, c)

    def forward(self, x):  # x [B, c, H, W] -> same
        B, C, H, W = x.shape
        y = self.norm(x).flatten(2).transpose(1, 2)  # [B, N, C]
        d = C // self.heads

        def split(t):
            return t.view(B, H * W, self.heads, d).transpose(1, 2)  # [B, heads, N, d]

        q, k, v = split(self.q(y)), split(self.k(y)), split(self.v(y))
        a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d), dim=-1)
        o = (a @ v).transpose(1, 2).reshape(B, H * W, C)
        return x + self.proj(o).transpose(1, 2).reshape(B, C, H, W)


class Level(nn.Module):
    pass


class CondUNet(nn.Module):
    """The conditional U-Net: forward(x_t [B,in_ch,H,W], cond [B,cond_ch,H,W], t [B]) -> [B,out_ch,H,W]."""

    def __init__(self, in_ch, cond_ch, out_ch, width=32, levels=2, blocks=1, groups=8, attn=1, heads=4, ch_mult=None):
        super().__init__()
        mult = list(ch_mult) if ch_mult else [min(2 ** l, 4) for l in range(levels)]
        assert len(mult) == levels
        self.hp = dict(in_ch=in_ch, cond_ch=cond_ch, out_ch=out_ch, width=width, levels=levels, blocks=blocks,
                       groups=groups, attn=int(bool(attn)), heads=heads, ch_mult=",".join(str(m) for m in mult))
        self.width = width
        chs = [width * m for m in mult]
        te = 4 * width
        self.temb = nn.Sequential(nn.Linear(width, te), nn.SiLU(), nn.Linear(te, te))
        self.in_conv = nn.Conv2d(in_ch + cond_ch, chs[0], 3, padding=1)
        self.down = nn.ModuleList()
        prev = chs[0]
        for l in range(levels):
            lv = Level()
            lv.res = nn.ModuleList()
            for b in range(blocks):
                lv.res.append(ResBlock(prev, chs[l], te, groups))
                prev = chs[l]
            if l < levels - 1:
                lv.down = nn.Conv2d(chs[l], chs[l], 3, stride=2, padding=1)
            self.down.append(lv)
        self.mid = nn.Module()
        self.mid.res1 = ResBlock(prev, prev, te, groups)
        if attn:
            self.mid.attn = Attention(prev, heads, groups)
        self.mid.res2 = ResBlock(prev, prev, te, groups)
        self.up = nn.ModuleList()
        for l in range(levels):
            self.up.append(Level())
        for l in reversed(range(levels)):
            lv = self.up[l]
            lv.res = nn.ModuleList()
            for b in range(blocks):
                lv.res.append(ResBlock(prev + chs[l] if b == 0 else chs[l], chs[l], te, groups))
                prev = chs[l]
            if l > 0:
                lv.up = nn.Conv2d(chs[l], chs[l - 1], 3, padding=1)
                prev = chs[l - 1]
        self.out_norm = nn.GroupNorm(groups, chs[0], eps=1e-5)
        self.out_conv = nn.Conv2d(chs[0], out_ch, 3, padding=1)
        self.levels, self.attn = levels, bool(attn)

    def forward(self, x_t, cond, t):
        emb = self.temb(timestep_embedding(t, self.width))
        h = self.in_conv(torch.cat([x_t, cond], dim=1))
        skips = []
        for l, lv in enumerate(self.down):
            for rb in lv.res:
                h = rb(h, emb)
            skips.append(h)
            if l < self.levels - 1:
                h = lv.down(h)
        h = self.mid.res1(h, emb)
        if self.attn:
            h = self.mid.attn(h)
        h = self.mid.res2(h, emb)
        for l in reversed(range(self.levels)):
            lv = self.up[l]
            h = torch.cat([h, skips[l]], dim=1)
            for rb in lv.res:
                h = rb(h, emb)
            if l > 0:
                h = lv.up(F.interpolate(h, scale_factor=2, mode="nearest"))
        return self.out_conv(F.silu(self.out_norm(h)))
