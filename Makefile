# Two commands do everything (see README): `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv

.PHONY: demo test test-fast test-under-load lint run install clean bytecode i18n-extract i18n-update i18n-compile

$(VENV)/installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	$(VENV)/bin/pip install --quiet --no-deps -e .
	touch $@

install: $(VENV)/installed i18n-compile bytecode

# The project's own modules compiled to bytecode beside them (only those changed since; 0.1 s when
# none has). Where PYTHONDONTWRITEBYTECODE is set, as on the machines this is built and tested on,
# Python never writes them itself, and every process compiled its modules from source again: 39
# modules, 0.20–0.25 s of CPU at each start of `python -m ingest import` (of 1.1–1.4 s before its
# first batch), in every worker, app and test subprocess.
bytecode: $(VENV)/installed
	$(VENV)/bin/python -m compileall -q engagement ingest views bench tests scripts dashboard.py

# The catalogs (engagement/i18n, docs/accessibility.md#languages): the participant pages' (messages,
# modules in babel.cfg, complete in all six languages) and the staff pages' (staff, staff.cfg, complete
# in English). Extract the marked strings, merge them into each language's .po (the English entries
# take their text from the code), compile the .po files into the .mo files the app reads (built here,
# ignored by git).
I18N := engagement/i18n
I18N_LANGS := en fr de it ru es
I18N_PO := $(foreach domain,messages staff,$(foreach lang,$(I18N_LANGS),$(I18N)/locale/$(lang)/LC_MESSAGES/$(domain).po))
PYBABEL_EXTRACT := $(VENV)/bin/pybabel -q extract -k N_plural:1,2 --add-comments=TRANSLATORS: \
	--no-location --sort-output --project=conference-engagement --version=0.1.0

i18n-extract: $(VENV)/installed
	$(PYBABEL_EXTRACT) -F $(I18N)/babel.cfg -o $(I18N)/messages.pot \
		--header-comment="# The participant pages' strings (engagement/i18n/babel.cfg); made by make i18n-extract." .
	$(PYBABEL_EXTRACT) -F $(I18N)/staff.cfg -o $(I18N)/staff.pot \
		--header-comment="# The staff pages' strings (engagement/i18n/staff.cfg); made by make i18n-extract." .

i18n-update: i18n-extract
	for domain in messages staff; do \
		$(VENV)/bin/pybabel -q update -D $$domain -i $(I18N)/$$domain.pot -d $(I18N)/locale \
			--no-fuzzy-matching --ignore-obsolete || exit 1; \
	done
	$(VENV)/bin/python -m engagement.i18n.english

i18n-compile: $(I18N_PO:.po=.mo)

$(I18N)/locale/%.mo: $(I18N)/locale/%.po | $(VENV)/installed
	$(VENV)/bin/pybabel -q compile -l $(firstword $(subst /, ,$*)) -i $< -o $@

# Install, then start the app on the demo data with the worker replaying the demo collection.
demo: install
	./scripts/demo.sh

# Install, then run the whole test suite: everything but the serial tests over two xdist workers,
# then the serial ones (kills, floods, load, time bounds) alone. Both always run; either failing
# fails the target (pytest exits 5 when its selection is empty, and that fails it too).
test: install
	@status=0; \
	$(VENV)/bin/python -m pytest -n 2 -m "not serial" --durations=25 || status=$$?; \
	$(VENV)/bin/python -m pytest -m serial --durations=25 || status=$$?; \
	exit $$status

# Every test but the browser, PostgreSQL, process and reliability ones, over two xdist workers.
test-fast: install
	$(VENV)/bin/python -m pytest -n 2 -m "not browser and not postgres and not processes and not reliability"

# The lint and type gate: ruff's rules, ruff's format, mypy over the core and the worker's CLI.
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# The reliability suite and the browser tests with two CPU-burning processes beside them (a busy
# machine); prints the total time, exits with pytest's status.
test-under-load: install
	./scripts/test-under-load.sh

# The app on DATABASE_URL (default data/engagement.db), without the demo.
run: install
	$(VENV)/bin/python -m streamlit run dashboard.py

clean:
	rm -rf $(VENV) data/demo.db* data/demo.jsonl data/demo.questions.csv
