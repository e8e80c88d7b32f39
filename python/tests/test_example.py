"""python/examples/score_maps.py runs end to end (synthetic pack, the fixture model) and prints
one row per method with a number in every metric column."""

import subprocess
import sys

from conftest import ROOT, cli_path


def test_score_maps_example():
    r = subprocess.run([sys.executable, str(ROOT / "python" / "examples" / "score_maps.py")],
                       capture_output=True, text=True,
                       env={"CXRGAZE": cli_path(), "PATH": "/usr/bin:/bin"})
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    header = next(i for i, l in enumerate(lines) if l.startswith("method"))
    rows = [l.split() for l in lines[header + 1:header + 7]]
    assert [row[0] for row in rows] == ["sl", "gc", "dl", "lc", "gs", "nt"]
    for row in rows:
        assert len(row) == 9 and all(v.replace(".", "").lstrip("-").isdigit() for v in row[1:8])
