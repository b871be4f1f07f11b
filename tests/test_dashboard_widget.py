"""The dashboard widget built from fake state: it renders, its controls call the actions, errors show and the
refresh thread survives them and stops on close(). No display is needed."""
import datetime
import time

from botocore.exceptions import ClientError

from workshop.dashboard.load import LoadGenerator
from workshop.dashboard.state import RuleState, ServiceState, Snapshot, TargetState, TaskState
from workshop.dashboard.widget import Dashboard

NOW = datetime.datetime(2026, 1, 1, 12, 0, tzinfo=datetime.timezone.utc)


def task(number: int, service: str, status: str = "RUNNING", version: str = "1.0") -> TaskState:
    return TaskState(arn=f"arn:aws:ecs:us-east-1:123456789012:task/shop/{str(number) * 32}", service=service,
                     last_status=status, desired_status=status, health="UNKNOWN", version=version,
                     task_definition=f"{service}:1", private_ip=f"10.0.0.{number}",
                     started_at=NOW - datetime.timedelta(seconds=30))


def snapshot(catalog_desired: int = 2) -> Snapshot:
    tasks = [task(1, "catalog"), task(2, "catalog", version="1.1"), task(3, "orders"),
             task(4, "orders", status="STOPPED")]
    return Snapshot(
        cluster="shop", taken_at=NOW, load_balancer_dns="127.0.0.1:40001",
        services=[ServiceState("catalog", "ACTIVE", catalog_desired, 2, 0, "1.1", "catalog:2", 2, "IN_PROGRESS"),
                  ServiceState("orders", "ACTIVE", 1, 1, 0, "1.0", "orders:1", 1, "COMPLETED")],
        tasks=tasks,
        rules=[RuleState(80, "1", "path /catalog*", "forward → catalog"),
               RuleState(80, "default", "everything else", "fixed 404")],
        targets=[TargetState("catalog", "10.0.0.1", 8000, "healthy", None, tasks[0].id),
                 TargetState("catalog", "10.0.0.2", 8000, "unhealthy", "Target.Timeout", tasks[1].id)])


class FakeCloud:
    """What the widget is given: a state to read (or an error to raise) and actions that record their calls."""

    def __init__(self):
        self.state = snapshot()
        self.failures = 0
        self.calls = []

    def read(self):
        if self.failures:
            self.failures -= 1
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "ListTasks")
        return self.state

    def scale(self, service, desired):
        self.calls.append(("scale", service, desired))
        self.state = snapshot(catalog_desired=desired)

    def stop_task(self, arn):
        self.calls.append(("stop", arn))


def board_for(cloud: FakeCloud, **options) -> Dashboard:
    return Dashboard(cloud.read, cloud.scale, cloud.stop_task, start=False, **options)


def test_it_renders_every_part_and_a_plain_text_fallback():
    board = board_for(FakeCloud())
    assert "cluster shop" in board.header.value and "127.0.0.1:40001" in board.header.value
    assert [row.slider.value for row in board._rows.values()] == [2, 1]
    assert "2 deployments rolling" in board._rows["catalog"].info.value
    assert "color:#cf222e'>unhealthy" in board.targets.value
    assert "forward → catalog" in board.rules.value
    assert len(board.task_choice.options) == 3  # running tasks only: a stopped one cannot be stopped
    bundle = board._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "services in cluster shop" in bundle["text/plain"] and "<table>" in bundle["text/html"]
    assert [table.title for table in board.show()] == [
        "services in cluster shop", "tasks", "load balancer rules (127.0.0.1:40001)", "target health"]
    board.close()


def test_the_slider_scales_but_a_refresh_moving_it_does_not():
    cloud = FakeCloud()
    board = board_for(cloud)
    board._rows["catalog"].slider.value = 4
    assert cloud.calls == [("scale", "catalog", 4)]
    cloud.state = snapshot(catalog_desired=3)  # someone else scaled it
    board.refresh()
    assert board._rows["catalog"].slider.value == 3 and len(cloud.calls) == 1
    assert "asked catalog for 4 tasks" in board.message.value
    board.close()


def test_the_stop_button_stops_the_chosen_task():
    cloud = FakeCloud()
    board = board_for(cloud)
    board.task_choice.value = board.task_choice.options[2][1]
    board.stop_button.click()
    assert cloud.calls == [("stop", task(3, "orders").arn)]
    board.close()


def test_an_action_error_is_shown_with_its_aws_code():
    cloud = FakeCloud()

    def refuse(service, desired):
        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "not allowed"}}, "UpdateService")

    board = Dashboard(cloud.read, refuse, cloud.stop_task, start=False)
    board._rows["orders"].slider.value = 3
    assert "AccessDeniedException: not allowed" in board.error.value
    board.close()


def test_read_errors_show_and_the_refresh_thread_carries_on_until_closed():
    cloud = FakeCloud()
    board = board_for(cloud, refresh_s=0.01)
    cloud.failures = 3
    board.start()
    deadline = time.monotonic() + 5
    while board.refreshes < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert board.refreshing and board.refreshes >= 3
    assert board.last_error is None and board.error.value == ""  # a later refresh succeeded and cleared it
    cloud.failures = 10**6
    time.sleep(0.05)
    assert "ThrottlingException: Rate exceeded" in board.error.value
    assert board.snapshot is not None  # the last good state stays on screen
    board.close()
    assert not board.refreshing


def test_the_load_button_runs_load_and_draws_its_plot():
    load = LoadGenerator({"users": "http://127.0.0.1:9/users"}, rate=20)
    board = board_for(FakeCloud(), load=load)
    board.load_button.value = True
    time.sleep(0.3)
    board.refresh()
    assert load.running and bytes(board.plot.value).startswith(b"\x89PNG")
    board.load_button.value = False
    assert not load.running and "load stopped after" in board.message.value
    assert "users" in board.load_summary.value
    assert len(board.figure().axes) == 2
    assert board.show()[-1].title == "load"
    board.close()
