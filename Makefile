# The two commands of the README: `make run` and `make test`. Everything installs from here.
SHELL := /bin/bash
UV ?= $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
VENV := .venv
PY := $(VENV)/bin/python
DTSEN := $(VENV)/bin/dtsen
DEMO_PERSONS ?= 20000
DEMO_SEED ?= 7
DEMO_FIRST ?= 2026-10-17
DEMO_CUTOFF ?= 2026-11-17
export DTSEN_HOME ?= $(CURDIR)/var

.PHONY: env run test demo bench clean browser

$(UV):
	python3 -m pip install --quiet --user uv || python3 -m pip install --quiet uv

# The environment follows the committed lock file exactly.
$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python 3.11 --compile-bytecode  # PYTHONDONTWRITEBYTECODE may be set: without .pyc every command compiles its imports (2 s)
	touch $@

env: $(VENV)/.synced

# Two months of one population: October and November.
demo: env
	$(DTSEN) synth --out $(DTSEN_HOME)/deliveries --persons $(DEMO_PERSONS) --seed $(DEMO_SEED) \
		--cutoff $(DEMO_FIRST) --months 2 --overwrite

# Both months refreshed and published, then what changed between them.
run: demo
	$(DTSEN) refresh --delivery $(DTSEN_HOME)/deliveries/$(DEMO_FIRST)
	$(DTSEN) refresh --delivery $(DTSEN_HOME)/deliveries/$(DEMO_CUTOFF)
	$(DTSEN) diff $(DEMO_FIRST) $(DEMO_CUTOFF) --akses penuh
	@echo "To serve it to an agency: $(DTSEN) akses buat --nama DEMO --peran analis, then $(DTSEN) serve (http://127.0.0.1:8750/)"

# Style and types first (seconds), then the suite: two processes (pytest-xdist), a test
# file to each in turn (its module fixtures built once), as many of the tests wait on a
# Prefect server, a subprocess or a database rather than on the cores. TEST_WORKERS=0 runs
# it in one process. The slowest thirty are listed, to keep the run inside its 20 minutes.
TEST_WORKERS ?= 2
test: env browser
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile --durations=30

# Headless Chromium and its driver from Debian's packages, for the web page's browser test.
# Installed when missing and apt-get can (root on Debian); elsewhere the test says what it
# needs (it fails under CI, skips on a developer's machine).
browser:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing chromium and chromium-driver (Debian)"; \
		apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null \
		|| { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null; }; \
	else echo "make browser: no chromium here; install Debian's chromium and chromium-driver for the browser test"; fi

# Figures for bench/RESULTS.md: the generator, a whole refresh, matching accuracy, and
# matching side by side with an exact-NIK join and Splink alone, at 1M persons.
BENCH_PERSONS ?= 1000000
BENCH := $(DTSEN_HOME)/bench
bench: env
	$(PY) bench/bench_synth.py --persons $(BENCH_PERSONS)
	rm -rf $(BENCH) && $(DTSEN) synth --out $(BENCH) --persons $(BENCH_PERSONS) --seed 1
	$(PY) bench/bench_refresh.py --delivery $(BENCH)/2026-11-17 --home $(BENCH)/home
	$(DTSEN) akurasi --run $$(ls -d $(BENCH)/home/runs/*/) --truth $(BENCH)/2026-11-17/truth
	$(PY) bench/bench_match.py --run $$(ls -d $(BENCH)/home/runs/*/) --truth $(BENCH)/2026-11-17/truth
	$(PY) bench/bench_warehouse.py --run $$(ls -d $(BENCH)/home/runs/*/)
	$(PY) bench/bench_quality.py --run $$(ls -d $(BENCH)/home/runs/*/) --landed $$(ls -d $(BENCH)/home/landed/*/*/)

# Only a data folder inside this project, holding no tracked file: DTSEN_HOME may point
# anywhere, and `rm -rf` of a mistyped one would take what is there with it.
clean:
	@home="$$(realpath -m "$(DTSEN_HOME)")"; \
	case "$$home" in "$(CURDIR)"/?*) ;; *) echo "make clean: DTSEN_HOME=$$home is not inside $(CURDIR); remove it yourself if you mean it" >&2; exit 2;; esac; \
	tracked="$$(git ls-files -- "$$home" 2>/dev/null)" || { echo "make clean: not a git checkout, cannot tell whether $$home holds the project's files; remove it yourself if you mean it" >&2; exit 2; }; \
	if [ -n "$$tracked" ]; then echo "make clean: $$home holds files of the repository; not removed" >&2; exit 2; fi; \
	rm -rf "$$home" .pytest_cache; echo "removed $$home"
