"""Module 09's exercise: the learner's own inventory, found by their exact prefix tag.

`check_my_resources(my_resources, session)` plants two log groups for the length of the check — one carrying the
learner's prefix tag, one a look-alike learner's (`<prefix>9`, whose names start like the learner's) — calls the
learner's function, and compares its answer with the Tagging API's own listing (the exact tag, every page).
"""
import uuid
from contextlib import contextmanager

from workshop.checks import ExerciseIncomplete, require_answer
from workshop.exercises import exercise_check
from workshop.finder import arn_name, tagged_arns
from workshop.session import PREFIX_TAG


def lookalike_prefix(prefix: str) -> str:
    """Another learner's prefix that starts like this one: a filter on how names start cannot tell them apart."""
    return f"{prefix}9"


@contextmanager
def probe_log_groups(session):
    """(the learner's probe, the look-alike's probe): two log groups that exist only while the check runs."""
    logs = session.client("logs")
    suffix = uuid.uuid4().hex[:8]
    other = lookalike_prefix(session.prefix)
    probes = {f"/workshop/{session.prefix}/inventory-probe-{suffix}": session.tag_map,
              f"/workshop/{other}/inventory-probe-{suffix}": {**session.tag_map, PREFIX_TAG: other}}
    created = []
    try:
        for name, tags in probes.items():
            logs.create_log_group(logGroupName=name, tags=tags)
            created.append(name)
        yield tuple(probes)
    finally:
        for name in created:
            try:
                logs.delete_log_group(logGroupName=name)
            except logs.exceptions.ResourceNotFoundException:
                pass


def inventory_problem(answer, expected: set[str], mine: str, theirs: str, prefix: str) -> str | None:
    """What is wrong with the learner's list of ARNs, given the Tagging API's own, or None."""
    if isinstance(answer, (str, bytes)) or not isinstance(answer, (list, tuple, set)):
        return f"my_resources(session) must return a list of ARNs; it returned {type(answer).__name__}"
    if any(not isinstance(item, str) or not item.startswith("arn:") for item in answer):
        shown = next(item for item in answer if not isinstance(item, str) or not item.startswith("arn:"))
        return f"my_resources(session) must return ARNs (each mapping's ResourceARN); it returned {shown!r}"
    found = set(answer)
    if any(arn_name(arn) == theirs for arn in found):
        return (f"your list includes {theirs}, which is tagged {PREFIX_TAG}={lookalike_prefix(prefix)}: another "
                f"learner's. Ask for your tag's exact value ({PREFIX_TAG} = {prefix!r}), not for names that start "
                f"like yours or for the workshop tag everyone carries")
    missing = expected - found
    if missing:
        example = mine if any(arn_name(arn) == mine for arn in missing) else arn_name(sorted(missing)[0])
        return (f"my_resources misses {len(missing)} of the {len(expected)} resources tagged {PREFIX_TAG}={prefix}, "
                f"e.g. {example}: ask the Tagging API for that tag (TagFilters) and read every page (get_paginator)")
    extra = found - expected
    if extra:
        return (f"my_resources lists {len(extra)} resources that do not carry {PREFIX_TAG}={prefix}, e.g. "
                f"{arn_name(sorted(extra)[0])}")
    return None


@exercise_check("09.1")
def check_my_resources(my_resources, session) -> None:
    require_answer("my_resources", my_resources)
    if not callable(my_resources):
        raise ExerciseIncomplete("`my_resources` must be a function: def my_resources(session): …, returning ARNs")
    with probe_log_groups(session) as (mine, theirs):
        try:
            answer = my_resources(session)
        except Exception as error:  # the learner's code: its error, in one line
            raise ExerciseIncomplete(f"my_resources(session) raised {type(error).__name__}: {error}") from None
        expected = set(tagged_arns(session))
    problem = inventory_problem(answer, expected, mine, theirs, session.prefix)
    if problem:
        raise ExerciseIncomplete(problem)
    print(f"✔ my_resources found all {len(expected)} resources tagged {PREFIX_TAG}={session.prefix} (with a probe log "
          f"group), and not the look-alike {lookalike_prefix(session.prefix)}'s")
