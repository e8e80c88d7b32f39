"""cxrgaze.save_torchvision: a torchvision DenseNet-121 written as a model file gives torch's own
logits from cxrgaze.Model (and the metadata back); DataParallel names load; a foreign state_dict is
refused with nothing left behind. Skipped without torch/torchvision."""

import os

import numpy as np
import pytest

import cxrgaze

torch = pytest.importorskip("torch")
torchvision = pytest.importorskip("torchvision")


@pytest.fixture(scope="module")
def densenet():
    torch.manual_seed(3)
    net = torchvision.models.densenet121(num_classes=14)
    with torch.no_grad():  # BN statistics away from 0/1 so they matter
        for mod in net.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                mod.running_mean.uniform_(-0.1, 0.1)
                mod.running_var.uniform_(0.5, 1.5)
                mod.num_batches_tracked.fill_(7)
    return net.eval()


def test_logits_equal_torch(densenet, tmp_path, rng):
    path = cxrgaze.save_torchvision(densenet, tmp_path / "tv.safetensors",
                                    labels=cxrgaze.LABELS, input_size=64, provenance="test")
    x = rng.standard_normal((3, 3, 64, 64)).astype(np.float32)
    with torch.no_grad():
        want = densenet(torch.from_numpy(x)).numpy()
    with cxrgaze.Model(path) as m:
        assert m.labels == cxrgaze.LABELS and m.input_size == 64 and m.arch == "densenet121"
        got = m.forward(x)
    assert np.max(np.abs(got - want)) / np.max(np.abs(want)) < 1e-4


def test_data_parallel_names_and_refusals(densenet, tmp_path, rng):
    sd = {"module." + k: v for k, v in densenet.state_dict().items()}
    path = cxrgaze.save_torchvision(sd, tmp_path / "dp.safetensors", mean=(0.5, 0.5, 0.5),
                                    std=(0.25, 0.25, 0.25))
    with cxrgaze.Model(path) as m:
        assert m.mean == (0.5, 0.5, 0.5) and m.std == (0.25, 0.25, 0.25)
    bad = dict(densenet.state_dict())
    bad["features.extra.weight"] = torch.zeros(3)
    with pytest.raises(cxrgaze.CxrgazeError, match="features.extra.weight"):
        cxrgaze.save_torchvision(bad, tmp_path / "bad.safetensors")
    assert not os.path.exists(tmp_path / "bad.safetensors")
    resnet = torchvision.models.resnet18(num_classes=14)
    with pytest.raises(ValueError, match="classifier.weight"):
        cxrgaze.save_torchvision(resnet, tmp_path / "resnet.safetensors")
    with pytest.raises(ValueError, match="labels"):
        cxrgaze.save_torchvision(densenet, tmp_path / "l.safetensors", labels=["a,b"] * 14)
