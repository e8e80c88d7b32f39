"""The ctypes binding of libcxrgaze.so (include/cxrgaze.h, docs/api.md): finding the library,
declaring each function's argument and result types, turning statuses into Python exceptions,
the settings bag, and the input checks every public function shares."""

import ctypes
import os
import pathlib

import numpy as np

API_VERSION = 1  # include/cxrgaze.h CXG_API_VERSION this package speaks


class CxrgazeError(RuntimeError):
    """The library could not do the work: a file that is not what was expected, or an engine
    failure. The message names the file, tensor or step."""


# cxg_status -> exception class (CXG_ERR_ARGUMENT, CXG_ERR_NOT_FOUND, CXG_ERR_FILE, CXG_ERR_COMPUTE)
_ERRORS = {1: ValueError, 2: FileNotFoundError, 3: CxrgazeError, 4: CxrgazeError}

_P = ctypes.c_void_p
_I64 = ctypes.c_int64
_INT = ctypes.c_int
_STR = ctypes.c_char_p

# name: (result type, argument types); status functions return c_int.
_SIGNATURES = {
    "cxg_api_version": (_INT, []),
    "cxg_version": (_STR, []),
    "cxg_last_error": (_STR, []),
    "cxg_set_threads": (None, [_INT]),
    "cxg_set_log_level": (None, [_INT]),
    "cxg_vocab_size": (_INT, [_INT]),
    "cxg_vocab_name": (_STR, [_INT, _INT]),
    "cxg_settings_new": (_P, []),
    "cxg_settings_free": (None, [_P]),
    "cxg_settings_set": (_INT, [_P, _STR, _STR]),
    "cxg_settings_get": (_INT, [_P, _STR, _P, ctypes.c_size_t]),
    "cxg_settings_describe": (_STR, [_STR]),
    "cxg_array_ndim": (_INT, [_P]),
    "cxg_array_shape": (ctypes.POINTER(_I64), [_P]),
    "cxg_array_data": (_P, [_P]),
    "cxg_array_free": (None, [_P]),
    "cxg_model_load": (_INT, [_STR, ctypes.c_uint, ctypes.POINTER(_P)]),
    "cxg_model_free": (None, [_P]),
    "cxg_model_trim": (None, [_P]),
    "cxg_model_outputs": (_INT, [_P]),
    "cxg_model_input_size": (_INT, [_P]),
    "cxg_model_has_gaze_head": (_INT, [_P]),
    "cxg_model_arch": (_STR, [_P]),
    "cxg_model_num_labels": (_INT, [_P]),
    "cxg_model_label": (_STR, [_P, _INT]),
    "cxg_model_normalisation": (None, [_P, _P, _P]),
    "cxg_model_input_from_gray": (_INT, [_P, _P, _I64, _INT, _INT, _P]),
    "cxg_model_feature_size": (None, [_INT, _INT, ctypes.POINTER(_INT), ctypes.POINTER(_INT)]),
    "cxg_model_forward": (_INT, [_P, _P, _I64, _INT, _INT, _P, _P, _P]),
    "cxg_model_attribute": (_INT, [_P, _STR, _P, _I64, _INT, _INT, _P, _INT, _P, _P, _P]),
    "cxg_model_attribute_raw": (_INT, [_P, _STR, _P, _I64, _INT, _INT, _P, _INT, _P,
                                       ctypes.POINTER(_P), _P]),
    "cxg_map_metrics": (_INT, [_P, _P, _P, _I64, _INT, _INT, _P, _P, _P]),
    "cxg_regions": (_INT, [_P, _I64, _INT, _INT, _P, _INT, _INT, _P, _P, _P, _P, _P]),
    "cxg_auroc": (_INT, [_P, _P, _P, _I64, _P, _P]),
    "cxg_delong_test": (_INT, [_P, _P, _P, _I64, _P]),
    "cxg_pack_open": (_INT, [_STR, ctypes.POINTER(_P)]),
    "cxg_pack_close": (None, [_P]),
    "cxg_pack_array": (_INT, [_P, _STR, ctypes.POINTER(_P), ctypes.POINTER(_INT),
                              ctypes.POINTER(_INT), ctypes.POINTER(_I64)]),
    "cxg_pack_text": (_STR, [_P, _STR, _I64]),
}

# cxg_vocab
VOCAB_LABELS, VOCAB_REGIONS, VOCAB_SPLITS, VOCAB_METHODS, VOCAB_METRICS = range(5)
VOCAB_AUROC, VOCAB_DELONG, VOCAB_SETTINGS, VOCAB_PACK_ARRAYS, VOCAB_PACK_TEXTS = range(5, 10)


def _candidates():
    env = os.environ.get("CXRGAZE_LIB")
    if env:
        return [pathlib.Path(env)]
    here = pathlib.Path(__file__).resolve().parent
    return [here / "libcxrgaze.so",                       # bundled by `pip install ./python`
            here.parent.parent / "build" / "libcxrgaze.so",  # the source tree after `make`
            "libcxrgaze.so"]                                # the dynamic loader's search path


def _load():
    tried = []
    for c in _candidates():
        if isinstance(c, pathlib.Path) and not c.exists():
            tried.append(f"{c} (absent)")
            continue
        try:
            lib = ctypes.CDLL(str(c))
        except OSError as e:
            tried.append(f"{c} ({e})")
            continue
        for name, (res, args) in _SIGNATURES.items():
            f = getattr(lib, name)
            f.restype, f.argtypes = res, args
        if lib.cxg_api_version() != API_VERSION:
            raise ImportError(f"{c}: C API version {lib.cxg_api_version()}, this package needs "
                              f"{API_VERSION}: rebuild the library (make) or reinstall the package")
        return lib, str(c)
    raise ImportError("cxrgaze: libcxrgaze.so not found; tried " + "; ".join(tried) +
                      ". Build it with `make` in the repository, or set CXRGAZE_LIB to its path.")


lib, LIBRARY_PATH = _load()


def check(status):
    """Raises the exception of a cxg_status (with cxg_last_error's message) unless it is CXG_OK."""
    if status:
        msg = lib.cxg_last_error().decode(errors="replace")
        raise _ERRORS.get(status, CxrgazeError)(msg)


def vocab(v):
    return tuple(lib.cxg_vocab_name(v, i).decode() for i in range(lib.cxg_vocab_size(v)))


def text(value):
    """A setting's value as the library's text: booleans true/false, sequences comma-joined."""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)


class Settings:
    """A cxg_settings bag for one call:
    `with Settings(fn, allowed, kwargs) as s: lib.f(..., s.ptr)`.
    Keys outside `allowed` are a TypeError (as an unexpected keyword argument); values the library
    refuses are a ValueError naming the key and what it takes."""

    def __init__(self, fn, allowed, values):
        unknown = sorted(k for k, v in values.items() if k not in allowed)
        if unknown:
            raise TypeError(f"{fn}() got unexpected setting(s) {', '.join(unknown)}; it takes "
                            f"{', '.join(sorted(allowed))}")
        self.ptr = lib.cxg_settings_new()
        try:  # a preset first: it sets what it decides, the explicit settings then apply over it
            for k, v in sorted(values.items(), key=lambda kv: kv[0] != "preset"):
                if v is not None:
                    check(lib.cxg_settings_set(self.ptr, k.encode(), text(v).encode()))
        except BaseException:
            lib.cxg_settings_free(self.ptr)
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        lib.cxg_settings_free(self.ptr)
        self.ptr = None


def describe(key):
    d = lib.cxg_settings_describe(key.encode())
    return d.decode() if d else None


# ---- input checks ---------------------------------------------------------------------------
def array(name, a, dtypes, ndims):
    """a as a C-contiguous numpy array of one of dtypes (numpy dtypes) and one of ndims, or a
    TypeError / ValueError that names the argument and what it expected. Never copies: a wrong
    dtype or a strided view is the caller's to convert (the message says how)."""
    if not isinstance(a, np.ndarray):
        kind = type(a).__module__ + "." + type(a).__name__
        hint = " (a torch tensor: .detach().cpu().numpy())" if kind.startswith("torch") else ""
        raise TypeError(f"{name}: expected a numpy array, got {kind}{hint}")
    dts = [np.dtype(d) for d in dtypes]
    if a.dtype not in dts:
        want = " or ".join(str(d) for d in dts)
        raise TypeError(f"{name}: dtype {a.dtype}, expected {want} "
                        f"(convert with .astype({dts[0]}))")
    if a.ndim not in ndims:
        want = " or ".join(f"{d}-D" for d in ndims)
        raise ValueError(f"{name}: shape {a.shape} ({a.ndim}-D), expected {want}")
    if not a.flags.c_contiguous:
        raise ValueError(f"{name}: not C-contiguous (a strided view or a transpose); pass "
                         f"np.ascontiguousarray({name})")
    if not a.flags.aligned:
        raise ValueError(f"{name}: not aligned for {a.dtype}; pass a copy (np.array({name}))")
    return a


def ptr(a):
    """The address of a numpy array's data (None for an empty array or None)."""
    return None if a is None or a.size == 0 else a.ctypes.data
