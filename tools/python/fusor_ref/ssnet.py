"""ssnet.py — fusor's own PyTorch SSNet (the SSDiff denoiser, Zhong et al., NeurIPS 2024) and its sampler.

Written from the architecture description (../shared/reference/seed-methods.md §2.1) and fusor's C port
(models/ssdiff_net.c, docs/MODELS_GENERATIVE.md); no code of the official repository is used. Module and
parameter names follow the official state_dict (model/SSNet.py) so that the same tensors load in fusor's
C port (`fusor.arch ssdiff`). Only the modules forward_impl calls are built (the official raise_*_dim,
conv_x_t, Down.maxpool_conv and Up.up0 are never called and are not created here).

forward_impl(lms, pan, ms, x_t, t) -> the predicted residual x0 - lms:
  emb   = time_embed(sinusoid_m(t))  (cos first, guided-diffusion timestep_embedding)
  skip0 = PixelShuffle4(conv3x3(ms; C -> 16C, no bias))
  y = stem_pan(cat[pan, x_t]), x = stem_lms(cat[lms, x_t])  (conv3x3 + Lin(SiLU emb), BN -> SiLU -> conv3x3)
  5 levels (widths d, 2d, 4d, 2d, d): x[:, :n] *= b (n = 16, 32, 64, 32, 16 literally), x = APFM(x, FMIM(y)),
  ResBlock on y, shared Down / Up for both branches; out = to_hrms(x) + skip0.

Sampler: the improved-diffusion cosine table (T = 1000, beta clipped at 0.999), space_timesteps respacing
("ddimN" or section counts) and DDIM (eta = 0) as SSNet.sample runs it: pred_x0 = clamp(net + lms, 0, 1),
eps from the clamped x0 in image space, the respaced index fed as time (time_input="respaced", the release)
or the training index (time_input="index").
"""
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

BOOST = (1.2, 1.4, 1.6, 1.4, 1.2)   # channel-boost factors per level (b1 b2 b3 b2 b1)
BOOST_N = (16, 32, 64, 32, 16)      # literal channel counts x[:, :16], x[:, :32], x[:, :64], ...
FMIM_S = (0.9, 0.6, 0.3, 0.6, 0.9)  # Fourier_filter scales per level


def timestep_embedding(t, dim, max_period=10000):
    """[B] timesteps -> [B, dim] sinusoid, cos first (guided/improved-diffusion nn.timestep_embedding)."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(0, half, dtype=torch.float32) / half)
    args = t[:, None].float() * freqs[None]
    emb = torch.cat([torch.cos(args), torch.sin(args)], dim=-1)
    if dim % 2:
        emb = torch.cat([emb, torch.zeros_like(emb[:, :1])], dim=-1)
    return emb


def fourier_filter(x, scale, threshold=1):
    """FMIM: real(ifft2(ifftshift(fftshift(fft2(x)) * M))), M = scale on the centred 2x2 block [B,C,H,W]."""
    xf = torch.fft.fftshift(torch.fft.fftn(x.float(), dim=(-2, -1)), dim=(-2, -1))
    H, W = x.shape[-2:]
    mask = torch.ones(H, W, device=x.device)
    cr, cc = H // 2, W // 2
    mask[cr - threshold:cr + threshold, cc - threshold:cc + threshold] = scale
    xf = torch.fft.ifftshift(xf * mask, dim=(-2, -1))
    return torch.fft.ifftn(xf, dim=(-2, -1)).real


class Attention(nn.Module):
    """APFM attention on tokens x, y [B, N, C]: (softmax(y1 y2^T s) x1) * (y1 softmax(x1^T x2 s / (N/dh)))."""

    def __init__(self, dim, heads, dim_head):
        super().__init__()
        inner = heads * dim_head
        self.heads, self.dim_head, self.scale = heads, dim_head, dim_head ** -0.5
        self.sa1 = nn.Linear(dim, inner, bias=False)
        self.sa2 = nn.Linear(dim, inner, bias=False)
        self.se1 = nn.Linear(dim, inner, bias=False)
        self.se2 = nn.Linear(dim, inner, bias=False)
        self.to_out = nn.Sequential(nn.Linear(inner, dim), nn.Dropout(0.0))

    def _split(self, t):
        """[B, N, h*d] -> [B, h, N, d]."""
        B, N, _ = t.shape
        return t.reshape(B, N, self.heads, self.dim_head).permute(0, 2, 1, 3)

    def forward(self, x, y):
        B, N, _ = x.shape
        y1, y2 = self._split(self.sa1(y)), self._split(self.sa2(y))
        x1, x2 = self._split(self.se1(x)), self._split(self.se2(x))
        spatial = torch.softmax(torch.matmul(y1, y2.transpose(-1, -2)) * self.scale, dim=-1)   # [B, h, N, N]
        out1 = torch.matmul(spatial, x1)
        spectral = torch.softmax(torch.matmul(x1.transpose(-1, -2), x2) * self.scale / (N / self.dim_head), dim=-1)  # [B, h, d, d]
        out2 = torch.matmul(y1, spectral)
        out = (out1 * out2).permute(0, 2, 1, 3).reshape(B, N, self.heads * self.dim_head)
        return self.to_out(out)


class PreNorm2(nn.Module):
    """One LayerNorm applied to both token sets, then fn(x̂, ŷ)."""

    def __init__(self, dim, fn):
        super().__init__()
        self.norm, self.fn = nn.LayerNorm(dim), fn

    def forward(self, x, y):
        return self.fn(self.norm(x), self.norm(y))


class PreNorm1(nn.Module):
    """LayerNorm then fn."""

    def __init__(self, dim, fn):
        super().__init__()
        self.norm, self.fn = nn.LayerNorm(dim), fn

    def forward(self, x):
        return self.fn(self.norm(x))


class Residual(nn.Module):
    """fn(x, ...) + x."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x, *a):
        return self.fn(x, *a) + x


class FeedForward(nn.Module):
    """Linear(dim -> hidden) -> LeakyReLU -> Linear(hidden -> dim) on [B, N, dim]."""

    def __init__(self, dim, hidden):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(dim, hidden), nn.LeakyReLU(), nn.Dropout(0.0), nn.Linear(hidden, dim), nn.Dropout(0.0))

    def forward(self, x):
        return self.net(x)


class Fusformer(nn.Module):
    """APFM, depth 1: x [B, C, H, W] (spectral branch), y [B, C, H, W] (FMIM'd spatial branch) -> [B, C, H, W]."""

    def __init__(self, dim, heads, dim_head, mlp):
        super().__init__()
        self.layers = nn.ModuleList([nn.ModuleList([
            Residual(PreNorm2(dim, Attention(dim, heads, dim_head))),
            Residual(PreNorm1(dim, FeedForward(dim, mlp)))])])

    def forward(self, x, y):
        B, C, H, W = x.shape
        xt = x.flatten(2).transpose(1, 2)
        yt = y.flatten(2).transpose(1, 2)
        for attn, ff in self.layers:
            xt = attn(xt, yt)
            xt = ff(xt)
        return xt.transpose(1, 2).reshape(B, C, H, W)


class ResBlock(nn.Module):
    """y + zero_conv(SiLU(GN32(conv1(leaky(conv0(y))) + Lin(SiLU emb)))) for y [B, C, H, W], emb [B, E]."""

    def __init__(self, ch, hidden, emb_ch):
        super().__init__()
        self.conv0 = nn.Conv2d(ch, hidden, 3, 1, 1)
        self.conv1 = nn.Conv2d(hidden, ch, 3, 1, 1)
        self.emb_layers = nn.Sequential(nn.SiLU(), nn.Linear(emb_ch, ch))
        self.out_layers = nn.Sequential(nn.GroupNorm(32, ch), nn.SiLU(), nn.Dropout(0.0), nn.Conv2d(ch, ch, 3, 1, 1))
        nn.init.zeros_(self.out_layers[3].weight)
        nn.init.zeros_(self.out_layers[3].bias)

    def forward(self, y, emb):
        h = self.conv1(F.leaky_relu(self.conv0(y)))
        h = h + self.emb_layers(emb)[:, :, None, None]
        return y + self.out_layers(h)


class Down(nn.Module):
    """conv2x2/2 -> LeakyReLU -> conv1x1 (C -> 2C) -> depthwise 3x3 -> LeakyReLU: [B, C, H, W] -> [B, 2C, H/2, W/2]."""

    def __init__(self, ch):
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(ch, ch, 2, 2), nn.LeakyReLU(), nn.Conv2d(ch, 2 * ch, 1),
                                  nn.Conv2d(2 * ch, 2 * ch, 3, 1, 1, groups=2 * ch), nn.LeakyReLU())

    def forward(self, x):
        return self.conv(x)


class Up(nn.Module):
    """leaky(conv3x3(leaky(convT2x2/2(x)) + skip)): [B, C, H, W] -> [B, C/2, 2H, 2W]."""

    def __init__(self, ch):
        super().__init__()
        self.up1 = nn.Sequential(nn.ConvTranspose2d(ch, ch // 2, 2, 2), nn.LeakyReLU())
        self.conv = nn.Conv2d(ch // 2, ch // 2, 3, 1, 1)

    def forward(self, x, skip):
        return F.leaky_relu(self.conv(self.up1(x) + skip))


class Upsample(nn.Module):
    """PixelShuffle4(conv3x3(ms; C -> 16C, no bias)) — the learned MS upsampling skip_c0."""

    def __init__(self, c):
        super().__init__()
        self.upsamle = nn.Sequential(nn.Conv2d(c, 16 * c, 3, 1, 1, bias=False), nn.PixelShuffle(4))

    def forward(self, ms):
        return self.upsamle(ms)


class SSNet(nn.Module):
    """SSDiff's SSNet. ms_dim bands; dim base width (multiple of 32 for GroupNorm32); model_channels the
    time-embedding base (MLP m -> 4m); se ratios give the ResBlock / feed-forward hidden widths."""

    def __init__(self, dim=32, model_channels=128, dim_head=16, ms_dim=8, pan_dim=1, se_ratio_mlp=0.5, se_ratio_rb=0.5,
                 norm_type="bn"):
        super().__init__()
        assert dim % 32 == 0 and dim % dim_head == 0, "dim must be a multiple of 32 and of dim_head"
        self.dim, self.model_channels, self.dim_head, self.ms_dim = dim, model_channels, dim_head, ms_dim
        e = 4 * model_channels
        W = [dim, 2 * dim, 4 * dim, 2 * dim, dim]
        self.time_embed = nn.Sequential(nn.Linear(model_channels, e), nn.SiLU(), nn.Linear(e, e))
        self.upsample = Upsample(ms_dim)
        self.conv_pan2x_t = nn.Conv2d(pan_dim + ms_dim, dim, 3, 1, 1)
        self.conv_lms2x_t = nn.Conv2d(2 * ms_dim, dim, 3, 1, 1)
        self.emb_layers_pan = nn.Sequential(nn.SiLU(), nn.Linear(e, dim))
        self.emb_layers_lms = nn.Sequential(nn.SiLU(), nn.Linear(e, dim))

        def norm():
            return {"bn": lambda: nn.BatchNorm2d(dim), "gn": lambda: nn.GroupNorm(32, dim), "none": nn.Identity}[norm_type]()

        self.out_layers_pan = nn.Sequential(norm(), nn.SiLU(), nn.Dropout(0.0), nn.Conv2d(dim, dim, 3, 1, 1))
        self.out_layers_lms = nn.Sequential(norm(), nn.SiLU(), nn.Dropout(0.0), nn.Conv2d(dim, dim, 3, 1, 1))
        for m in (self.out_layers_pan[3], self.out_layers_lms[3]):
            nn.init.zeros_(m.weight)
            nn.init.zeros_(m.bias)
        for k in range(5):
            setattr(self, "fusformer%d" % k, Fusformer(W[k], W[k] // dim_head, dim_head, int(se_ratio_mlp * W[k])))
        for k in range(4):
            setattr(self, "resblock%d" % k, ResBlock(W[k], int(se_ratio_rb * W[k]), e))
        self.down0, self.down1 = Down(dim), Down(2 * dim)
        self.up0, self.up1 = Up(4 * dim), Up(2 * dim)
        self.to_hrms = nn.Sequential(nn.Conv2d(dim, dim, 3, 1, 1), nn.LeakyReLU(), nn.Conv2d(dim, ms_dim, 3, 1, 1))
        for k in range(5):
            b = torch.ones(1, W[k], 1, 1)
            b[:, :BOOST_N[k]] = BOOST[k]
            self.register_buffer("_boost%d" % k, b, persistent=False)

    def forward_impl(self, lms, pan, ms, x_t, t):
        """lms, x_t [B,C,H,W], pan [B,1,H,W], ms [B,C,H/4,W/4], t [B] -> the residual x0 - lms [B,C,H,W]."""
        emb = self.time_embed(timestep_embedding(t, self.model_channels))
        skip0 = self.upsample(ms)
        y = self.out_layers_pan(self.conv_pan2x_t(torch.cat([pan, x_t], 1)) + self.emb_layers_pan(emb)[:, :, None, None])
        x = self.out_layers_lms(self.conv_lms2x_t(torch.cat([lms, x_t], 1)) + self.emb_layers_lms(emb)[:, :, None, None])
        x = self.fusformer0(x * self._boost0, fourier_filter(y, FMIM_S[0]))
        sk10, x = x, self.down0(x)
        y = self.resblock0(y, emb)
        sk11, y = y, self.down0(y)
        x = self.fusformer1(x * self._boost1, fourier_filter(y, FMIM_S[1]))
        sk20, x = x, self.down1(x)
        y = self.resblock1(y, emb)
        sk21, y = y, self.down1(y)
        x = self.up0(self.fusformer2(x * self._boost2, fourier_filter(y, FMIM_S[2])), sk20)
        y = self.up0(self.resblock2(y, emb), sk21)
        x = self.up1(self.fusformer3(x * self._boost3, fourier_filter(y, FMIM_S[3])), sk10)
        y = self.up1(self.resblock3(y, emb), sk11)
        x = self.fusformer4(x * self._boost4, fourier_filter(y, FMIM_S[4]))
        return self.to_hrms(x) + skip0

    def forward(self, lms, pan, ms, x_t, t):
        return self.forward_impl(lms, pan, ms, x_t, t)


# ---- improved-diffusion cosine schedule, respacing, DDIM -------------------------------------------------

def cosine_alphas_cumprod(T=1000, s=0.008, max_beta=0.999):
    """float64 [T]: alpha-bar of improved-diffusion's cosine schedule (betas_for_alpha_bar, beta <= 0.999)."""
    f = lambda u: math.cos((u + s) / (1 + s) * math.pi / 2) ** 2
    betas = np.array([min(1 - f((i + 1) / T) / f(i / T), max_beta) for i in range(T)], dtype=np.float64)
    return np.cumprod(1.0 - betas)


def space_timesteps(T, section_counts):
    """improved-diffusion respace.space_timesteps: the kept training indices (sorted list)."""
    if isinstance(section_counts, str):
        if section_counts.startswith("ddim"):
            want = int(section_counts[len("ddim"):])
            for i in range(1, T):
                if len(range(0, T, i)) == want:
                    return sorted(range(0, T, i))
            raise ValueError("cannot create exactly %d steps with an integer stride" % want)
        section_counts = [int(x) for x in section_counts.split(",")]
    size_per, extra = T // len(section_counts), T % len(section_counts)
    start, out = 0, []
    for i, count in enumerate(section_counts):
        size = size_per + (1 if i < extra else 0)
        if size < count:
            raise ValueError("cannot divide section of %d steps into %d" % (size, count))
        frac = 1 if count <= 1 else (size - 1) / (count - 1)
        cur = 0.0
        for _ in range(count):
            out.append(start + round(cur))
            cur += frac
        start += size
    return sorted(set(out))


def q_sample(x0, t, ac, noise):
    """x_t = sqrt(ab_t) x0 + sqrt(1 - ab_t) noise for t [B] long, ac float64 numpy alpha-bar table."""
    a = torch.from_numpy(ac).to(x0.dtype)[t]
    return a.sqrt()[:, None, None, None] * x0 + (1 - a).sqrt()[:, None, None, None] * noise


@torch.no_grad()
def ddim_sample(net, lms, pan, ms, x_T, respace="ddim10", T=1000, time_input="respaced", eta=0.0, generator=None):
    """SSNet.sample with improved-diffusion's ddim_sample_loop on the respaced cosine table: pred_x0 =
    clamp(net + lms, 0, 1), eps from the clamped x0, x_prev = sqrt(ab_prev) x0 + sqrt(1 - ab_prev - s^2) eps
    (+ s z for eta > 0). time_input "respaced" feeds the respaced index k (the release), "index" the training
    index. Returns the last sample (= the last pred_x0 when eta = 0)."""
    kept = space_timesteps(T, respace)
    ac_full = cosine_alphas_cumprod(T)
    ac = ac_full[kept]
    x = x_T
    B = x.shape[0]
    for k in range(len(kept) - 1, -1, -1):
        tin = float(k) if time_input == "respaced" else float(kept[k])
        out = net.forward_impl(lms, pan, ms, x, torch.full((B,), tin, dtype=torch.float32))
        x0 = torch.clamp(out + lms, 0, 1)
        ab = float(ac[k])
        ab_prev = float(ac[k - 1]) if k > 0 else 1.0
        eps = (math.sqrt(1.0 / ab) * x - x0) / math.sqrt(1.0 / ab - 1)
        sigma = eta * math.sqrt((1 - ab_prev) / (1 - ab)) * math.sqrt(1 - ab / ab_prev)
        x = x0 * math.sqrt(ab_prev) + math.sqrt(1 - ab_prev - sigma ** 2) * eps
        if k > 0 and sigma > 0:
            x = x + sigma * torch.randn(x.shape, generator=generator)
    return x


def state_dict_numpy(net):
    """The parameters and BatchNorm running statistics as float32 numpy (num_batches_tracked dropped)."""
    return {k: v.detach().cpu().float().numpy() for k, v in net.state_dict().items() if not k.endswith("num_batches_tracked")}


def load_numpy(net, tensors):
    """Loads a dict name -> numpy array (e.g. from safetensors_io.read) into net; every name must match."""
    sd = {k: torch.from_numpy(np.asarray(v, dtype=np.float32)) for k, v in tensors.items()}
    own = {k for k in net.state_dict() if not k.endswith("num_batches_tracked")}
    missing, extra = own - set(sd), set(sd) - own
    if missing or extra:
        raise ValueError("SSNet state_dict mismatch: missing %s, unexpected %s" % (sorted(missing)[:5], sorted(extra)[:5]))
    net.load_state_dict(sd, strict=False)
