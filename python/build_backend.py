"""PEP 517/660 build backend of the cxrgaze package, standard library only, so that
`pip install ./python` (and `pip install -e ./python`) needs no network: pip's isolated build
environment gets nothing to download (pyproject.toml: requires = []).

The wheel holds cxrgaze/*.py and, when one is found, libcxrgaze.so ($CXRGAZE_LIB, else
../build/libcxrgaze.so after `make`): the package then loads its own copy. With the library the
wheel is tagged for this platform, without it py3-none-any (the package then finds the library in
the tree or through $CXRGAZE_LIB at import). The editable install is a .pth file pointing here."""

import base64
import hashlib
import io
import os
import pathlib
import sysconfig
import re
import tarfile
import zipfile

HERE = pathlib.Path(__file__).resolve().parent


def _project():
    text = (HERE / "pyproject.toml").read_text()
    try:
        import tomllib  # Python >= 3.11
        return tomllib.loads(text)["project"]
    except ImportError:  # the few [project] keys used here, as pyproject.toml writes them
        get = lambda k: re.search(rf'^{k} = "([^"]*)"', text, re.M)[1]  # noqa: E731
        deps = re.search(r'^dependencies = \[([^\]]*)\]', text, re.M)[1]
        keys = ("name", "version", "description", "readme", "requires-python")
        return {k: get(k) for k in keys} | {"dependencies": re.findall(r'"([^"]+)"', deps)}


_PROJECT = _project()
NAME, VERSION = _PROJECT["name"], _PROJECT["version"]
DIST_INFO = f"{NAME}-{VERSION}.dist-info"


def _library():
    env = os.environ.get("CXRGAZE_LIB")
    lib = pathlib.Path(env) if env else HERE.parent / "build" / "libcxrgaze.so"
    return lib if lib.is_file() else None


def _metadata():
    lines = ["Metadata-Version: 2.1", f"Name: {NAME}", f"Version: {VERSION}",
             f"Summary: {_PROJECT['description']}",
             f"Requires-Python: {_PROJECT['requires-python']}"]
    lines += [f"Requires-Dist: {d}" for d in _PROJECT["dependencies"]]
    for extra, deps in _PROJECT.get("optional-dependencies", {}).items():
        lines.append(f"Provides-Extra: {extra}")
        lines += [f"Requires-Dist: {d}; extra == \"{extra}\"" for d in deps]
    readme = HERE / _PROJECT["readme"]
    body = readme.read_text() if readme.is_file() else ""
    return "\n".join(lines + ["Description-Content-Type: text/markdown", "", body])


def _tag(with_library):
    plat = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    return f"py3-none-{plat}" if with_library else "py3-none-any"


def _write_wheel(wheel_directory, files, with_library):
    """files: [(archive name, bytes)]; adds the .dist-info and RECORD; returns the wheel's name."""
    tag = _tag(with_library)
    wheel = f"{NAME}-{VERSION}-{tag}.whl"
    meta = [(f"{DIST_INFO}/METADATA", _metadata().encode()),
            (f"{DIST_INFO}/WHEEL", (f"Wheel-Version: 1.0\nGenerator: cxrgaze build_backend\n"
                                    f"Root-Is-Purelib: {'false' if with_library else 'true'}\n"
                                    f"Tag: {tag}\n").encode())]
    record = []
    with zipfile.ZipFile(pathlib.Path(wheel_directory) / wheel, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files + meta:
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.external_attr = (0o755 if name.endswith(".so") else 0o644) << 16
            z.writestr(info, data, zipfile.ZIP_DEFLATED)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append(f"{name},sha256={digest},{len(data)}")
        record.append(f"{DIST_INFO}/RECORD,,")
        z.writestr(f"{DIST_INFO}/RECORD", "\n".join(record) + "\n")
    return wheel


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def get_requires_for_build_editable(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    files = [(f"cxrgaze/{p.name}", p.read_bytes()) for p in sorted((HERE / "cxrgaze").glob("*.py"))]
    lib = _library()
    if lib:
        files.append(("cxrgaze/libcxrgaze.so", lib.read_bytes()))
    return _write_wheel(wheel_directory, files, lib is not None)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    return _write_wheel(wheel_directory, [(f"{NAME}.pth", f"{HERE}\n".encode())], False)


def build_sdist(sdist_directory, config_settings=None):
    base = f"{NAME}-{VERSION}"
    sdist = f"{base}.tar.gz"
    with tarfile.open(pathlib.Path(sdist_directory) / sdist, "w:gz") as tar:
        for p in sorted(HERE.rglob("*")):
            rel = p.relative_to(HERE)
            if p.is_file() and "__pycache__" not in rel.parts and rel.parts[0] != "tests":
                tar.add(p, arcname=f"{base}/{rel}")
        pkg_info = _metadata().encode()
        info = tarfile.TarInfo(f"{base}/PKG-INFO")
        info.size = len(pkg_info)
        tar.addfile(info, io.BytesIO(pkg_info))
    return sdist
