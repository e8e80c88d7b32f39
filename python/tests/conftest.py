"""Shared fixtures of the Python package's tests: the package from the tree, the command-line tool
they compare with ($CXRGAZE, default build/cxrgaze), the reference model of tests/fixtures, and a
small synthetic dataset pack made by `cxrgaze synth` + `prepare` (64 px, seconds)."""

import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "python"))

import cxrgaze  # noqa: E402
from cxrgaze import _safetensors  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"
REF_MODEL = FIXTURES / "densenet121_ref.safetensors"  # tests/ref/densenet_ref.py: weights + refs


def cli_path():
    return os.environ.get("CXRGAZE") or str(ROOT / "build" / "cxrgaze")


def run_cli(*args):
    """Runs the command-line tool; fails the test with its stderr when it exits non-zero."""
    r = subprocess.run([cli_path(), *map(str, args)], capture_output=True, text=True)
    if r.returncode:
        pytest.fail(f"cxrgaze {' '.join(map(str, args))}: exit {r.returncode}\n{r.stderr}")
    return r


def cli_help(command):
    return subprocess.run([cli_path(), command, "--help"], capture_output=True, text=True).stdout


@pytest.fixture(scope="session")
def ref_model():
    with cxrgaze.Model(REF_MODEL, ignore_unknown=True) as m:
        yield m


@pytest.fixture(scope="session")
def clean_model(tmp_path_factory):
    """The reference model's weights alone (no test tensors), loadable without ignore_unknown."""
    tensors, _ = _safetensors.read(REF_MODEL)
    keep = {k: v for k, v in tensors.items() if k.startswith(("features.", "classifier."))}
    path = tmp_path_factory.mktemp("model") / "ref_weights.safetensors"
    _safetensors.write(path, keep, {"arch": "densenet121"})
    return path


@pytest.fixture(scope="session")
def pack_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("pack")
    run_cli("synth", "--out", d / "synth", "--images", 60, "--gaze-images", 30, "--size", 64,
            "--quiet")
    run_cli("prepare", "--mimic", d / "synth/mimic-cxr-jpg", "--egd", d / "synth/egd-cxr",
            "--truth", d / "synth/truth", "--out", d / "data", "--size", 64, "--quiet")
    return d / "data"


@pytest.fixture
def rng():
    return np.random.default_rng(20261206)


def smooth_maps(rng, n, h, w, k=3):
    """n smooth non-negative [h,w] float32 maps (a few Gaussian blobs each)."""
    yy, xx = np.mgrid[0:h, 0:w]
    out = np.zeros((n, h, w), np.float64)
    for i in range(n):
        for _ in range(k):
            cy, cx, s = rng.uniform(0, h), rng.uniform(0, w), rng.uniform(2, max(3, h / 4))
            out[i] += rng.uniform(0.3, 1) * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * s * s))
    return out.astype(np.float32)
