#!/usr/bin/env bash
# The test command: the whole suite on SQLite, then the whole suite again on PostgreSQL when
# FRONTDESK_TEST_DATABASE_URL is set (each test creates its own schema in that database).
# Extra arguments go to `cargo test` before its `--`, e.g. `scripts/test.sh refresh` runs the
# matching tests.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> tests on SQLite"
env -u FRONTDESK_TEST_DATABASE_URL cargo test --all-targets "$@"

if [[ -n "${FRONTDESK_TEST_DATABASE_URL:-}" ]]; then
    # The tests marked ignored are the ones that need PostgreSQL (multi-node, export/import).
    echo "==> tests on PostgreSQL (FRONTDESK_TEST_DATABASE_URL is set)"
    cargo test --all-targets "$@" -- --include-ignored
else
    echo "==> PostgreSQL pass skipped: set FRONTDESK_TEST_DATABASE_URL to run the suite there"
    echo "    (the multi-node and export/import tests, marked ignored, only run on PostgreSQL)"
fi
