"""cxrgaze.save_torchvision: a torchvision DenseNet (or its state_dict) as a cxrgaze model file."""

import os
import re

import numpy as np

from . import _safetensors
from ._lib import lib

# model/model_file.c: MODEL_FORMAT, and the dense layers per block of each architecture.
_FORMAT = "cxrgaze-model-1 (torchvision DenseNet state_dict names)"
_ARCHS = {(6, 12, 24, 16): "densenet121", (6, 12, 32, 32): "densenet169",
          (6, 12, 48, 32): "densenet201"}


def _state(model):
    if hasattr(model, "state_dict"):
        return model.state_dict()
    if hasattr(model, "items"):
        return dict(model)
    raise TypeError(f"model: a torch.nn.Module or a state_dict mapping, got {type(model).__name__}")


def _floats3(name, v):
    if v is None:
        return None
    v = [float(x) for x in v]
    if len(v) != 3:
        raise ValueError(f"{name}: 3 values (one per channel), got {len(v)}")
    return ",".join(f"{x:.9g}" for x in v)


def save_torchvision(model, path, labels=None, input_size=None, mean=None, std=None,
                     provenance=None):
    """Writes a torchvision DenseNet-121/169/201 (a torch.nn.Module, e.g.
    torchvision.models.densenet121(weights=...), or its state_dict()) as a cxrgaze model file:
    every tensor under its torchvision name as float32 (num_batches_tracked int64), "module."
    prefixes (DataParallel) stripped, plus the metadata cxrgaze reads (model/model_file.c):
    arch, num_classes, gaze_head, labels (names in logit order), input_size (S the model expects),
    mean and std (its input normalisation; default ImageNet's), provenance. The file is written
    atomically and loaded back once with cxrgaze.Model, so a file that cxrgaze would refuse is
    never left behind (the error names the tensor). Needs torch (Debian: python3-torch)."""
    try:
        import torch
    except ImportError as e:
        raise ImportError("save_torchvision needs torch (Debian: python3-torch)") from e
    tensors = {}
    for name, t in _state(model).items():
        name = re.sub(r"^(module\.)+", "", name)
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{name}: not a tensor ({type(t).__name__})")
        a = t.detach().cpu()
        if name.endswith("num_batches_tracked"):
            tensors[name] = a.to(torch.int64).numpy().reshape(())
        else:
            tensors[name] = np.ascontiguousarray(a.to(torch.float32).numpy())
    if "classifier.weight" not in tensors:
        raise ValueError("model: no classifier.weight: not a torchvision DenseNet state_dict")
    layers = [0, 0, 0, 0]
    for name in tensors:
        m = re.match(r"features\.denseblock(\d)\.denselayer(\d+)\.", name)
        if m and 1 <= int(m[1]) <= 4:
            layers[int(m[1]) - 1] = max(layers[int(m[1]) - 1], int(m[2]))
    arch = _ARCHS.get(tuple(layers))
    if arch is None:
        raise ValueError(f"model: dense layers per block {tuple(layers)} match no DenseNet "
                         f"({', '.join(f'{v} {k}' for k, v in _ARCHS.items())})")
    k = tensors["classifier.weight"].shape[0]
    meta = {"format": _FORMAT, "cxrgaze_version": lib.cxg_version().decode(), "arch": arch,
            "num_classes": str(k), "gaze_head": "yes" if "gaze_head.weight" in tensors else "no"}
    if labels is not None:
        labels = [str(x) for x in labels]
        if len(labels) != k or any("," in x or not x for x in labels):
            raise ValueError(f"labels: {k} non-empty names without commas expected, got {labels}")
        meta["labels"] = ",".join(labels)
    if input_size is not None:
        meta["input_size"] = str(int(input_size))
    for key, v in (("mean", mean), ("std", std)):
        if (s := _floats3(key, v)) is not None:
            meta[key] = s
    if provenance is not None:
        meta["provenance"] = str(provenance)
    path = os.fspath(path)
    _safetensors.write(path, tensors, meta)
    from .model import Model
    try:
        Model(path).close()
    except Exception:
        os.unlink(path)
        raise
    return path
