"""Every solution notebook runs end to end; its executed copy stays in build/executed/solutions/.

run_nbval.sh then re-runs those copies with nbval and compares the outputs of cells tagged nbval-check-output.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import papermill
import pytest
from nbformat.v4 import new_code_cell, new_notebook
from nbval.plugin import get_sanitize_patterns

from setup.run_notebooks import CELL_TIMEOUT_S
from workshop.paths import BUILD, REPO_ROOT, SOLUTIONS
from workshop.settings import KERNEL_NAME

SOLUTION_NOTEBOOKS = sorted(SOLUTIONS.glob("*.ipynb"))
FIRST_AWS_MODULE = "04"
EXECUTED = BUILD / "executed" / "solutions"
FIRST_MODULES = ("00", "01", "02")
HERE = Path(__file__).parent
SANITIZE_FILE = HERE / "nbval_sanitize.cfg"
RUN_NBVAL = HERE / "run_nbval.sh"


def test_the_first_modules_have_solution_notebooks():
    missing = [module for module in FIRST_MODULES if not list(SOLUTIONS.glob(f"{module}_*.ipynb"))]
    assert not missing, f"solutions/ has no notebook for module {', '.join(missing)}"


def marked(source: Path):
    aws = source.name[:2] >= FIRST_AWS_MODULE
    return pytest.param(source, id=source.name, marks=[pytest.mark.aws_module] if aws else [])


@pytest.mark.notebook
@pytest.mark.parametrize("source", [marked(source) for source in SOLUTION_NOTEBOOKS])
def test_solution_notebook_runs_end_to_end(source, notebook_local_cloud, executed):
    """Plain papermill: no error is excused (a solution notebook has no cell that fails on purpose)."""
    EXECUTED.mkdir(parents=True, exist_ok=True)
    papermill.execute_notebook(source, EXECUTED / source.name, kernel_name=KERNEL_NAME, cwd=source.parent,
                               execution_timeout=CELL_TIMEOUT_S, progress_bar=False, log_output=True)
    notebook = executed(EXECUTED / source.name)
    not_run = [index for index, cell in enumerate(notebook.cells)
               if cell.cell_type == "code" and cell.metadata.papermill.status != "completed"]
    assert not not_run, f"cells {not_run} did not run"


# --- a plain papermill run: what an author or a learner's CI would type --------------------------------------------

DOCKER_ONLY_MODULES = [source for source in SOLUTION_NOTEBOOKS if source.name[:2] in ("00", "01")]
NBVAL_COMMENT = re.compile(r"#\s*NBVAL_", re.IGNORECASE)  # nbval's comment markers; we use cell tags instead


@pytest.mark.notebook
@pytest.mark.parametrize("source", DOCKER_ONLY_MODULES, ids=lambda source: source.name)
def test_plain_papermill_runs_a_first_module_without_an_error(source, tmp_path):
    """No cell of a solution notebook fails on purpose, so papermill's own command line exits 0."""
    ran = subprocess.run([sys.executable, "-m", "papermill", "--kernel", KERNEL_NAME, str(source.relative_to(REPO_ROOT)),
                          str(tmp_path / source.name)], cwd=REPO_ROOT, capture_output=True, text=True)

    assert ran.returncode == 0, ran.stderr[-2000:]


@pytest.mark.notebook
@pytest.mark.parametrize("source", DOCKER_ONLY_MODULES, ids=lambda source: source.name)
def test_plain_nbval_lax_passes_a_first_module(source):
    """`pytest --nbval-lax` on the committed notebook, without our sanitize file or runner, as a user would."""
    ran = subprocess.run([sys.executable, "-m", "pytest", "--nbval-lax", "-p", "no:cacheprovider", "-q",
                          "--rootdir", str(source.parent), "-c", os.devnull, str(source)],
                         cwd=source.parent, capture_output=True, text=True)
    assert ran.returncode == 0, ran.stdout[-2000:] + ran.stderr[-1000:]


@pytest.mark.parametrize("source", SOLUTION_NOTEBOOKS, ids=lambda source: source.name)
def test_no_solution_cell_is_meant_to_fail_or_carries_a_comment_marker(source):
    notebook = nbformat.read(source, as_version=4)
    code_cells = [(index, cell) for index, cell in enumerate(notebook.cells) if cell.cell_type == "code"]

    failing = [index for index, cell in code_cells if "raises-exception" in cell.metadata.get("tags", [])]
    commented = [index for index, cell in code_cells if NBVAL_COMMENT.search(cell.source)]
    assert not failing, f"cells {failing} are tagged raises-exception: a solution notebook runs without an error"
    assert not commented, f"cells {commented} carry an NBVAL_ comment: use the cell tag nbval-check-output"


# --- nbval: the sanitize file and the command ----------------------------------------------------------------------

def sanitize(text: str) -> str:
    """What nbval does to an output with our sanitize file, read by nbval's own parser."""
    for regex, replace in get_sanitize_patterns(SANITIZE_FILE.read_text()):
        text = re.sub(regex, replace, text)
    return text


@pytest.mark.parametrize("output, sanitized", [
    ("Pushed sha256:" + "3f" * 32, "Pushed sha256:DIGEST"),
    ("image sha256:0123456789", "image sha256:DIGEST"),
    ("container " + "ab12" * 16, "container CONTAINER_ID"),
    ("started 4f1c2d3e5a6b, account 123456789012", "started SHORT_ID, account SHORT_ID"),
    ("task/demo/0f8fad5bd9cb469fa16570867728950e", "task/demo/HEX_ID"),
    ("RequestId: 'c8b4f8a0-7d1e-4a5b-9c3d-2e1f0a9b8c7d'", "RequestId: 'REQUEST_ID'"),
    ("{'x-amzn-requestid': 'Z3ZJ9QCHLLS4VLSGU2KV6LWQDW87QMZ4'}", "{'x-amzn-requestid': 'REQUEST_ID'}"),
    ("id 0b9f2c1e-1a2b-4c3d-8e9f-0a1b2c3d4e5f", "id UUID"),
    ("at 2025-03-04T05:06:07.891Z and 2025-03-04 05:06:07+00:00", "at TIMESTAMP and TIMESTAMP"),
    ("'LastModified': datetime.datetime(2025, 3, 4, 5, 6, 7, tzinfo=tzutc())", "'LastModified': TIMESTAMP"),
    ("date: Tue, 04 Mar 2025 05:06:07 GMT", "date: TIMESTAMP"),
    ("[05:06:07] ready", "[TIME] ready"),
    ("took 1.23 s, then 45 ms, then 2.5s and 830µs", "took DURATION, then DURATION, then DURATION and DURATION"),
    ("http://127.0.0.1:49153/health", "http://127.0.0.1:PORT/health"),
    ("localhost:5000/orders:latest", "localhost:PORT/orders:latest"),
    ("{'HostPort': '32768'}", "{'HostPort': 'PORT'}"),
    ("task at 172.18.0.3:8000", "task at IP_ADDRESS:PORT"),
    ("pushed 12.3MB of 45 MiB (2 kB/s)", "pushed SIZE of SIZE (SIZE/s)"),
    ("wrote /tmp/tmpa1b2c3/app.zip", "wrote TMP_PATH"),
    ("<Container: 4f1c2d3e5a6b> at 0x7f3a2b1c0d90", "<Container: SHORT_ID> at 0xADDRESS"),
    ("X-Served-By: orders-7f9c", "X-Served-By: HOSTNAME"),
    ("{'x-served-by': 'ip-10-0-1-17.internal'}", "{'x-served-by': 'HOSTNAME'}"),
    ("https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod",
     "https://API_ID.execute-api.us-east-1.amazonaws.com/prod"),
    ("3 services, 2 tasks, 200 OK, p=0.8444218515250481", "3 services, 2 tasks, 200 OK, p=0.8444218515250481"),
])
def test_the_sanitize_file_replaces_what_changes_between_runs(output, sanitized):
    assert sanitize(output) == sanitized


CHECKED = "nbval-check-output"  # a cell tag, not a comment: learners never see test markers


def sample_notebook(*sources: str) -> nbformat.NotebookNode:
    """Code cells; a source starting with CHECKED is tagged so, without the word."""
    cells = [new_code_cell(source.removeprefix(CHECKED), metadata={"tags": [CHECKED]} if source.startswith(CHECKED)
                           else {}) for source in sources]
    return new_notebook(cells=cells,
                        metadata={"kernelspec": {"name": KERNEL_NAME, "display_name": "Python 3",
                                                 "language": "python"}})


def run_nbval(*args) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(RUN_NBVAL), *map(str, args)], capture_output=True, text=True,
                          env={**os.environ, "PYTHON": sys.executable})


@pytest.mark.notebook
def test_nbval_compares_only_marked_outputs_after_sanitizing(tmp_path, run_notebook):
    varying = "import uuid, random\nprint(f'task {uuid.uuid4()} took {random.random():.3f} s')"
    source = tmp_path / "source"
    source.mkdir()
    notebook = sample_notebook(f"{CHECKED}print('stable')", varying, f"{CHECKED}{varying}",
                               "raise RuntimeError('meant to fail')")
    notebook.cells[-1].metadata.tags = ["raises-exception"]
    nbformat.write(notebook, source / "sanitized.ipynb")
    nbformat.write(sample_notebook(f"{CHECKED}import random\nprint(random.random())"),
                   source / "unstable.ipynb")
    sanitized, unstable = (run_notebook(source / name, tmp_path / "executed")
                           for name in ("sanitized.ipynb", "unstable.ipynb"))
    no_sanitizing = tmp_path / "empty.cfg"
    no_sanitizing.write_text("")

    passed = run_nbval(sanitized)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "4 passed" in passed.stdout  # nbval runs each cell as one test
    assert run_nbval(sanitized, "--nbval-sanitize-with", no_sanitizing).returncode == 1  # the last option wins
    assert run_nbval(unstable).returncode == 1
