"""Run as a program: start a local cloud in a fresh process and print, as JSON, every attribute of moto's modules and
classes that differs from before it started, and the replacements the cloud recorded."""
import inspect
import json
import sys


def snapshot() -> dict[str, object]:
    values = {}
    for module_name, module in list(sys.modules.items()):
        if not module_name.startswith("moto") or module is None:
            continue
        for name, value in list(vars(module).items()):
            values[f"{module_name}.{name}"] = value
            if inspect.isclass(value) and value.__module__ == module_name:
                for attribute, member in list(vars(value).items()):
                    values[f"{module_name}.{value.__qualname__}.{attribute}"] = member
    return values


def main() -> None:
    import localcloud
    from localcloud.cloud import DATA_PLANES
    from localcloud.config import Config
    from localcloud.moto_patching import REPLACEMENTS
    for spec in DATA_PLANES:
        spec.make()  # import every plane's moto modules first: only changes count, not imports
    import localcloud.control_plane  # noqa: F401
    before = snapshot()
    with localcloud.running(Config(port=0, instance=sys.argv[1])):
        after = snapshot()
    changed = sorted(key for key, value in after.items() if key in before and before[key] is not value)
    # new attributes of modules and classes that were there before (not modules merely imported since)
    added = sorted(key for key in after if key not in before and key.rsplit(".", 1)[0] in before)
    print(json.dumps({"changed": changed, "added": added,
                      "recorded": [{"where": r.where, "why": r.why} for r in REPLACEMENTS]}))


if __name__ == "__main__":
    main()
