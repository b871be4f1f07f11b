"""`python -m workshop <command>`: the workshop's command line."""
import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    commands = {"doctor": "workshop.doctor", "teardown": "workshop.teardown", "costs": "workshop.costs",
                "rehearse": "workshop.rehearsal"}
    if not argv or argv[0] not in commands:
        print(f"usage: python -m workshop {{{'|'.join(commands)}}}", file=sys.stderr)
        return 2
    import importlib

    return importlib.import_module(commands[argv[0]]).main(argv[1:])


if __name__ == "__main__":
    sys.exit(main())
