# Two commands for a new user: `make run` and `make test`. Both create the
# virtualenv themselves.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-postgres lint bench bench-store clean

# `make test REQUIRE_POSTGRES=1` (what .ci/run does) runs the suite a second
# time on a freshly created PostgreSQL database on PG_SERVER_URL, and fails if
# that server cannot be reached instead of skipping.
REQUIRE_POSTGRES ?= 0
PG_SERVER_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres
# pytest exits 5 when it collected nothing: that is a failure here, not a pass.
PYTEST_RUN = rc=0; $(1) $(BIN)/pytest $(2) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests" >&2; rc=1; fi

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/pybabel compile -d locales
	$(BIN)/pybabel compile -D web -d locales
	touch $(STAMP)

# The sales desk's catalogues (gettext domain `web`), recompiled when a .po changes.
WEB_MO := $(patsubst %.po,%.mo,$(wildcard locales/*/LC_MESSAGES/web.po))
$(WEB_MO): %.mo: %.po $(STAMP)
	$(BIN)/pybabel compile -D web -d locales

# Demo users and example quotes on the default SQLite database, then the sales desk
# on http://127.0.0.1:8000/ (PORT=... to change); it prints the URL and the demo login.
PORT ?= 8000
# Proposals sent from `make run` carry the seller's signature made with a self-signed
# demo pair (instance/signing/, written once), unless SIGNING_CERT or SIGNING_KEY is
# given: then those, as they are.
DEMO_SIGNING := $(CURDIR)/instance/signing
ifeq ($(origin SIGNING_CERT)$(origin SIGNING_KEY),undefinedundefined)
DEMO_PAIR := $(BIN)/quoting signing demo-pair --dir "$(DEMO_SIGNING)"
WITH_DEMO_PAIR := SIGNING_CERT="$(DEMO_SIGNING)/seller-cert.pem" \
	SIGNING_KEY="$(DEMO_SIGNING)/seller-key.pem"
endif
run: $(STAMP) $(WEB_MO)
	$(BIN)/quoting demo
	$(DEMO_PAIR)
	$(WITH_DEMO_PAIR) $(BIN)/quoting serve --port $(PORT)

test: $(STAMP) $(WEB_MO)
	$(BIN)/ruff check .
	$(BIN)/mypy quoting
	@echo "== test suite on SQLite =="
	@$(call PYTEST_RUN,env -u TEST_DATABASE_URL); exit $$rc
	@if [ "$(REQUIRE_POSTGRES)" = "1" ]; then $(MAKE) --no-print-directory test-postgres; fi

# The browser tests (tests/e2e) serve the desk from a SQLite file of their own whatever
# the database: they run once, on the SQLite pass.
test-postgres: $(STAMP)
	@url=$$(PG_SERVER_URL='$(PG_SERVER_URL)' $(BIN)/python -m quoting.store.pgadmin create) \
	  || { echo "PostgreSQL is required (REQUIRE_POSTGRES=1) but $(PG_SERVER_URL) is not usable" >&2; exit 1; }; \
	echo "== test suite on PostgreSQL (fresh database $${url##*/}) =="; \
	$(call PYTEST_RUN,TEST_DATABASE_URL="$$url",--ignore=tests/e2e); \
	$(BIN)/python -m quoting.store.pgadmin drop "$$url" || true; \
	exit $$rc

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_pricing.py

# Loads 100,000 quotes into SQLite and PostgreSQL (minutes); QUOTES=10000 for a quick look.
QUOTES ?= 100000
bench-store: $(STAMP)
	$(BIN)/python benchmarks/bench_store.py --quotes $(QUOTES)

clean:
	rm -rf $(VENV)
