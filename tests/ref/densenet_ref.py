#!/usr/bin/python3
"""PyTorch/torchvision reference fixtures for the DenseNet engine and model files.

Run from the repository root with Debian's Python (torch 1.13, torchvision 0.14):

    /usr/bin/python3 tests/ref/densenet_ref.py            # writes the two fixtures below
    /usr/bin/python3 tests/ref/densenet_ref.py --check-load M.safetensors [--input X] [--logits Y]

Fixtures (safetensors, written by the small pure-Python writer below; `safetensors` is not packaged):

tests/fixtures/densenet121_ref.safetensors
    torchvision densenet121(num_classes=14) with random weights: convolutions keep torchvision's
    seeded kaiming init; BN affine weights ~ U(0.5, 1.5), biases ~ N(0, 0.2); classifier bias
    ~ N(0, 0.5); BN running statistics calibrated on a random batch (so eval-mode activations keep
    a sane scale through 121 layers) and then perturbed (mean + 0.1*sd*N(0,1), var * exp(0.2*N(0,1)));
    num_batches_tracked random integers. All floating weights are rounded to fp16 *before* any
    reference is computed and stored as F16, so the stored values are the exact weights used.
    Every state_dict() tensor is stored under its torchvision name (727, incl. int64
    num_batches_tracked). References are computed in float64 (model.double()) and stored as F32:
      input [2,3,64,64] F32 ~ N(0,1); target [2,14] F32 in {0,1}
      eval.logits [2,14]; eval.input_grad [2,3,64,64] = d(sum_n logits[n,3]) / d input, eval mode
      train.logits [2,14], train.loss [1] = BCEWithLogits(mean over N*K), train mode (batch stats)
      train.input_grad [2,3,64,64] = d train.loss / d input
      grad.<param> (F32, full) for a representative subset of parameters (GRAD_FULL below)
      gradstat.<param> [3] F64 = [sum, sum of squares, sum of |.|] of d train.loss / d param for
        every parameter tensor
      after.<buffer> running_mean / running_var (F32) and num_batches_tracked (I64) after that one
        train-mode forward (momentum 0.1, unbiased batch variance in the running update)
      adam.losses [3]: torch.optim.Adam(lr 1e-3, betas (0.9, 0.999), eps 1e-8), train mode, the same
        batch three times starting from the stored weights; adam.losses[i] is the loss of the i-th
        forward, computed before the i-th update. BN running statistics update at every step (they
        do not affect train-mode losses).
    ReLU kinks: a gradient through a ReLU whose input lies within rounding of 0 flips with the
    rounding (one such unit moved torch's own fp32 input gradient 1-3% away from float64), so
    clear_relu_kinks() moves BN biases until every ReLU input, eval and train mode, is at least
    KINK_MARGIN from 0. __metadata__ "torch_fp32_max_rel_dev" records how far torch's own fp32
    lands from each float64 reference (max |diff| / max |ref|): a floor for C tolerances
    (about 3e-5 for every gradient; 1.3e-3 for adam.losses, Adam's first step being sign-like).
tests/fixtures/densenet169_ref.safetensors
    torchvision densenet169(num_classes=14), randomised the same way (F16 weights);
    input [1,3,64,64] F32 and eval.logits [1,14] (float64 computation, stored F32).

--check-load FILE loads a cxrgaze-written weights file into torchvision (load_state_dict with
strict=False), prints missing/unexpected keys, and with --input X (tensor "input") prints the
float64 logits; with --logits Y (cxrgaze forward's output, tensor "logits", and "gaze" for a
model with a gaze head, compared with sigmoid(conv1x1(relu(features(x))))) compares them.
"""

import argparse
import copy
import json
import struct
import sys

import numpy as np
import torch
import torchvision

SEED = 20261126
KINK_MARGIN = 1e-4  # every ReLU input stays this far from 0 (clear_relu_kinks)

# Parameters whose full gradient is stored (the rest get gradstat only).
GRAD_FULL = [
    "features.conv0.weight",
    "features.norm0.weight",
    "features.norm0.bias",
    "features.denseblock1.denselayer1.conv1.weight",
    "features.denseblock1.denselayer6.conv2.weight",
    "features.transition1.conv.weight",
    "features.denseblock2.denselayer1.norm1.bias",
    "features.denseblock2.denselayer12.conv2.weight",
    "features.transition2.conv.weight",
    "features.denseblock3.denselayer1.conv1.weight",
    "features.denseblock3.denselayer24.norm2.weight",
    "features.transition3.conv.weight",
    "features.denseblock4.denselayer1.conv2.weight",
    "features.denseblock4.denselayer16.conv1.weight",
    "features.denseblock4.denselayer16.norm2.bias",
    "features.norm5.weight",
    "features.norm5.bias",
    "classifier.weight",
    "classifier.bias",
]

# ---- safetensors, pure Python ---------------------------------------------------------------
_NP_TO_ST = {np.dtype("float32"): "F32", np.dtype("float16"): "F16", np.dtype("float64"): "F64",
             np.dtype("int64"): "I64", np.dtype("int32"): "I32", np.dtype("uint8"): "U8"}
_ST_TO_NP = {v: k for k, v in _NP_TO_ST.items()}


def st_write(path, tensors, metadata=None):
    """tensors: ordered dict name -> numpy array (dtype in _NP_TO_ST). Header padded to 8 bytes."""
    header, blobs, off = {}, [], 0
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name, a in tensors.items():
        a = np.ascontiguousarray(a)
        b = a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": _NP_TO_ST[a.dtype], "shape": list(a.shape),
                        "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def st_read(path):
    """Returns (dict name -> numpy array (BF16 widened to float32), metadata dict)."""
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    data = raw[8 + n:]
    out = {}
    for name, e in header.items():
        s, t = e["data_offsets"]
        if e["dtype"] == "BF16":
            u = np.frombuffer(data[s:t], dtype="<u2").astype(np.uint32) << 16
            a = u.view(np.float32)
        else:
            a = np.frombuffer(data[s:t], dtype=_ST_TO_NP[e["dtype"]].newbyteorder("<"))
        out[name] = a.reshape(e["shape"]).copy()
    return out, meta


# ---- random, fp16-exact weights ------------------------------------------------------------
def bn_modules(model):
    return [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]


@torch.no_grad()
def randomise(model, calib_batch):
    """Random weights (see module docstring); every floating tensor ends fp16-exact."""
    for m in bn_modules(model):
        m.weight.uniform_(0.5, 1.5)
        m.bias.normal_(0.0, 0.2)
    model.classifier.bias.normal_(0.0, 0.5)
    # Calibrate running stats: one train-mode pass with a cumulative average (momentum None).
    for m in bn_modules(model):
        m.reset_running_stats()
        m.momentum = None
    model.train()
    model(calib_batch)
    for m in bn_modules(model):
        m.momentum = 0.1
        sd = m.running_var.clamp_min(1e-6).sqrt()
        m.running_mean.add_(0.1 * sd * torch.randn_like(sd))
        m.running_var.mul_(torch.exp(0.2 * torch.randn_like(sd))).clamp_(min=1e-3)
        m.num_batches_tracked.fill_(int(torch.randint(1, 100000, (1,))))
    for t in model.state_dict().values():
        if t.is_floating_point():
            t.copy_(t.half().float())
    model.eval()


class _Stop(Exception):
    pass


def _bn_output(model, bn, x, train):
    """float64 output of one BN module (the input of the ReLU after it) for input x."""
    m = copy.deepcopy(model).double().train(train)
    target = dict(model.named_modules())
    name = next(n for n, mod in target.items() if mod is bn)
    got = []

    def hook(mod, inp, out):
        got.append(out.detach())
        raise _Stop

    dict(m.named_modules())[name].register_forward_hook(hook)
    try:
        with torch.no_grad():
            m(x.double())
    except _Stop:
        pass
    return got[0]


@torch.no_grad()
def clear_relu_kinks(model, x, margin):
    """Moves every ReLU pre-activation at least `margin` away from 0, in eval and in train mode.

    A gradient through a ReLU whose input is within fp32 rounding of 0 depends on the rounding:
    one such unit moves d logit / d input by ~1% (measured), so references would be unusable
    at fp32 tolerances. Every ReLU in DenseNet follows a BN, so walking the BNs in forward order,
    a channel holding a unit with |a| < margin gets its BN bias moved by multiples of 1.5 margin,
    rounded to fp16 (the weights stay fp16-exact), until none does; later layers are examined after the change.
    Returns the number of channels moved."""
    moved = 0
    for bn in bn_modules(model):
        a = torch.cat([_bn_output(model, bn, x, t).transpose(0, 1).reshape(bn.num_features, -1)
                       for t in (False, True)], 1)  # [C, 2*N*h*w], eval then train units
        for c in torch.nonzero((a.abs() < margin).any(1)).flatten().tolist():
            b0 = float(bn.bias[c].item())
            for step in range(1, 400):  # +1.5m, -1.5m, +3m, -3m, ... rounded to fp16
                b = float(np.float16(b0 + (1 if step % 2 else -1) * 1.5 * margin * ((step + 1) // 2)))
                if ((a[c] + (b - b0)).abs() >= margin).all():
                    bn.bias[c] = b
                    moved += 1
                    break
            else:
                raise RuntimeError(f"no fp16 bias step clears the ReLU kinks: channel {c}, bias {b0}, "
                                   f"{int((a[c].abs() < 10 * margin).sum())} units near 0")
    return moved


def weights_f16(model):
    """state_dict in order: floating tensors as float16 (exact), counters int64."""
    out = {}
    for k, t in model.state_dict().items():
        a = t.detach().cpu().numpy()
        if t.is_floating_point():
            h = a.astype(np.float16)
            assert np.array_equal(h.astype(np.float32), a), k  # fp16-exact by construction
            a = h
        out[k] = a
    return out


def f32(t):
    return t.detach().cpu().numpy().astype(np.float32)


def provenance(desc):
    return {"seed": str(SEED), "torch": torch.__version__, "torchvision": torchvision.__version__,
            "made_by": "tests/ref/densenet_ref.py", "how": desc}


# ---- DenseNet-121: eval, train, gradients, running stats, Adam ------------------------------
def references(model, x, target, dtype):
    """Every densenet121 reference, computed in dtype (float64 for the fixture, float32 to
    measure how far an fp32 implementation lands from it). numpy arrays, float64/int64."""
    out = {}
    f = lambda t: t.detach().cpu().numpy().astype(np.float64)
    # eval mode: logits and d(sum of logit 3)/d input
    m = copy.deepcopy(model).to(dtype).eval()
    xe = x.to(dtype).clone().requires_grad_(True)
    logits = m(xe)
    logits[:, 3].sum().backward()
    out["eval.logits"] = f(logits)
    out["eval.input_grad"] = f(xe.grad)

    # train mode: one forward (batch statistics, running update), BCE, backward
    m = copy.deepcopy(model).to(dtype).train()
    xt = x.to(dtype).clone().requires_grad_(True)
    logits = m(xt)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, target.to(dtype))
    loss.backward()
    out["train.logits"] = f(logits)
    out["train.loss"] = np.array([loss.item()])
    out["train.input_grad"] = f(xt.grad)
    params = dict(m.named_parameters())
    for name in GRAD_FULL:
        out["grad." + name] = f(params[name].grad)
    for name, p in params.items():
        g = f(p.grad)
        out["gradstat." + name] = np.array([g.sum(), (g * g).sum(), np.abs(g).sum()])
    for name, b in m.named_buffers():
        out["after." + name] = b.numpy().astype(np.int64) if "num_batches" in name else f(b)

    # Adam: 3 steps on the same batch from the stored weights
    m = copy.deepcopy(model).to(dtype).train()
    opt = torch.optim.Adam(m.parameters(), lr=1e-3)
    losses = []
    for _ in range(3):
        opt.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(m(x.to(dtype)), target.to(dtype))
        loss.backward()
        opt.step()
        losses.append(loss.item())
    out["adam.losses"] = np.array(losses)
    return out


def make_densenet121(path):
    torch.manual_seed(SEED)
    model = torchvision.models.densenet121(num_classes=14)
    randomise(model, torch.randn(4, 3, 64, 64))
    x = torch.randn(2, 3, 64, 64)
    target = (torch.rand(2, 14) < 0.4).float()
    moved = clear_relu_kinks(model, x, KINK_MARGIN)
    out = weights_f16(model)
    out["input"] = f32(x)
    out["target"] = f32(target)
    ref = references(model, x, target, torch.float64)
    for k, v in ref.items():  # F32, except gradstat (F64) and counters (I64)
        out[k] = v if k.startswith("gradstat.") or v.dtype == np.int64 else v.astype(np.float32)

    # How far torch's own fp32 lands from the float64 references: a floor for tolerances.
    dev, r32 = {}, references(model, x, target, torch.float32)
    for k, v in ref.items():
        if v.dtype == np.int64:
            continue
        if k.startswith("gradstat."):
            d = float((np.abs(r32[k] - v) / np.maximum(np.abs(v), 1e-30))[1:].max())
            k = "gradstat.*"
        else:
            d = float(np.abs(r32[k] - v).max() / max(np.abs(v).max(), 1e-30))
            k = "after.*" if k.startswith("after.") else k
        dev[k] = max(dev.get(k, 0.0), d)

    meta = provenance("torchvision densenet121(num_classes=14), random fp16-exact weights and BN "
                      "statistics (F16), ReLU inputs kept >= kink_margin from 0; references in "
                      "float64: eval logits and input gradient of logit 3, train-mode BCE loss, "
                      "gradients, running stats, 3 Adam losses")
    meta.update({"arch": "densenet121", "num_classes": "14", "grad_full": ",".join(GRAD_FULL),
                 "kink_margin": str(KINK_MARGIN), "kink_channels_moved": str(moved),
                 "torch_fp32_max_rel_dev": json.dumps({k: float(f"{v:.2e}") for k, v in dev.items()})})
    st_write(path, out, meta)
    print(f"{path}: {len(out)} tensors, eval.logits[0,:4] {out['eval.logits'][0, :4]}, "
          f"train.loss {out['train.loss'][0]:.6f}, adam.losses {out['adam.losses']}, "
          f"{moved} BN channels moved off ReLU kinks")
    print("torch fp32 vs float64, max |diff| / max |ref| (gradstat: relative, sumsq & sumabs):")
    for k, v in dev.items():
        print(f"  {k:55s} {v:.1e}")


def make_densenet169(path):
    torch.manual_seed(SEED + 169)
    model = torchvision.models.densenet169(num_classes=14)
    randomise(model, torch.randn(4, 3, 64, 64))
    x = torch.randn(1, 3, 64, 64)
    out = weights_f16(model)
    out["input"] = f32(x)
    with torch.no_grad():
        out["eval.logits"] = f32(copy.deepcopy(model).double().eval()(x.double()))
    meta = provenance("torchvision densenet169(num_classes=14), random fp16-exact weights and BN "
                      "statistics (F16); eval logits in float64")
    meta.update({"arch": "densenet169", "num_classes": "14"})
    st_write(path, out, meta)
    print(f"{path}: {len(out)} tensors, eval.logits[0,:4] {out['eval.logits'][0, :4]}")


# ---- --check-load: a cxrgaze-written model file in torchvision --------------------------------
def check_load(path, input_path, logits_path):
    tensors, meta = st_read(path)
    arch = meta.get("arch", "densenet121")
    k = tensors["classifier.weight"].shape[0]
    model = getattr(torchvision.models, arch)(num_classes=k)
    sd = {n: torch.from_numpy(a.astype(np.int64) if a.dtype == np.int64 else a.astype(np.float32))
          for n, a in tensors.items()}
    res = model.load_state_dict(sd, strict=False)
    print(f"{path}: arch {arch}, num_classes {k}, {len(tensors)} tensors, metadata keys "
          f"{sorted(meta)}")
    print(f"missing keys ({len(res.missing_keys)}): {res.missing_keys}")
    print(f"unexpected keys ({len(res.unexpected_keys)}): {res.unexpected_keys}")
    ok = not res.missing_keys and all(n.startswith("gaze_head.") for n in res.unexpected_keys)
    for n, a in tensors.items():  # values survived exactly
        t = model.state_dict().get(n)
        if t is not None and not np.array_equal(t.numpy(), sd[n].numpy()):
            print(f"value mismatch: {n}")
            ok = False
    if input_path:
        x = torch.from_numpy(st_read(input_path)[0]["input"].astype(np.float32)).double()
        model = model.double().eval()
        with torch.no_grad():
            ref = model(x).numpy()
            gaze = None
            if "gaze_head.weight" in tensors:  # DenseNet-Aug: sigmoid(conv1x1(relu(norm5)))
                w = torch.from_numpy(tensors["gaze_head.weight"].astype(np.float64))
                b = torch.from_numpy(tensors["gaze_head.bias"].astype(np.float64))
                f = torch.nn.functional.relu(model.features(x))
                gaze = torch.sigmoid(torch.nn.functional.conv2d(f, w, b)).numpy()
        print(f"torch logits (float64) [0,:6]: {ref[0, :6]}")
        if logits_path:
            out = st_read(logits_path)[0]
            got = out["logits"].astype(np.float64)
            rel = np.abs(got - ref).max() / max(np.abs(ref).max(), 1e-30)
            print(f"cxrgaze logits [0,:6]:         {got[0, :6]}")
            print(f"logits: max |cxrgaze - torch| / max|torch| = {rel:.3e}")
            ok = ok and rel < 1e-4
            if gaze is not None:
                d = np.abs(out["gaze"].astype(np.float64) - gaze).max()
                print(f"gaze {list(gaze.shape)}: max |cxrgaze - torch| = {d:.3e}")
                ok = ok and d < 1e-5
    print("check-load: OK" if ok else "check-load: FAILED")
    return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out-dir", default="tests/fixtures")
    ap.add_argument("--check-load", metavar="FILE")
    ap.add_argument("--input", metavar="X", help="safetensors with tensor 'input' [N,3,H,W]")
    ap.add_argument("--logits", metavar="Y", help="cxrgaze forward output (tensor 'logits')")
    a = ap.parse_args()
    torch.set_num_threads(2)
    if a.check_load:
        return check_load(a.check_load, a.input, a.logits)
    make_densenet121(f"{a.out_dir}/densenet121_ref.safetensors")
    make_densenet169(f"{a.out_dir}/densenet169_ref.safetensors")
    return 0


if __name__ == "__main__":
    sys.exit(main())
