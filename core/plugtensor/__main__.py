"""``python -m plugtensor info``: what is installed — version, backends, devices, dtypes, plugin failures.

This is the first thing to run when a device is missing: a plugin that failed to import or load is
listed here with its distribution, version and full traceback.
"""
from __future__ import annotations

import sys

USAGE = """usage: python -m plugtensor COMMAND

commands:
  info    print the plugtensor version, plugin API version, installed backends and their devices,
          the dtype registry, plugins slow to import, and every plugin that failed to load (with
          its traceback)
"""


def _section(title: str) -> str:
    return f"\n{title}\n{'-' * len(title)}"


def info() -> str:
    """The report printed by ``python -m plugtensor info``."""
    import platform

    import numpy as np
    import pluggy

    import plugtensor as pt
    from plugtensor import _dtype, _plugins
    from plugtensor.backend import API_VERSION

    lines = [f"plugtensor {pt.__version__} (backend API_VERSION {API_VERSION})",
             f"Python {platform.python_version()}, NumPy {np.__version__}, pluggy {pluggy.__version__}"]

    lines.append(_section("Backends"))
    # Resolving the devices first loads every backend, so the backend rows show their final status.
    table = _plugins.devices()
    rows = _plugins.backends()
    if not rows:
        lines.append("none installed: `pip install plugtensor-numpy` gives the 'cpu' device")
    if _plugins._disabled:
        lines.append(f"skipped by PLUGTENSOR_DISABLE_PLUGINS: {', '.join(sorted(_plugins._disabled))}")
    if _plugins._autoload_off():
        lines.append("PLUGTENSOR_PLUGIN_AUTOLOAD=0: entry points were not loaded")
    for r in rows:
        dist = f"{r['distribution'] or '?'} {r['version'] or '?'}"
        failed = r.get("failed_plugins")
        note = f" (after plugin {', '.join(failed)} failed to load: see below)" if failed else ""
        lines.append(f"{r['device_type']:<8} plugin {r['plugin']!s:<12} distribution {dist:<28} {r['status']}{note}")

    lines.append(_section("Devices"))
    lines.append(table.format(failures=False))  # failures get their own section, with tracebacks

    lines.append(_section("Dtypes"))
    kinds = {_dtype.BOOL: "bool", _dtype.INT: "int", _dtype.FLOAT: "float"}
    lines.append(f"{'name':<10} {'itemsize':>8}  {'kind':<6} signed")
    for d in _dtype.dtypes():
        lines.append(f"{d.name:<10} {d.itemsize:>8}  {kinds[d.kind]:<6} {d.is_signed}")

    slow = _plugins.slow_imports()
    if slow:
        lines.append(_section(f"Slow plugin imports (over {_plugins.SLOW_IMPORT_SECONDS:g} s)"))
        for s in slow:
            lines.append(f"plugin {s['name']} from {s['distribution'] or '?'} {s['version'] or '?'} took "
                         f"{s['seconds']:.2f} s to import")

    failures = table.failures
    lines.append(_section(f"Plugin load failures ({len(failures)})"))
    if not failures:
        lines.append("none")
    for f in failures:
        lines.append(f"plugin {f['name']} from {f['distribution'] or '?'} {f['version'] or '?'} failed at "
                     f"{f['phase']}{_plugins._failure_where(f)}: {f['error']}")
        lines.extend("    " + line for line in f["traceback"].rstrip().splitlines())
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m plugtensor``; returns the exit status."""
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help", "help"):
        print(USAGE, end="")
        return 0
    if args[0] == "info" and len(args) == 1:
        print(info())
        return 0
    print(f"plugtensor: unknown command {' '.join(args)!r}\n\n{USAGE}", end="", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
