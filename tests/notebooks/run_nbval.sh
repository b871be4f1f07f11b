#!/usr/bin/env bash
# Validate executed notebooks with nbval: re-run each one and compare the outputs of the cells marked
# tagged `nbval-check-output` (--nbval-lax), after nbval_sanitize.cfg has replaced what differs from run to run.
#
#   tests/notebooks/run_nbval.sh                   # the executed copy of every solutions/ notebook
#   tests/notebooks/run_nbval.sh a.ipynb b.ipynb   # these notebooks only
#   tests/notebooks/run_nbval.sh -x                # other arguments go to pytest
#
# The executed copies come from the notebook tests: .venv/bin/python -m pytest -m notebook tests/notebooks
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
python="${PYTHON:-$root/.venv/bin/python}"
fix=".venv/bin/python -m pytest -m notebook tests/notebooks/test_solutions.py"

notebooks_given=false
for arg in "$@"; do
    if [[ "$arg" == *.ipynb ]]; then notebooks_given=true; fi
done
if ! $notebooks_given; then
    for source in "$root"/solutions/*.ipynb; do
        [ -e "$source" ] || { echo "✘ solutions/ has no notebooks to validate" >&2; exit 1; }
        copy="$root/build/executed/solutions/$(basename "$source")"
        # An executed copy older than its solution would validate yesterday's notebook.
        [ "$copy" -nt "$source" ] || { echo "✘ ${copy#"$root"/} is missing or out of date: run $fix" >&2; exit 1; }
        set -- "$@" "$copy"
    done
fi

cd "$root"
# Modules 04 onwards use the notebook tests' own local cloud. One that already runs (make test starts it before
# the papermill run) is used as it is, so each notebook runs a second time without cleanup; otherwise this run
# starts one and stops it at the end.
eval "$(tests/notebooks/local_cloud.sh env)"
if ! "$python" -m localcloud status >/dev/null 2>&1; then
    trap 'tests/notebooks/local_cloud.sh down >/dev/null 2>&1 || true' EXIT
fi
"$python" -m pytest --nbval-lax --nbval-sanitize-with tests/notebooks/nbval_sanitize.cfg \
    --nbval-cell-timeout 300 -p no:cacheprovider "$@"
