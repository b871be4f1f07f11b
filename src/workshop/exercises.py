"""Exercises a learner can answer, get wrong or skip, and still reach the end of the module.

Three parts, all kept in the kernel (a restarted kernel starts again from nothing):

- `@exercise_check("04.1")` marks a check function: a pass closes the exercise; an `ExerciseIncomplete` keeps it
  open.
- The cell magic `%%reference 04.1` holds the reference answer under each check in the learner notebooks: it runs
  only while the exercise has not passed, and says so, so skipping is one cell and never undoes a learner's answer.
- A guard on every cell: a cell that uses a name an open exercise defines (or a name computed from one in a cell the
  guard stopped) runs as one line naming the exercise and the way forward, not as a traceback, a hang, or a result
  the learner did not produce.

The exercises (id, title, names, check function) come from the solution notebooks through
`python -m setup.generate_exercises`, which writes data/exercises.json.
"""
import ast
import functools
import json
from dataclasses import dataclass, field

from workshop.checks import ExerciseIncomplete
from workshop.paths import EXERCISES_FILE


@dataclass(frozen=True)
class Exercise:
    id: str
    title: str
    names: tuple[str, ...]   # what the learner's cell defines
    check: str               # the check function the check cell calls


@dataclass
class Progress:
    """Where each exercise stands in this kernel."""
    open: set[str] = field(default_factory=set)       # started (its cell or check ran) and not passed
    passed: set[str] = field(default_factory=set)     # the learner's answer passed its check
    skipped: set[str] = field(default_factory=set)    # the reference answer ran instead
    tainted: dict[str, set[str]] = field(default_factory=dict)  # names a stopped cell would have defined

    def closed(self, exercise_id: str) -> bool:
        return exercise_id in self.passed or exercise_id in self.skipped


PROGRESS = Progress()


@functools.cache
def catalogue() -> dict[str, Exercise]:
    entries = json.loads(EXERCISES_FILE.read_text(encoding="utf-8"))
    return {key: Exercise(key, value["title"], tuple(value["names"]), value["check"]) for key, value in entries.items()}


def exercise(exercise_id: str) -> Exercise:
    try:
        return catalogue()[exercise_id]
    except KeyError:
        raise ValueError(f"no exercise {exercise_id!r}: the exercises are {', '.join(catalogue())}") from None


# --- the checks -----------------------------------------------------------------------------------------------------

def exercise_check(exercise_id: str):
    """Decorate a check: its pass or its one-line failure updates the exercise's progress."""
    def decorate(check):
        @functools.wraps(check)
        def run(*args, **kwargs):
            try:
                result = check(*args, **kwargs)
            except ExerciseIncomplete:
                PROGRESS.passed.discard(exercise_id)
                if exercise_id not in PROGRESS.skipped:
                    PROGRESS.open.add(exercise_id)
                raise
            PROGRESS.passed.add(exercise_id)
            PROGRESS.open.discard(exercise_id)
            return result
        run.exercise_id = exercise_id
        return run
    return decorate


# --- the reference answer -------------------------------------------------------------------------------------------

def run_reference(exercise_id: str, source: str, shell) -> None:
    """The body of `%%reference`: apply the reference answer unless the learner's own answer passed."""
    known = exercise(exercise_id)
    if exercise_id in PROGRESS.passed:
        print(f"✔ Exercise {exercise_id} passed with your answer: the reference answer is not needed.")
        return
    tree = ast.parse(shell.transform_cell(source))
    waiting_on = blocking_exercise(tree)  # a reference answer builds on the exercises before it, as any cell does
    if waiting_on is not None:
        raise ExerciseIncomplete(waiting_message(waiting_on))
    code = compile(tree, f"<reference answer {exercise_id}>", "exec")
    exec(code, shell.user_ns)  # noqa: S102 - the learner's kernel runs the notebook's own reference cell
    PROGRESS.skipped.add(exercise_id)
    PROGRESS.open.discard(exercise_id)
    for names in PROGRESS.tainted.values():
        names.difference_update(known.names)
    print(f"↷ Exercise {exercise_id} skipped: the reference answer defined {', '.join(known.names)} "
          f"(expand this cell to read it). The cells below use its result, not yours.")


# --- the guard ------------------------------------------------------------------------------------------------------

def top_level_names(tree: ast.AST) -> set[str]:
    """Names a cell binds in the notebook's namespace (assignments, imports, defs, loop targets, …), not those of
    the functions, lambdas and comprehensions inside it."""
    names = set()

    def visit(node):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(child.name)  # its body is another scope
            elif isinstance(child, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
                continue  # another scope
            elif isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
                names.add(child.id)
            elif isinstance(child, ast.alias):
                names.add((child.asname or child.name).split(".")[0])
            else:
                visit(child)

    visit(tree)
    return names


def names_in(tree: ast.AST) -> tuple[set[str], set[str]]:
    """(names the cell reads anywhere, names it binds in the notebook's namespace)."""
    loaded = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}
    return loaded, top_level_names(tree)


def calls_in(tree: ast.AST) -> set[str]:
    return {node.func.id for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}


def blocking_exercise(tree: ast.Module) -> Exercise | None:
    """The open exercise this cell depends on, if any; a cell that defines an exercise's names starts it."""
    loaded, stored = names_in(tree)
    calls = calls_in(tree)
    for known in catalogue().values():
        if stored & set(known.names):  # the learner's own cell, run again: under way until its check passes
            PROGRESS.open.add(known.id)
            PROGRESS.passed.discard(known.id)
            PROGRESS.skipped.discard(known.id)
    for exercise_id in sorted(PROGRESS.open):
        known = exercise(exercise_id)
        if stored & set(known.names) or known.check in calls:
            continue
        if loaded & (set(known.names) | PROGRESS.tainted.get(exercise_id, set())):
            PROGRESS.tainted.setdefault(exercise_id, set()).update(stored)
            return known
    return None


def waiting_message(known: Exercise) -> str:
    return (f"This cell needs exercise {known.id} ({known.title}), which has not passed its check: finish it and "
            f"run its check, or run the reference answer under the check to skip it.")


class ExerciseGuard(ast.NodeTransformer):
    """IPython AST transformer: a cell that depends on an open exercise becomes one line saying so."""

    def visit_Module(self, tree: ast.Module) -> ast.Module:
        known = blocking_exercise(tree)
        if known is None:
            return tree
        stop = ast.parse(f"from workshop.checks import ExerciseIncomplete as _Incomplete\n"
                         f"raise _Incomplete({waiting_message(known)!r})")
        return ast.fix_missing_locations(stop)


def register(shell) -> None:
    """Install the guard and the `%%reference` magic in an IPython shell (once)."""
    if not any(isinstance(transformer, ExerciseGuard) for transformer in shell.ast_transformers):
        shell.ast_transformers.append(ExerciseGuard())

    def reference(line: str, cell: str) -> None:
        run_reference(line.strip(), cell, shell)

    shell.register_magic_function(reference, magic_kind="cell", magic_name="reference")


def load_ipython_extension(shell) -> None:
    register(shell)
