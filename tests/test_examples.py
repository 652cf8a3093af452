"""The example programs run and do what they claim."""
from __future__ import annotations

import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_train_mlp_learns_the_spirals() -> None:
    r = subprocess.run([sys.executable, str(ROOT / "examples/train_mlp.py"), "--device", "cpu", "--steps", "150"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    m = re.search(r"loss ([\d.]+) -> ([\d.]+)\s+accuracy ([\d.]+)%", r.stdout)
    assert m, r.stdout
    first, last, acc = float(m.group(1)), float(m.group(2)), float(m.group(3))
    assert last < first / 5 and acc > 90.0
