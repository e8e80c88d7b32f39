"""cxrgaze.load_pack: a dataset pack (`cxrgaze prepare`'s output directory) as numpy arrays."""

import ctypes
import os

import numpy as np

from . import _lib
from ._lib import lib

_DTYPES = {1: np.uint8, 2: np.uint16, 3: np.int32, 4: np.float32}  # cxg_dtype
ARRAYS = _lib.vocab(_lib.VOCAB_PACK_ARRAYS)
TEXTS = _lib.vocab(_lib.VOCAB_PACK_TEXTS)


class _Mapping:
    """The open C pack. Every array of a Pack keeps it alive: the mapping is unmapped when the
    Pack and all its arrays are gone, never under an array still in use."""

    def __init__(self, path):
        h = ctypes.c_void_p()
        _lib.check(lib.cxg_pack_open(path.encode(), ctypes.byref(h)))
        self.h = h.value

    def __del__(self):
        if getattr(self, "h", None) and lib is not None:
            lib.cxg_pack_close(self.h)
            self.h = None


class Pack:
    """A dataset pack, read through the library's pack reader (every tensor's dtype and shape
    validated, as every stage does). Arrays are read-only views of the file's mapping (no copy):

      images uint8 [N,S,S]         labels float32 [N,14] (0/1, cxrgaze.LABELS order)
      label_mask uint8 [N,14]      split uint8 [N] (cxrgaze.SPLITS codes)
      gaze_row int32 [N]           row of each image's gaze, -1 = none
      gaze float32 [Ng,S,S]        fixations uint8 [Ng,S,S]
      regions uint8 [Ng,4,S,S]     region_present uint8 [Ng,4] (cxrgaze.REGIONS order)
      truth uint16 [N,S,S] or None (synthetic packs: bit c = planted finding of label c)

    and index.csv's columns as lists of str: dicom_id, subject_id, study_id, view. n, n_gaze and
    size are N, Ng and S. rows(split) gives the row numbers of one split ("train", "validate",
    "test"). The mapping stays open while the Pack or any of its arrays is in use."""

    def __init__(self, path):
        self.path = os.fspath(path)
        m = _Mapping(self.path)
        for name in ARRAYS:
            setattr(self, name, _view(m, name))
        self.n, self.size = self.images.shape[0], self.images.shape[1]
        self.n_gaze = self.gaze.shape[0]
        for col in TEXTS:
            setattr(self, col, [lib.cxg_pack_text(m.h, col.encode(), i).decode()
                                for i in range(self.n)])

    def rows(self, split):
        """Row numbers (int64, ascending) of one split's images: "train", "validate", "test"."""
        splits = _lib.vocab(_lib.VOCAB_SPLITS)
        if split not in splits:
            raise ValueError(f"split {split!r}: expected one of {', '.join(splits)}")
        return np.flatnonzero(self.split == splits.index(split))

    def __repr__(self):
        return (f"cxrgaze.Pack({self.path!r}: {self.n} images of {self.size} px, "
                f"{self.n_gaze} with gaze)")


def _view(m, name):
    data, dtype, ndim = ctypes.c_void_p(), ctypes.c_int(), ctypes.c_int()
    shape = (ctypes.c_int64 * 4)()
    try:
        _lib.check(lib.cxg_pack_array(m.h, name.encode(), ctypes.byref(data), ctypes.byref(dtype),
                                      ctypes.byref(ndim), shape))
    except FileNotFoundError:
        return None  # "truth" of a pack without one
    dims = tuple(shape[i] for i in range(ndim.value))
    dt = np.dtype(_DTYPES[dtype.value])
    if not data.value:
        return np.empty(dims, dt)
    nbytes = int(np.prod(dims)) * dt.itemsize
    buf = (ctypes.c_char * nbytes).from_address(data.value)
    buf._mapping = m  # the array -> memoryview -> buf -> the open pack
    arr = np.frombuffer(memoryview(buf).toreadonly(), dtype=dt).reshape(dims)
    return arr


def load_pack(path):
    """Opens the dataset pack at path (a directory with pack.safetensors and index.csv): a Pack.
    FileNotFoundError for a missing directory; CxrgazeError naming the file, tensor or line for
    one that is not a valid pack."""
    return Pack(path)
