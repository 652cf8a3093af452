# Every target sets up .venv from a fresh clone (only python3 needed) and re-runs quickly after.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.stamp-install
PARTS := pyproject.toml backends/numpy_backend/pyproject.toml backends/opencl_backend/pyproject.toml \
	conformance/pyproject.toml

.PHONY: demo test bench setup clean

setup: $(STAMP)

$(STAMP): $(PARTS) Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -e '.[test]' -e backends/numpy_backend -e conformance
	@# The OpenCL backend with PoCL, a real OpenCL runtime for this CPU (mako: pyopencl.array in the bench).
	$(PY) -m pip install -q --disable-pip-version-check -e 'backends/opencl_backend[pocl]' mako
	@# PyTorch 2.13 (CPU build) is the oracle of the tests and the benchmarks, never a dependency.
	$(PY) -m pip install -q --disable-pip-version-check 'torch==2.13.0'
	touch $(STAMP)

demo: $(STAMP)
	$(PY) examples/seeds_walkthrough.py
	$(PY) -m plugtensor info

# The core's tests and the conformance suite's own tests, then the conformance suite on every
# device of every installed backend (a device that is unavailable here is listed, not tested).
test: $(STAMP)
	$(PY) -m pytest
	@for dev in $$($(PY) -c "import plugtensor as pt; print(' '.join(r['device'] for r in pt.devices() if r['status'] == 'ok'))"); do \
		echo "== conformance suite on $$dev"; \
		$(PY) -m plugtensor_conformance --device $$dev --no-progress || exit 1; \
	done

bench: $(STAMP)
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(PY) bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
