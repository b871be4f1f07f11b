#!/usr/bin/env bash
# The whole suite, as `make test` runs it, on two engines: the native one, and a rootless one, whose topology is
# Docker Desktop's and Colima's (the host reaches containers only through ports published on 127.0.0.1). Three
# lanes at once (most tests wait on containers, not the CPU):
#   lane 1: every test but the notebooks and the browser test, on the native engine;
#   lane 2: the browser tests (module 02 and the dashboard in JupyterLab), then every solution notebook executed with
#           papermill, each learner notebook with every exercise answered wrong and then right, then the solutions
#           again with nbval, all in one local cloud without cleanup in between (each module runs three times in a
#           row: idempotence), on the native engine;
#   lane 3: on the rootless engine, the local cloud's tests that use an engine, then every learner notebook with
#           every exercise skipped (local mode) and the rehearsal of AWS mode (modules 04-09's solutions in AWS mode
#           against a local cloud playing AWS's rules and compressed timing, as a learner holding only the published
#           IAM policy; then the teardown must leave nothing).
# The lanes share nothing: each cloud has its own instance and ports, lane 3's notebooks their own published ports,
# build folder (scratch and executed copies) and docker config. Without a rootless engine (not a Debian/Ubuntu host as root,
# and DOCKER_HOST_ROOTLESS unset) lane 3 is skipped, and the run says so.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${PYTHON:-$root/.venv/bin/python}"
cd "$root"
mkdir -p build
lane1_log=build/tests-lane1.log
lane3_log=build/tests-lane3.log
rootless="${DOCKER_HOST_ROOTLESS:-$("$python" -m setup.rootless_engine --print-host 2>/dev/null)}"  # empty: none answers

lane3() {
    export DOCKER_HOST="$rootless" DOCKER_CONFIG="$root/build/rootless/docker-config"
    mkdir -p "$DOCKER_CONFIG"
    local status=0
    # The engine-free tests (-m "not docker") run in lane 1: they would find nothing new on another engine.
    "$python" -m pytest -m docker -p no:cacheprovider --durations=15 tests/localcloud "$@" || status=1
    (
        export LOCALCLOUD_INSTANCE=notebook-tests-rootless LOCALCLOUD_PORT=4595 LOCALCLOUD_REGISTRY_PORT=4594
        export LOCALCLOUD_STATE_DIR="$root/build/rootless/localcloud" WORKSHOP_BUILD_DIR="$root/build/rootless"
        export WORKSHOP_MONOLITH_PORT=18090 WORKSHOP_EXERCISE_PORT=18091
        "$python" -m pytest -m "skipped_path or rehearsal" -p no:cacheprovider \
            tests/notebooks/test_learner_paths.py tests/notebooks/test_rehearsal.py "$@"
        notebooks_status=$?
        "$python" -m localcloud down >/dev/null 2>&1
        exit $notebooks_status
    ) || status=1
    return $status
}

"$python" -m pytest -m "not notebook and not browser" -p no:cacheprovider --durations=15 "$@" >"$lane1_log" 2>&1 &
lane1=$!
if [ -n "$rootless" ]; then
    lane3 "$@" >"$lane3_log" 2>&1 &
    lane3_pid=$!
fi

tests/notebooks/local_cloud.sh up >/dev/null
# The rehearsal and the skipped paths run in lane 3; without a rootless engine, here.
lane2_tests="(notebook or browser) and not rehearsal and not skipped_path"
[ -n "$rootless" ] || lane2_tests="notebook or browser"
"$python" -m pytest -m "$lane2_tests" tests/notebooks tests/browser "$@" && tests/notebooks/run_nbval.sh
lane2_status=$?
tests/notebooks/local_cloud.sh down >/dev/null

wait "$lane1"
lane1_status=$?
echo "──── lane 1: every test but the notebooks and the browser test ────"
cat "$lane1_log"
lane3_status=0
if [ -n "$rootless" ]; then
    wait "$lane3_pid"
    lane3_status=$?
    echo "──── lane 3, on the rootless engine ($rootless): the local cloud's tests, the skipped paths, the rehearsal of AWS mode ────"
    cat "$lane3_log"
else
    echo "──── no rootless engine here: lane 3 (the local cloud and the notebooks on Docker Desktop's topology) skipped ────"
fi
echo "──── exit status: lane 1 $lane1_status, lane 2 (browser, notebooks, nbval) $lane2_status, lane 3 (rootless) $lane3_status ────"
[ "$lane1_status" -eq 0 ] && [ "$lane2_status" -eq 0 ] && [ "$lane3_status" -eq 0 ]
