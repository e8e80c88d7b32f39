"""`pip install ./python` offline (--no-index) into a fresh virtual environment that sees Debian's
numpy: the package carries its own copy of the library and works from any directory; an editable
install points at the tree. And scripts/abi-check fails on a symbol list that differs from the
library's exports (the passing case runs in tests/api)."""

import os
import pathlib
import subprocess
import sys

import pytest

import cxrgaze
from conftest import ROOT


def _venv(path):
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip",
                    str(path)], check=True)
    return path / "bin" / "python"


def _pip(py, *args):
    env = dict(os.environ, CXRGAZE_LIB=cxrgaze.LIBRARY_PATH, PIP_NO_INDEX="1",
               PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_CACHE_DIR="1")
    r = subprocess.run([str(py), "-m", "pip", "install", "-q", *args], env=env,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


SNIPPET = ("import cxrgaze, numpy as np; m = np.eye(9, dtype=np.float32)[None]; "
           "print(cxrgaze.LIBRARY_PATH); print(cxrgaze.metrics(m, m)['cc'][0])")


def test_pip_install_offline(tmp_path):
    pytest.importorskip("pip")
    py = _venv(tmp_path / "venv")
    _pip(py, str(ROOT / "python"))
    env = {k: v for k, v in os.environ.items() if k != "CXRGAZE_LIB"}
    r = subprocess.run([str(py), "-c", SNIPPET], cwd=tmp_path, env=env, capture_output=True,
                       text=True, check=True)
    lib, cc = r.stdout.split()
    lib = pathlib.Path(lib)  # its own copy of the library, inside the environment
    assert lib.name == "libcxrgaze.so" and lib.parent.name == "cxrgaze"
    assert (tmp_path / "venv") in lib.parents and float(cc) == 1.0


def test_pip_install_editable(tmp_path):
    pytest.importorskip("pip")
    py = _venv(tmp_path / "venv")
    _pip(py, "-e", str(ROOT / "python"))
    r = subprocess.run([str(py), "-c", "import cxrgaze; print(cxrgaze.__file__)"], cwd=tmp_path,
                       capture_output=True, text=True, check=True)
    assert r.stdout.strip() == str(ROOT / "python" / "cxrgaze" / "__init__.py")


def test_abi_check_fails_on_a_difference(tmp_path):
    doc = (ROOT / "docs" / "api.md").read_text()
    assert "    cxg_model_load\n" in doc
    for name, text in (("missing", doc.replace("    cxg_model_load\n", "")),
                       ("extra", doc.replace("    cxg_model_load\n",
                                             "    cxg_model_load\n    cxg_model_frobnicate\n"))):
        (tmp_path / f"{name}.md").write_text(text)
        r = subprocess.run([str(ROOT / "scripts" / "abi-check"), cxrgaze.LIBRARY_PATH,
                            str(tmp_path / f"{name}.md")], capture_output=True, text=True)
        assert r.returncode == 1, r.stdout
        assert ("cxg_model_load" if name == "missing" else "cxg_model_frobnicate") in r.stdout
    r = subprocess.run([str(ROOT / "scripts" / "abi-check"), cxrgaze.LIBRARY_PATH,
                        str(ROOT / "docs" / "api.md")], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout
