"""Check oslo config files against a service's own option definitions.

Run with the python of a venv that holds one OpenStack service release
(tests/charts2/conftest.py builds them under .cache/oslo/). It loads every
option that the venv registers (entry points `oslo.config.opts`) and prints
one JSON list of problems: unknown sections or options, values of the wrong
type, duplicate sections or keys. It never changes the files.

    python oslo_check.py FILE...
"""
from __future__ import annotations

import json
import re
import sys
from importlib.metadata import entry_points

from keystoneauth1 import loading as ks_loading
from oslo_config import generator

_SECTION = re.compile(r"^\[(?P<name>[^\]]+)\]\s*$")
_OPTION = re.compile(r"^(?P<key>[^=\s][^=]*?)\s*=\s*(?P<value>.*)$")


def _options() -> dict[str, dict[str, object]]:
    """{group: {option name or deprecated name: Opt}} of every namespace."""
    names = sorted({e.name for e in entry_points(group="oslo.config.opts")})
    groups: dict[str, dict[str, object]] = {}
    for _namespace, listing in generator._list_opts(names):
        for group, opts in listing:
            name = getattr(group, "name", group) or "DEFAULT"
            table = groups.setdefault(name, {})
            for opt in opts:
                table.setdefault(opt.dest, opt)
                table.setdefault(opt.name.replace("-", "_"), opt)
    return groups


def _auth_options(auth_type: str) -> dict[str, object]:
    """The options of a keystoneauth plugin, loaded at run time by the group's auth_type."""
    table = {}
    opts = list(ks_loading.get_plugin_loader(auth_type).get_options())
    for opt in opts:
        table[opt.dest] = opt
    table["auth_type"] = table["auth_section"] = None
    return table


def _parse(path: str, problems: list[dict]) -> dict[str, dict[str, tuple[int, str]]]:
    sections: dict[str, dict[str, tuple[int, str]]] = {}
    current = None
    with open(path, encoding="utf-8") as handle:
        for number, raw in enumerate(handle, 1):
            line = raw.strip()
            if not line or line.startswith(("#", ";")):
                continue
            match = _SECTION.match(line)
            if match:
                name = match["name"]
                if name in sections:
                    problems.append({"file": path, "line": number,
                                     "problem": f"duplicate section [{name}]"})
                current = sections.setdefault(name, {})
                continue
            match = _OPTION.match(line)
            if match is None or current is None:
                problems.append({"file": path, "line": number,
                                 "problem": f"not an option line inside a section: {line!r}"})
                continue
            key = match["key"]
            if key in current:
                problems.append({"file": path, "line": number,
                                 "problem": f"duplicate key {key!r} in its section"})
            current[key] = (number, match["value"])
    return sections


def check(path: str, groups) -> list[dict]:
    problems: list[dict] = []
    for section, keys in _parse(path, problems).items():
        known = dict(groups.get(section, {}))
        if "auth_type" in keys:
            known.update(_auth_options(keys["auth_type"][1]))
        elif section == "keystone_authtoken":
            # auth_token loads its auth plugin's options at run time.
            known.update(_auth_options(keys.get("auth_type", (0, "password"))[1]))
        if section not in groups and "auth_type" not in keys:
            problems.append({"file": path, "problem": f"unknown section [{section}]"})
            continue
        for key, (number, value) in keys.items():
            if key not in known:
                problems.append({"file": path, "line": number,
                                 "problem": f"unknown option {key} in [{section}]"})
                continue
            opt = known[key]
            if opt is None:
                continue
            try:
                opt.type(value)
            except (ValueError, TypeError) as err:
                problems.append({"file": path, "line": number,
                                 "problem": f"[{section}] {key} = {value!r}: {err}"})
    return problems


def main(paths: list[str]) -> int:
    groups = _options()
    problems = [p for path in paths for p in check(path, groups)]
    print(json.dumps(problems))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
