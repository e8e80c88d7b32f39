"""cxrgaze.Model: forward equal to `cxrgaze forward` bit for bit and to PyTorch's float64 logits
(tests/ref/densenet_ref.py) within fp32 rounding; attribute equal to `cxrgaze attribute --input`
bit for bit (maps, deltas, raw) and Saliency to Captum (tests/ref/attr_ref.py); the handle's life
cycle; bad inputs raising."""

import numpy as np
import pytest

import cxrgaze
from cxrgaze import _safetensors
from conftest import FIXTURES, REF_MODEL, run_cli

SIX = ("sl", "gc", "dl", "lc", "gs", "nt")
SMALL = {"nt_samples": 3, "gs_samples": 2, "lc_steps": 4, "seed": 5}  # fast, still stochastic
SMALL_FLAGS = ["--nt-samples", "3", "--gs-samples", "2", "--lc-steps", "4", "--seed", "5"]


@pytest.fixture(scope="module")
def images():
    """5 normalised 64 px images: the fixtures' 3 and 2 random ones (5 > 4 per engine batch)."""
    ref, _ = _safetensors.read(FIXTURES / "densenet121_ref.safetensors")
    att, _ = _safetensors.read(FIXTURES / "attr_ref.safetensors")
    extra = np.random.default_rng(7).standard_normal((2, 3, 64, 64)).astype(np.float32)
    return np.ascontiguousarray(np.concatenate([ref["input"], att["x"], extra]))


def test_metadata(ref_model):
    assert ref_model.arch == "densenet121" and ref_model.num_outputs == 14
    assert ref_model.labels is None and ref_model.input_size is None
    assert not ref_model.has_gaze_head
    assert np.allclose(ref_model.mean, (0.485, 0.456, 0.406))  # ImageNet's: none recorded
    assert np.allclose(ref_model.std, (0.229, 0.224, 0.225))


def test_forward_equals_cli_and_pytorch(ref_model, images, tmp_path):
    ref, _ = _safetensors.read(REF_MODEL)
    logits = ref_model.forward(ref["input"])
    want = ref["eval.logits"]
    assert np.max(np.abs(logits - want)) / np.max(np.abs(want)) < 2e-5
    _safetensors.write(tmp_path / "x.safetensors", {"input": images})
    run_cli("forward", "--model", REF_MODEL, "--ignore-unknown", "--input",
            tmp_path / "x.safetensors", "--out", tmp_path / "y.safetensors", "--batch", 3)
    cli, _ = _safetensors.read(tmp_path / "y.safetensors")
    assert np.array_equal(ref_model.forward(images, batch=3), cli["logits"])
    # the kept plans give the same bits again; logits, gaze for a model without a head
    lg, gaze = ref_model.forward(images, batch=3, return_gaze=True)
    assert np.array_equal(lg, cli["logits"]) and gaze is None


def test_attribute_equals_cli(ref_model, images, tmp_path):
    _safetensors.write(tmp_path / "x.safetensors", {"input": images})
    out = tmp_path / "attr"
    run_cli("attribute", "--model", REF_MODEL, "--ignore-unknown", "--input",
            tmp_path / "x.safetensors", "--target", 7, "--methods", ",".join(SIX), "--out", out,
            "--quiet", *SMALL_FLAGS)
    got = ref_model.attribute(images, 7, methods=SIX, **SMALL)
    assert list(got) == list(SIX)
    for m in SIX:
        cli, _ = _safetensors.read(out / f"{m}.safetensors")
        assert got[m].shape == (5, 64, 64)
        assert np.array_equal(got[m], cli[m]), m
        assert np.array_equal(cli["target"], np.full(5, 7))
        if "delta" in cli:  # dl, lc
            assert np.array_equal(got.delta[m], cli["delta"]), m
        else:
            assert np.isnan(got.delta[m]).all()
    # raw attributions, Captum's shapes
    run_cli("attribute", "--model", REF_MODEL, "--ignore-unknown", "--input",
            tmp_path / "x.safetensors", "--target", 7, "--methods", "gc,lc", "--raw", "--out",
            tmp_path / "raw", "--quiet", *SMALL_FLAGS)
    raw = ref_model.attribute(images, [7] * 5, methods="gc,lc", raw=True, **SMALL)
    for m, shape in (("gc", (5, 1, 2, 2)), ("lc", (5, 1024, 2, 2))):
        cli, _ = _safetensors.read(tmp_path / "raw" / f"{m}.safetensors")
        assert raw[m].shape == shape and np.array_equal(raw[m], cli[m]), m


def test_preset_equals_cli(ref_model, images, tmp_path):
    _safetensors.write(tmp_path / "x.safetensors", {"input": images[:2]})
    run_cli("attribute", "--model", REF_MODEL, "--ignore-unknown", "--input",
            tmp_path / "x.safetensors", "--target", 7, "--methods", "gc,nt", "--preset", "captum",
            "--nt-samples", 2, "--out", tmp_path / "captum", "--quiet")
    got = ref_model.attribute(images[:2], 7, methods="gc,nt", nt_samples=2, preset="captum")
    for m in ("gc", "nt"):
        cli, meta = _safetensors.read(tmp_path / "captum" / f"{m}.safetensors")
        assert np.array_equal(got[m], cli[m]), m
    # captum: nearest upsampling of the 2x2 cam (constant 32x32 blocks), no ReLU; cxrgaze: ReLU
    blocks = got["gc"].reshape(2, 2, 32, 2, 32)
    assert np.array_equal(blocks, np.broadcast_to(blocks[:, :, :1, :, :1], blocks.shape))
    cxr = ref_model.attribute(images[:2], 7, methods="gc")["gc"]
    assert (cxr >= 0).all() and not np.array_equal(cxr, got["gc"])


def test_saliency_matches_captum(ref_model):
    att, _ = _safetensors.read(FIXTURES / "attr_ref.safetensors")
    got = ref_model.attribute(att["x"], 3, methods=["sl"], raw=True)["sl"]
    want = att["sl.3"]
    assert np.max(np.abs(got - want)) / np.max(np.abs(want)) < 1e-4


def test_targets_and_streams(ref_model, images):
    two = ref_model.attribute(images, np.array([[3, 7]] * 5), methods=["sl", "nt"], nt_samples=2)
    one = ref_model.attribute(images, np.array([3, 3, 3, 3, 3]), methods=["sl", "nt"], nt_samples=2)
    assert two["sl"].shape == (5, 2, 64, 64) and two.delta["sl"].shape == (5, 2)
    for m in ("sl", "nt"):  # the same draws (per image, method, target); batching may move bits
        np.testing.assert_allclose(two[m][:, 0], one[m], rtol=1e-5,
                                   atol=1e-6 * np.abs(one[m]).max())
    # image i alone with stream i: the batched call's noise
    alone = ref_model.attribute(images[4:5], 3, methods="nt", nt_samples=2, stream=4)["nt"]
    np.testing.assert_allclose(alone[0], one["nt"][4], rtol=1e-5, atol=1e-6 * np.abs(alone).max())
    other = ref_model.attribute(images[4:5], 3, methods="nt", nt_samples=2, stream=5)["nt"]
    assert not np.allclose(other, alone)


def test_input_from_gray(ref_model, rng):
    gray = rng.integers(0, 256, (2, 40, 48), dtype=np.uint8)
    x = ref_model.input_from_gray(gray)
    mean, std = np.array(ref_model.mean), np.array(ref_model.std)
    want = (gray[:, None] / 255.0 - mean[None, :, None, None]) / std[None, :, None, None]
    assert x.shape == (2, 3, 40, 48) and x.dtype == np.float32
    assert np.max(np.abs(x - want)) < 1e-5
    assert ref_model.input_from_gray(gray[0]).shape == (1, 3, 40, 48)


def test_life_cycle_and_files(tmp_path, images):
    with cxrgaze.Model(REF_MODEL, ignore_unknown=True) as m:
        m.forward(images[:1])
        m.trim()  # plans freed; the next call builds them again
        m.forward(images[:1])
    with pytest.raises(ValueError, match="closed"):
        m.forward(images[:1])
    with pytest.raises(ValueError, match="closed"):
        m.attribute(images[:1], 3, methods="sl")
    m.close()  # twice is fine
    with pytest.raises(FileNotFoundError, match="nowhere.safetensors"):
        cxrgaze.Model(tmp_path / "nowhere.safetensors")
    with pytest.raises(cxrgaze.CxrgazeError, match="input"):  # a tensor DenseNet lacks
        cxrgaze.Model(REF_MODEL)
    (tmp_path / "text.safetensors").write_text("not a safetensors file")
    with pytest.raises(cxrgaze.CxrgazeError, match="text.safetensors"):
        cxrgaze.Model(tmp_path / "text.safetensors")
    with pytest.raises(cxrgaze.CxrgazeError, match="classifier.weight"):
        cxrgaze.Model(FIXTURES / "stats_maps.safetensors")


def test_bad_inputs_raise(ref_model, images):
    x = images[:2]
    with pytest.raises(TypeError, match="float64, expected float32"):
        ref_model.forward(x.astype(np.float64))
    with pytest.raises(ValueError, match=r"expected 4-D"):
        ref_model.forward(x[0])
    with pytest.raises(ValueError, match="3 channels"):
        ref_model.forward(np.zeros((1, 1, 64, 64), np.float32))
    with pytest.raises(ValueError, match="32 to 8192"):
        ref_model.forward(np.zeros((1, 3, 16, 64), np.float32))
    with pytest.raises(ValueError, match="C-contiguous"):
        ref_model.forward(x[:, :, :, ::-1])
    with pytest.raises(ValueError, match="target 14"):
        ref_model.attribute(x, 14, methods="sl")
    with pytest.raises(ValueError, match=">= 0"):
        ref_model.attribute(x, -1, methods="sl")
    with pytest.raises(TypeError, match="integers"):
        ref_model.attribute(x, 3.0, methods="sl")
    with pytest.raises(ValueError, match="N = 2"):
        ref_model.attribute(x, [3, 3, 3], methods="sl")
    with pytest.raises(ValueError, match="unknown method 'xx'"):
        ref_model.attribute(x, 3, methods=["sl", "xx"])
    with pytest.raises(ValueError, match="twice"):
        ref_model.attribute(x, 3, methods="sl,sl")
    with pytest.raises(TypeError, match="nt_sample"):
        ref_model.attribute(x, 3, methods="nt", nt_sample=3)
    with pytest.raises(ValueError, match="nt_samples"):
        ref_model.attribute(x, 3, methods="nt", nt_samples=0)
    with pytest.raises(TypeError, match="unexpected setting"):
        ref_model.forward(x, nt_samples=3)
    with pytest.raises(ValueError, match="oc_patch|occlusion|invalid"):
        ref_model.attribute(x, 3, methods="oc", oc_patch=100)
    with pytest.raises(cxrgaze.CxrgazeError, match="nowhere"):
        ref_model.attribute(x, 3, methods="gc", gc_layer="nowhere")
