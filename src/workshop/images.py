"""Build images with the Docker SDK and show the build as it happens.

`build_image(path, tag)` streams the engine's build output (`client.api.build(..., decode=True)`), follows the
Dockerfile's steps, and returns the image with the facts a learner compares between builds: how many steps, how
many came from the cache, how long it took. A failed build raises `BuildFailed`, whose message names the step
that failed and its last output lines.

The logic (`BuildState`) knows nothing about displays; a display is any object with the four `BuildDisplay`
methods: `WidgetDisplay` in Jupyter (progress bar of steps and a live log), `TerminalDisplay` elsewhere.
"""
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import docker

from workshop.docker_client import WorkshopError, get_client
from workshop.paths import SAMPLE_SERVICES
from workshop.settings import PYTHON_BASE_IMAGE, WORKSHOP_LABEL
from workshop.tables import Table

ANSI_CODES = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
STEP_LINE = re.compile(r"^Step (\d+)/(\d+) : (.*)$")
FAILED_COMMAND = re.compile(r"The command '(?:/bin/sh -c )?(.*)' returned a non-zero code: (\d+)", re.S)
OFFLINE_SIGNS = ("No matching distribution found", "Could not find a version that satisfies")
BASE_MISSING_SIGNS = ("pull access denied", "manifest unknown", "not found: manifest", "Get \"https://",
                      "dial tcp", "no such host", "TLS handshake timeout", "i/o timeout")
TAIL_LINES = 6


class BuildFailed(WorkshopError):
    """An image build failed; the message names the step and shows its last output lines."""

    def __init__(self, message: str, *, step: int | None = None, total: int | None = None,
                 instruction: str = "", tail: list[str] | None = None, reason: str = ""):
        super().__init__(message)
        self.step, self.total, self.instruction = step, total, instruction
        self.tail = tail or []
        self.reason = reason


@dataclass
class StepTiming:
    number: int
    instruction: str
    seconds: float = 0.0
    cached: bool = False


@dataclass
class BuildState:
    """What the build stream said so far: steps, cache hits, output lines, result or error."""

    total: int = 0
    steps: list[StepTiming] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    step_lines: list[str] = field(default_factory=list)
    image_id: str | None = None
    error: str | None = None
    labelled: bool = False       # build labels were given, so the engine adds a last LABEL step
    in_label_step: bool = False
    clock: object = time.monotonic
    _step_started: float = 0.0
    _partial: str = ""

    @property
    def current(self) -> StepTiming | None:
        return self.steps[-1] if self.steps else None

    @property
    def cached_steps(self) -> int:
        return sum(step.cached for step in self.steps)

    def feed(self, chunk: dict) -> list[tuple[str, object]]:
        """Take one decoded chunk of the build stream; return the events it caused: ("step", StepTiming) or
        ("line", text)."""
        events = []
        if "aux" in chunk and isinstance(chunk["aux"], dict) and chunk["aux"].get("ID"):
            self.image_id = chunk["aux"]["ID"]
        failed = "error" in chunk or "errorDetail" in chunk
        if failed:
            self.error = (chunk.get("errorDetail") or {}).get("message") or chunk.get("error") or "unknown error"
            self.error = ANSI_CODES.sub("", self.error)
        # Output arrives in arbitrary pieces: keep the unfinished last line until the rest of it comes.
        text = self._partial + ANSI_CODES.sub("", chunk.get("stream") or chunk.get("status") or "")
        lines = text.replace("\r", "\n").split("\n")
        self._partial = "" if failed else lines.pop()
        events.extend(self._take(lines))
        if failed:
            self._close_step()
        return events

    def finish(self) -> list[tuple[str, object]]:
        """Take the last unfinished line, when the stream has ended."""
        lines, self._partial = [self._partial], ""
        return self._take(lines)

    def _take(self, lines: list[str]) -> list[tuple[str, object]]:
        events = []
        for line in lines:
            line = line.rstrip()
            if not line.strip():
                continue
            match = STEP_LINE.match(line)
            if match and _is_label_step(int(match.group(1)), int(match.group(2)), match.group(3)):
                # The engine appends build labels as one last LABEL step; it is not the learner's Dockerfile.
                self._close_step()
                self.in_label_step = True
                continue
            if match:
                self._close_step()
                self.total = int(match.group(2)) - 1 if self.labelled else int(match.group(2))
                self.steps.append(StepTiming(int(match.group(1)), match.group(3)))
                self._step_started = self.clock()
                self.step_lines = []
                events.append(("step", self.current))
                continue
            if line.strip() == "---> Using cache" and self.current:
                self.current.cached = True
            elif line.startswith("Successfully built ") and not self.image_id:
                self.image_id = line.split()[-1]
            elif line.startswith("Successfully built") or line.startswith("Successfully tagged"):
                self._close_step()
            if self.in_label_step:
                continue
            if not _is_engine_chatter(line):
                self.step_lines.append(line)
            self.lines.append(line)
            events.append(("line", line))
        return events

    def _close_step(self) -> None:
        if self.current and not self.current.seconds:
            self.current.seconds = max(self.clock() - self._step_started, 1e-6)

    def failure(self, tag: str) -> BuildFailed:
        """The error a learner sees when this build failed."""
        step = self.current
        reason = (self.error or "the engine returned no image").strip()
        tail = [line for line in self.step_lines if line.strip()][-TAIL_LINES:]
        command = FAILED_COMMAND.search(reason)
        if step:
            where = f"building {tag} failed at step {step.number}/{self.total} ({_short(step.instruction)})"
        else:
            where = f"building {tag} failed before its first step"
        message = [where + ":"] + [f"    {line}" for line in tail]
        if command:
            message.append(f"  → the command exited with code {command.group(2)}")
        elif not tail or reason not in tail[-1]:
            message.append(f"  → {reason}")
        hint = explain(reason, "\n".join(tail), step.instruction if step else "")
        if hint:
            message.append(f"  {hint}")
        return BuildFailed("\n".join(message), step=step.number if step else None, total=self.total or None,
                           instruction=step.instruction if step else "", tail=tail, reason=reason)


def _is_label_step(number: int, total: int, instruction: str) -> bool:
    return number == total and instruction.startswith("LABEL ") and f"{WORKSHOP_LABEL}=" in instruction


def _is_engine_chatter(line: str) -> bool:
    """Lines the engine adds between steps, which a learner does not need in an error message."""
    stripped = line.strip()
    return (stripped.startswith("--->") or stripped.startswith("Removing intermediate container")
            or stripped.startswith("Sending build context"))


def _short(text: str, width: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def explain(reason: str, output: str, instruction: str) -> str:
    """One line on the likely cause of a known kind of failure, or ''."""
    text = f"{reason}\n{output}"
    if any(sign in text for sign in OFFLINE_SIGNS):
        return ("pip found no such package: builds here have no network, so pip installs only from the base "
                "image's offline wheelhouse, which holds just the workshop's pinned packages "
                f"({', '.join(workshop_pins())} and their dependencies).")
    if instruction.upper().startswith("FROM") and any(sign in text for sign in BASE_MISSING_SIGNS):
        base = (instruction.split()[1:] or ["?"])[0]
        return (f"the base image {base} is not on this machine and cannot be pulled here: the workshop provides "
                f"{PYTHON_BASE_IMAGE} (`make lab` prepares it), so start FROM that.")
    if "unknown instruction" in text or "dockerfile parse error" in text.lower():
        return "check the spelling of each Dockerfile instruction (FROM, WORKDIR, COPY, RUN, USER, EXPOSE, CMD …)."
    if "COPY failed" in text or ("no such file or directory" in text
                                 and instruction.upper().startswith(("COPY", "ADD"))):
        return "COPY paths are relative to the build folder: check that the source exists there."
    return ""


def workshop_pins() -> list[str]:
    """The pinned requirements of the sample services: what the offline wheelhouse is made from."""
    pins = set()
    for path in SAMPLE_SERVICES.glob("*/requirements.txt"):
        pins.update(line.split("#")[0].strip() for line in path.read_text().splitlines())
    return sorted(pin for pin in pins if pin)


@dataclass
class BuildResult:
    """A built image and how its build went."""

    image: docker.models.images.Image
    tag: str
    steps: int
    cached_steps: int
    seconds: float
    step_timings: list[StepTiming]

    @property
    def size_mb(self) -> float:
        return self.image.attrs["Size"] / 1e6

    def __repr__(self) -> str:
        return f"<BuildResult {self}>"

    def __str__(self) -> str:
        return (f"{self.tag} built in {self.seconds:.1f} s: {self.steps} steps, "
                f"{self.cached_steps} from the cache, {self.size_mb:.0f} MB")

    def timings_table(self) -> Table:
        rows = [{"step": f"{s.number}/{self.steps}", "instruction": _short(s.instruction, 60),
                 "cache": "used" if s.cached else "", "seconds": round(s.seconds, 2)} for s in self.step_timings]
        return Table(rows, title=str(self))


# --- displays ----------------------------------------------------------------------------------------------

class BuildDisplay:
    """What a build tells its display; this base class shows nothing."""

    def started(self, tag: str, path: Path) -> None: ...
    def step(self, step: StepTiming, total: int) -> None: ...
    def line(self, text: str) -> None: ...
    def finished(self, result: BuildResult | None, error: BuildFailed | None) -> None: ...


class TerminalDisplay(BuildDisplay):
    """Plain lines, as `docker build` prints them."""

    def __init__(self, print_output: bool = True):
        self.print_output = print_output

    def started(self, tag, path):
        print(f"→ building {tag} from {path}", flush=True)

    def step(self, step, total):
        print(f"Step {step.number}/{total} : {step.instruction}", flush=True)

    def line(self, text):
        if self.print_output and not STEP_LINE.match(text):
            print(f"  {text}", flush=True)

    def finished(self, result, error):
        print(f"✔ {result}" if result else "✘ build failed", flush=True)


class WidgetDisplay(BuildDisplay):
    """A progress bar of Dockerfile steps and a live tail of the build log."""

    LOG_LINES = 12
    REFRESH_S = 0.2

    def __init__(self):
        import ipywidgets as widgets
        from IPython.display import display

        self.title = widgets.HTML()
        self.bar = widgets.IntProgress(min=0, max=1, value=0, layout=widgets.Layout(width="40%"))
        self.step_label = widgets.HTML(layout=widgets.Layout(flex="1 1 auto"))
        self.log = widgets.HTML()
        self._lines: list[str] = []
        self._refreshed = 0.0
        display(widgets.VBox([self.title, widgets.HBox([self.bar, self.step_label]), self.log]))

    def started(self, tag, path):
        self.title.value = f"<b>building {_escape(tag)}</b>"

    def step(self, step, total):
        self.bar.max = total
        self.bar.value = step.number - 1
        self.step_label.value = f"&nbsp;Step {step.number}/{total}: <code>{_escape(_short(step.instruction))}</code>"
        heading = f"Step {step.number}/{total} : {_short(step.instruction, 100)}"
        self._lines = (self._lines + [heading])[-self.LOG_LINES:]
        self._refresh(force=True)

    def line(self, text):
        if text.strip() == "---> Using cache" and self._lines:
            self._lines[-1] += "   (from the cache)"
            self._refresh()
        elif not STEP_LINE.match(text) and not _is_engine_chatter(text):
            self._lines = (self._lines + [f"    {text}"])[-self.LOG_LINES:]
            self._refresh()

    def finished(self, result, error):
        self._refresh(force=True)
        if result:
            self.bar.value = self.bar.max = max(result.steps, 1)
            self.bar.bar_style = "success"
            self.step_label.value = (f"&nbsp;✔ {result.steps} steps, {result.cached_steps} from the cache, "
                                     f"{result.seconds:.1f} s")
            # Also as plain text, for viewers that do not render widgets.
            print(f"✔ {result}")
        else:
            self.bar.bar_style = "danger"
            self.step_label.value = f"&nbsp;✘ failed at step {error.step or '?'}"

    def _refresh(self, force: bool = False):
        now = time.monotonic()
        if force or now - self._refreshed >= self.REFRESH_S:
            self._refreshed = now
            body = _escape("\n".join(self._lines))
            self.log.value = (f"<pre style='font-size:85%;line-height:1.25;max-height:15em;overflow:auto;"
                              f"margin:2px 0'>{body}</pre>")


def _escape(text: str) -> str:
    import html

    return html.escape(text)


def in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def default_display() -> BuildDisplay:
    return WidgetDisplay() if in_notebook() else TerminalDisplay()


# --- building ----------------------------------------------------------------------------------------------

def build_image(path, tag: str, *, dockerfile: str | None = None, nocache: bool = False,
                buildargs: dict | None = None, labels: dict | None = None, platform: str | None = None,
                display: BuildDisplay | None = None, client: docker.DockerClient | None = None) -> BuildResult:
    """Build the image in folder `path` as `tag`, showing progress; return it with its build facts.

    `nocache=True` builds every step afresh (a cold build); `platform` (e.g. "linux/amd64") is the CPU the image is
    for. Raises BuildFailed with the failing step.
    """
    client = client or get_client()
    path = Path(path)
    if not (path / (dockerfile or "Dockerfile")).is_file():
        raise BuildFailed(f"building {tag}: there is no {dockerfile or 'Dockerfile'} in {path}")
    display = display if display is not None else default_display()
    state = BuildState(labelled=True)
    display.started(tag, path)
    started = time.monotonic()
    try:
        stream = client.api.build(path=str(path), tag=tag, dockerfile=dockerfile, nocache=nocache, rm=True,
                                  forcerm=True, pull=False, decode=True, buildargs=buildargs, platform=platform,
                                  labels={WORKSHOP_LABEL: "true", **(labels or {})})
        for chunk in stream:
            _show(display, state, state.feed(chunk))
        _show(display, state, state.finish())
    except docker.errors.APIError as error:
        # The engine refuses some builds before streaming, e.g. a Dockerfile it cannot parse.
        state.error = str(error.explanation or error)
    seconds = time.monotonic() - started
    if state.error or not state.image_id:
        failure = state.failure(tag)
        display.finished(None, failure)
        raise failure
    result = BuildResult(image=client.images.get(state.image_id), tag=tag, steps=state.total,
                         cached_steps=state.cached_steps, seconds=seconds, step_timings=list(state.steps))
    display.finished(result, None)
    return result


def _show(display: BuildDisplay, state: BuildState, events) -> None:
    for kind, value in events:
        if kind == "step":
            display.step(value, state.total)
        else:
            display.line(value)


# --- looking at images -------------------------------------------------------------------------------------

def describe_layer(created_by: str) -> str:
    """A history entry's command as the Dockerfile line that made it."""
    text = " ".join((created_by or "").split())
    for prefix in ("|1 /bin/sh -c #(nop) ", "/bin/sh -c #(nop) ", "/bin/sh -c "):
        if text.startswith(prefix):
            text = text[len(prefix):] if "#(nop)" in prefix else "RUN " + text[len(prefix):]
            break
    if text.startswith("LABEL ") and f"{WORKSHOP_LABEL}=" in text:
        return text + "  (added by build_image)"
    return text or "(imported file system)"


def history_table(image, base: str | None = PYTHON_BASE_IMAGE, client: docker.DockerClient | None = None) -> Table:
    """`image.history()` as a table, newest layer first, marking the layers that come from `base`."""
    history = image.history()
    base_layers = 0
    if base:
        try:
            base_layers = len((client or get_client()).images.get(base).history())
        except docker.errors.ImageNotFound:
            base_layers = 0
    rows = []
    for index, entry in enumerate(history):
        from_base = index >= len(history) - base_layers
        rows.append({"layer (newest first)": _short(describe_layer(entry.get("CreatedBy", "")), 80),
                     "size": human_size(entry.get("Size", 0)),
                     "from": f"base ({base})" if from_base else "this Dockerfile"})
    return Table(rows, title=f"{(image.tags or [image.short_id])[0]}: {len(history)} layers")


def human_size(size: int) -> str:
    if size >= 1e6:
        return f"{size / 1e6:.1f} MB"
    if size >= 1e3:
        return f"{size / 1e3:.1f} kB"
    return f"{size} B"


def remove_image(tag: str, keep_cache: bool = False, client: docker.DockerClient | None = None) -> bool:
    """Remove an image the workshop built (only if it carries the workshop label); True if removed.

    `keep_cache=True` keeps its untagged parent layers, so the next build of the same Dockerfile is quick.
    """
    client = client or get_client()
    try:
        image = client.images.get(tag)
    except docker.errors.ImageNotFound:
        return False
    if (image.labels or {}).get(WORKSHOP_LABEL) != "true":
        return False
    try:
        client.images.remove(tag, force=True, noprune=keep_cache)
    except docker.errors.APIError:
        return False
    return True


def prune_replaced_images(client: docker.DockerClient | None = None) -> int:
    """Remove the workshop's images that lost their tag to a newer build of the same tag; returns how many.

    Images a container still uses are kept; so are tagged images, which are the next build's cache.
    """
    client = client or get_client()
    result = client.images.prune(filters={"dangling": True, "label": f"{WORKSHOP_LABEL}=true"})
    return len(result.get("ImagesDeleted") or [])
