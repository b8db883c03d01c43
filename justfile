# Recipes for setup, running and testing. `just --list` shows them all.
set shell := ["bash", "-euo", "pipefail", "-c"]
set dotenv-load := true

py := ".venv/bin/python"

# Create .venv and install the locked dependencies (idempotent, fast when nothing changed).
setup:
    test -x {{py}} || uv venv -q --python 3.11 .venv
    uv pip sync -q --python {{py}} requirements.lock

# Re-pin requirements.lock from pyproject.toml (hashes, no download URLs).
lock:
    uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 -q -o requirements.lock

# The whole suite: lint (layers + style), unit tests, integration tests. Installs Debian's
# Chromium first when it is missing (the console's browser tests drive it).
test *args: setup lint-imports
    scripts/ensure-chromium
    {{py}} -m ruff check .
    {{py}} -m pytest {{args}}

# Fast tests without infrastructure (network disabled).
test-unit *args: setup
    {{py}} -m pytest tests/unit {{args}}

# Tests against real PostgreSQL, Redis and the YClients simulator.
test-integration *args: setup
    scripts/ensure-chromium
    {{py}} -m pytest tests/integration {{args}}

# Layer rules (import-linter).
lint-imports: setup
    .venv/bin/lint-imports --no-cache

# Style, types and layer rules.
lint: setup lint-imports
    {{py}} -m ruff check .
    {{py}} -m ruff format --check .
    {{py}} -m mypy src

# Format the code.
fmt: setup
    {{py}} -m ruff format .
    {{py}} -m ruff check --fix .

# Run the service in one process (SQLite, in-memory broker, scheduler, simulator when no tokens).
run: setup
    {{py}} -m src.entrypoints.cli run

# Apply database migrations to DATABASE_URL.
migrate: setup
    {{py}} -m src.entrypoints.cli migrate

# The seed's script: give every user without a code one (idempotent).
generate-codes: setup
    {{py}} -m src.entrypoints.cli generate-unique-codes

# Before launch: mark the emails and phones of members imported from an old system that
# verified them as verified: `just trust-contacts --registered-before DATE [--dry-run]`
# (only accounts created before DATE); phones shared by several members are skipped.
trust-contacts *args: setup
    {{py}} -m src.entrypoints.cli trust-contacts {{args}}

# Sync bookings from YClients now (every active salon).
sync-bookings: setup
    {{py}} -m src.entrypoints.cli sync-bookings

# Add a salon (YClients company ID, NAME); prints its webhook URL with the secret, once.
add-salon id name: setup
    {{py}} -m src.entrypoints.cli add-salon {{id}} {{quote(name)}}

# List the salons: status, last sync and lag, webhooks today, held webhooks.
salons: setup
    {{py}} -m src.entrypoints.cli salons

# Bring every booking's points in line with its entitlement (after LOYALTY_ENABLED changed).
reconcile-points: setup
    {{py}} -m src.entrypoints.cli reconcile-points

# Expire the points whose lots are due (POINTS_TTL_DAYS), once per lot; send reminders.
expire-points: setup
    {{py}} -m src.entrypoints.cli expire-points

# Promote a member to admin, or create an admin: password from ADMIN_PASSWORD or stdin.
create-admin email: setup
    {{py}} -m src.entrypoints.cli create-admin {{email}}

# Production API (uvicorn, one worker per core); needs DATABASE_URL and REDIS_URL.
serve: setup
    {{py}} -m src.entrypoints.cli serve

# taskiq worker(s) processing webhooks and syncs; needs REDIS_URL (without it the API
# process runs the tasks itself and a worker would never receive one).
worker *args: setup
    {{py}} -m src.entrypoints.cli check-config
    @test -n "${REDIS_URL:-}" || { echo "just worker: set REDIS_URL (workers take their tasks from Redis; without it \`just serve\` runs them)" >&2; exit 2; }
    .venv/bin/taskiq worker src.entrypoints.worker:broker {{args}}

# taskiq scheduler (run exactly one); needs REDIS_URL, like the workers.
scheduler: setup
    {{py}} -m src.entrypoints.cli check-config
    @test -n "${REDIS_URL:-}" || { echo "just scheduler: set REDIS_URL (without it \`just serve\` runs the schedule itself)" >&2; exit 2; }
    .venv/bin/taskiq scheduler src.entrypoints.worker:scheduler

# A standalone YClients simulator on 127.0.0.1:8100.
simulator: setup
    {{py}} -m src.entrypoints.simulator

# Benchmarks (see bench/README.md); `just bench --quick` for the short run.
bench *args: setup
    {{py}} -m bench.run {{args}}

# Soak run (bench/soak.py): a chain's simulated day against API + workers + scheduler,
# compared booking by booking; `just soak --quick` for 100 salons in a few minutes.
soak *args: setup
    {{py}} -m bench.soak {{args}}
