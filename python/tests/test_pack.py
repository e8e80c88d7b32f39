"""cxrgaze.load_pack: every array equal to pack.safetensors read independently (pure Python) and the
text columns to index.csv; read-only views that outlive the Pack object; bad paths raising."""

import csv
import gc

import numpy as np
import pytest

import cxrgaze
from cxrgaze import _safetensors


def test_arrays_and_index_equal_the_files(pack_dir):
    pk = cxrgaze.load_pack(pack_dir)
    tensors, meta = _safetensors.read(pack_dir / "pack.safetensors")
    assert meta["format"] == "cxrgaze-pack-1"
    for name in ("images", "labels", "label_mask", "split", "gaze_row", "gaze", "fixations",
                 "regions", "region_present", "truth"):
        got, want = getattr(pk, name), tensors[name]
        assert got.dtype == want.dtype and np.array_equal(got, want), name
    assert (pk.n, pk.size, pk.n_gaze) == (tensors["images"].shape[0], 64, tensors["gaze"].shape[0])
    with open(pack_dir / "index.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    for col in ("dicom_id", "subject_id", "study_id", "view"):
        assert getattr(pk, col) == [r[col] for r in rows], col
    assert np.array_equal(pk.rows("test"), np.flatnonzero(tensors["split"] == 2))
    assert "images of 64 px" in repr(pk)


def test_views_are_read_only_and_outlive_the_pack(pack_dir):
    pk = cxrgaze.load_pack(pack_dir)
    gaze, copy = pk.gaze, pk.gaze.copy()
    with pytest.raises(ValueError):
        gaze[0, 0, 0] = 1
    with pytest.raises(ValueError):
        gaze.flags.writeable = True
    del pk
    gc.collect()
    assert np.array_equal(gaze, copy)  # the mapping stays while an array uses it


def test_bad_paths_raise(pack_dir, tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere"):
        cxrgaze.load_pack(tmp_path / "nowhere")
    with pytest.raises(cxrgaze.CxrgazeError, match="pack.safetensors"):
        cxrgaze.load_pack(tmp_path)
    with pytest.raises(ValueError, match="split 'val'"):
        cxrgaze.load_pack(pack_dir).rows("val")
