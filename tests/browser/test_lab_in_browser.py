"""What a learner sees: notebooks run in JupyterLab in a real browser, and widgets render as live widgets.

Papermill and nbval execute notebooks without a frontend, so they cannot tell whether the build progress bar a
learner watches is a widget or the text "Error displaying widget". These tests open JupyterLab as `make lab` serves
it in headless Chromium, run the notebook through the Run menu, and look at the page.
"""
import time

import nbformat
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from workshop.paths import REPO_ROOT

pytestmark = pytest.mark.browser

MODULE_02 = "notebooks/02_docker_images.ipynb"
# Each run writes its screenshot under build/; WORKSHOP_UPDATE_SCREENSHOTS=1 also refreshes the one in docs/.
SCREENSHOT = "module-02-in-jupyterlab.png"
# Building the module's images with a cold cache takes a few minutes on a slow machine.
MODULE_02_RUN_TIMEOUT_S = 300
SCRATCH_RUN_TIMEOUT_S = 120
EXPECTED_ERROR = "ExerciseIncomplete"
# What the widget manager shows instead of a widget when the lab extension or the model is missing.
WIDGET_FAILURES = ("Error displaying widget", "Failed to load model class")
TRACEBACK_SIGNS = ("Traceback (most recent call last)",)
PROGRESS_WIDGET = (".jp-NotebookPanel .jp-OutputArea-output "
                   ":is(.jupyter-widgets.widget-hprogress, .jupyter-widgets.widget-vprogress)")


def assert_widgets_rendered(outputs: list[str]) -> None:
    for failure in WIDGET_FAILURES:
        shown = [text for text in outputs if failure in text]
        assert not shown, f"a widget did not render: {shown[0][:300]!r}"


def test_a_widget_renders_in_jupyterlab(scratch_lab, lab_page):
    """The ipywidgets lab extension works: a progress bar displayed by a cell is a live widget with its value."""
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import ipywidgets as widgets\nfrom IPython.display import display\n\n"
                                  "bar = widgets.IntProgress(min=0, max=4, value=3)\ndisplay(bar)"),
        nbformat.v4.new_code_cell("print('displayed', bar.value, 'of', bar.max)"),
    ])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, scratch_lab.root / "widget.ipynb")

    started = time.monotonic()
    lab_page.open_notebook(scratch_lab, "widget.ipynb")
    opened = time.monotonic() - started
    lab_page.run_all_cells()
    ran = lab_page.wait_until_run_finished(SCRATCH_RUN_TIMEOUT_S)
    print(f"[browser] scratch notebook: opened in {opened:.1f} s, ran in {ran:.1f} s "
          f"({lab_page.traffic.summary()})", flush=True)

    assert lab_page.traffic.errors == []
    assert all(reply.get("status") == "ok" for reply in lab_page.traffic.replies.values())
    bar = lab_page.page.locator(PROGRESS_WIDGET)
    bar.first.wait_for(state="visible", timeout=10_000)
    assert bar.count() == 1
    # The bar shows the kernel-side value: 3 of 4.
    width = bar.first.locator(".progress-bar").evaluate("element => element.style.width")
    assert width == "75%"
    outputs = lab_page.output_texts()
    assert_widgets_rendered(outputs)
    assert any("displayed 3 of 4" in text for text in outputs)


def first_check_cell(path) -> str:
    """The source of the learner notebook's first exercise check (a code cell tagged `check`)."""
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code" and "check" in cell.metadata.get("tags", []):
            return cell.source
    pytest.fail(f"{MODULE_02} has no cell tagged `check`: the test expects it to stop at its first exercise")


@pytest.fixture
def module_02():
    """The learner notebook of module 02 (checked before any server starts)."""
    path = REPO_ROOT / MODULE_02
    if not path.exists():
        pytest.skip(f"{MODULE_02} is not there: generate the learner notebooks with `make notebooks`")
    return path


@pytest.mark.docker
def test_module_02_runs_in_jupyterlab_with_a_live_build_progress_widget(module_02, container_sweep, repo_lab,
                                                                        lab_page):
    """Run ▸ Run All Cells on the learner notebook of module 02 reaches the first exercise, showing the image
    build as a live progress widget and no unexpected error; the screenshot in docs/ comes from this run."""
    container_sweep.containers_of(module_02)
    check_source = first_check_cell(module_02)

    started = time.monotonic()
    lab_page.open_notebook(repo_lab, MODULE_02)
    opened = time.monotonic() - started
    lab_page.run_all_cells()
    ran = lab_page.wait_until_run_finished(MODULE_02_RUN_TIMEOUT_S)
    traffic = lab_page.traffic
    print(f"[browser] {MODULE_02}: opened in {opened:.1f} s, ran in {ran:.1f} s "
          f"({traffic.summary()})", flush=True)

    # Execution stopped exactly where a learner has to act: the first exercise's check, and nowhere else.
    unexpected = [f"{error.get('ename')}: {error.get('evalue')}" for error in traffic.errors
                  if error.get("ename") != EXPECTED_ERROR]
    assert not unexpected, f"cells raised errors a learner should never see: {unexpected}"
    assert len(traffic.errors) == 1, f"expected one {EXPECTED_ERROR}, got {len(traffic.errors)}"
    exercise = traffic.errors[0]
    assert exercise["code"] == check_source, "the ExerciseIncomplete came from another cell than the first check"
    ok = sum(reply.get("status") == "ok" for reply in traffic.replies.values())
    assert ok >= 1, "no cell ran successfully before the exercise"

    # The page shows what the kernel said: the check's one line, no traceback, every widget rendered.
    outputs = lab_page.output_texts()
    assert_widgets_rendered(outputs)
    assert any(exercise["evalue"] in text for text in outputs), "the exercise's message is not on the page"
    tracebacks = [text for text in outputs if any(sign in text for sign in TRACEBACK_SIGNS)]
    assert not tracebacks, f"an output shows a traceback: {tracebacks[0][:500]!r}"

    # The reference answer under the check is collapsed: only its first line shows (JupyterLab's placeholder), its
    # source is in no editor until the learner opens it.
    placeholders = lab_page.page.locator(".jp-InputPlaceholder", has_text="%%reference")
    assert placeholders.count() >= 1, "no collapsed reference answer on the page"
    editors = lab_page.page.locator(".jp-InputArea-editor")
    assert editors.filter(has_text=check_source.splitlines()[0]).count(), "the check's own editor is not found"
    assert not editors.filter(has_text="%%reference").count(), "a reference answer's source shows in an open editor"

    # The image build showed its progress as a live widget.
    build = lab_page.page.locator(PROGRESS_WIDGET).first
    try:
        build.wait_for(state="attached", timeout=10_000)
    except PlaywrightTimeout:
        pytest.fail("no progress widget on the page: the image build did not show a live progress bar")
    lab_page.bring_into_view(build)
    build.wait_for(state="visible", timeout=10_000)

    screenshot = lab_page.save_screenshot(SCREENSHOT)
    print(f"[browser] screenshot: {screenshot.relative_to(REPO_ROOT)}; "
          f"whole test {time.monotonic() - started:.1f} s after the server answered", flush=True)
