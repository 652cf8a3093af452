"""The plugin manager (DESIGN.md §3-4): lazy entry points, disabling, hand registration, broken plugins,
kernel overrides, extra dtypes, and ``python -m plugtensor info``.

Entry-point behaviour depends on process-wide state (environment variables, what is installed), so
those tests run a child interpreter. The fixture plugins in tests/plugins/ are "installed" for the
child only: a fake ``*.dist-info`` (METADATA + entry_points.txt) in a temporary directory on
PYTHONPATH is all ``importlib.metadata`` needs to report their entry points, with a distribution
name and version. Nothing is installed into the shared venv.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import plugtensor as pt
from plugtensor import _plugins
from plugtensor.__main__ import USAGE, info, main
from plugtensor.backend import API_VERSION, hookimpl

PLUGIN_DIR = Path(__file__).parent / "plugins"
FIXTURE_VERSION = "1.2.3"
# entry-point name -> module of each fixture plugin (all in tests/plugins/)
FIXTURES = {"broken_import": "broken_import_plugin", "broken_backend": "broken_backend_plugin",
            "broken_hook": "broken_hook_plugin", "fast_exp": "fast_exp_plugin", "uint16": "uint16_dtype_plugin"}


def _dist_name(module: str) -> str:
    return "plugtensor-fixture-" + module.replace("_", "-")


def _fake_install(site: Path, ep_name: str, module: str) -> None:
    """Write the metadata of an installed distribution whose ``plugtensor.backends`` entry point is ``module``."""
    info_dir = site / f"{_dist_name(module).replace('-', '_')}-{FIXTURE_VERSION}.dist-info"
    info_dir.mkdir()
    (info_dir / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {_dist_name(module)}\nVersion: {FIXTURE_VERSION}\n")
    (info_dir / "entry_points.txt").write_text(f"[plugtensor.backends]\n{ep_name} = {module}\n")


def _run(args: list[str], env: dict[str, str] | None = None,
         pythonpath: list[Path] = ()) -> subprocess.CompletedProcess:
    """Run ``python ARGS`` with a clean plugin environment plus ``env``; fail with its stderr if it fails."""
    e = {k: v for k, v in os.environ.items() if not k.startswith("PLUGTENSOR_")}
    e.update(env or {})
    # The children see numpy and the fixture plugins only: skip other backends installed in the venv
    # (e.g. examples/third_party_backend, installed by test_third_party_backend.py).
    from importlib.metadata import entry_points
    others = sorted({ep.name for ep in entry_points(group="plugtensor.backends")} - {"numpy"})
    e["PLUGTENSOR_DISABLE_PLUGINS"] = ",".join(filter(None, [e.get("PLUGTENSOR_DISABLE_PLUGINS", ""), *others]))
    e["PYTHONPATH"] = os.pathsep.join([str(p) for p in pythonpath] + [e.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    r = subprocess.run([sys.executable, *args], env=e, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, f"exit {r.returncode}\nstdout:\n{r.stdout}\nstderr:\n{r.stderr}"
    return r


def _run_code(code: str, **kw) -> dict:
    """Run ``code`` in a child interpreter; it prints one JSON object as its last line, returned here."""
    out = _run(["-c", textwrap.dedent(code)], **kw).stdout
    return json.loads(out.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------------------------
# Entry points: lazy, read once, disabled, or off (subprocesses)
# ---------------------------------------------------------------------------------------------------
def test_import_is_lazy_and_entry_points_are_read_once():
    r = _run_code("""
        import json, sys
        from importlib import metadata
        import plugtensor as pt
        from plugtensor import _plugins
        after_import = ["plugtensor_numpy" in sys.modules, _plugins._loaded_entry_points]
        reads = []
        real = metadata.entry_points
        metadata.entry_points = lambda **kw: reads.append(kw) or real(**kw)
        x = pt.zeros(2) + pt.ones(2, device="cpu")
        pt.tensor([1.0]).exp(); pt.devices(); pt.device("cpu:0"); pt.zeros(1, device="cpu:0")
        print(json.dumps({"after_import": after_import, "after_use": "plugtensor_numpy" in sys.modules,
                          "reads": reads, "values": x.tolist()}))
    """)
    assert r["after_import"] == [False, False], "import plugtensor must not read entry points or import backends"
    assert r["after_use"]
    assert r["reads"] == [{"group": "plugtensor.backends"}]
    assert r["values"] == [1.0, 1.0]


def test_disabled_backend_leaves_import_working_and_explains_how_to_install():
    r = _run_code("""
        import json
        import plugtensor as pt
        from plugtensor.__main__ import info
        out = {"promote": str(pt.promote_types(pt.uint8, pt.int8)), "cuda": pt.cuda.is_available(),
               "devices": repr(pt.devices()), "info": info()}
        for make in (lambda: pt.zeros(2), lambda: pt.tensor([1, 2]), lambda: pt.Tensor(2, 3)):
            try:
                make()
                out.setdefault("errors", []).append(None)
            except RuntimeError as exc:
                out.setdefault("errors", []).append(str(exc))
        print(json.dumps(out))
    """, env={"PLUGTENSOR_DISABLE_PLUGINS": "numpy, some_other"})
    assert r["promote"] == "plugtensor.int16"
    assert r["cuda"] is False
    assert "no backends installed" in r["devices"]
    assert "skipped by PLUGTENSOR_DISABLE_PLUGINS: numpy" in r["info"]
    for msg in r["errors"]:
        assert msg is not None, "creating a tensor without a backend must raise RuntimeError"
        assert "'cpu'" in msg and "Installed backends: none" in msg
        assert "pip install plugtensor-numpy" in msg
        assert "PLUGTENSOR_DISABLE_PLUGINS skipped: numpy" in msg


def test_autoload_off_then_register_by_hand():
    r = _run_code("""
        import json
        import plugtensor as pt
        from plugtensor import _plugins
        try:
            pt.ones(1)
            before = None
        except RuntimeError as exc:
            before = str(exc)
        import plugtensor_numpy
        pt.register_plugin(plugtensor_numpy)
        x = pt.ones(2, requires_grad=True)
        (x * 3).sum().backward()
        print(json.dumps({"before": before, "grad": x.grad.tolist(), "backends": _plugins.backends()}))
    """, env={"PLUGTENSOR_PLUGIN_AUTOLOAD": "0"})
    assert r["before"] is not None and "PLUGTENSOR_PLUGIN_AUTOLOAD=0" in r["before"]
    assert "register_plugin" in r["before"] and "pip install plugtensor-numpy" in r["before"]
    assert r["grad"] == [3.0, 3.0]
    [row] = r["backends"]
    assert (row["device_type"], row["backend"], row["distribution"], row["status"]) == \
        ("cpu", "numpy", "plugtensor-numpy", "loaded")


# ---------------------------------------------------------------------------------------------------
# Broken and extending plugins, installed through fake distributions (subprocesses)
# ---------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def fixture_site(tmp_path_factory) -> list[Path]:
    """PYTHONPATH entries under which every fixture plugin looks installed."""
    site = tmp_path_factory.mktemp("site")
    for ep_name, module in FIXTURES.items():
        _fake_install(site, ep_name, module)
    return [site, PLUGIN_DIR]


_BROKEN_SCRIPT = """
    import json
    import plugtensor as pt
    from plugtensor import _plugins
    from plugtensor.backend import dtypes
    import fast_exp_plugin

    out = {}
    x = pt.tensor([0.0, 1.0, 2.0])
    out["exp"] = pt.exp(x).tolist()
    out["exp_method"] = x.exp().tolist()
    out["exp_calls"] = len(fast_exp_plugin.calls)
    out["add"] = (x + 1).tolist()

    def error(device):
        try:
            pt.zeros(1, device=device)
        except RuntimeError as exc:
            return str(exc)
    out["broken"] = [error("broken"), error("broken")]
    out["future"] = error("future")
    out["foo"] = error("foo")
    u16 = [d for d in dtypes.dtypes() if d.name == "uint16"]
    out["uint16_registered"] = len(u16)
    if u16:
        z = pt.zeros(3, dtype=u16[0])
        out["uint16_zeros"] = [str(z.dtype), z.tolist(), str(z.numpy().dtype)]
    out["devices"] = repr(pt.devices())
    out["failures"] = pt.load_failures()
    out["backends"] = _plugins.backends()
    print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def broken_run(fixture_site) -> dict:
    return _run_code(_BROKEN_SCRIPT, pythonpath=fixture_site)


def _failures_of(run: dict, name: str) -> list[dict]:
    return [f for f in run["failures"] if f["name"] == name]


def test_working_backends_survive_broken_plugins(broken_run):
    assert broken_run["add"] == [1.0, 2.0, 3.0]
    assert broken_run["backends"][1]["device_type"] == "cpu"
    assert broken_run["backends"][1]["status"] == "loaded"


def test_import_failure_is_recorded_with_distribution_version_and_traceback(broken_run):
    [f] = _failures_of(broken_run, "broken_import")
    assert (f["distribution"], f["version"], f["phase"]) == (_dist_name("broken_import_plugin"), FIXTURE_VERSION,
                                                             "import")
    assert f["error"].startswith("ImportError: broken_import_plugin needs the module 'libbroken'")
    assert "Traceback" in f["traceback"] and "broken_import_plugin" in f["traceback"]
    assert "broken_import" in broken_run["devices"] and "libbroken" in broken_run["devices"]


def test_backend_load_failure_names_plugin_and_fix_and_is_recorded_once(broken_run):
    first, second = broken_run["broken"]
    assert first is not None and first == second
    for part in ("'broken'", "plugin 'broken_backend'", _dist_name("broken_backend_plugin"), FIXTURE_VERSION,
                 "OSError: cannot open shared object file libbrokendriver.so", "python -m plugtensor info",
                 "pip install --force-reinstall"):
        assert part in first
    [f] = _failures_of(broken_run, "broken_backend")[:1]
    assert (f["phase"], f["device_type"], f["version"]) == ("load", "broken", FIXTURE_VERSION)
    assert "_load_broken" in f["traceback"]
    # Each device type failed once: asking twice did not record the failure twice.
    assert [g["device_type"] for g in _failures_of(broken_run, "broken_backend")] == ["broken", "future"]
    assert any(r["device_type"] == "broken" and r["status"] == "failed" for r in broken_run["backends"])
    assert "failed: OSError" in broken_run["devices"]


def test_backend_with_other_api_version_is_refused(broken_run):
    msg = broken_run["future"]
    assert msg is not None and "'future'" in msg
    assert f"API_VERSION {API_VERSION + 98}" in msg and f"API_VERSION {API_VERSION}" in msg


def test_unknown_device_type_names_installed_backends_and_failed_plugins(broken_run):
    msg = broken_run["foo"]
    assert msg is not None and "No backend serves device type 'foo'" in msg
    assert "'broken' (plugin broken_backend)" in msg and "'cpu' (plugin numpy)" in msg
    assert "broken_import" in msg and "libbroken" in msg


def test_failing_kernel_hook_is_recorded_and_stock_kernels_stay(broken_run):
    [f] = _failures_of(broken_run, "broken_hook")
    assert (f["phase"], f["distribution"], f["version"]) == ("plugtensor_register_kernels",
                                                             _dist_name("broken_hook_plugin"), FIXTURE_VERSION)
    assert "ValueError: broken_hook_plugin cannot build kernels for cpu" == f["error"]


def test_kernel_override_plugin_is_used(broken_run):
    np.testing.assert_allclose(broken_run["exp"], np.exp([0.0, 1.0, 2.0]), rtol=1e-6)
    np.testing.assert_allclose(broken_run["exp_method"], np.exp([0.0, 1.0, 2.0]), rtol=1e-6)
    assert broken_run["exp_calls"] == 2


def test_dtype_plugin_registers_a_dtype_the_backend_serves(broken_run):
    assert broken_run["uint16_registered"] == 1
    assert broken_run["uint16_zeros"] == ["plugtensor.uint16", [0, 0, 0], "uint16"]
    assert "uint16" in broken_run["devices"]


def test_info_command_shows_backends_devices_dtypes_and_failures(fixture_site):
    out = _run(["-m", "plugtensor", "info"], pythonpath=fixture_site).stdout
    assert f"plugtensor {pt.__version__}" in out and f"API_VERSION {API_VERSION}" in out
    assert "plugin numpy" in out and "plugtensor-numpy" in out
    failures = out[out.index("Plugin load failures"):]
    for name, module in (("broken_import", "broken_import_plugin"), ("broken_backend", "broken_backend_plugin"),
                         ("broken_hook", "broken_hook_plugin")):
        assert f"plugin {name} from {_dist_name(module)} {FIXTURE_VERSION}" in failures
    assert "Traceback (most recent call last)" in failures and "libbrokendriver.so" in failures
    dtypes_section = out[out.index("Dtypes"):out.index("Plugin load failures")]
    assert "uint16" in dtypes_section and "float64" in dtypes_section


# ---------------------------------------------------------------------------------------------------
# In-process: the command's entry point, the devices table, registering and removing a plugin
# ---------------------------------------------------------------------------------------------------
def test_main_without_arguments_prints_usage(capsys):
    assert main([]) == 0
    assert capsys.readouterr().out == USAGE
    assert main(["bogus"]) == 2
    assert "unknown command" in capsys.readouterr().err


def test_info_lists_the_cpu_backend_and_every_dtype(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert out == info() + "\n"
    assert f"plugtensor {pt.__version__}" in out and f"API_VERSION {API_VERSION}" in out
    assert "cpu      plugin numpy" in out and "plugtensor-numpy" in out
    for d in (pt.bool, pt.uint8, pt.int8, pt.int16, pt.int32, pt.int64, pt.float16, pt.float32, pt.float64):
        assert f"\n{d.name} " in out


def test_devices_table_rows():
    table = pt.devices()
    [cpu] = [r for r in table if r["device"] == "cpu"]
    assert cpu["backend"] == "numpy" and cpu["status"] == "ok"
    assert cpu["dtypes"].split(",") == ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32",
                                        "float64"]
    text = repr(table)
    assert text.splitlines()[0].split() == ["device", "backend", "version", "name", "dtypes", "status"]
    assert "cpu" in text.splitlines()[2]


class _DoubleExp:
    """A hand-registered plugin whose ``exp`` kernel returns 2*exp (so its use is visible)."""

    @hookimpl
    def plugtensor_register_kernels(self, device_type, backend):
        return {"exp": lambda x, out=None: np.multiply(np.exp(x), 2, out=out)} if device_type == "cpu" else None


def test_register_and_unregister_kernel_plugin_by_hand():
    x = pt.tensor([0.0, 1.0])
    pt.register_plugin(_DoubleExp(), name="double_exp")
    try:
        np.testing.assert_allclose(pt.exp(x).numpy(), 2 * np.exp([0.0, 1.0]), rtol=1e-6)
        np.testing.assert_allclose(pt.exp(pt.tensor([1.0])).numpy(), [2 * np.e], rtol=1e-6)
        with pytest.raises(ValueError):
            pt.register_plugin(_DoubleExp(), name="double_exp")  # pluggy: a name is registered once
    finally:
        _plugins.unregister_plugin("double_exp")
    np.testing.assert_allclose(pt.exp(x).numpy(), np.exp([0.0, 1.0]), rtol=1e-6)  # x predates both changes


class _NegMatmul:
    """A plugin whose ``matmul`` kernel returns the negated product (so its use is visible)."""

    @hookimpl
    def plugtensor_register_kernels(self, device_type, backend):
        return {"matmul": lambda a, b: -np.matmul(a, b)} if device_type == "cpu" else None


def test_kernel_plugin_replaces_the_fast_2d_matmul():
    # 2-D @ 2-D takes NumPy's fast "mm" kernel; a plugin's "matmul" must still win there.
    a, b = pt.tensor([[1.0, 2.0], [3.0, 4.0]]), pt.tensor([[5.0, 6.0], [7.0, 8.0]])
    want = np.array([[1.0, 2.0], [3.0, 4.0]]) @ np.array([[5.0, 6.0], [7.0, 8.0]])
    np.testing.assert_array_equal((a @ b).numpy(), want)
    pt.register_plugin(_NegMatmul(), name="neg_matmul")
    try:
        for got in (a @ b, pt.mm(a, b), pt.matmul(a, b)):
            np.testing.assert_array_equal(got.numpy(), -want)
    finally:
        _plugins.unregister_plugin("neg_matmul")
    np.testing.assert_array_equal(pt.mm(a, b).numpy(), want)


# ---------------------------------------------------------------------------------------------------
# Faults stay where they happen: plugins that exit, replace a device and fail, fail to register, or
# import slowly (subprocesses, fixture plugins installed as in the section above)
# ---------------------------------------------------------------------------------------------------
FAULT_FIXTURES = {"exit_import": "exit_import_plugin", "exit_hook": "exit_hook_plugin",
                  "exit_load": "exit_load_plugin", "bad_cpu": "bad_cpu_plugin",
                  "broken_register": "broken_register_plugin", "slow_import": "slow_import_plugin"}


@pytest.fixture(scope="module")
def fault_site(tmp_path_factory) -> dict[str, Path]:
    """One site directory per fault fixture, so that each fault is tried on its own, and all together."""
    sites = {}
    for ep_name, module in FAULT_FIXTURES.items():
        sites[ep_name] = tmp_path_factory.mktemp(ep_name)
        _fake_install(sites[ep_name], ep_name, module)
    return sites


_FAULT_SCRIPT = """
    import json, warnings
    import plugtensor as pt
    from plugtensor import _plugins
    import plugtensor.backend

    slow_warning = getattr(plugtensor.backend, "SlowPluginImportWarning", None)
    out = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        x = pt.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        (x * x).sum().backward()
        out["grad"] = x.grad.tolist()
        out["mm"] = (x.detach() @ x.detach()).tolist()
        pt.devices(); pt.zeros(1)
    out["slow_warnings"] = [str(w.message) for w in caught if slow_warning and issubclass(w.category, slow_warning)]

    def error(device):
        try:
            pt.zeros(1, device=device)
        except RuntimeError as exc:
            return str(exc)
    out["exitdev"] = error("exitdev")
    out["abortdev"] = error("abortdev")
    out["mydev"] = error("mydev")
    out["devices"] = repr(pt.devices())
    out["failures"] = pt.load_failures()
    out["backends"] = _plugins.backends()
    out["slow"] = getattr(_plugins, "slow_imports", list)()
    print(json.dumps(out))
"""

_fault_runs: dict = {}


def _fault_run(fault_site, *names: str) -> dict:
    """The script's results with the fault fixtures ``names`` installed (cached per set)."""
    if names not in _fault_runs:
        _fault_runs[names] = _run_code(_FAULT_SCRIPT, pythonpath=[fault_site[n] for n in names] + [PLUGIN_DIR])
    return _fault_runs[names]


def _one_failure(run: dict, name: str, phase: str) -> dict:
    found = [f for f in run["failures"] if f["name"] == name and f["phase"] == phase]
    assert found, f"no {phase} failure recorded for {name}: {run['failures']}"
    return found[0]


def test_plugin_calling_sys_exit_at_import_is_a_load_failure(fault_site):
    fault_run = _fault_run(fault_site, "exit_import")
    # The child got to its last line (exit status 0), and cpu still computes PyTorch's numbers.
    assert fault_run["grad"] == [[2.0, 4.0], [6.0, 8.0]]
    assert fault_run["mm"] == [[7.0, 10.0], [15.0, 22.0]]
    f = _one_failure(fault_run, "exit_import", "import")
    assert f["error"] == "SystemExit: 3"
    assert (f["distribution"], f["version"]) == (_dist_name("exit_import_plugin"), FIXTURE_VERSION)
    assert "exit_import_plugin" in f["traceback"] and "sys.exit(3)" in f["traceback"]


def test_plugin_hooks_raising_system_exit_or_base_exception_are_recorded(fault_site):
    fault_run = _fault_run(fault_site, "exit_hook")
    f = _one_failure(fault_run, "exit_hook", "plugtensor_register_kernels")
    assert f["error"] == "SystemExit: exit_hook_plugin cannot build kernels for cpu" and f["device_type"] == "cpu"
    f = _one_failure(fault_run, "exit_hook", "plugtensor_register_dtypes")
    assert f["error"] == "PluginAbort: exit_hook_plugin gives up registering dtypes"


def test_backend_load_calling_sys_exit_fails_that_device_only(fault_site):
    fault_run = _fault_run(fault_site, "exit_load")
    msg = fault_run["exitdev"]
    assert msg is not None and "'exitdev'" in msg and "plugin 'exit_load'" in msg and "SystemExit: 5" in msg
    assert "python -m plugtensor info" in msg
    msg = fault_run["abortdev"]
    assert msg is not None and "BackendAbort: exit_load_plugin: the driver refused to start" in msg
    assert _one_failure(fault_run, "exit_load", "load")["device_type"] in ("exitdev", "abortdev")
    assert "failed: SystemExit: 5" in fault_run["devices"]


def test_failing_tryfirst_replacement_leaves_the_device_to_the_next_backend(fault_site):
    fault_run = _fault_run(fault_site, "bad_cpu")
    assert fault_run["grad"] == [[2.0, 4.0], [6.0, 8.0]]
    f = _one_failure(fault_run, "bad_cpu", "load")
    assert f["device_type"] == "cpu"
    assert f["error"] == "ImportError: bad_cpu_plugin needs libfastcpu.so, which is not installed"
    [cpu] = [r for r in fault_run["backends"] if r["device_type"] == "cpu"]
    assert (cpu["plugin"], cpu["backend"], cpu["status"], cpu["failed_plugins"]) == \
        ("numpy", "numpy", "loaded", ["bad_cpu"])
    table = fault_run["devices"]
    cpu_row = next(line for line in table.splitlines() if line.startswith("cpu "))
    assert "numpy" in cpu_row and cpu_row.rstrip().endswith("ok")
    assert (f"plugin bad_cpu ({_dist_name('bad_cpu_plugin')} {FIXTURE_VERSION}) failed at load (device type 'cpu', "
            f"served by plugin numpy instead): ImportError: bad_cpu_plugin needs libfastcpu.so") in table


def test_register_backends_failure_is_named_with_advice_when_its_device_is_used(fault_site):
    fault_run = _fault_run(fault_site, "broken_register")
    msg = fault_run["mydev"]
    assert msg is not None and "No backend serves device type 'mydev'" in msg
    for part in (f"Plugin broken_register ({_dist_name('broken_register_plugin')} {FIXTURE_VERSION}) failed in "
                 "plugtensor_register_backends",
                 "RuntimeError: broken_register_plugin cannot read its device list /etc/mydev.conf",
                 "python -m plugtensor info", f"pip install --force-reinstall {_dist_name('broken_register_plugin')}"):
        assert part in msg, msg
    _one_failure(fault_run, "broken_register", "plugtensor_register_backends")


def test_slow_plugin_import_is_named_with_its_time_in_one_warning(fault_site):
    fault_run = _fault_run(fault_site, "slow_import")
    [w] = fault_run["slow_warnings"]  # once, although entry points were asked for several times
    assert "plugin slow_import" in w and _dist_name("slow_import_plugin") in w and "to import" in w
    seconds = float(w.split(" took ")[1].split(" s")[0])
    assert 1.2 <= seconds < 10
    [s] = fault_run["slow"]
    assert s["name"] == "slow_import" and 1.3 <= s["seconds"] < 10
    assert all(r["name"] == "slow_import" for r in fault_run["slow"])  # quick plugins are not listed


def test_info_command_works_with_plugins_that_exit_and_shows_every_fault(fault_site):
    r = _run(["-m", "plugtensor", "info"], pythonpath=list(fault_site.values()) + [PLUGIN_DIR])
    out = r.stdout
    assert "plugin numpy" in out
    backends = out[out.index("Backends"):out.index("Devices")]
    assert "cpu      plugin numpy" in backends and "(after plugin bad_cpu failed to load" in backends
    slow = out[out.index("Slow plugin imports"):out.index("Plugin load failures")]
    line = next(x for x in slow.splitlines() if "slow_import" in x)
    assert f"plugin slow_import from {_dist_name('slow_import_plugin')} {FIXTURE_VERSION} took" in line
    assert 1.3 <= float(line.split(" took ")[1].split(" s")[0]) < 10
    failures = out[out.index("Plugin load failures"):]
    for name, phase, error in (("exit_import", "import", "SystemExit: 3"),
                               ("exit_hook", "plugtensor_register_kernels (device type 'cpu')",
                                "SystemExit: exit_hook_plugin"),
                               ("bad_cpu", "load (device type 'cpu', served by plugin numpy instead)", "ImportError"),
                               ("broken_register", "plugtensor_register_backends", "RuntimeError")):
        assert f"plugin {name} from {_dist_name(FAULT_FIXTURES[name])} {FIXTURE_VERSION} failed at {phase}: {error}" \
            in failures, failures
    assert "SlowPluginImportWarning" in r.stderr and "slow_import" in r.stderr


class _ExitingKernels:
    @hookimpl
    def plugtensor_register_kernels(self, device_type, backend):
        raise SystemExit("exiting kernel hook")


def test_system_exit_from_a_hand_registered_plugin_is_recorded_but_ctrl_c_still_stops(tmp_path):
    x = pt.tensor([1.0, 2.0])
    pt.register_plugin(_ExitingKernels(), name="exiting_kernels")
    try:
        np.testing.assert_allclose((x.exp() + 1).numpy(), np.exp([1.0, 2.0]) + 1, rtol=1e-6)
        assert any(f["name"] == "exiting_kernels" and f["error"] == "SystemExit: exiting kernel hook"
                   for f in pt.load_failures())
    finally:
        _plugins.unregister_plugin("exiting_kernels")
    # KeyboardInterrupt is the one exception a plugin still ends the program with.
    (tmp_path / "interrupt_plugin.py").write_text("raise KeyboardInterrupt\n")
    site = tmp_path / "site"
    site.mkdir()
    _fake_install(site, "interrupt", "interrupt_plugin")
    e = {k: v for k, v in os.environ.items() if not k.startswith("PLUGTENSOR_")}
    e["PYTHONPATH"] = os.pathsep.join([str(site), str(tmp_path)])
    r = subprocess.run([sys.executable, "-c", "import plugtensor as pt; pt.zeros(1); print('survived')"],
                       env=e, capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "survived" not in r.stdout and "KeyboardInterrupt" in r.stderr
