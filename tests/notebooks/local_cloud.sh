#!/usr/bin/env bash
# The notebook tests' own local cloud (settings in localcloud.env; set in the environment, they win):
#   tests/notebooks/local_cloud.sh up     # start it in the background (papermill and nbval runs then share it)
#   tests/notebooks/local_cloud.sh down   # stop it and remove what it started
#   tests/notebooks/local_cloud.sh env    # print the settings, for `eval`
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
python="${PYTHON:-$root/.venv/bin/python}"
while IFS='=' read -r name value; do
    [[ -z "$name" || "$name" == \#* ]] && continue
    [ -n "${!name:-}" ] || export "$name=$value"
done < "$root/tests/notebooks/localcloud.env"
[[ "$LOCALCLOUD_STATE_DIR" == /* ]] || export LOCALCLOUD_STATE_DIR="$root/$LOCALCLOUD_STATE_DIR"
case "${1:-}" in
    up) exec "$python" -m localcloud up --detach ;;
    down) exec "$python" -m localcloud down ;;
    env) for name in LOCALCLOUD_INSTANCE LOCALCLOUD_PORT LOCALCLOUD_REGISTRY_PORT LOCALCLOUD_STATE_DIR; do
             echo "export $name=${!name}"; done ;;
    *) echo "usage: $0 up|down|env" >&2; exit 2 ;;
esac
