#!/usr/bin/python3
"""PyTorch doing the work `cxrgaze bench` does, for a side-by-side comparison (bench/run).

    /usr/bin/python3 bench/bench_torch.py [--size 224] [--batch 16] [--steps 3] [--warmup 1]
                                          [--threads 2] [--json]
    /usr/bin/python3 bench/bench_torch.py --table TORCH.json [CXRGAZE.json ...]

Work, on torchvision densenet121(num_classes=14), random weights, random N(0,1) input
[B,3,S,S], random 0/1 targets, BCEWithLogits (mean):
  train_fp32      train mode, forward + backward + torch.optim.Adam step (lr 1e-4)   img/s
  train_bf16      the same under torch.autocast("cpu", torch.bfloat16)              img/s
  infer_fp32      eval mode, torch.inference_mode(), forward only                   img/s
  infer_bf16      the same under autocast bf16                                      img/s
  input_grad      eval mode, d logit[:,3].sum() / d input (one backward per batch)  ms/image
Each phase runs in its own process, so its peak RSS (resource.getrusage ru_maxrss, MiB) is its
own: peak_rss_mb_<phase>. Timing: `warmup` untimed steps, then the mean over `steps` timed ones.
torch.set_num_threads(--threads), 2 by default (the development machine has 2 cores).

--table prints both tools side by side with the ratio cxrgaze / torch (> 1: cxrgaze faster for
img/s, slower for ms and MiB). Each cxrgaze file holds the JSON line of one
`cxrgaze bench --precision P --json` run ({"train_img_s", "infer_img_s", "grad_ms",
"peak_rss_mb", "precision", ...}); its keys get the precision as a prefix and are matched
loosely (a key naming train|infer, fp32|bf16 and img; grad and ms, fp32 preferred; rss: the
largest). cxrgaze's input gradient row is from its fp32 run.
"""

import argparse
import json
import resource
import subprocess
import sys
import time

PHASES = ["train_fp32", "train_bf16", "infer_fp32", "infer_bf16", "input_grad"]


def run_phase(phase, size, batch, steps, warmup, threads):
    import torch
    import torchvision

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = torchvision.models.densenet121(num_classes=14)
    x = torch.randn(batch, 3, size, size)
    y = (torch.rand(batch, 14) < 0.3).float()
    bf16 = phase.endswith("bf16")
    autocast = lambda: torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16)

    if phase.startswith("train"):
        model.train()
        opt = torch.optim.Adam(model.parameters(), lr=1e-4)

        def step():
            opt.zero_grad(set_to_none=True)
            with autocast():
                logits = model(x)
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logits.float(), y)
            loss.backward()
            opt.step()
    elif phase.startswith("infer"):
        model.eval()

        def step():
            with torch.inference_mode(), autocast():
                model(x)
    else:
        model.eval()
        for p in model.parameters():
            p.requires_grad_(False)

        def step():
            xg = x.clone().requires_grad_(True)
            model(xg)[:, 3].sum().backward()

    for _ in range(warmup):
        step()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    dt = (time.perf_counter() - t0) / steps
    value = dt * 1000 / batch if phase == "input_grad" else batch / dt
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB -> MiB on Linux
    return {"value": value, "peak_rss_mb": rss, "torch": torch.__version__}


def measure(a):
    out = {"tool": "pytorch", "threads": a.threads, "size": a.size, "batch": a.batch,
           "steps": a.steps}
    for phase in PHASES:
        cmd = [sys.executable, __file__, "--phase", phase, "--size", str(a.size), "--batch",
               str(a.batch), "--steps", str(a.steps), "--warmup", str(a.warmup), "--threads",
               str(a.threads)]
        print(f"bench_torch: {phase} ...", file=sys.stderr, flush=True)
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            print(f"bench_torch: {phase} failed:\n{r.stderr}", file=sys.stderr)
            continue
        res = json.loads(r.stdout.strip().splitlines()[-1])
        unit = "ms_per_img" if phase == "input_grad" else "img_s"
        out[f"{phase}_{unit}"] = round(res["value"], 3)
        out[f"peak_rss_mb_{phase}"] = round(res["peak_rss_mb"], 1)
        out["torch"] = res["torch"]
    rss = [v for k, v in out.items() if k.startswith("peak_rss_mb_")]
    out["peak_rss_mb"] = max(rss) if rss else None
    return out


# ---- side-by-side table ---------------------------------------------------------------------
ROWS = [  # (label, unit, phase, higher is better)
    ("training fp32 (Adam)", "img/s", "train_fp32", True),
    ("training bf16", "img/s", "train_bf16", True),
    ("inference fp32", "img/s", "infer_fp32", True),
    ("inference bf16", "img/s", "infer_bf16", True),
    ("input gradient fp32", "ms/img", "input_grad", False),
    ("peak RSS (max)", "MiB", "rss", False),
]


def flatten(d, prefix=""):
    out = {}
    for k, v in d.items():
        key = f"{prefix}_{k}" if prefix else str(k)
        if isinstance(v, dict):
            out.update(flatten(v, key))
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            out[key.lower()] = float(v)
    return out


def pick(flat, phase):
    """The value for a phase from loosely named keys (first match in sorted key order)."""
    def has(k, *alts):
        return any(a in k for a in alts)

    if phase == "rss":  # the largest peak of any phase or run
        vals = [v for k, v in flat.items() if "rss" in k]
        return max(vals) if vals else None
    keys = sorted(flat, key=lambda k: ("fp32" not in k, k))  # fp32 first (input gradient)
    for k in keys:
        if phase == "input_grad":
            if "grad" in k and "ms" in k and "rss" not in k:
                return flat[k]
        else:
            mode, prec = phase.split("_")
            mode_alts = ("train",) if mode == "train" else ("infer", "eval", "inference")
            if has(k, *mode_alts) and prec in k and has(k, "img") and "rss" not in k:
                return flat[k]
    return None


def table(cx_runs, th):
    fc, ft = {}, flatten(th or {})
    for run in cx_runs:
        prec = str(run.get("precision", "fp32")).lower()
        fc.update({f"{prec}_{k}": v for k, v in flatten(run).items()})
    cx = bool(cx_runs)
    lines = [f"DenseNet-121 {th.get('size', '?')}x{th.get('size', '?')}, batch "
             f"{th.get('batch', '?')}, {th.get('threads', '?')} threads; PyTorch "
             f"{th.get('torch', '?')}",
             f"{'':24s} {'unit':>7s} {'cxrgaze':>10s} {'pytorch':>10s} {'cx/torch':>9s}  better"]
    for label, unit, phase, higher in ROWS:
        c, t = pick(fc, phase), pick(ft, phase)
        fmt = lambda v: f"{v:10.2f}" if v is not None else f"{'n/a':>10s}"
        ratio = f"{c / t:9.2f}" if c is not None and t else f"{'':>9s}"
        better = ""
        if c is not None and t:
            better = "cxrgaze" if (c > t) == higher else "pytorch"
        lines.append(f"{label:24s} {unit:>7s} {fmt(c)} {fmt(t)} {ratio}  {better}")
    if not cx:
        lines.append("(no cxrgaze numbers: `cxrgaze bench --json` missing or failed)")
    for run in cx_runs:
        lines.append(f"cxrgaze {run.get('precision', '?')}: {json.dumps(run)}")
    return "\n".join(lines)


def read_json_line(path):
    try:
        with open(path) as f:
            lines = [l for l in f.read().splitlines() if l.strip().startswith("{")]
        return json.loads(lines[-1]) if lines else None
    except (OSError, ValueError):
        return None


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", action="store_true", help="one JSON line on stdout")
    ap.add_argument("--phase", choices=PHASES, help=argparse.SUPPRESS)
    ap.add_argument("--table", nargs="+", metavar="JSON",
                    help="TORCH.json, then any number of cxrgaze bench JSON files")
    a = ap.parse_args()
    if a.phase:
        print(json.dumps(run_phase(a.phase, a.size, a.batch, a.steps, a.warmup, a.threads)))
        return 0
    if a.table:
        th = read_json_line(a.table[0])
        if th is None:
            print(f"bench_torch: no JSON line in {a.table[0]}", file=sys.stderr)
            return 1
        cx = [r for r in map(read_json_line, a.table[1:]) if r is not None]
        print(table(cx, th))
        return 0
    res = measure(a)
    if a.json:
        print(json.dumps(res))
    else:
        print(table([], res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
