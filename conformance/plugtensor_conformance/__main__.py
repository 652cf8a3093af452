"""``python -m plugtensor_conformance --device DEVICE [--report FILE.json] [-k EXPR] [--quick]``."""
from __future__ import annotations

import argparse
import sys

from ._runner import run_suite


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m plugtensor_conformance",
                                description="Run the plugtensor conformance suite on a device and print an "
                                            "op x dtype table. Exits non-zero when anything fails.")
    p.add_argument("--device", required=True, help="the device to test, e.g. cpu, opencl, opencl:1")
    p.add_argument("--report", metavar="FILE.json", help="also write the results as JSON")
    p.add_argument("-k", dest="keyword", metavar="EXPR", help="only run tests matching the pytest -k expression")
    p.add_argument("--quick", action="store_true",
                   help="a quick subset: dtypes bool/int64/float32, first-order gradients on float32 only")
    p.add_argument("--plugin", action="append", default=[], metavar="MODULE",
                   help="import MODULE and register it as a plugtensor plugin first (repeatable)")
    p.add_argument("--xfail", metavar="FILE", help="expected-failures file to use instead of the backend's own")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    a = p.parse_args(argv)
    return run_suite(a.device, report=a.report, keyword=a.keyword, quick=a.quick, plugins=tuple(a.plugin),
                     xfail=a.xfail, progress=not a.no_progress)


if __name__ == "__main__":
    sys.exit(main())
