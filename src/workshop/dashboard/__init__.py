"""The live dashboard of the ECS module: what runs (state), what the buttons do (actions), a load generator that
records which version answered (load), and the ipywidgets layer over them (widget).

    from workshop.dashboard import dashboard, LoadGenerator
    board = dashboard(ecs, elbv2, cluster, load_balancer, urls={"users": f"{base}/users"})
    ...
    board.close()

Only boto3 calls, the same against the local cloud and a real account. On AWS the dashboard needs ecs:ListServices,
DescribeServices, ListTasks, DescribeTasks, DescribeTaskDefinition (UpdateService and StopTask for its controls)
and elasticloadbalancing:DescribeLoadBalancers, DescribeListeners, DescribeRules, DescribeTargetGroups,
DescribeTargetHealth.
"""
from workshop.dashboard.actions import scale, stop_task, wait_until_steady
from workshop.dashboard.load import LoadGenerator, plot_latency, plot_success, plot_versions, success_table
from workshop.dashboard.state import read_snapshot, tables
from workshop.dashboard.widget import Dashboard, dashboard

__all__ = ["Dashboard", "LoadGenerator", "dashboard", "plot_latency", "plot_success", "plot_versions",
           "read_snapshot", "scale", "stop_task", "success_table", "tables", "wait_until_steady"]
