"""The conformance suite judged as a program: the command's table, report and exit codes; that a
broken kernel fails it; the expected-failures file (xfail, XPASS, format errors); that the pytest
plugin leaves unrelated pytest runs alone; and that a second device type without float64 runs it."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from plugtensor_conformance._xfail import XfailList, find_xfail_file, load_xfail

PLUGINS = Path(__file__).resolve().parent / "plugins"


def run_suite(*args: str, cwd: Path | None = None) -> tuple[int, str, dict | None, Path]:
    """``python -m plugtensor_conformance ARGS --report FILE`` in a subprocess: (exit code, stdout, report)."""
    report = Path(cwd or os.getcwd()) / "report.json" if cwd else None
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(PLUGINS), os.environ.get("PYTHONPATH", "")])}
    cmd = [sys.executable, "-m", "plugtensor_conformance", "--no-progress", *args]
    if report is not None:
        cmd += ["--report", str(report)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=240, env=env, cwd=cwd)
    data = json.loads(report.read_text()) if report is not None and report.exists() else None
    return r.returncode, r.stdout + r.stderr, data, report


def test_cli_prints_table_and_writes_report(tmp_path: Path) -> None:
    code, out, data, _ = run_suite("--device", "cpu", "-k", "sin- or views", cwd=tmp_path)
    assert code == 0, out
    header = next(line for line in out.splitlines() if line.startswith("op / area"))
    for col in ("bool", "int64", "float32", "float64"):
        assert col in header
    assert any(line.startswith("sin ") and "pass" in line for line in out.splitlines()), out
    assert data["passed"] is True and data["device"] == "cpu" and data["summary"]["failed"] == 0
    assert data["table"]["sin"]["float32"] == "pass" and data["table"]["sin"]["bool"] == "pass"
    assert data["table"]["views & aliasing"]["any"] == "pass"
    assert data["xfail_file"].endswith("conformance_xfail.toml")
    assert all(t["outcome"] == "passed" or t["outcome"] == "n/a" for t in data["tests"])


def test_broken_kernel_fails_the_run(tmp_path: Path) -> None:
    code, out, data, _ = run_suite("--device", "cpu", "--plugin", "wrong_exp_kernel", "-k", "exp-", cwd=tmp_path)
    assert code == 1, out
    assert data["table"]["exp"]["float32"] == "FAIL" and data["passed"] is False
    assert "FAIL" in out and "test_ops.py::test_forward[exp-float32]" in out


def test_expected_failures_and_xpass(tmp_path: Path) -> None:
    xfail = tmp_path / "xfail.toml"
    xfail.write_text('[xfail]\n"test_ops.py::test_forward[exp-*]" = "exp is off by 1% (a test kernel)"\n'
                     '"test_ops.py::test_grad[exp-float32]" = "so is its gradient, by the reference derivative"\n'
                     '"test_ops.py::test_grad[exp-float64]" = "so is its gradient, by the reference derivative"\n')
    code, out, data, _ = run_suite("--device", "cpu", "--plugin", "wrong_exp_kernel", "-k",
                                   "test_ops and exp- and not logsumexp", "--xfail", str(xfail), cwd=tmp_path)
    assert code == 0, out
    assert data["table"]["exp"]["int64"] == "xfail[1]" and data["table"]["exp"]["float32"] == "xfail[1,2]"
    assert "[1] exp is off by 1% (a test kernel)" in out
    # the same file against a correct exp: every listed test passes unexpectedly
    code, out, data, _ = run_suite("--device", "cpu", "-k", "test_ops and exp- and not logsumexp", "--xfail",
                                   str(xfail), cwd=tmp_path)
    assert code == 1, out
    assert data["table"]["exp"]["float32"] == "XPASS" and "XPASS" in out


def test_unknown_device_exits_non_zero(tmp_path: Path) -> None:
    code, out, _, _ = run_suite("--device", "nosuchdevice", cwd=tmp_path)
    assert code == 2 and "nosuchdevice" in out


def test_device_without_float64(tmp_path: Path) -> None:
    """A non-cpu device lacking float64: no float64 column, finite differences in float32, the
    TypeError / mixed-device / printing checks apply; the areas pass."""
    code, out, data, _ = run_suite("--device", "fakedev:1", "--plugin", "fakedev_backend", "-k",
                                   "not test_ops and not test_completeness", cwd=tmp_path)
    assert "float64" not in data["columns"] and data["device"] == "fakedev:1"
    failed = [t["id"] for t in data["tests"] if t["outcome"] != "passed" and t["outcome"] != "n/a"]
    assert code == 0 and not failed, f"{failed}\n{out[-3000:]}"
    ran = {t["id"].split("[")[0] for t in data["tests"] if t["outcome"] == "passed"}
    for must in ("test_errors.py::test_undeclared_dtypes_raise_type_error", "test_errors.py::test_mixed_devices",
                 "test_printing.py::test_same_as_cpu", "test_transfer.py::test_to_and_from_cpu",
                 "test_random.py::test_same_numbers_as_cpu"):
        assert must in ran, f"{must} did not run on the second device type"


def test_plugin_leaves_other_pytest_runs_alone(tmp_path: Path) -> None:
    (tmp_path / "test_mine.py").write_text("def test_mine(request):\n    assert request.config\n")
    for extra in ([], ["--device=cpu"]):
        r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *extra, "test_mine.py"],
                           capture_output=True, text=True, cwd=tmp_path, timeout=120)
        assert r.returncode == 0 and "1 passed" in r.stdout, r.stdout + r.stderr


def test_pytest_without_device_skips_the_suite(tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "pytest", "--pyargs", "plugtensor_conformance", "-q", "-rs",
                        "-p", "no:cacheprovider", "-k", "test_forward and sin-"], capture_output=True, text=True,
                       cwd=tmp_path, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "skipped" in r.stdout and "--device" in r.stdout and "passed" not in r.stdout


def test_pytest_with_device_runs_the_suite(tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "pytest", "--pyargs", "plugtensor_conformance", "--device=cpu", "-q",
                        "-p", "no:cacheprovider", "-k", "test_forward and sin- and not asin"], capture_output=True,
                       text=True, cwd=tmp_path, timeout=120)
    assert r.returncode == 0 and "9 passed" in r.stdout, r.stdout + r.stderr


# -- the expected-failures file ----------------------------------------------------------------------------
def test_xfail_patterns() -> None:
    x = XfailList(None, {"test_ops.py::test_forward[sin-float16]": "a", "test_ops.py::test_grad[*-float16]": "b",
                         "*[exp-*]": "c"})
    assert x.match("test_ops.py::test_forward[sin-float16]") == ("test_ops.py::test_forward[sin-float16]", "a")
    assert x.match("test_ops.py::test_forward[sin-float1]") is None, "[ and ] are literal, not a character class"
    assert x.match("test_ops.py::test_grad[mul-float16]")[1] == "b"
    assert x.match("test_ops.py::test_grad[mul-float32]") is None
    assert x.match("test_ops.py::test_variants[exp-int8]")[1] == "c"


def test_xfail_file_format_errors(tmp_path: Path) -> None:
    f = tmp_path / "x.toml"
    f.write_text('[xfail]\n"test_ops.py::*" = ""\n')
    with pytest.raises(ValueError, match="reason"):
        load_xfail(f)
    f.write_text('[xfails]\n"a" = "b"\n')
    with pytest.raises(ValueError, match="unknown"):
        load_xfail(f)
    assert load_xfail(None).entries == {}


def test_xfail_file_lookup(tmp_path: Path) -> None:
    class WithAttribute:
        conformance_xfail = str(tmp_path / "a.toml")
    assert find_xfail_file(WithAttribute()) == str(tmp_path / "a.toml")
    pkg = tmp_path / "somebackend_pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("class B:\n    pass\n")
    (pkg / "conformance_xfail.toml").write_text("[xfail]\n")
    sys.path.insert(0, str(tmp_path))
    try:
        import somebackend_pkg
        assert find_xfail_file(somebackend_pkg.B()) == str(pkg / "conformance_xfail.toml")
        somebackend_pkg.CONFORMANCE_XFAIL = "elsewhere.toml"
        assert find_xfail_file(somebackend_pkg.B()) == "elsewhere.toml"
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("somebackend_pkg", None)


def test_numpy_backend_expects_no_failures() -> None:
    """The reference backend ships an expected-failures file, and it is empty."""
    from plugtensor_numpy import NumpyBackend
    path = find_xfail_file(NumpyBackend())
    assert path is not None and path.endswith("plugtensor_numpy/conformance_xfail.toml")
    assert load_xfail(path).entries == {}, "the cpu backend must pass the conformance suite with no exceptions"
    text = Path(path).read_text()
    assert textwrap.dedent(text).count("#") >= 5, "the file explains its format in comments"
