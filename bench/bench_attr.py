#!/usr/bin/python3
"""PyTorch/autograd doing the work of bench_attr.c (Captum is not packaged): one 224x224 image,
one target, torchvision densenet121(num_classes=14) in eval mode, the same weights file.
SL: 1 forward + input gradient; GC: forward + gradient at features.norm5 (hook); DL: forward
on [x, x'] + input gradient (plain autograd: the cost of Captum's DeepLift, whose backward hooks
only rescale gradients, not its numbers); LC: 51 node forwards + gradient at norm5 (autograd.grad
stops there); GS: 5 sample forwards + input gradients; NT: 25. Best of N repeats, after a warm-up.
fp32, and bf16 via torch.autocast("cpu", dtype=torch.bfloat16).
--once sl,gc,...: the one-image command-line case instead (bench_attr_latency.sh times the whole
process): the listed methods once each, cold (no warm-up, no repeats), in --precision.

    /usr/bin/python3 bench/bench_attr.py MODEL.safetensors [--size 224] [--repeats 3] [--threads 2]
    /usr/bin/python3 bench/bench_attr.py MODEL.safetensors --once sl,gc,dl,lc,gs,nt [--precision fp32]
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "ref"))
from densenet_ref import st_read  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--once", help="comma-separated methods, run once each, cold")
    ap.add_argument("--precision", choices=("fp32", "bf16"), default="fp32")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    tensors, _ = st_read(a.model)
    model = torchvision.models.densenet121(num_classes=14)
    sd = {k: torch.from_numpy(tensors[k].astype(np.int64) if tensors[k].dtype == np.int64
                              else tensors[k].astype(np.float32)) for k in model.state_dict()}
    model.load_state_dict(sd)
    model.eval()
    s, t = a.size, 3
    yy, xx = np.mgrid[0:s, 0:s]
    g = (128 + 60 * np.sin(xx / 17.0) * np.cos(yy / 23.0) + 40.0 * (yy - s // 2) / s).astype(np.uint8)
    mean = np.array([0.485, 0.456, 0.406]).reshape(3, 1, 1)
    std = np.array([0.229, 0.224, 0.225]).reshape(3, 1, 1)
    x = torch.from_numpy(((g / 255.0)[None] - mean) / std).float()[None]
    norm5 = model.features.norm5

    def input_grad(xs):
        xs = xs.clone().requires_grad_(True)
        model(xs)[:, t].sum().backward()
        return xs.grad

    def layer_grad(xs):
        store = {}

        def hook(_m, _i, o):
            store["a"] = o
            return o.clone()

        h = norm5.register_forward_hook(hook)
        out = model(xs)
        h.remove()
        return torch.autograd.grad(out[:, t].sum(), store["a"])[0]

    al = torch.from_numpy(0.5 * (1 + np.polynomial.legendre.leggauss(51)[0])).float()
    work = {
        "sl": lambda: input_grad(x),
        "gc": lambda: layer_grad(x),
        "dl": lambda: input_grad(torch.cat([x, torch.zeros_like(x)])),
        "lc": lambda: layer_grad(al.view(-1, 1, 1, 1) * x),
        "gs": lambda: input_grad(torch.rand(5, 1, 1, 1) * x),
        "nt": lambda: input_grad(x + 0.15 * float(x.max() - x.min()) * torch.randn(25, *x.shape[1:])),
    }
    if a.once:
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.precision == "bf16"):
            for name in a.once.split(","):
                work[name]()
        return
    for prec in ("fp32", "bf16"):
        total = 0.0
        for name, fn in work.items():
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=prec == "bf16"):
                fn()
                best = float("inf")
                for _ in range(a.repeats):
                    t0 = time.perf_counter()
                    fn()
                    best = min(best, time.perf_counter() - t0)
            total += best
            print(json.dumps({"impl": "torch", "precision": prec, "method": name,
                              "seconds": round(best, 4)}), flush=True)
        print(json.dumps({"impl": "torch", "precision": prec, "method": "all6",
                          "seconds": round(total, 4)}), flush=True)


if __name__ == "__main__":
    main()
