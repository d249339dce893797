"""One line per config field: its dotted key, type, default and description (``fit --help-config``).

The descriptions are the comments written beside each field in the config dataclasses
(:mod:`landmarks.config`, :mod:`landmarks.colourisation.config`): a trailing comment on the field's
line, else the comment lines right above it. Reading them from the source keeps one place to
document a field; a test checks that every field of every config class has one.

NOTE: written by hand. jsonargparse and simple-parsing read field docs too, but only from docstring
sections or string literals after each field, and would replace the whole override syntax
(``dotted.key=value`` read as YAML) that every config command shares.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import io
import tokenize
import typing
from dataclasses import dataclass
from functools import cache
from typing import Any


@dataclass(frozen=True)
class FieldHelp:
    """One field of a config: ``key`` dotted from the root (``model.num_landmarks``)."""

    key: str
    type: str
    default: Any
    description: str


def describe_fields(cls: type, prefix: str = "") -> list[FieldHelp]:
    """Every leaf field of config dataclass ``cls`` (nested sections flattened), in declaration order."""
    comments = _field_comments(cls)
    hints = typing.get_type_hints(cls)
    defaults = cls()
    rows: list[FieldHelp] = []
    for f in dataclasses.fields(cls):
        value = getattr(defaults, f.name)
        if dataclasses.is_dataclass(value):
            # a section: its own fields; the section's default may differ from its class's defaults
            rows += [dataclasses.replace(row, default=_nested(value, row.key[len(prefix) + len(f.name) + 1:]))
                     for row in describe_fields(type(value), f"{prefix}{f.name}.")]
            continue
        rows.append(FieldHelp(f"{prefix}{f.name}", _type_name(hints[f.name]), _plain(value),
                              comments.get(f.name, "")))
    return rows


def format_field_help(rows: list[FieldHelp]) -> str:
    """The rows as aligned text: ``key  type  default  description``, one field a line."""
    cells = [(row.key, row.type, _yaml_value(row.default), row.description) for row in rows]
    widths = [max(len(cell[i]) for cell in cells) for i in range(3)]
    header = ("field", "type", "default", "description")
    lines = ["  ".join(text.ljust(widths[i]) if i < 3 else text for i, text in enumerate(cell)).rstrip()
             for cell in [header, *cells]]
    return "\n".join(lines)


def _nested(config: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        config = getattr(config, part)
    return _plain(config)


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _yaml_value(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _type_name(hint: Any) -> str:
    origin = typing.get_origin(hint)
    if origin is typing.Literal:
        return "|".join(str(arg) for arg in typing.get_args(hint))
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        return " or ".join(_type_name(arg) for arg in typing.get_args(hint)).replace("NoneType", "null")
    if origin is tuple:
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return f"list of {_type_name(args[0])}"
        return f"list of {len(args)} {_type_name(args[0])}"
    return getattr(hint, "__name__", str(hint))


@cache
def _field_comments(cls: type) -> dict[str, str]:
    """``{field name: description}`` from the comments beside ``cls``'s fields in its source."""
    source, first_line = inspect.getsourcelines(cls)
    text = "".join(source)
    comments = {}  # line number (1-based, in text) -> comment text
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type == tokenize.COMMENT:
            comments[token.start[0]] = token.string.lstrip("#").strip()
    lines = text.splitlines()
    body = ast.parse(text).body[0]  # the class statement
    result = {}
    for node in body.body:
        if not isinstance(node, ast.AnnAssign) or not isinstance(node.target, ast.Name):
            continue
        name, line = node.target.id, node.lineno
        if line in comments and not lines[line - 1].lstrip().startswith("#"):
            result[name] = comments[line]
            continue
        above = []
        while line - 1 - len(above) in comments and lines[line - 2 - len(above)].lstrip().startswith("#"):
            above.insert(0, comments[line - 1 - len(above)])
        if above:
            result[name] = " ".join(above)
    return result
