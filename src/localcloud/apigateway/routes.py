"""Which route (HTTP API) or resource (REST API) a request path selects, and the path parameters it binds.

Both kinds of API match the same way: `{name}` takes one path segment, a final `{name+}` takes one or more, and of
several matches the most specific one wins (a literal segment beats a variable, a variable beats a greedy one; a
route for the request's own method beats `ANY`).
"""
import dataclasses
from urllib.parse import unquote

LITERAL, VARIABLE, GREEDY = 2, 1, 0


@dataclasses.dataclass(frozen=True)
class Match:
    template: str  # the route's or resource's path, e.g. /orders/{id}
    parameters: dict[str, str]
    rank: tuple


def split_path(path: str) -> list[str]:
    return [segment for segment in path.split("/") if segment != ""] if path not in ("", "/") else []


def match_path(template: str, path: str) -> Match | None:
    """How `path` (raw, as sent) matches `template`, or None."""
    wanted, given = split_path(template), split_path(path)
    parameters, rank = {}, []
    for index, segment in enumerate(wanted):
        if segment.startswith("{") and segment.endswith("+}"):
            if index != len(wanted) - 1 or len(given) <= index:
                return None
            parameters[segment[1:-2]] = unquote("/".join(given[index:]))
            rank.append(GREEDY)
            return Match(template, parameters, tuple(rank))
        if index >= len(given):
            return None
        if segment.startswith("{") and segment.endswith("}"):
            parameters[segment[1:-1]] = unquote(given[index])
            rank.append(VARIABLE)
        elif segment != given[index] and segment != unquote(given[index]):
            return None
        else:
            rank.append(LITERAL)
    if len(given) != len(wanted):
        return None
    return Match(template, parameters, tuple(rank))


def best_match(candidates, method: str, path: str):
    """The (candidate, Match) most specific for `method` and `path` among (candidate, method, template) triples."""
    best = None
    for candidate, candidate_method, template in candidates:
        if candidate_method not in (method, "ANY"):
            continue
        found = match_path(template, path)
        if found is None:
            continue
        # Segment by segment, literal over variable over greedy; then the request's own method over ANY.
        rank = (found.rank, candidate_method != "ANY")
        if best is None or rank > best[0]:
            best = (rank, candidate, found)
    return (best[1], best[2]) if best else None
