"""cxrgaze.Model: a model file loaded once, for forward passes and saliency maps on numpy arrays."""

import ctypes
import os
import threading

import numpy as np

from . import _lib
from ._lib import lib

STUDY_METHODS = ("sl", "gc", "dl", "lc", "gs", "nt")  # the study's six (METHODS.md §2)
FORWARD_SETTINGS = frozenset({"precision", "batch"})
ATTRIBUTE_SETTINGS = frozenset({
    "preset", "precision", "max_batch", "seed", "stream", "baseline", "blur_sigma", "upsample",
    "gc_relu", "gc_layer", "lc_layer", "lc_steps", "captum_compat", "gs_samples", "gs_baselines",
    "gs_stdev", "nt_samples", "nt_stdev", "ig_steps", "oc_patch", "oc_stride"})


class Attributions(dict):
    """Maps (or raw attributions) per method name, in the order asked for. `.delta[method]`: the
    completeness sum(attribution) - (f(x) - f(x')) per map for dl, ig and lc (NaN for the other
    methods), shaped like the targets."""

    def __init__(self):
        super().__init__()
        self.delta = {}


class Model:
    """A cxrgaze model file (safetensors with torchvision DenseNet names, as `cxrgaze train` writes
    or save_torchvision converts), loaded once. Its engine plans and memory are kept between calls,
    so explaining images one call at a time costs no set-up after the first call.

        with cxrgaze.Model("runs/densenet/best.safetensors") as m:
            x = m.input_from_gray(gray_u8)               # [N,3,S,S] float32
            logits = m.forward(x)                        # [N,K]
            maps = m.attribute(x, targets=3)             # {"sl": [N,S,S], "gc": ..., ...}

    Attributes: path, arch ("densenet121"), num_outputs (K), labels (names the file records, or
    None), input_size (S it was trained at, or None), has_gaze_head, mean and std (normalisation).
    One call at a time runs on a model (a lock serialises threads); close() frees it (also on
    garbage collection); a closed model raises ValueError.
    """

    def __init__(self, path, ignore_unknown=False):
        """Loads path. ignore_unknown: skip tensors DenseNet does not have (instead of refusing
        the file). FileNotFoundError for a missing file, CxrgazeError for one that is not a model
        file (the message names the tensor)."""
        self._h = None
        self._lock = threading.Lock()
        self.path = os.fspath(path)
        h = ctypes.c_void_p()
        _lib.check(lib.cxg_model_load(self.path.encode(), 1 if ignore_unknown else 0,
                                      ctypes.byref(h)))
        self._h = h.value
        self.arch = lib.cxg_model_arch(self._h).decode()
        self.num_outputs = lib.cxg_model_outputs(self._h)
        n = lib.cxg_model_num_labels(self._h)
        self.labels = tuple(lib.cxg_model_label(self._h, i).decode() for i in range(n)) or None
        self.input_size = lib.cxg_model_input_size(self._h) or None
        self.has_gaze_head = bool(lib.cxg_model_has_gaze_head(self._h))
        mean, std = np.zeros(3, np.float32), np.zeros(3, np.float32)
        lib.cxg_model_normalisation(self._h, mean.ctypes.data, std.ctypes.data)
        self.mean, self.std = tuple(float(v) for v in mean), tuple(float(v) for v in std)

    # ---- life cycle ----------------------------------------------------------------------------
    def close(self):
        """Frees the model and its engine memory. Further calls raise ValueError."""
        with self._lock:
            if self._h is not None:
                lib.cxg_model_free(self._h)
                self._h = None

    def trim(self):
        """Frees the engine plans and memory kept between calls (the next call builds them)."""
        with self._lock:
            lib.cxg_model_trim(self._handle())

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        if getattr(self, "_h", None) is not None and lib is not None:
            lib.cxg_model_free(self._h)
            self._h = None

    def __repr__(self):
        state = "closed" if self._h is None else f"{self.num_outputs} outputs"
        return f"cxrgaze.Model({self.path!r}, {self.arch}, {state})"

    def _handle(self):
        if self._h is None:
            raise ValueError(f"model {self.path} is closed")
        return self._h

    # ---- inputs --------------------------------------------------------------------------------
    def _images(self, images):
        x = _lib.array("images", images, [np.float32], [4])
        if x.shape[1] != 3:
            raise ValueError(f"images: shape {x.shape}, expected [N,3,H,W] (3 channels, "
                             "normalised: see input_from_gray)")
        if min(x.shape[2:]) < 32 or max(x.shape[2:]) > 8192:
            raise ValueError(f"images: {x.shape[2]}x{x.shape[3]} pixels, expected 32 to 8192 "
                             "a side")
        return x

    def input_from_gray(self, gray):
        """Grey radiographs gray uint8 [N,H,W] (or one [H,W]) -> network input float32 [N,3,H,W]:
        the grey level replicated to 3 channels and normalised with the model's mean and std
        (METHODS.md §1), exactly as training and `cxrgaze attribute` build inputs."""
        g = _lib.array("gray", gray, [np.uint8], [2, 3])
        if g.ndim == 2:
            g = g[None]
        x = np.empty((g.shape[0], 3) + g.shape[1:], np.float32)
        with self._lock:
            _lib.check(lib.cxg_model_input_from_gray(self._handle(), _lib.ptr(g), g.shape[0],
                                                     g.shape[1], g.shape[2], _lib.ptr(x)))
        return x

    # ---- forward -------------------------------------------------------------------------------
    def forward(self, images, return_gaze=False, **settings):
        """Logits float32 [N,K] of images float32 [N,3,H,W] (normalised), eval mode, in batches
        as `cxrgaze forward` (equal to its output bit for bit). return_gaze: also the gaze head's
        sigmoid map [N,1,H/32,W/32] (DenseNet-Aug; None without a head).
        Settings: precision ("fp32" | "bf16"), batch (16)."""
        x = self._images(images)
        n, _, h, w = x.shape
        logits = np.empty((n, self.num_outputs), np.float32)
        fh, fw = ctypes.c_int(), ctypes.c_int()
        lib.cxg_model_feature_size(h, w, ctypes.byref(fh), ctypes.byref(fw))
        gaze = np.empty((n, 1, fh.value, fw.value), np.float32) if self.has_gaze_head else None
        with _lib.Settings("forward", FORWARD_SETTINGS, settings) as s, self._lock:
            _lib.check(lib.cxg_model_forward(self._handle(), _lib.ptr(x), n, h, w, s.ptr,
                                             _lib.ptr(logits), _lib.ptr(gaze)))
        return (logits, gaze) if return_gaze else logits

    # ---- attribution ---------------------------------------------------------------------------
    def attribute(self, images, targets, methods=STUDY_METHODS, raw=False, **settings):
        """Saliency maps of the target logits for images float32 [N,3,H,W] (normalised).

        targets: an int (every image), an int array [N] (one per image) or [N,T] (T per image).
        methods: names from sl gc dl lc gs nt ig oc (a sequence or "sl,gc"), default the study's
        six. Returns Attributions: method -> float32 maps [N,H,W] ([N,T,H,W] for 2-D targets), the
        attribution summed over channels (GC/LC upsampled; not normalised: see cxrgaze.metrics'
        map_sign/map_scale), equal bit for bit to `cxrgaze attribute --input X --target K` on the
        same images and settings. raw=True: Captum-shaped attributions instead, [N,C,h,w] per map
        (sl dl gs nt ig oc: [3,H,W]; gc: [1,H/32,W/32] before ReLU; lc: [C,h,w] of lc_layer).
        `.delta[method]`: completeness per map (dl, ig, lc; NaN otherwise).

        Settings (the command's method flags, `cxrgaze attribute --help`): preset ("cxrgaze" |
        "captum": Captum 0.8's defaults; the other settings apply over it), precision, seed,
        stream (image i draws its GS/NT noise from stream + i), max_batch, baseline, blur_sigma,
        upsample, gc_relu, gc_layer, lc_layer, lc_steps, captum_compat, gs_samples, gs_baselines,
        gs_stdev, nt_samples, nt_stdev, ig_steps, oc_patch, oc_stride."""
        x = self._images(images)
        n, _, h, w = x.shape
        t = _targets(targets, n)
        one = np.ndim(targets) < 2
        names = _methods(methods)
        result = Attributions()
        with _lib.Settings("attribute", ATTRIBUTE_SETTINGS, settings) as s, self._lock:
            handle = self._handle()
            for m in names:
                delta = np.empty(t.shape, np.float32)
                if raw:
                    arr = ctypes.c_void_p()
                    _lib.check(lib.cxg_model_attribute_raw(
                        handle, m.encode(), _lib.ptr(x), n, h, w, _lib.ptr(t), t.shape[1], s.ptr,
                        ctypes.byref(arr), _lib.ptr(delta)))
                    try:
                        shape = lib.cxg_array_shape(arr)
                        dims = [shape[i] for i in range(lib.cxg_array_ndim(arr))]
                        buf = (ctypes.c_float * int(np.prod(dims))).from_address(
                            lib.cxg_array_data(arr))
                        out = np.frombuffer(buf, np.float32).reshape(dims).copy()
                    finally:
                        lib.cxg_array_free(arr)
                else:
                    out = np.empty((n, t.shape[1], h, w), np.float32)
                    _lib.check(lib.cxg_model_attribute(
                        handle, m.encode(), _lib.ptr(x), n, h, w, _lib.ptr(t), t.shape[1], s.ptr,
                        _lib.ptr(out), _lib.ptr(delta)))
                result[m] = out[:, 0] if one else out
                result.delta[m] = delta[:, 0] if one else delta
        return result


def _targets(targets, n):
    t = np.asarray(targets)
    if t.dtype.kind not in "iu" and not (t.dtype == object and t.size == 0):
        raise TypeError(f"targets: dtype {t.dtype}, expected integers (logit indices)")
    if t.ndim == 0:
        t = np.full((n, 1), int(t))
    elif t.ndim == 1:
        t = t[:, None]
    if t.ndim != 2 or t.shape[0] != n or t.shape[1] < 1:
        raise ValueError(f"targets: shape {np.shape(targets)}, expected an int, [N] or [N,T] "
                         f"with N = {n} images and T >= 1")
    if np.any(t < 0) or np.any(t > np.iinfo(np.int32).max):
        raise ValueError("targets: logit indices must be >= 0")
    return np.ascontiguousarray(t, dtype=np.int32)


def _methods(methods):
    names = methods.split(",") if isinstance(methods, str) else list(methods)
    if not names or not all(isinstance(m, str) and m for m in names):
        raise ValueError(f"methods: {methods!r}, expected names from sl gc dl lc gs nt ig oc")
    if len(set(names)) != len(names):
        raise ValueError(f"methods: {methods!r} names a method twice")
    known = _lib.vocab(_lib.VOCAB_METHODS)
    for m in names:
        if m not in known:
            raise ValueError(f"methods: unknown method {m!r} (known: {' '.join(known)})")
    return names
