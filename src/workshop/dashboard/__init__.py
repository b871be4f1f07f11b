"""The live dashboard of the ECS module: what runs (state), what the buttons do (actions), a load generator that
records which version answered (load), and the ipywidgets layer over them (widget).

    from workshop.dashboard import dashboard, LoadGenerator
"""
from workshop.dashboard.actions import scale, stop_task, wait_until_steady
from workshop.dashboard.load import LoadGenerator, plot_latency, plot_success, plot_versions, success_table
from workshop.dashboard.state import read_snapshot, tables
from workshop.dashboard.widget import Dashboard, dashboard

__all__ = ["Dashboard", "LoadGenerator", "dashboard", "plot_latency", "plot_success", "plot_versions",
           "read_snapshot", "scale", "stop_task", "success_table", "tables", "wait_until_steady"]
