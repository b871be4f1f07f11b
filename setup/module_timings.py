"""How long each module took to execute in the last notebook test run, from papermill's record in the executed copies.

`python -m setup.module_timings` prints a Markdown table (for docs/facilitator.md); run the notebook tests first
(`make test`, or `.venv/bin/python -m pytest -m notebook tests/notebooks/test_solutions.py`).
"""
import sys

import nbformat

from workshop.paths import BUILD

EXECUTED = BUILD / "executed" / "solutions"


def timings(folder=EXECUTED) -> list[tuple[str, float]]:
    rows = []
    for path in sorted(folder.glob("*.ipynb")):
        duration = nbformat.read(path, as_version=4).metadata.get("papermill", {}).get("duration")
        if duration is not None:
            rows.append((path.stem, float(duration)))
    return rows


def markdown(rows: list[tuple[str, float]]) -> str:
    lines = ["| module | executed in (s) |", "|---|---|"]
    lines += [f"| `{name}` | {seconds:.0f} |" for name, seconds in rows]
    lines.append(f"| all | {sum(seconds for _, seconds in rows):.0f} |")
    return "\n".join(lines)


def main() -> int:
    rows = timings()
    if not rows:
        print(f"no executed notebooks in {EXECUTED}: run the notebook tests first", file=sys.stderr)
        return 1
    print(markdown(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
