# One command to run the bot, one to test it. Everything installs into .venv in this folder.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run index test lint docs bench soak package validate-manifest icons clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch first, pinned to the CPU build, so nothing later pulls the CUDA wheels
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -r requirements.lock
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install everything

index: install  ## build or refresh index/ from knowledge/ (only changed files are embedded)
	$(PY) -m bot index --knowledge knowledge --index index

run: install  ## serve the bot on HOST:PORT (default 127.0.0.1:3978), building index/ if missing
	test -e index/current || $(PY) -m bot index --knowledge knowledge --index index
	$(PY) app.py

test: install  ## the whole test suite (the same command CI runs), the manifest schema test included
	TEAMS_MANIFEST_SCHEMA="$${TEAMS_MANIFEST_SCHEMA:-$$(bash scripts/validate_manifest.sh --print-schema)}" $(PY) -m pytest

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

docs: install  ## regenerate the settings table in docs/configuration.md from bot/config.py's descriptions
	$(PY) -m bot.config --write docs/configuration.md

bench: install  ## latency/throughput benchmarks -> docs/benchmarks.md (a few minutes; run `make soak` first to include it); COMPARE="DIR ..." adds this checkout against other checkouts, alternating
	$(PY) -m bench.run $(foreach c,$(COMPARE),--compare $(c))

soak: install  ## 5 minutes at 50 users: errors and the memory slope -> docs/soak.md
	$(PY) -m bench.soak --minutes 5 --users 50

package: install  ## Teams app zip; set MicrosoftAppId, PRIVACY_URL, TERMS_URL, WEBSITE_URL first
	$(PY) -m bot package --out dist/governance-assistant.zip

validate-manifest: install  ## check manifest/ against the official Teams schema from npm
	bash scripts/validate_manifest.sh

icons: install
	$(PY) manifest/make_icons.py

clean:
	rm -rf index/current index/builds dist .pytest_cache
