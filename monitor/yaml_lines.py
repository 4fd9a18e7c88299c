"""YAML loading that remembers where every value came from, so config errors can
name the file and line (PyYAML's plain loaders forget positions)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

PathKey = tuple[str | int, ...]
# Aliases make YAML a graph: nested anchors ("billion laughs") expand to billions of
# values from a few lines. No honest config comes near this many.
MAX_VALUES = 100_000


@dataclass(frozen=True)
class Location:
    file: str
    line: int  # 1-based
    column: int  # 1-based

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class YamlSyntaxError(ValueError):
    def __init__(self, location: Location, message: str) -> None:
        super().__init__(f"{location}: {message}")
        self.location = location
        self.message = message


# The control characters people meet, by name (the rest by code point alone).
_CONTROL_NAMES = {0x00: "NUL", 0x07: "BEL", 0x08: "BS", 0x0B: "VT", 0x0C: "FF",
                  0x1B: "ESC", 0x7F: "DEL"}


def _position(text: str, index: int, filename: str) -> Location:
    line_start = text.rfind("\n", 0, index) + 1
    return Location(filename, text.count("\n", 0, index) + 1, index - line_start + 1)


def load_with_locations(text: str, filename: str) -> tuple[Any, dict[PathKey, Location]]:
    """Parse YAML; return the data and a map from each value's path to its location."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.reader.ReaderError as exc:
        # A character YAML refuses anywhere (NUL, BEL, ESC...), found before parsing:
        # its code point, never the character itself, goes to the terminal.
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        name = _CONTROL_NAMES.get(code)
        shown = f"U+{code:04X}" + (f" ({name})" if name else "")
        raise YamlSyntaxError(_position(text, exc.position, filename),
                              f"character {shown} is not allowed in a YAML file (of the "
                              "control characters, only tab and line breaks are)") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = Location(filename, mark.line + 1, mark.column + 1) if mark else Location(
            filename, 1, 1)
        raise YamlSyntaxError(loc, str(exc.problem or exc)) from exc
    locations: dict[PathKey, Location] = {}
    if root is None:
        return None, locations
    constructor = yaml.SafeLoader("")
    walked = 0

    def walk(node: yaml.Node, path: PathKey) -> Any:
        nonlocal walked
        walked += 1
        if walked > MAX_VALUES:
            raise YamlSyntaxError(
                Location(filename, node.start_mark.line + 1, node.start_mark.column + 1),
                f"more than {MAX_VALUES:,} values: aliases (&anchor / *alias) expand "
                "too far")
        locations[path] = Location(filename, node.start_mark.line + 1,
                                   node.start_mark.column + 1)
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    raise YamlSyntaxError(
                        Location(filename, key_node.start_mark.line + 1,
                                 key_node.start_mark.column + 1),
                        "a key must be a plain value, not a list or mapping")
                key = constructor.construct_object(key_node, deep=True)
                if key in out:
                    raise YamlSyntaxError(
                        Location(filename, key_node.start_mark.line + 1,
                                 key_node.start_mark.column + 1),
                        f"duplicate key {key!r}",
                    )
                out[key] = walk(value_node, (*path, key))
                # Errors about a key (unknown key) point at the key itself.
                locations[(*path, key, "<key>")] = Location(
                    filename, key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [walk(child, (*path, i)) for i, child in enumerate(node.value)]
        return constructor.construct_object(node, deep=True)

    return walk(root, ()), locations


def locate(locations: dict[PathKey, Location], path: PathKey, filename: str,
           *, key: bool = False) -> Location:
    """Closest known location for `path` (walks up to the parent when unknown)."""
    if key and (*path, "<key>") in locations:
        return locations[(*path, "<key>")]
    probe = tuple(path)
    while probe:
        if probe in locations:
            return locations[probe]
        probe = probe[:-1]
    return locations.get((), Location(filename, 1, 1))

