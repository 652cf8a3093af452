"""The OpenCL buffer pool gives memory back: ``plugtensor.opencl.memory_allocated`` counts the buffers
of live tensors exactly (each storage once, however many views share it), ``memory_reserved`` adds
what the pool keeps, the pool keeps at most ``cache_limit()`` bytes of freed buffers (256 MiB by
default, ``PLUGTENSOR_OPENCL_CACHE_LIMIT`` or ``set_cache_limit``), and ``empty_cache`` releases
them -- checked against the process's resident memory too, since PoCL's buffers are host memory.

Sizes are counted in the pool's size classes (powers of two, at least 64 bytes), the rule
docs/backends/opencl.md states, the way torch.cuda counts its allocator's rounded blocks.
"""
from __future__ import annotations

import gc
import os
import subprocess
import sys
import textwrap

import pytest

from _opencl import DEV, RT  # skips this module without an OpenCL device

import plugtensor as pt

MiB = 1 << 20


def size_class(nbytes: int) -> int:
    """The documented rounding: the next power of two, at least 64 bytes."""
    c = 64
    while c < nbytes:
        c *= 2
    return c


def allocated() -> int:
    gc.collect()
    return pt.opencl.memory_allocated()


def cached() -> int:
    gc.collect()
    return pt.opencl.memory_reserved() - pt.opencl.memory_allocated()


def resident() -> int:
    """Resident bytes of this process (PoCL's device buffers are host memory)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.fixture
def limit():
    """Restores the pool's limit after a test changes it."""
    old = pt.opencl.cache_limit()
    yield
    pt.opencl.set_cache_limit(old)


def test_allocated_counts_live_tensors_exactly() -> None:
    base = allocated()
    a = pt.empty(1024, device=DEV)                          # 4096 bytes
    b = pt.zeros(100, dtype=pt.float64, device=DEV)         # 800 bytes -> 1024
    c = pt.ones(3, 5, dtype=pt.int8, device=DEV)            # 15 bytes -> 64
    want = size_class(4096) + size_class(800) + size_class(15)
    assert (size_class(800), size_class(15)) == (1024, 64)
    assert allocated() - base == want
    assert pt.opencl.memory_reserved() >= pt.opencl.memory_allocated()
    del b
    assert allocated() - base == size_class(4096) + size_class(15)
    del a, c
    assert allocated() == base


def test_views_share_their_storage() -> None:
    base = allocated()
    x = pt.arange(4096.0, device=DEV).reshape(64, 64)
    one = allocated() - base
    assert one == size_class(4096 * 4)
    views = [x[1:], x.t(), x.view(-1), x[::2, 3], x[0].expand(5, 64), x.reshape(4096), x.detach(), x.narrow(0, 3, 5)]
    assert allocated() - base == one, "views must not count their storage again"
    del x
    assert allocated() - base == one, "the views still hold the storage"
    del views
    assert allocated() == base


def test_operations_count_their_results() -> None:
    base = allocated()
    x = pt.ones(256, 256, device=DEV)
    y = x * 2 + 1                                            # the temporary x * 2 is freed (or reused)
    s = y.sum()
    assert allocated() - base == 2 * size_class(256 * 256 * 4) + size_class(4)
    assert s.item() == 3 * 256 * 256
    del x, y, s
    assert allocated() == base


def test_freed_buffers_are_reused() -> None:
    x = pt.empty(300_000, device=DEV)
    del x
    reserved = pt.opencl.memory_reserved()
    for _ in range(20):
        x = pt.empty(300_000, device=DEV)
        del x
    assert pt.opencl.memory_reserved() == reserved, "a freed buffer of the same size class must be reused"


def test_pool_keeps_at_most_the_limit(limit) -> None:
    pt.opencl.set_cache_limit(MiB)
    assert pt.opencl.cache_limit() == MiB
    base = allocated()
    xs = [pt.ones(65536, device=DEV) for _ in range(24)]     # 24 x 256 KiB = 6 MiB
    assert allocated() - base == 24 * 256 * 1024
    del xs
    assert allocated() == base
    assert cached() <= MiB, f"the pool keeps {cached()} bytes, over its limit of {MiB}"
    assert cached() >= MiB - 256 * 1024, "the pool should keep buffers up to its limit"
    # Lowering the limit releases what is over it at once; 0 keeps nothing.
    pt.opencl.set_cache_limit(300_000)
    assert 0 < cached() <= 300_000
    pt.opencl.set_cache_limit(0)
    assert cached() == 0
    x = pt.ones(1000, device=DEV)
    del x
    assert cached() == 0


def test_empty_cache_releases_everything_not_in_use() -> None:
    keep = pt.ones(1000, device=DEV)
    xs = [pt.ones(10_000, device=DEV) for _ in range(10)]
    del xs
    assert cached() > 0
    pt.opencl.empty_cache()
    assert pt.opencl.memory_reserved() == allocated(), "after empty_cache only live tensors hold memory"
    assert keep.sum().item() == 1000, "tensors keep their memory"
    pt.opencl.empty_cache(DEV)
    pt.opencl.empty_cache(0)
    assert pt.opencl.memory_reserved() == pt.opencl.memory_reserved(0) == pt.opencl.memory_reserved("opencl:0")


_GIVEN_BACK = """
import gc, os
import plugtensor as pt

MiB = 1 << 20


def resident():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


pt.opencl.set_cache_limit(16 * MiB)
pt.ones(1, device="opencl").sum().item()  # the runtime and its first kernels, before measuring
before = resident()
xs = [pt.ones(MiB, device="opencl") for _ in range(48)]  # 192 MiB, written on the device
assert xs[-1][-1].item() == 1.0
held = resident() - before
assert held > 150 * MiB, f"expected the tensors to take ~192 MiB, resident grew by {held / MiB:.0f} MiB"
del xs
gc.collect()
assert pt.opencl.memory_reserved() - pt.opencl.memory_allocated() <= 16 * MiB
kept = resident() - before
assert kept < 16 * MiB + 24 * MiB, f"{kept / MiB:.0f} MiB still resident after the tensors died (limit 16 MiB)"
pt.opencl.empty_cache()
assert resident() - before < 24 * MiB
"""


def test_memory_is_given_back_to_the_system(limit) -> None:
    """The issue's case: hundreds of MiB of freed tensors used to stay held by the pool forever.

    The pool's own count is exact in any process; resident memory is checked in a fresh process,
    because how much freed memory the C allocator hands back to the system depends on what the
    process allocated before (glibc's adaptive mmap threshold)."""
    pt.opencl.set_cache_limit(16 * MiB)
    pt.opencl.empty_cache()
    xs = [pt.ones(MiB, device=DEV) for _ in range(48)]
    del xs
    assert cached() <= 16 * MiB
    done = subprocess.run([sys.executable, "-c", _GIVEN_BACK], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="opencl"):
        pt.opencl.memory_allocated("cpu")
    with pytest.raises(TypeError, match="device"):
        pt.opencl.memory_reserved(1.5)
    with pytest.raises(RuntimeError, match="opencl:7"):
        pt.opencl.memory_allocated(7)
    with pytest.raises(ValueError, match="negative"):
        pt.opencl.set_cache_limit(-1)
    with pytest.raises(TypeError, match="int"):
        pt.opencl.set_cache_limit(1.5e6)


def _child(code: str, **env) -> subprocess.CompletedProcess:
    full = {**os.environ, **env}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=300, env=full)


def test_limit_from_the_environment() -> None:
    r = _child("""
        import sys
        import plugtensor as pt
        assert "pyopencl" not in sys.modules, "import plugtensor must not import pyopencl"
        print(pt.opencl.cache_limit())
        xs = [pt.ones(1 << 18, device="opencl") for _ in range(8)]   # 8 MiB
        del xs
        print(pt.opencl.memory_reserved() - pt.opencl.memory_allocated())
        """, PLUGTENSOR_OPENCL_CACHE_LIMIT="3M")
    assert r.returncode == 0, r.stderr
    limit, kept = (int(v) for v in r.stdout.split())
    assert limit == 3 * MiB
    assert 2 * MiB <= kept <= 3 * MiB
    r = _child("import plugtensor as pt; print(pt.opencl.cache_limit())", PLUGTENSOR_OPENCL_CACHE_LIMIT="")
    assert r.returncode == 0, r.stderr
    assert int(r.stdout) == min(256 * MiB, RT.device.global_mem_size // 8), "the default limit"


def test_bad_limit_in_the_environment() -> None:
    r = _child("""
        import plugtensor as pt
        try:
            pt.ones(2, device="opencl")
        except RuntimeError as e:
            print(e)
        """, PLUGTENSOR_OPENCL_CACHE_LIMIT="lots")
    assert r.returncode == 0, r.stderr
    assert "PLUGTENSOR_OPENCL_CACHE_LIMIT" in r.stdout and "'lots'" in r.stdout, r.stdout


def test_out_of_memory_gives_the_cache_back_and_retries(monkeypatch) -> None:
    """As torch.cuda's allocator: when the device refuses a buffer, cached ones are released first."""
    import pyopencl as cl
    pt.opencl.empty_cache()
    xs = [pt.ones(5000, device=DEV) for _ in range(4)]
    del xs
    assert cached() > 0
    real, calls = cl.Buffer, []

    def refuse_once(*args):
        calls.append(cached())
        if len(calls) == 1:
            raise cl.MemoryError("clCreateBuffer failed: MEM_OBJECT_ALLOCATION_FAILURE")
        return real(*args)

    monkeypatch.setattr(cl, "Buffer", refuse_once)
    before = allocated()
    y = pt.ones(12345, device=DEV)                          # a size class nothing cached has
    assert len(calls) == 2 and calls[0] > 0 and calls[1] == 0, calls
    assert allocated() - before == size_class(12345 * 4)
    assert y.sum().item() == 12345

    def refuse(*args):
        raise cl.MemoryError("clCreateBuffer failed: MEM_OBJECT_ALLOCATION_FAILURE")

    monkeypatch.setattr(cl, "Buffer", refuse)
    with pytest.raises(RuntimeError, match=f"opencl:0 out of memory: tried to allocate {size_class(54321 * 4)} bytes"):
        pt.ones(54321, device=DEV)
    assert allocated() - before == size_class(12345 * 4), "a failed allocation must not be counted"
