#!/usr/bin/env bash
# The whole suite, as `make test` runs it, on two engines: the native one, and a rootless one, whose topology is
# Docker Desktop's and Colima's (the host reaches containers only through ports published on 127.0.0.1).
#   lane 1: every test but the notebooks and the browser test, on the native engine;
#   lane 2: the browser test (it runs module 02 in JupyterLab), then every notebook executed with papermill,
#           then again with nbval in the same local cloud without cleanup in between (each module runs twice in a
#           row: idempotence), on the native engine; then every notebook once more on the rootless engine (after
#           the native run: modules 01–03 publish fixed ports on 127.0.0.1, which both engines share);
#   lane 3: the local cloud's tests, on the rootless engine.
# The lanes share nothing: each cloud has its own instance and ports.
# Without a rootless engine (not a Debian/Ubuntu host as root, and DOCKER_HOST_ROOTLESS unset) lane 3 and the
# rootless notebooks are skipped, and the run says so.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${PYTHON:-$root/.venv/bin/python}"
cd "$root"
mkdir -p build
lane1_log=build/tests-lane1.log
lane3_log=build/tests-lane3.log
rootless="${DOCKER_HOST_ROOTLESS:-$("$python" -m setup.rootless_engine --print-host 2>/dev/null)}"  # empty: none answers

"$python" -m pytest -m "not notebook and not browser" -p no:cacheprovider "$@" >"$lane1_log" 2>&1 &
lane1=$!
if [ -n "$rootless" ]; then
    DOCKER_HOST="$rootless" "$python" -m pytest -p no:cacheprovider tests/localcloud "$@" >"$lane3_log" 2>&1 &
    lane3=$!
fi

tests/notebooks/local_cloud.sh up >/dev/null
"$python" -m pytest -m "notebook or browser" tests/notebooks tests/browser "$@" && tests/notebooks/run_nbval.sh
lane2_status=$?
tests/notebooks/local_cloud.sh down >/dev/null
rootless_status=0
if [ -n "$rootless" ]; then
    echo "──── every notebook again, on the rootless engine ($rootless) ────"
    DOCKER_HOST="$rootless" LOCALCLOUD_INSTANCE=notebook-tests-rootless LOCALCLOUD_PORT=4595 \
        LOCALCLOUD_REGISTRY_PORT=4594 LOCALCLOUD_STATE_DIR="$root/build/localcloud-notebook-tests-rootless" \
        NOTEBOOK_EXECUTED_DIR="$root/build/executed-rootless" \
        "$python" -m pytest -m notebook -p no:cacheprovider tests/notebooks "$@"
    rootless_status=$?
fi

wait "$lane1"
lane1_status=$?
echo "──── lane 1: every test but the notebooks and the browser test ────"
cat "$lane1_log"
lane3_status=0
if [ -n "$rootless" ]; then
    wait "$lane3"
    lane3_status=$?
    echo "──── lane 3: the local cloud's tests on the rootless engine ($rootless) ────"
    cat "$lane3_log"
else
    echo "──── no rootless engine here: the local cloud's tests and the notebooks ran on the native engine only ────"
fi
echo "──── exit status: lane 1 $lane1_status, lane 2 (browser, notebooks, nbval) $lane2_status," \
     "rootless notebooks $rootless_status, lane 3 (local cloud on rootless) $lane3_status ────"
[ "$lane1_status" -eq 0 ] && [ "$lane2_status" -eq 0 ] && [ "$rootless_status" -eq 0 ] && [ "$lane3_status" -eq 0 ]
