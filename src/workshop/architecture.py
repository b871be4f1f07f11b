"""A picture of what the workshop builds: the monolith on your machine, then its services on AWS.

`diagram()` returns a matplotlib figure; Jupyter shows it when it is a cell's value.
"""
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

# One fill per kind of thing, so the picture reads as a legend too.
COLOURS = {
    "local": "#e8eef7", "monolith": "#c9d8ee", "domain": "#ffffff",
    "cloud": "#fbf7f0", "network": "#e6dcf5", "compute": "#fde3c8", "storage": "#d8efd9",
    "messaging": "#f7d5e4", "observe": "#e4e4e4", "task": "#fff4e8",
}
EDGE = "#4a4a4a"


def _box(axis, x, y, w, h, text, kind, *, size=9, weight="normal", va="center", dashed=False, radius=0.12):
    axis.add_patch(FancyBboxPatch((x, y), w, h, boxstyle=f"round,pad=0,rounding_size={radius}",
                                  facecolor=COLOURS[kind], edgecolor=EDGE, linewidth=1.0,
                                  linestyle="--" if dashed else "-"))
    ty = y + h / 2 if va == "center" else y + h - 0.22
    axis.text(x + w / 2, ty, text, ha="center", va="center" if va == "center" else "top", fontsize=size,
              fontweight=weight, linespacing=1.25)


def _arrow(axis, start, end, text="", *, dashed=False, curve=0.0, text_offset=(0, 0), colour=EDGE):
    axis.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=11, color=colour, linewidth=1.1,
                                   linestyle="--" if dashed else "-", shrinkA=2, shrinkB=2,
                                   connectionstyle=f"arc3,rad={curve}"))
    if text:
        mx, my = (start[0] + end[0]) / 2 + text_offset[0], (start[1] + end[1]) / 2 + text_offset[1]
        axis.text(mx, my, text, ha="center", va="center", fontsize=7.5, color="#333333",
                  bbox=dict(boxstyle="round,pad=0.15", facecolor="white", edgecolor="none", alpha=0.9))


def diagram():
    """The workshop's architecture: from one container to services on ECS, Lambda, API Gateway and messaging."""
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(13, 7.2))
    axis.set_xlim(0, 16)
    axis.set_ylim(0, 9)
    axis.axis("off")

    # On your machine: the monolith, one process and one database for every domain.
    _box(axis, 0.2, 0.4, 4.0, 8.2, "Your machine — modules 01–02\n(needs only Docker)", "local", size=10,
         weight="bold", va="top")
    _box(axis, 0.6, 3.0, 3.2, 4.3, "monolith container", "monolith", size=9, weight="bold", va="top")
    for i, domain in enumerate(("users", "catalog", "orders")):
        _box(axis, 0.9, 5.85 - i * 0.8, 2.6, 0.6, domain, "domain")
    _box(axis, 0.9, 3.25, 2.6, 0.6, "one SQLite database", "storage", size=8.5)
    axis.text(2.2, 2.35, "docker build  →  an image", ha="center", fontsize=8.5)
    axis.text(2.2, 1.75, "problems measured in 01:\nfailure spreads · deploy = downtime\n"
              "scale = copy everything", ha="center", va="center", fontsize=8, color="#444444")

    # AWS: a real account, or the local cloud running on the Docker engine.
    _box(axis, 4.8, 0.4, 11.0, 8.2, "AWS — a real account, or the local cloud on your Docker engine", "cloud",
         size=10, weight="bold", va="top")
    _box(axis, 8.2, 7.0, 3.6, 0.75, "Amazon API Gateway\none public HTTPS API", "network", size=8.5)
    _box(axis, 8.2, 5.75, 3.6, 0.75, "Application Load Balancer\nroutes by path, checks health", "network",
         size=8.5)
    axis.text(6.2, 7.38, "clients", ha="center", va="center", fontsize=9, style="italic")
    _arrow(axis, (6.7, 7.38), (8.2, 7.38))
    _arrow(axis, (10.0, 7.0), (10.0, 6.5))

    # ECS: each domain its own service, image and scaling.
    _box(axis, 7.0, 2.3, 6.0, 3.0, "Amazon ECS cluster — one service per domain", "compute", size=8.5,
         weight="bold", va="top")
    for i, domain in enumerate(("users", "catalog", "orders")):
        x = 7.25 + i * 1.95
        _box(axis, x, 2.5, 1.6, 2.2, domain, "compute", size=9, va="top")
        tasks = 3 if domain == "catalog" else 2
        for k in range(tasks):
            _box(axis, x + 0.2, 2.65 + k * 0.48, 1.2, 0.38, "task", "task", size=7, radius=0.06)
        _arrow(axis, (10.0, 5.75), (x + 0.8, 4.7))

    # Lambda behind API Gateway, and triggered by a queue; orders publish events others consume later.
    _box(axis, 13.6, 5.75, 1.9, 0.75, "AWS Lambda\nfunctions", "compute", size=8.5)
    _arrow(axis, (11.8, 7.38), (14.55, 6.5), curve=-0.25)
    _box(axis, 13.6, 4.3, 1.9, 0.75, "Amazon SQS\nqueue", "messaging", size=8.5)
    _box(axis, 13.6, 2.85, 1.9, 0.75, "Amazon SNS\ntopic", "messaging", size=8.5)
    _arrow(axis, (12.85, 3.22), (13.6, 3.22), "publish", text_offset=(0.0, 0.28))
    _arrow(axis, (14.55, 3.6), (14.55, 4.3), "fan out", text_offset=(0.0, 0.0))
    _arrow(axis, (14.55, 5.05), (14.55, 5.75), "trigger", text_offset=(0.0, 0.0))

    # Images: built on your machine, pushed to ECR, pulled by ECS tasks.
    _box(axis, 5.1, 3.0, 1.6, 0.8, "Amazon ECR\nimage registry", "storage", size=8.5)
    _arrow(axis, (3.8, 3.55), (5.1, 3.4), "docker push", text_offset=(0.0, 0.3))
    _arrow(axis, (6.7, 3.4), (7.25, 3.4), "pull", text_offset=(0.0, 0.3))

    # Observability across everything.
    _box(axis, 7.0, 0.6, 8.5, 0.95, "Amazon CloudWatch — logs, metrics and alarms from every service and function",
         "observe", size=8.5)
    _arrow(axis, (10.0, 2.3), (10.0, 1.55), dashed=True)

    _arrow(axis, (3.8, 6.2), (7.0, 5.0), "split into services", dashed=True, text_offset=(0.1, 0.35),
           colour="#1f5fa8")
    figure.tight_layout()
    plt.close(figure)  # Jupyter renders the returned figure once
    return figure
