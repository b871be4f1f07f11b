#!/usr/bin/env bash
# The whole suite, as `make test` runs it, in two lanes at once (most tests wait on containers, not the CPU):
#   lane 1: every test but the notebooks and the browser test;
#   lane 2: the browser test (it runs module 02 in JupyterLab), then every notebook executed with papermill,
#           then again with nbval in the same local cloud without cleanup in between (each module runs twice in a
#           row: idempotence).
# The lanes share nothing: lane 1's clouds have their own instances and ports, lane 2 uses the notebook tests' cloud.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${PYTHON:-$root/.venv/bin/python}"
cd "$root"
mkdir -p build
lane1_log=build/tests-lane1.log

"$python" -m pytest -m "not notebook and not browser" -p no:cacheprovider "$@" >"$lane1_log" 2>&1 &
lane1=$!

tests/notebooks/local_cloud.sh up >/dev/null
"$python" -m pytest -m "notebook or browser" tests/notebooks tests/browser "$@" && tests/notebooks/run_nbval.sh
lane2_status=$?
tests/notebooks/local_cloud.sh down >/dev/null

wait "$lane1"
lane1_status=$?
echo "──── lane 1: every test but the notebooks and the browser test ────"
cat "$lane1_log"
echo "──── lane 1 exit status $lane1_status, lane 2 (browser, notebooks, nbval) exit status $lane2_status ────"
[ "$lane1_status" -eq 0 ] && [ "$lane2_status" -eq 0 ]
