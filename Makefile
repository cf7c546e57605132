# The commands a person needs. `make run` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PYTHONPATH := $(CURDIR)

.PHONY: run test test-dates lint call prompts bench ceiling screenshots faults clean

$(VENV)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

## run: set up and run the whole system (broker, databases, services, gateway)
run: $(VENV)/.installed
	scripts/run.sh

## test: the whole test suite against a real RabbitMQ, SQLite and PostgreSQL
test: $(VENV)/.installed
	scripts/ensure_rabbitmq.sh --management
	scripts/ensure_chromium.sh
	scripts/ensure_prometheus.sh
	scripts/ensure_kubectl.sh
	$(BIN)/ruff check .
	scripts/test_suite.sh

## test-dates: the whole suite again as if today were 2027-01-15 (a Friday) and 2027-01-17 (a
## Sunday), the wall clock moved with libfaketime; DATE="2028-02-29 09:00:00" for another
test-dates: $(VENV)/.installed
	scripts/ensure_rabbitmq.sh --management
	scripts/ensure_prometheus.sh
	scripts/ensure_kubectl.sh
	scripts/test_at_dates.sh $(if $(DATE),"$(DATE)")

lint: $(VENV)/.installed
	$(BIN)/ruff check .

## call: place one simulated 95598 call against a running system (DIGITS=2 by default); the AMI
## simulator of `make run` then plays the agent's side (OUTCOME=answer|abandon|no_answer, TALK=5)
call: $(VENV)/.installed
	$(BIN)/python -m asterisk_sim call --digits $(or $(DIGITS),2) --ami-port $(or $(AMI_PORT),5038) \
		--outcome $(or $(OUTCOME),answer) --talk $(or $(TALK),5)

## prompts: the IVR's Mandarin voice prompts for Asterisk (espeak-ng and sox; deploy/asterisk)
prompts:
	deploy/asterisk/prompts/build.sh

## screenshots: a PNG of each main screen of the console, from the running demo (`make run`),
## into var/screenshots/ (headless Chromium; places one simulated call)
screenshots: $(VENV)/.installed
	scripts/ensure_chromium.sh
	$(BIN)/python scripts/screenshots.py

## faults: the fault suite, full form (issue 15): on a private RabbitMQ and PostgreSQL, each
## service killed, the broker restarted, the database stopped 30 s, a cluster node lost, under
## simulated calls; prints the table (BACKEND=sqlite|postgresql|both, both by default). Root only
## (the broker and the database run as their own users). `make test` runs a short form.
faults: $(VENV)/.installed
	$(BIN)/python -m faults --backend $(or $(BACKEND),both)

## bench: concurrent simulated calls against the running system, with the no-op ceiling
bench: $(VENV)/.installed
	$(BIN)/python bench/e2e.py

clean:
	rm -rf var
