"""Check oslo config files against a service's own option definitions.

Run with the python of the venv that holds the OpenStack releases
(tests/releases.py). It loads every option that DIST registers, with the
distributions its requirements reach (entry points `oslo.config.opts`), and
prints one JSON list of problems: unknown sections or options, values of the
wrong type, duplicate sections or keys. It never changes the files.

    python oslo_check.py DIST FILE...
    python oslo_check.py --namespaces DIST    (the entry point names, as JSON)
"""
from __future__ import annotations

import importlib
import json
import re
import sys
from importlib.metadata import distribution, distributions

from keystoneauth1 import loading as ks_loading
from oslo_config import generator
from oslo_privsep import priv_context
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

_SECTION = re.compile(r"^\[(?P<name>[^\]]+)\]\s*$")
_OPTION = re.compile(r"^(?P<key>[^=\s][^=]*?)\s*=\s*(?P<value>.*)$")


def _reached(dist: str) -> set[str]:
    """`dist` and every distribution its requirements reach, as an install of
    `dist` alone brings them: environment markers evaluated, extras only
    where a requirement asks for them."""
    reached: dict[str, set[str]] = {}
    todo = [(dist, frozenset())]
    while todo:
        name, extras = todo.pop()
        key = canonicalize_name(name)
        if key in reached and extras <= reached[key]:
            continue
        reached.setdefault(key, set()).update(extras)
        for line in distribution(name).requires or []:
            requirement = Requirement(line)
            marker = requirement.marker
            if marker is None or any(marker.evaluate({"extra": e}) for e in {"", *extras}):
                todo.append((requirement.name, frozenset(requirement.extras)))
    return set(reached)


def namespaces(dist: str) -> list[str]:
    """The oslo.config.opts entry points of `dist` and of what it reaches: the
    options a venv holding `dist` alone registers. A name that a distribution
    outside them registers too is an error: loaders are looked up by name."""
    reached = _reached(dist)
    inside, outside = set(), set()
    for found in distributions():
        names = {e.name for e in found.entry_points.select(group="oslo.config.opts")}
        if canonicalize_name(found.metadata["Name"]) in reached:
            inside |= names
        else:
            outside |= names
    if inside & outside:
        raise SystemExit(f"{dist}: oslo.config.opts entry points of the same name outside "
                         f"what it requires: {sorted(inside & outside)}")
    return sorted(inside)


def _options(dist: str) -> dict[str, dict[str, object]]:
    """{group: {option name or deprecated name: Opt}} of every namespace of `dist`."""
    names = namespaces(dist)
    groups: dict[str, dict[str, object]] = {}
    for _namespace, listing in generator._list_opts(names):
        for group, opts in listing:
            name = getattr(group, "name", group) or "DEFAULT"
            table = groups.setdefault(name, {})
            for opt in opts:
                table.setdefault(opt.dest, opt)
                table.setdefault(opt.name.replace("-", "_"), opt)
    for section in _privsep_sections(dist):
        table = groups.setdefault(section, {})
        for opt in priv_context.OPTS:
            table.setdefault(opt.dest, opt)
    return groups


def _privsep_sections(dist: str) -> list[str]:
    """The config sections of the service's own oslo.privsep contexts (its
    `<package>.privsep` module): each PrivContext registers its options (such
    as helper_command) in its cfg_section when it is made, so no
    oslo.config.opts entry point lists them."""
    try:
        module = importlib.import_module(f"{canonicalize_name(dist).replace('-', '_')}.privsep")
    except ImportError:
        return []
    return sorted({value.cfg_section for value in vars(module).values()
                   if isinstance(value, priv_context.PrivContext)})


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


def main(argv: list[str]) -> int:
    if argv[0] == "--namespaces":
        print(json.dumps(namespaces(argv[1])))
        return 0
    dist, *paths = argv
    groups = _options(dist)
    problems = [p for path in paths for p in check(path, groups)]
    print(json.dumps(problems))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
