#!/usr/bin/python3
"""PyTorch reference attributions for tests/attr (Captum 0.8 semantics, written with autograd and
hooks because Captum is not packaged).

Run from the repository root with Debian's Python (torch 1.13, torchvision 0.14, scipy):

    /usr/bin/python3 tests/ref/attr_ref.py             # writes tests/fixtures/attr_ref.safetensors
                                                       # and tests/fixtures/attr_gl_ref.safetensors
    /usr/bin/python3 tests/ref/attr_ref.py --only-gl   # only the (fast) quadrature fixture
    /usr/bin/python3 tests/ref/attr_ref.py --viridis   # prints the 33-anchor viridis table of overlay.c

Model: the random torchvision densenet121(num_classes=14) stored in
tests/fixtures/densenet121_ref.safetensors (made by tests/ref/densenet_ref.py; its F16 weights are
exact), evaluated in float64, eval mode. Input: that file's `input[0:1]` [1,3,64,64]. Targets 3 and 7.
Every tensor below is computed in float64 and stored as F32 (names per target t):

  x [1,3,64,64]                         the input (copy of input[0:1])
  logits [1,14]                         f(x)
  sl.t [1,3,64,64]                      |d f_t / d x|                              (Captum Saliency)
  gc.t [1,1,2,2]                        sum_k mean_ij(dF/dA_k) A_k, A = features.norm5 output before
                                        torchvision's in-place ReLU (LayerGradCam, pre-ReLU cam)
  gc_bilinear.t / gc_nearest.t [64,64]  ReLU(gc) upsampled by F.interpolate (align_corners=False)
  ig.t [1,3,64,64], ig_delta.t [1]      IG, 50 Gauss-Legendre steps, baseline 0  (IntegratedGradients)
  lc.t [1,1024,2,2], lc_map.t [64,64]   LayerConductance at features.norm5 (pre-ReLU, as GC), 50 steps
                                        (51 nodes), baseline 0;
                                        map = channel sum, bilinear upsampled
  lc_logit_ref.t [1]                    f_t(0)
  gs.t [1,3,64,64]                      GradientShap, 5 samples, baselines {0, blur}, stdev 0, with the
                                        draws gs_index [5] (I32, index into (zero, blur)) and gs_u [5]
  blur [1,3,64,64]                      scipy.ndimage.gaussian_filter(x, sigma (0,0,6.4,6.4), reflect,
                                        truncate 4) = the blur baseline with sigma 0.1*64
  nt.t [1,3,64,64]                      NoiseTunnel smoothgrad over |grad|, 5 samples, noise nt_noise
                                        [5,3,64,64] (N(0, (0.15 (max x - min x))^2), stored as used)
  oc.t [1,3,64,64]                      Occlusion, window (3,16,16), strides 8, baseline 0

tests/fixtures/attr_gl_ref.safetensors: numpy.polynomial.legendre.leggauss(n) mapped to (0,1) as
Captum's gausslegendre rule, gl<n>.alpha and gl<n>.weight (F64) for n = 2, 7, 50, 51.
"""

import argparse
import os
import sys

import numpy as np
import scipy.ndimage
import torch
import torch.nn.functional as F
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from densenet_ref import st_read, st_write  # noqa: E402

SEED = 20261127
TARGETS = (3, 7)


def load_model(path):
    tensors, _ = st_read(path)
    model = torchvision.models.densenet121(num_classes=14)
    sd = model.state_dict()
    load = {}
    for k in sd:
        a = tensors[k]
        load[k] = torch.from_numpy(a.astype(np.int64) if a.dtype == np.int64 else a.astype(np.float64))
    model.load_state_dict(load)
    x = torch.from_numpy(tensors["input"][0:1].astype(np.float64))
    return model.double().eval(), x


def grads(model, xs, t):
    """d f_t / d x for a batch of inputs [B,3,H,W]; also the logits."""
    xs = xs.clone().requires_grad_(True)
    out = model(xs)
    out[:, t].sum().backward()
    return xs.grad.detach(), out.detach()


def layer_grads(model, xs, t, layer):
    """Activation A of `layer` and dF_t/dA for a batch."""
    store = {}

    def hook(_m, _i, o):
        # torchvision applies ReLU in place to norm5's output: keep A pre-ReLU (METHODS.md §2,
        # what Captum hooks) by handing the rest of the network a copy.
        o.retain_grad()
        store["a"] = o
        return o.clone()

    h = layer.register_forward_hook(hook)
    out = model(xs)
    out[:, t].sum().backward()
    h.remove()
    return store["a"].detach(), store["a"].grad.detach(), out.detach()


def gauss_legendre(n):
    x, w = np.polynomial.legendre.leggauss(n)
    return 0.5 * (1 + x), 0.5 * w


def occlusion(model, x, t, p=16, stride=8):
    _, c, h, w = x.shape
    ny = int(np.ceil((h - p) / stride)) + 1
    nx = int(np.ceil((w - p) / stride)) + 1
    masks = torch.zeros(ny * nx, c, h, w, dtype=x.dtype)
    for i in range(ny):
        for j in range(nx):
            masks[i * nx + j, :, i * stride:i * stride + p, j * stride:j * stride + p] = 1
    with torch.no_grad():
        f0 = model(x)[0, t]
        f = torch.cat([model(x * (1 - m))[:, t] for m in masks.split(25)])
    total = ((f0 - f).view(-1, 1, 1, 1) * masks).sum(0, keepdim=True)
    return total / masks.sum(0, keepdim=True)


def make(path_in, path_out):
    torch.manual_seed(SEED)
    rng = np.random.default_rng(SEED)
    model, x = load_model(path_in)
    out = {"x": x.float().numpy()}
    with torch.no_grad():
        out["logits"] = model(x).float().numpy()
    norm5 = model.features.norm5
    zero = torch.zeros_like(x)
    blur = torch.from_numpy(scipy.ndimage.gaussian_filter(
        x.numpy(), sigma=(0, 0, 6.4, 6.4), mode="reflect", truncate=4.0))
    out["blur"] = blur.float().numpy()
    gs_index = rng.integers(0, 2, 5).astype(np.int32)
    gs_u = rng.uniform(0, 1, 5)
    out["gs_index"] = gs_index
    out["gs_u"] = gs_u.astype(np.float32)
    gs_u = torch.from_numpy(gs_u.astype(np.float32).astype(np.float64))  # the values C reads
    sigma = 0.15 * float(x.max() - x.min())
    nt_noise = torch.from_numpy((rng.standard_normal((5,) + tuple(x.shape[1:])) * sigma)
                                .astype(np.float32).astype(np.float64))
    out["nt_noise"] = nt_noise.float().numpy()
    for t in TARGETS:
        g, _ = grads(model, x, t)
        out[f"sl.{t}"] = g.abs().float().numpy()

        a, ga, _ = layer_grads(model, x, t, norm5)
        cam = (ga.mean(dim=(2, 3), keepdim=True) * a).sum(dim=1, keepdim=True)
        out[f"gc.{t}"] = cam.float().numpy()
        out[f"gc_bilinear.{t}"] = F.interpolate(F.relu(cam), size=(64, 64), mode="bilinear",
                                                align_corners=False)[0, 0].float().numpy()
        out[f"gc_nearest.{t}"] = F.interpolate(F.relu(cam), size=(64, 64),
                                               mode="nearest")[0, 0].float().numpy()

        al, wt = gauss_legendre(50)
        xs = torch.cat([zero + float(s) * (x - zero) for s in al])
        g, _ = grads(model, xs, t)
        ig = (x - zero) * (g * torch.from_numpy(wt).view(-1, 1, 1, 1)).sum(0, keepdim=True)
        with torch.no_grad():
            fx, f0 = model(x)[0, t], model(zero)[0, t]
        out[f"ig.{t}"] = ig.float().numpy()
        out[f"ig_delta.{t}"] = np.array([float(ig.sum() - (fx - f0))], dtype=np.float32)

        al, _ = gauss_legendre(51)
        xs = torch.cat([zero + float(s) * (x - zero) for s in al])
        a, ga, _ = layer_grads(model, xs, t, norm5)
        lc = ((a[1:] - a[:-1]) * ga[:-1]).sum(0, keepdim=True)
        out[f"lc.{t}"] = lc.float().numpy()
        out[f"lc_map.{t}"] = F.interpolate(lc.sum(1, keepdim=True), size=(64, 64), mode="bilinear",
                                           align_corners=False)[0, 0].float().numpy()
        out[f"lc_logit_ref.{t}"] = np.array([float(f0)], dtype=np.float32)

        bases = [zero, blur]
        b = torch.cat([bases[i] for i in gs_index])
        u = gs_u.view(-1, 1, 1, 1)
        g, _ = grads(model, u * x + (1 - u) * b, t)
        out[f"gs.{t}"] = ((x - b) * g).mean(0, keepdim=True).float().numpy()

        g, _ = grads(model, x + nt_noise, t)
        out[f"nt.{t}"] = g.abs().mean(0, keepdim=True).float().numpy()

        out[f"oc.{t}"] = occlusion(model, x, t).float().numpy()
        print(f"target {t}: logit {float(fx):.6f}, ig delta {out[f'ig_delta.{t}'][0]:.3e}, "
              f"lc sum {float(lc.sum()):.6f} vs f(x)-f(0) {float(fx - f0):.6f}")
    meta = {"made_by": "tests/ref/attr_ref.py", "seed": str(SEED), "torch": torch.__version__,
            "model": "tests/fixtures/densenet121_ref.safetensors", "targets": "3,7"}
    st_write(path_out, out, meta)
    print(f"{path_out}: {len(out)} tensors")


def make_gl(path):
    """numpy's Gauss-Legendre rules as Captum maps them to (0,1): gl<n>.alpha, gl<n>.weight (F64)."""
    out = {}
    for n in (2, 7, 50, 51):
        x, w = np.polynomial.legendre.leggauss(n)
        out[f"gl{n}.alpha"] = 0.5 * (1 + x)
        out[f"gl{n}.weight"] = 0.5 * w
    st_write(path, out, {"made_by": "tests/ref/attr_ref.py", "numpy": np.__version__})
    print(f"{path}: {len(out)} tensors")


def viridis_table(n=33):
    from matplotlib import cm
    a = np.round(cm.get_cmap("viridis")(np.linspace(0, 1, n))[:, :3] * 255).astype(int)
    print(",\n".join("{%d, %d, %d}" % tuple(r) for r in a))


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="tests/fixtures/densenet121_ref.safetensors")
    ap.add_argument("--out", default="tests/fixtures/attr_ref.safetensors")
    ap.add_argument("--gl-out", default="tests/fixtures/attr_gl_ref.safetensors")
    ap.add_argument("--only-gl", action="store_true", help="write only the quadrature fixture")
    ap.add_argument("--viridis", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(2)
    if a.viridis:
        viridis_table()
        return 0
    make_gl(a.gl_out)
    if not a.only_gl:
        make(a.model, a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
