"""`catch_up("05")`: build the state that the modules before 05 would have left, so any module can start cold.

Each module's setup cell calls it; a learner who skipped a module, or an instructor starting mid-way, gets the
same starting point. It only adds what is missing, so running it again changes nothing.
"""
from workshop.deploy import SERVICES, build_and_push

# What each module needs from the ones before it.
NEEDS = {
    "03": (),
    "04": (),
    "05": ("images in ECR",),
}


def catch_up(module: str, session) -> list[str]:
    """Make sure what `module` starts from exists; returns what was done, one line each."""
    if module not in NEEDS:
        raise ValueError(f"no module {module!r}: choose one of {', '.join(NEEDS)}")
    done = []
    if "images in ECR" in NEEDS[module]:
        for service in SERVICES:
            result = build_and_push(session, service, quiet=True)
            done.append(f"{service}: " + (f"already in ECR ({result[:19]}…)" if isinstance(result, str)
                                          else f"built and pushed ({result.digest[:19]}…)"))
    for line in done:
        print(f"✔ {line}")
    return done
