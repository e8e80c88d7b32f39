"""cxrgaze from Python: the C library (libcxrgaze.so) on numpy arrays, through ctypes.

Score saliency maps made anywhere against radiologists' gaze, explain a DenseNet with cxrgaze's
fast attributions, compute AUROCs with their CIs and read a dataset pack, without files or
subprocesses and without a second implementation: every number comes from the same C code as the
command line (`cxrgaze metrics`, `attribute`, `eval`), and equals its output.

    import cxrgaze
    scores = cxrgaze.metrics(maps, gaze, fixations)      # {"ssim": [N], "cc": [N], ...}
    with cxrgaze.Model("best.safetensors") as m:
        maps = m.attribute(x, targets=3, methods=("sl", "gc"))
    pack = cxrgaze.load_pack("data")
    cxrgaze.auroc(y, p, patients=subject_ids)

The library is found at $CXRGAZE_LIB, beside this package (pip install), in the source tree's
build/ (after `make`), or on the loader's path. Errors: ValueError / TypeError for bad arguments
(shape, dtype, contiguity, names, settings), FileNotFoundError for missing files, CxrgazeError when
a file is not what was expected or the engine fails. Definitions: METHODS.md; C API: docs/api.md.
"""

from ._lib import API_VERSION, LIBRARY_PATH, CxrgazeError, describe, lib
from ._lib import VOCAB_LABELS, VOCAB_METHODS, VOCAB_REGIONS, VOCAB_SETTINGS, VOCAB_SPLITS, vocab
from .model import STUDY_METHODS, Attributions, Model
from .pack import Pack, load_pack
from .stats import METRICS, auroc, delong_test, metrics, regions
from ._torch import save_torchvision

__version__ = lib.cxg_version().decode()

LABELS = vocab(VOCAB_LABELS)    # the 14 CheXpert labels, logit order of cxrgaze models
REGIONS = vocab(VOCAB_REGIONS)  # a pack's region masks, in order
SPLITS = vocab(VOCAB_SPLITS)    # a pack's split codes
METHODS = vocab(VOCAB_METHODS)  # attribution methods
SETTINGS = vocab(VOCAB_SETTINGS)


def set_threads(n):
    """Worker threads of later calls from this thread (OpenMP); n <= 0 leaves them as they are."""
    lib.cxg_set_threads(int(n))


def set_log_level(level):
    """The library's messages on stderr: 0 warnings only, 1 also information (default),
    2 verbose."""
    lib.cxg_set_log_level(int(level))


__all__ = [
    "API_VERSION", "Attributions", "CxrgazeError", "LABELS", "LIBRARY_PATH", "METHODS", "METRICS",
    "Model", "Pack", "REGIONS", "SETTINGS", "SPLITS", "STUDY_METHODS", "auroc", "delong_test",
    "describe", "load_pack", "metrics", "regions", "save_torchvision", "set_log_level",
    "set_threads",
]
