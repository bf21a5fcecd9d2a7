# identidock_fn: `make run` starts the whole stack, `make test` sets up and runs every suite.
# Both work on a fresh Debian machine (system packages are installed when missing; as root, or via sudo).

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Debian packages: what `make run` needs, and what the test suites add (wrk for the bench test,
# Debian's Chromium for the browser suite: Playwright's own browser download cannot work here).
RUN_APT_PACKAGES := redis-server
TEST_APT_PACKAGES := $(RUN_APT_PACKAGES) wrk chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint run-deps system-deps venv clean

# dnmonster, redis-server and `chalice local` on http://127.0.0.1:8000/; Ctrl-C stops them all.
run: run-deps venv
	$(PY) -m identidock_fn up

test: system-deps venv lint
	$(PY) -m pytest; rc=$$?; if [ $$rc -eq 5 ]; then echo "pytest: no tests were collected"; exit 0; fi; exit $$rc

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# Installs the given Debian packages that are missing (nothing when all are there).
define apt_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi
endef

run-deps:
	$(call apt_install,$(RUN_APT_PACKAGES))

system-deps:
	$(call apt_install,$(TEST_APT_PACKAGES))

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt dnmonster/requirements.txt
	[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

clean:
	rm -rf $(VENV) build .pytest_cache .ruff_cache .hypothesis
