"""The ECS dashboard, live in JupyterLab: its slider scales a service, its stop button stops a task that the service
replaces, and its load plot grows while load runs — checked in the page and through the ECS API.

The services come from `catch_up("06")` in a scratch notebook on the notebook tests' local cloud, so the test
depends on no module notebook's cells.
"""
import re
import time

import boto3
import nbformat
import pytest

from workshop.paths import REPO_ROOT
from workshop.stack import HEALTH_CHECK_GRACE_S

pytestmark = [pytest.mark.browser, pytest.mark.docker]

NOTEBOOK = REPO_ROOT / "build" / "browser" / "dashboard-live.ipynb"
SCREENSHOT = "dashboard-in-jupyterlab.png"
# Tall enough for the whole dashboard, from its header to the load plot, in one screenshot.
VIEWPORT = {"width": 1400, "height": 1600}
# Building and pushing the images and starting the services from a cold cache.
SETUP_TIMEOUT_S = 600
TASKS_TIMEOUT_S = 120
# A replacement is steady once its target is healthy (two passed checks, 5 s apart); slower on a busy machine.
STEADY_TIMEOUT_S = 180
SERVICE = "users"
# What the test checks is the dashboard, not how fast a busy machine starts Python: new tasks get this long before
# failed load balancer health checks count against them (a 2-core machine under load can take longer than the
# stack's two checks 5 s apart, and then the service replaces tasks in a loop).
GRACE_PERIOD_S = 60

SETUP_CELL = """\
import boto3

from workshop.catch_up import catch_up
from workshop.dashboard import dashboard
from workshop.session import connect

session = connect("local", module="06")
stack = catch_up("06", session).stack
ecs, elbv2 = boto3.client("ecs"), boto3.client("elbv2")
grace = ecs.update_service(cluster=stack.cluster, service="{service}", healthCheckGracePeriodSeconds={grace})
print("{service}: health check grace period", grace["service"].get("healthCheckGracePeriodSeconds"), "s")"""
DASHBOARD_CELL = """\
urls = {"users": f"{stack.base_url}/users", "catalog": f"{stack.base_url}/catalog/books",
        "orders": f"{stack.base_url}/orders"}
board = dashboard(ecs, elbv2, cluster=stack.cluster, load_balancer=stack.load_balancer_arn, urls=urls, rate=2,
                  refresh_s=1)
board"""

# Every table the dashboard shows, by caption: its header and its rows as cell texts.
READ_TABLES = """() => [...document.querySelectorAll('.jp-OutputArea-output table')].map(table => ({
    caption: table.caption ? table.caption.textContent.trim() : '',
    header: [...table.querySelectorAll('thead th')].map(th => th.textContent.trim()),
    rows: [...table.querySelectorAll('tbody tr')].map(tr => [...tr.cells].map(td => td.textContent.trim())),
}))"""


def write_notebook() -> str:
    setup = SETUP_CELL.format(service=SERVICE, grace=GRACE_PERIOD_S)
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(setup),
                                               nbformat.v4.new_code_cell(DASHBOARD_CELL)])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NOTEBOOK.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, NOTEBOOK)
    return NOTEBOOK.relative_to(REPO_ROOT).as_posix()


def cloud_client(name: str):
    """A client of the local cloud the kernel started (the test process reads the same LOCALCLOUD_* settings)."""
    from localcloud.config import Config

    settings = Config().client_environment()
    return boto3.client(name, endpoint_url=settings["AWS_ENDPOINT_URL"], region_name=settings["AWS_DEFAULT_REGION"],
                        aws_access_key_id=settings["AWS_ACCESS_KEY_ID"],
                        aws_secret_access_key=settings["AWS_SECRET_ACCESS_KEY"])


class DashboardPage:
    """The dashboard's parts in the page, found as a learner finds them: by their labels."""

    def __init__(self, lab_page):
        self.lab_page, self.page = lab_page, lab_page.page

    def tasks(self) -> list[dict]:
        """The task table's rows as {column: text} (the "+K older stopped" line included)."""
        for table in self.page.evaluate(READ_TABLES):
            if table["caption"] == "tasks":
                return [dict(zip(table["header"], row)) for row in table["rows"]]
        return []

    def running_ids(self, service: str) -> set[str]:
        return {row["task"] for row in self.tasks() if row.get("service") == service and row.get("status") == "RUNNING"}

    def running(self, service: str, count: int, without: str | None = None) -> set[str] | None:
        """The ids of `service`'s running tasks once there are `count` of them (none of them `without`)."""
        ids = self.running_ids(service)
        return ids if len(ids) == count and without not in ids else None

    def healthy_targets(self, service: str) -> set[str]:
        """The tasks whose targets the target health table shows healthy in `service`'s target group."""
        for table in self.page.evaluate(READ_TABLES):
            if table["caption"] == "target health":
                rows = [dict(zip(table["header"], row)) for row in table["rows"]]
                return {row["task"] for row in rows
                        if row["target group"].endswith(service) and row["health"] == "healthy"}
        return set()

    def load_requests(self) -> int:
        """Requests sent so far, from the load summary under the plot."""
        for table in self.page.evaluate(READ_TABLES):
            if "requests" in table["header"]:
                column = table["header"].index("requests")
                return sum(int(row[column]) for row in table["rows"] if row[column].isdigit())
        return 0

    def slider(self, service: str):
        label = self.page.locator(".widget-label", has_text=re.compile(rf"^{service}$"))
        return self.page.locator(".widget-hslider", has=label).first

    def set_slider(self, service: str, value: int) -> None:
        """Type the count into the slider's readout and press Enter, as a learner can instead of dragging."""
        readout = self.slider(service).locator(".widget-readout")
        readout.click()
        self.page.keyboard.press("Control+A")
        self.page.keyboard.type(str(value))
        self.page.keyboard.press("Enter")

    def stop_task(self, task_id: str) -> None:
        choice = self.page.locator(".widget-dropdown select").first
        label = next(text for text in choice.locator("option").all_inner_texts() if text.startswith(task_id))
        choice.select_option(label=label)
        self.page.locator("button", has_text="stop task").click()

    def plot_source(self) -> str | None:
        image = self.page.locator(".jp-OutputArea-output .widget-image").first
        return image.get_attribute("src") if image.count() else None

    def wait_for(self, what: str, condition, timeout_s: float = TASKS_TIMEOUT_S):
        """Poll `condition()` until it returns something true; return it, or fail saying what did not happen."""
        started = time.monotonic()
        while True:
            found = condition()
            if found:
                return found
            if time.monotonic() - started > timeout_s:
                pytest.fail(f"{what}: not seen within {timeout_s:.0f} s; the task table shows {self.tasks()}")
            self.page.wait_for_timeout(500)


def desired_and_running(ecs, cluster: str, service: str) -> tuple[int, int]:
    found = ecs.describe_services(cluster=cluster, services=[service])["services"][0]
    return found["desiredCount"], found["runningCount"]


def test_the_dashboard_scales_stops_a_task_and_plots_load_live_in_jupyterlab(notebook_cloud, repo_lab, lab_page):
    """In the browser: the slider asks ECS for another task and the table shows it; the stop button stops a task
    and a replacement appears; the load plot and its summary change while load runs. The docs screenshot comes
    from this run. (`notebook_cloud` comes before the lab, so the server's kernels inherit its settings.)"""
    path = write_notebook()
    lab_page.page.set_viewport_size(VIEWPORT)
    started = time.monotonic()
    lab_page.open_notebook(repo_lab, path)
    lab_page.run_all_cells()
    ran = lab_page.wait_until_run_finished(SETUP_TIMEOUT_S)
    print(f"[browser] dashboard notebook ran in {ran:.1f} s ({lab_page.traffic.summary()})", flush=True)
    assert lab_page.traffic.errors == [], [f"{e.get('ename')}: {e.get('evalue')}" for e in lab_page.traffic.errors]

    board = DashboardPage(lab_page)
    ecs = cloud_client("ecs")
    cluster = board.wait_for("the cluster's name in the header", lambda: re.search(
        r"cluster (\S+)", " ".join(lab_page.output_texts())), timeout_s=30).group(1)
    try:
        before = board.wait_for(f"one running {SERVICE} task", lambda: board.running_ids(SERVICE))
        assert desired_and_running(ecs, cluster, SERVICE)[0] == 1

        # Load first, so the plot records what scaling and stopping a task do to the answers.
        board.page.locator(".widget-toggle-button", has_text="load").click()
        first_plot = board.wait_for("the load plot", board.plot_source, timeout_s=30)

        mark = time.monotonic()
        board.set_slider(SERVICE, 2)
        board.wait_for("desiredCount 2 in DescribeServices",
                       lambda: desired_and_running(ecs, cluster, SERVICE)[0] == 2, timeout_s=15)
        scaled = board.wait_for(f"two running {SERVICE} tasks in the table", lambda: board.running(SERVICE, 2))
        assert before < scaled
        # As a learner would, stop a task only once the new one takes requests: no outage in the plot.
        board.wait_for(f"both {SERVICE} tasks healthy targets", lambda: board.healthy_targets(SERVICE) == scaled,
                       timeout_s=STEADY_TIMEOUT_S)
        print(f"[browser] scaled {SERVICE} to 2: second task in the table after {time.monotonic() - mark:.1f} s",
              flush=True)

        # The task that ran from the start: healthy behind the load balancer, as a task that crashes in production.
        victim = sorted(before)[0]
        mark = time.monotonic()
        board.stop_task(victim)
        board.wait_for(f"the stopped task {victim} shown as STOPPED", lambda: any(
            row["task"] == victim and row["status"] in ("STOPPING", "DEACTIVATING", "STOPPED")
            for row in board.tasks()))
        board.wait_for(f"a replacement for {victim}", lambda: board.running(SERVICE, 2, without=victim))
        # Steady again: two running tasks, each a healthy target, and DescribeServices agrees.
        replaced = board.wait_for(f"{SERVICE} steady with two healthy tasks", lambda: (
            ids := board.running(SERVICE, 2, without=victim)) and board.healthy_targets(SERVICE) == ids
            and desired_and_running(ecs, cluster, SERVICE) == (2, 2) and ids, timeout_s=STEADY_TIMEOUT_S)
        assert replaced - scaled, "no new task id appeared"
        stopped = board.wait_for(f"{victim} STOPPED", lambda: next(
            (row for row in board.tasks() if row["task"] == victim and row["status"] == "STOPPED"), None))
        assert (stopped["health"], stopped["stopped because"]) == ("UNKNOWN", "Stopped from the workshop dashboard")
        print(f"[browser] stopped {victim}: replaced by {sorted(replaced - scaled)[0]}, steady after "
              f"{time.monotonic() - mark:.1f} s", flush=True)

        # The plot is redrawn as samples arrive: a new image, and more requests in the summary.
        requests = board.load_requests()
        board.wait_for("a redrawn load plot with more requests", lambda: board.plot_source() != first_plot
                       and board.load_requests() > requests, timeout_s=30)
        assert lab_page.page.evaluate(
            "() => document.querySelector('.jp-OutputArea-output .widget-image').naturalWidth") > 0

        # The dashboard from its header down, with the file browser folded away to leave the tables room.
        # (Clicking the open side panel's tab folds it, as a learner does.)
        lab_page.page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current").click()
        top = lab_page.page.locator(".jp-OutputArea-output .widget-vbox").first
        top.evaluate("element => element.scrollIntoView({block: 'start'})")
        lab_page.page.wait_for_timeout(1500)  # one more refresh, so the table and plot are current
        screenshot = lab_page.save_screenshot(SCREENSHOT)
        print(f"[browser] screenshot: {screenshot.relative_to(REPO_ROOT)}; whole test "
              f"{time.monotonic() - started:.1f} s after the server answered", flush=True)
    finally:
        # catch_up starts each service with one task and the stack's grace period; leave it so for what runs next.
        ecs.update_service(cluster=cluster, service=SERVICE, desiredCount=1,
                           healthCheckGracePeriodSeconds=HEALTH_CHECK_GRACE_S)
