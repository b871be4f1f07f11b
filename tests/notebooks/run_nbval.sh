#!/usr/bin/env bash
# Validate executed notebooks with nbval: re-run each one and compare the outputs of the cells marked
# `# NBVAL_CHECK_OUTPUT` (--nbval-lax), after nbval_sanitize.cfg has replaced what differs from run to run.
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
# Modules 04 onwards start the notebook tests' own local cloud; stop it when nbval is done.
while IFS='=' read -r name value; do
    [[ -z "$name" || "$name" == \#* ]] && continue
    [ -n "${!name:-}" ] || export "$name=$value"   # set in the environment, they win (as in conftest.py)
done < tests/notebooks/localcloud.env
[[ "$LOCALCLOUD_STATE_DIR" == /* ]] || export LOCALCLOUD_STATE_DIR="$root/$LOCALCLOUD_STATE_DIR"
trap '"$python" -m localcloud down >/dev/null 2>&1 || true' EXIT
"$python" -m pytest --nbval-lax --nbval-sanitize-with tests/notebooks/nbval_sanitize.cfg \
    --nbval-cell-timeout 300 -p no:cacheprovider "$@"
