# Village Square. `make run` serves the app; `make test` runs the suite. Both set up what they need.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
export FLASK_APP := wsgi
STAMP := $(VENV)/.installed
# The suite runs on every core (pytest-xdist); PYTEST_ARGS="-n0" runs it in one process.
PYTEST_ARGS ?= -n auto

.PHONY: lint security-scan scan-deps prod-local loadtest loadtest-connections keepalive-race proxy-deps audit screenshots bench bench-checkout bench-voice bench-deps node-deps voice-deps run test install i18n-extract i18n-update i18n-compile i18n-check browser-deps db-upgrade seed clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# --- translations: catalogs are sources; .mo files are built, never committed ---
i18n-extract: $(STAMP)
	$(BIN)/pybabel --quiet extract -F babel.cfg -k _l -k lazy_gettext -k lazy_pgettext:1c,2 --ignore-dirs='.* .venv node_modules build' --no-location --sort-output --no-wrap -o translations/messages.pot .

i18n-update: i18n-extract
	$(BIN)/pybabel --quiet update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete --no-wrap

i18n-compile: $(STAMP)
	$(BIN)/pybabel --quiet compile -d translations
	@# WTForms' own messages where WTForms ships no catalog (Swahili): see marketplace/core/forms.py
	@for po in translations/*/LC_MESSAGES/wtforms.po; do $(BIN)/pybabel --quiet compile -i $$po -o $${po%.po}.mo; done

i18n-check: $(STAMP)
	$(PY) -m marketplace.i18n.check

# ruff (E, F, W, I, B, UP, SIM; pyproject.toml), mypy --strict on core and the domains' faces,
# vulture for dead code (names only frameworks call are in .ci/vulture_whitelist.py).
lint: $(STAMP)
	$(BIN)/ruff check marketplace tests wsgi.py migrations/env.py
	$(BIN)/mypy marketplace/core marketplace/*/api.py
	$(BIN)/vulture marketplace wsgi.py migrations/env.py .ci/vulture_whitelist.py --min-confidence 80

# --- running ---
db-upgrade: $(STAMP)
	$(BIN)/flask db upgrade

seed: db-upgrade
	$(BIN)/flask seed-demo --if-empty

# The voice menus' prompts are spoken ahead of time (about 15 s the first time; then only what changed).
run: $(STAMP) i18n-compile voice-deps seed
	-@command -v espeak-ng >/dev/null && $(BIN)/flask phone prompts
	$(BIN)/flask run --host 127.0.0.1 --port 5000

# --- tests ---
# Debian's chromium drives the browser tests; Noto fonts (with CJK) draw pages and certificates in every
# shipped script. Installed here when missing (root on Debian).
browser-deps:
	@if [ ! -x /usr/bin/chromium ] || [ ! -f /usr/share/fonts/truetype/noto/NotoSans-Regular.ttf ] || [ ! -d /usr/share/fonts/opentype/noto ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-core fonts-noto-cjk >/dev/null) \
	      || echo "chromium could not be installed: browser tests will be skipped"; \
	  else echo "no /usr/bin/chromium and no apt as root: browser tests will be skipped"; fi; \
	fi

# espeak-ng speaks the phone menus' prompts on voice calls (generated ahead of time, cached as files).
voice-deps:
	@if ! command -v espeak-ng >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq espeak-ng >/dev/null) \
	      || echo "espeak-ng could not be installed: voice calls fall back to the gateway's own speech"; \
	  else echo "no espeak-ng and no apt as root: voice calls fall back to the gateway's own speech"; fi; \
	fi

# axe-core (accessibility rules injected into pages by the browser tests), pinned, from the npm registry.
NODE_DIR := build/node
AXE := $(NODE_DIR)/node_modules/axe-core/axe.min.js
AXE_VERSION := 4.10.3

$(AXE):
	@command -v npm >/dev/null && npm install --silent --no-save --no-package-lock --prefix $(NODE_DIR) axe-core@$(AXE_VERSION) \
	  || echo "npm could not install axe-core: the accessibility tests will be skipped"

# ODK's own XForms engine (inside ODK Web Forms and Central), pinned, bundled by esbuild into one module that
# tests/browser/test_odk_client.py loads into chromium: an OpenRosa client of ours that we did not write.
ODK_DIR := build/odk
ODK_ENGINE := $(ODK_DIR)/xforms-engine.js
$(ODK_ENGINE): tests/browser/odk_engine_entry.js
	@mkdir -p $(ODK_DIR) && command -v npm >/dev/null \
	  && npm install --silent --no-save --no-package-lock --prefix $(ODK_DIR) @getodk/xforms-engine@0.22.0 esbuild@0.28.2 \
	  && cp tests/browser/odk_engine_entry.js $(ODK_DIR)/entry.js \
	  && (cd $(ODK_DIR) && node_modules/.bin/esbuild entry.js --bundle --format=esm --log-level=error --outfile=xforms-engine.js) \
	  || echo "npm could not install ODK's xforms-engine: the OpenRosa client test will be skipped"

node-deps: $(AXE) $(ODK_ENGINE)

# Lighthouse 12.2 (13 needs Node 22), pinned; `make audit` prints its scores for the key pages.
LIGHTHOUSE := build/lh/node_modules/lighthouse/cli/index.js
$(LIGHTHOUSE):
	npm install --silent --no-save --no-package-lock --prefix build/lh lighthouse@12.2.3

screenshots: $(STAMP) i18n-compile browser-deps
	$(PY) -m tests.benchmarks.take_screenshots

audit: $(STAMP) i18n-compile browser-deps $(LIGHTHOUSE)
	CHROME_PATH=/usr/bin/chromium $(PY) -m tests.benchmarks.run_audit

test: $(STAMP) i18n-compile browser-deps node-deps voice-deps
	$(BIN)/pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) build .pytest_cache
	find translations -name '*.mo' -delete

# --- benchmarks: figures, not tests (see tests/benchmarks/run_catalog_bench.py) ---
bench-deps:
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; } \
	  || { echo "wrk is needed: apt-get install wrk"; exit 1; }

bench: $(STAMP) i18n-compile bench-deps
	$(PY) -m tests.benchmarks.run_catalog_bench

# The checkout's server CPU against an earlier revision (BEFORE=, default e90cdb0^), side by side in one run.
bench-checkout: $(STAMP) i18n-compile
	$(PY) -m tests.benchmarks.checkout_side_by_side

# A voice call's turns with espeak-ng and with the gateway's own speech, and what `flask phone prompts` makes.
bench-voice: $(STAMP) i18n-compile voice-deps
	$(PY) -m tests.benchmarks.voice_turns

# --- the production topology on this machine, and the load test against it ---
# haproxy from Debian's packages as the round-robin in front (installed when missing, as root on Debian);
# without it the load test spreads its users over the two app servers itself.
proxy-deps:
	@if ! command -v haproxy >/dev/null && [ ! -x /usr/sbin/haproxy ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null) \
	      || echo "haproxy could not be installed: the load test will spread requests itself"; \
	  else echo "no haproxy and no apt as root: the load test will spread requests itself"; fi; \
	fi

prod-local: $(STAMP) i18n-compile proxy-deps
	$(PY) -m tests.loadtest.prod_local

# wapiti and sqlmap (PyPI, pinned) in a venv of their own, against prod-local on loopback; build/scan/summary.json.
SCAN_VENV := build/scan-venv
$(SCAN_VENV)/bin/sqlmap:
	$(PYTHON) -m venv $(SCAN_VENV)
	$(SCAN_VENV)/bin/pip install --quiet wapiti3==3.2.3 sqlmap==1.10.10

scan-deps: $(SCAN_VENV)/bin/sqlmap

security-scan: $(STAMP) i18n-compile proxy-deps scan-deps
	$(PY) -m tests.loadtest.scan

# 50 users for 5 minutes (LOADTEST_USERS=… LOADTEST_TIME=2m to change); writes build/loadtest.json.
loadtest: $(STAMP) i18n-compile proxy-deps
	$(PY) -m tests.loadtest.run

# The same 3-minute load with the keep-alive settings of before and after issue 18's item 8, side by side;
# keepalive-race: only the race itself (clients pausing about gunicorn's old 2 s keep-alive), before and after.
loadtest-connections: $(STAMP) i18n-compile proxy-deps
	$(PY) -m tests.loadtest.connections

keepalive-race: $(STAMP) proxy-deps
	$(PY) -m tests.loadtest.keepalive
