"""``python -m plugtensor_conformance``: run the suite through pytest, show progress, print the
op x dtype table, write the JSON report, and set the exit code.

Cells: ``pass``; ``FAIL``; ``XPASS`` (listed as an expected failure but passed: also a failure, so
the expected-failures file stays honest); ``xfail[n]`` (failed as expected, reason n below the
table); ``-`` (not applicable: the op does not take that dtype, or the check does not apply to the
device); ``skip``.
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import TextIO

import pytest

from .plugin import PACKAGE_DIR

__all__ = ["run_suite", "Collector", "format_table"]

_ORDER = {"FAIL": 0, "XPASS": 1, "xfail": 2, "skip": 3, "pass": 4, "-": 5}


class Collector:
    """A pytest plugin object gathering one outcome per conformance test, with a progress bar."""

    def __init__(self, stream: TextIO | None) -> None:
        self.stream = stream
        self.results: dict[str, dict] = {}
        self.collect_errors: list[tuple[str, str]] = []
        self.total = 0
        self.done = 0
        self.start = time.perf_counter()
        self._last_draw = 0.0
        self._tty = bool(stream is not None and getattr(stream, "isatty", lambda: False)())
        self._last_decile = -1

    # -- pytest hooks ------------------------------------------------------------------------------------
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.total = len(session.items)
        self.start = time.perf_counter()

    def pytest_collectreport(self, report) -> None:
        if report.failed:
            self.collect_errors.append((report.nodeid, report.longreprtext))

    def pytest_runtest_logreport(self, report) -> None:
        info = dict(report.user_properties).get("plugtensor_conformance")
        if info is None:
            return
        r = self.results.setdefault(report.nodeid, {**info, "outcome": "passed", "message": "", "seconds": 0.0})
        r["seconds"] += report.duration
        if report.when == "call" or report.failed or report.skipped:
            if report.skipped and hasattr(report, "wasxfail"):
                r["outcome"], r["message"] = "xfailed", report.wasxfail
            elif report.skipped:
                reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
                r["outcome"] = "n/a" if reason.startswith("Skipped: n/a") or reason.startswith("n/a") else "skipped"
                r["message"] = reason.removeprefix("Skipped: ")
            elif report.failed and r["outcome"] not in ("failed", "XPASS"):
                text = report.longreprtext
                if info.get("xfail") and "XPASS(strict)" in text:
                    r["outcome"], r["message"] = "XPASS", f"passed, but listed as expected failure: " \
                                                          f"{info['xfail']['reason']}"
                else:
                    r["outcome"] = "failed"
                    crash = getattr(report.longrepr, "reprcrash", None)
                    lines = text.strip().splitlines()
                    r["message"] = crash.message if crash is not None else (lines[-1] if lines else "failed")
                    r["traceback"] = text[-6000:]
        if report.when == "teardown":
            self.done += 1
            self._progress()

    # -- progress bar --------------------------------------------------------------------------------------
    def _progress(self, final: bool = False) -> None:
        if self.stream is None or not self.total:
            return
        now = time.perf_counter()
        frac = self.done / self.total
        failed = sum(1 for r in self.results.values() if r["outcome"] in ("failed", "XPASS"))
        line = (f"[{'#' * int(30 * frac):<30}] {self.done}/{self.total} {100 * frac:3.0f}%  "
                f"{failed} failed  {now - self.start:5.1f}s")
        if self._tty:
            if final or now - self._last_draw > 0.1:
                self.stream.write("\r" + line + ("\n" if final else ""))
                self.stream.flush()
                self._last_draw = now
        else:  # a log file or a CI console: one line per tenth of the run
            decile = int(10 * frac)
            if decile != self._last_decile:
                self._last_decile = decile
                self.stream.write(line + "\n")
                self.stream.flush()

    def finish(self) -> None:
        if self._tty:
            self._progress(final=True)


def _cell(outcomes: list[str]) -> str:
    if not outcomes:
        return "-"
    if "failed" in outcomes:
        return "FAIL"
    if "XPASS" in outcomes:
        return "XPASS"
    if "xfailed" in outcomes:
        return "xfail"
    if "skipped" in outcomes:
        return "skip"
    if all(o == "n/a" for o in outcomes):
        return "-"
    return "pass"


def build_table(results: dict[str, dict], columns: list[str]) -> tuple[dict, dict[str, int]]:
    """{row: {column: cell}} and the numbering of xfail reasons used in the cells."""
    from .optable import OPS
    cells: dict[str, dict[str, list]] = {}
    reasons: dict[str, int] = {}
    xfail_of: dict[tuple[str, str], set] = {}
    for r in sorted(results.values(), key=lambda r: r["id"]):
        cells.setdefault(r["row"], {}).setdefault(r["column"], []).append(r["outcome"])
        if r["outcome"] in ("xfailed", "XPASS") and r.get("xfail"):
            n = reasons.setdefault(r["xfail"]["reason"], len(reasons) + 1)
            xfail_of.setdefault((r["row"], r["column"]), set()).add(n)
    op_rows = [op.name for op in OPS if op.name in cells]
    area_rows = sorted(r for r in cells if r not in set(op_rows))
    table = {}
    for row in op_rows + area_rows:
        table[row] = {}
        for col in columns:
            c = _cell(cells[row].get(col, []))
            if c == "xfail":
                c = f"xfail[{','.join(str(n) for n in sorted(xfail_of[(row, col)]))}]"
            table[row][col] = c
    return table, reasons


def format_table(table: dict, columns: list[str]) -> str:
    width = max([len("op / area")] + [len(r) for r in table]) + 2
    colw = max(8, *(len(c) + 2 for c in columns))
    lines = ["op / area".ljust(width) + "".join(c.rjust(colw) for c in columns)]
    lines.append("-" * len(lines[0]))
    for row, cols in table.items():
        lines.append(row.ljust(width) + "".join(cols[c].rjust(colw) for c in columns))
    return "\n".join(lines)


def _pytest_args(device: str, keyword: str | None, quick: bool, plugins: tuple[str, ...], xfail: str | None) -> list:
    args = ["--pyargs", "plugtensor_conformance", f"--plugtensor-device={device}", "-c",
            str(PACKAGE_DIR / "pytest.ini"), "--rootdir", str(PACKAGE_DIR), "-p", "no:terminal",
            "-p", "no:cacheprovider"]
    if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        args += ["-p", "plugtensor_conformance.plugin"]
    if keyword:
        args += ["-k", keyword]
    if quick:
        args.append("--plugtensor-quick")
    for p in plugins:
        args.append(f"--plugtensor-plugin={p}")
    if xfail:
        args.append(f"--plugtensor-xfail={xfail}")
    return args


def run_suite(device: str, *, report: str | None = None, keyword: str | None = None, quick: bool = False,
              plugins: tuple[str, ...] = (), xfail: str | None = None, stream: TextIO | None = None,
              progress: bool = True) -> int:
    """Run the conformance suite on ``device``; see :func:`plugtensor_conformance.run`."""
    out = stream or sys.stdout
    from ._target import resolve_target
    try:
        target = resolve_target(device, tuple(plugins), xfail, quick)
    except Exception as exc:  # noqa: BLE001 - the device cannot be used: say why, exit non-zero
        out.write(f"plugtensor-conformance: cannot use device {device!r}: {type(exc).__name__}: {exc}\n")
        return 2
    collector = Collector(sys.stderr if progress else None)
    t0 = time.perf_counter()
    code = pytest.main(_pytest_args(device, keyword, quick, tuple(plugins), xfail), plugins=[collector])
    seconds = time.perf_counter() - t0
    collector.finish()
    results = collector.results
    columns = list(target.tested_dtypes) + (["any"] if any(r["column"] == "any" for r in results.values()) else [])
    table, reasons = build_table(results, columns)
    counts = {k: sum(1 for r in results.values() if r["outcome"] == k)
              for k in ("passed", "failed", "XPASS", "xfailed", "skipped", "n/a")}
    out.write(f"plugtensor conformance suite {_version()} on device {device} (backend {target.backend_name} "
              f"{target.backend_version}); dtypes: {', '.join(target.dtypes)}"
              f"{' (quick: ' + ', '.join(target.tested_dtypes) + ')' if quick else ''}\n\n")
    out.write(format_table(table, columns) + "\n")
    if reasons:
        out.write(f"\nExpected failures (from {target.xfail.path}):\n")
        for reason, n in reasons.items():
            out.write(f"  [{n}] {reason}\n")
    failures = [r for r in results.values() if r["outcome"] in ("failed", "XPASS")]
    if collector.collect_errors:
        out.write("\nCollection errors:\n")
        for nodeid, text in collector.collect_errors:
            out.write(f"  {nodeid}:\n{text}\n")
    if failures:
        out.write(f"\nFailures ({len(failures)}):\n")
        for r in sorted(failures, key=lambda r: r["id"]):
            msg = r["message"].strip().splitlines()
            out.write(f"  {r['outcome'].upper():6} {r['id']}\n")
            for line in msg[:6]:
                out.write(f"         {line}\n")
    summary = ", ".join(f"{v} {k}" for k, v in counts.items() if v) or "no tests ran"
    out.write(f"\n{summary} in {seconds:.1f}s\n")
    ok = not failures and not collector.collect_errors and code in (0, 1) and results
    if report:
        _write_report(report, target, columns, table, reasons, results, counts, seconds, bool(ok), keyword, quick)
        out.write(f"report written to {report}\n")
    if ok:
        return 0
    if not results and code == 5:
        out.write("no tests selected\n")
    return 1 if code in (0, 1, 5) else int(code)


def _version() -> str:
    from . import __version__
    return __version__


def _write_report(path, target, columns, table, reasons, results, counts, seconds, ok, keyword, quick) -> None:
    import plugtensor as pt
    data = {
        "suite_version": _version(),
        "plugtensor_version": pt.__version__,
        "device": target.device,
        "backend": {"name": target.backend_name, "version": target.backend_version},
        "dtypes": list(target.dtypes),
        "columns": columns,
        "options": {"keyword": keyword, "quick": quick},
        "passed": ok,
        "summary": {**counts, "total": len(results), "seconds": round(seconds, 2)},
        "table": table,
        "xfail_file": target.xfail.path,
        "xfail_reasons": {str(n): reason for reason, n in reasons.items()},
        "unused_xfail_patterns": sorted(set(target.xfail.entries) - {r["xfail"]["pattern"] for r in results.values()
                                                                    if r.get("xfail")}),
        "tests": sorted(({k: v for k, v in r.items()} for r in results.values()), key=lambda r: r["id"]),
    }
    Path(path).write_text(json.dumps(data, indent=1) + "\n")
