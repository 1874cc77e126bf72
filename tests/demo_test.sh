#!/usr/bin/env bash
# `make demo`, headless: the seed pipeline (examples/seed-pipeline) started by a real sftp upload,
# checked by its output. Usage: tests/demo_test.sh PATH/TO/wharf
set -uo pipefail
bin=$(dirname "$(realpath "$1")")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=$(DEMO_HEADLESS=1 DEMO_SFTP=127.0.0.1:0 DEMO_HTTP=127.0.0.1:0 DEMO_BIN="$bin" DEMO_WORK="$work/demo" \
  "$(dirname "$0")/../scripts/demo" 2>&1)
rc=$?
failures=0
check() { if [[ "$2" == *"$1"* ]]; then echo "ok   $3"; else echo "FAIL $3: no '$1'"; failures=$((failures + 1)); fi; }
[ "$rc" -eq 0 ] || { echo "$out"; echo "FAIL the demo exited with $rc"; exit 1; }
check "products_20221113.csv" "$out" "the supplier's file was uploaded by sftp"
check "ParallelStateSucceeded" "$out" "the Parallel ran"
check "TaskFailed                  Supplier.Busy" "$out" "Register failed once"
check "status: SUCCEEDED" "$out" "and the Retry made the execution succeed"
check '"registered": [' "$out" "the output lists the registered products"
check "got '-4'" "$out" "and the rejected rows with their reason"
echo "$failures failure(s)"
[ "$failures" -eq 0 ]
