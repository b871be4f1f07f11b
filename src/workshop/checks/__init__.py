"""Automatic checks after each exercise: each says in one line what is still wrong."""


class ExerciseIncomplete(Exception):
    """An exercise's answer is missing or wrong; the message says what to do next."""

    def _render_traceback_(self):
        # IPython shows this instead of a traceback: a learner needs the one line, not our call stack.
        return [f"\x1b[31m✘ {self}\x1b[0m"]


def unanswered(name: str) -> str:
    """The message a check gives while the learner's placeholder `name = ...` is still in place."""
    return (f"`{name}` is still `...`: replace it with your answer (hints above the cell), or skip the exercise: "
            f"run the reference answer under this check.")


def require_answer(name: str, value) -> None:
    if value is Ellipsis:
        raise ExerciseIncomplete(unanswered(name))
