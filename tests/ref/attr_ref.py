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
  gc_pre_bilinear.t / gc_pre_nearest.t  gc (no ReLU: Captum's relu_attributions=False) upsampled as
    [64,64]                             above; gc.3 is negative in every cell, gc.7 in one
  dl.t [1,3,64,64]                      DeepLift as METHODS.md section 2 (cxrgaze's default): Rescale at
                                        every ReLU incl. the functional final one, DeepLift max-pool
                                        rule, baseline 0 (deeplift_rules below; sums to f(x)-f(0))
  dl_captum.t [1,3,64,64]               Captum 0.8 DeepLift(model).attribute(x, 0, target=t), its
                                        hooks replayed in Captum's order (deeplift_captum below)
  dl_blur.t, dl_captum_blur.t           the same two with the blur baseline (where this network's
                                        max-pool rule and plain max-pool gradient differ)

tests/fixtures/attr_gl_ref.safetensors: numpy.polynomial.legendre.leggauss(n) mapped to (0,1) as
Captum's gausslegendre rule, gl<n>.alpha and gl<n>.weight (F64) for n = 2, 7, 50, 51.
"""

import argparse
import os
import sys

import numpy as np
import scipy.ndimage
import torch
import torch.nn as nn
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


# ---- DeepLift -------------------------------------------------------------------------------------
# Two references on the [x; x'] batch of 2N samples (inputs first, then their baselines), the
# target's logit of both halves summed and differentiated with respect to x (the input half):
#
# deeplift_captum: Captum 0.8's DeepLift replayed step by step with torch hooks, in the order
#   Captum registers them. Source read: pytorch/captum, captum/attr/_core/deep_lift.py
#   (stored copy at commit 642a8fcdb2458a9fae90827a6098639afdef5ba8, the 0.6-0.8 hook code):
#     DeepLift.attribute          _hook_main_model(), then model.apply(_register_hooks),
#                                 _expand_target(target, 2, repeat), gradient_func
#     DeepLift._hook_main_model   pre_hook: torch.cat([input, baseline]); forward_hook:
#                                 torch.stack(torch.chunk(outputs, 2), dim=1)
#     DeepLift._construct_forward_func  torch.cat((model_out[:, 0], model_out[:, 1])) and
#                                 _select_targets: the target of both halves -> gradient 1 on each
#     DeepLift._register_hooks    only modules whose type is a key of SUPPORTED_NON_LINEAR
#                                 (nn.ReLU, ELU, LeakyReLU, Sigmoid, Tanh, Softplus -> `nonlinear`;
#                                 nn.MaxPool1d/2d/3d -> `maxpool`; nn.Softmax). Registration order
#                                 per module: register_forward_hook(_forward_hook),
#                                 register_forward_pre_hook(_forward_pre_hook), then
#                                 captum/_utils/common.py _register_backward_hook(module, hook):
#                                 a forward pre-hook that puts `input_tensor_hook` on the input
#                                 tensor and returns input.clone() (so torchvision's in-place ReLUs
#                                 modify the clone), and a forward hook that puts
#                                 `output_tensor_hook` (stores the output's gradient) on the output.
#     DeepLift._forward_pre_hook  module.input = inputs[0].clone().detach()  (before the in-place op)
#     DeepLift._forward_hook      module.output = outputs[0].clone().detach()
#     DeepLift._backward_hook     multipliers = SUPPORTED_NON_LINEAR[type](module, module.input,
#                                 module.output, grad_input, grad_output, eps=1e-10), which
#                                 replaces the gradient of the module's input
#     nonlinear                   torch.where(|delta_in| < eps, grad_input,
#                                 grad_output * delta_out / delta_in), deltas from _compute_diffs
#                                 (input - input_ref, repeated for both halves)
#     maxpool                     xmax = max(y, y'); unpool(grad_output * cat[xmax - y', y - xmax])
#                                 with each half's argmax indices, halves summed, / delta_in;
#                                 where |delta_in| < eps: grad_input[0] (the first sample's plain
#                                 gradient broadcast over the batch: captum issue #1276)
#   What that does on torchvision DenseNet (features.relu0 -> features.pool0 are adjacent hooked
#   modules; every other nn.ReLU feeds a convolution):
#   - the functional F.relu(features, inplace=True) in DenseNet.forward is no module: plain gradient;
#   - relu0's output tensor gets relu0's output_tensor_hook first and pool0's input_tensor_hook
#     second; tensor hooks run in registration order, so relu0 stores the plain max-pool gradient
#     before pool0's rule replaces it, and relu0's Rescale uses the stored one (captum issue #1104):
#     the max-pool rule reaches the result only where relu0's |delta_in| < eps;
#   - every nn.ReLU (relu0, denselayer relu1/relu2, transition relu) takes the Rescale rule.
#   The script checks this reading: deeplift_captum equals deeplift_rules(final "mask", pool
#   "plain") to float64 rounding, and differs from the rules with the max-pool rule on.
#
# deeplift_rules: DeepLift as METHODS.md section 2 defines it, written as autograd Functions (no
#   hooks): Rescale (relu(a)-relu(a'))/(a-a') at every ReLU (the functional final one too when
#   final="rescale"; "mask": plain gradient there), the max-pool rule above with contributions of
#   overlapping windows summed (a gradient's routing, not max_unpool2d's) and each sample's own
#   plain gradient where |delta_in| < eps (pool="deeplift"; "plain": plain gradient), linear ops
#   plain. With final="rescale", pool="deeplift" this is cxrgaze's default DL, which sums to delta.

DL_EPS = 1e-10


def _halves(t):
    """The deltas of the [x; x'] batch, repeated for both halves (captum _compute_diffs)."""
    a, b = t.chunk(2)
    d = a - b
    return torch.cat([d, d])


def _captum_nonlinear(inp, out, grad_input, grad_output):
    d_in, d_out = _halves(inp), _halves(out)
    return torch.where(d_in.abs() < DL_EPS, grad_input, grad_output * d_out / d_in)


def _captum_maxpool(module, inp, out, grad_input, grad_output):
    with torch.no_grad():
        d_in = _halves(inp)
        y, y_ref = out.chunk(2)
        ymax = torch.max(y, y_ref)
        d_out = torch.cat([ymax - y_ref, y - ymax])
        _, idx = F.max_pool2d(inp, module.kernel_size, module.stride, module.padding,
                              module.dilation, module.ceil_mode, True)
        routed = F.max_unpool2d(grad_output * d_out, idx, module.kernel_size, module.stride,
                                module.padding, list(inp.shape))
        a, b = routed.chunk(2)
        routed = torch.cat([a + b, a + b])
    # grad_input[0]: the first sample's plain gradient, broadcast (captum issue #1276)
    return torch.where(d_in.abs() < DL_EPS, grad_input[0], routed / d_in)


def deeplift_captum(model, x, x_ref, t):
    """Captum 0.8 DeepLift(model).attribute(x, baselines=x_ref, target=t), replayed."""
    handles = []

    def register(module, rule):
        state = {"grad_out": None}

        def save_output(m, _inp, out):                 # DeepLift._forward_hook
            m.dl_output = out.clone().detach()

        def save_input(m, inp):                        # DeepLift._forward_pre_hook
            m.dl_input = inp[0].clone().detach()

        def input_hook_pre(m, inp):                    # _register_backward_hook: pre_hook
            def input_tensor_hook(grad_input):
                if state["grad_out"] is None:
                    return None
                new = rule(m, m.dl_input, m.dl_output, grad_input, state["grad_out"])
                del m.dl_input, m.dl_output            # DeepLift._backward_hook
                return new
            inp[0].register_hook(input_tensor_hook)
            return inp[0].clone()

        def output_hook_fwd(_m, _inp, out):            # _register_backward_hook: forward_hook
            state["grad_out"] = None

            def output_tensor_hook(g):
                state["grad_out"] = g
            out.register_hook(output_tensor_hook)

        handles.append(module.register_forward_hook(save_output))
        handles.append(module.register_forward_pre_hook(save_input))
        handles.append(module.register_forward_pre_hook(input_hook_pre))
        handles.append(module.register_forward_hook(output_hook_fwd))

    for m in model.modules():
        if type(m) is nn.ReLU:                         # SUPPORTED_NON_LINEAR[nn.ReLU] = nonlinear
            register(m, lambda _m, i, o, gi, go: _captum_nonlinear(i, o, gi, go))
        elif type(m) is nn.MaxPool2d:                  # SUPPORTED_NON_LINEAR[nn.MaxPool2d] = maxpool2d
            register(m, _captum_maxpool)
    try:
        xg = x.clone().requires_grad_(True)
        out = model(torch.cat([xg, x_ref]))            # _hook_main_model pre_hook
        g, = torch.autograd.grad(out[:, t].sum(), xg)  # target on both halves
    finally:
        for h in handles:
            h.remove()
    return ((x - x_ref) * g).detach(), out.detach()


class _RescaleReLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return a.clamp(min=0)

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        d_in, d_out = _halves(a), _halves(a.clamp(min=0))
        return torch.where(d_in.abs() < DL_EPS, g * (a > 0).to(g.dtype), g * d_out / d_in)


def _pool_route(a, pool, v):
    """The plain max-pool gradient: v routed to each window's first maximum, summed where the 3x3/2
    windows overlap (F.max_unpool2d, which Captum's rule uses, keeps one of the overlapping ones)."""
    with torch.enable_grad():
        a = a.detach().requires_grad_(True)
        y = F.max_pool2d(a, pool.kernel_size, pool.stride, pool.padding, pool.dilation,
                         pool.ceil_mode)
        g, = torch.autograd.grad(y, a, v)
    return g


class _DeepLiftMaxPool(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a, pool):
        y = F.max_pool2d(a, pool.kernel_size, pool.stride, pool.padding, pool.dilation,
                         pool.ceil_mode)
        ctx.save_for_backward(a, y)
        ctx.pool = pool
        return y

    @staticmethod
    def backward(ctx, g):
        a, y = ctx.saved_tensors
        y0, y1 = y.chunk(2)
        ymax = torch.max(y0, y1)
        r0, r1 = _pool_route(a, ctx.pool, g * torch.cat([ymax - y1, y0 - ymax])).chunk(2)
        d_in = _halves(a)
        plain = _pool_route(a, ctx.pool, g)
        return torch.where(d_in.abs() < DL_EPS, plain, torch.cat([r0 + r1, r0 + r1]) / d_in), None


def deeplift_rules(model, x, x_ref, t, final, pool):
    """DeepLift of METHODS.md section 2 on torchvision's DenseNet, module by module."""
    relu = _RescaleReLU.apply

    def run(mod, h):
        for name, m in mod.named_children():
            if isinstance(m, nn.ReLU):
                h = relu(h)
            elif isinstance(m, nn.MaxPool2d):
                h = _DeepLiftMaxPool.apply(h, m) if pool == "deeplift" else m(h)
            elif isinstance(m, torchvision.models.densenet._DenseBlock):
                feats = [h]
                for layer in m.values():
                    c = torch.cat(feats, 1)
                    c = layer.conv1(relu(layer.norm1(c)))
                    feats.append(layer.conv2(relu(layer.norm2(c))))
                h = torch.cat(feats, 1)
            elif len(list(m.children())):
                h = run(m, h)
            else:
                h = m(h)
        return h

    xg = x.clone().requires_grad_(True)
    f = run(model.features, torch.cat([xg, x_ref]))
    f = relu(f) if final == "rescale" else F.relu(f)
    out = model.classifier(torch.flatten(F.adaptive_avg_pool2d(f, (1, 1)), 1))
    g, = torch.autograd.grad(out[:, t].sum(), xg)
    return ((x - x_ref) * g).detach(), out.detach()


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

        # GradCAM without the ReLU (Captum's relu_attributions=False): the cam's negative cells
        # survive upsampling (LayerAttribution.interpolate = F.interpolate)
        for mode in ("bilinear", "nearest"):
            kw = {"align_corners": False} if mode == "bilinear" else {}
            out[f"gc_pre_{mode}.{t}"] = F.interpolate(cam, size=(64, 64), mode=mode,
                                                      **kw)[0, 0].float().numpy()

        # DeepLift with the zero baseline (the study's) and the blur baseline: with zero, this
        # network's max-pool windows never make the max-pool rule differ from the plain gradient;
        # with blur they do, so there the Captum check can tell whether the rule was applied.
        for base, sfx in ((zero, ""), (blur, "_blur")):
            dl_captum, lg = deeplift_captum(model, x, base, t)
            dl_read, lg2 = deeplift_rules(model, x, base, t, final="mask", pool="plain")
            dl_pool, _ = deeplift_rules(model, x, base, t, final="mask", pool="deeplift")
            dl, lg3 = deeplift_rules(model, x, base, t, final="rescale", pool="deeplift")
            for lgk in (lg, lg2, lg3):
                assert np.abs(lgk[0].numpy() - out["logits"][0]).max() < 1e-5
            scale = float(dl_captum.abs().max())
            e_read = float((dl_captum - dl_read).abs().max()) / scale
            e_pool = float((dl_captum - dl_pool).abs().max()) / scale
            assert e_read < 1e-12, e_read  # Captum on DenseNet: plain gradient at F.relu and pool0
            assert sfx == "" or e_pool > 1e-3, e_pool  # where the max-pool rule would show
            fd = float(lg3[0, t] - lg3[1, t])
            assert abs(float(dl.sum()) - fd) < 1e-9 * max(1.0, abs(fd))  # summation-to-delta
            out[f"dl{sfx}.{t}"] = dl.float().numpy()
            out[f"dl_captum{sfx}.{t}"] = dl_captum.float().numpy()
            print(f"target {t}, DL baseline {sfx[1:] or 'zero'}: sum {float(dl.sum()):.6f} = "
                  f"f(x)-f(x') {fd:.6f}; Captum's sum {float(dl_captum.sum()):.6f}, vs the "
                  f"plain-gradient reading {e_read:.1e}, vs the max-pool rule {e_pool:.1e} "
                  f"(relative to max |attr|)")
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
