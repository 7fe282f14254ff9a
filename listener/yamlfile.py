"""Reading the YAML files people write (the config, the personas) without trusting them.

``yaml.safe_load`` is safe from code execution, not from size: 700 bytes of nested aliases (a
"billion laughs") expand to a billion nodes in whatever walks the result, a self-referencing
anchor makes a structure that contains itself, and deep nesting exhausts the parser's recursion.
Here the node graph is measured before anything is built: aliases may add at most
``MAX_ALIAS_NODES`` nodes, nothing may contain itself, nesting stops at ``MAX_DEPTH``, and a key
given twice in one mapping is an error instead of silently keeping the last.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

from listener.errors import ConfigError

MAX_ALIAS_NODES = 10_000
"""Nodes that aliases may add beyond the document's own (a real config adds a few dozen)."""
MAX_DEPTH = 50
_MERGE = "tag:yaml.org,2002:merge"
_YAML_HINT = (
    "look at the line and column named above: usually indentation, a missing ':' or a value "
    "with ': ' or '#' that needs quotes"
)


class _Refused(Exception):
    """A document that is valid YAML but will not be built (see the module docstring)."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.hint = hint


if TYPE_CHECKING:
    _Base = yaml.SafeLoader
else:  # libyaml's parser, six times faster, where PyYAML was built with it
    _Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_Base):
    """SafeLoader (libyaml's parser where PyYAML has it) that refuses a key given twice in one
    mapping."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, Node] = {}
        for key_node, _value in node.value:
            if key_node.tag == _MERGE:
                continue  # `<<: *defaults` then overriding a key is what merges are for
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.setdefault(key, key_node)
            except TypeError:
                continue  # an unhashable key: SafeConstructor reports it
            if first is not key_node:
                raise _Refused(
                    f"line {key_node.start_mark.line + 1}: the key {str(key)[:80]!r} is given "
                    f"twice in one mapping (first on line {first.start_mark.line + 1})",
                    "remove one of them: YAML would silently keep only the last",
                )
        return super().construct_mapping(node, deep=deep)


def _measure(root: Node) -> None:
    """Refuse cycles, nesting beyond MAX_DEPTH and alias expansion beyond MAX_ALIAS_NODES.

    One iterative pass over the node graph (aliases are shared nodes): each node's expanded size
    and height are computed once, so measuring a bomb costs as little as reading it.
    """
    size: dict[int, int] = {}
    height: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        children = _children(node)
        if children_done:
            on_path.discard(key)
            size[key] = 1 + sum(size[id(c)] for c in children)
            height[key] = 1 + max((height[id(c)] for c in children), default=0)
            if height[key] > MAX_DEPTH:
                raise _Refused(
                    f"line {node.start_mark.line + 1}: nested deeper than {MAX_DEPTH} levels",
                    "a config or personas file is a few levels deep; flatten this value",
                )
            continue
        if key in size:
            continue
        on_path.add(key)
        stack.append((node, True))
        for child in children:
            if id(child) in on_path:
                raise _Refused(
                    f"line {child.start_mark.line + 1}: an alias refers to the value that "
                    "contains it (a structure that contains itself)",
                    "replace the alias (*name) with the value it should stand for",
                )
            if id(child) not in size:
                stack.append((child, False))
    extra = size[id(root)] - len(size)
    if extra > MAX_ALIAS_NODES:
        raise _Refused(
            f"aliases expand to {extra:,} more values than the file holds "
            f"(at most {MAX_ALIAS_NODES:,} are accepted)",
            "use fewer or smaller aliases (*name); a file that expands like this is an attack "
            "(a 'billion laughs' alias bomb), not a config",
        )


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def load_yaml(path: Path) -> Any:
    """The document in ``path``; raises ConfigError naming the file and what is wrong."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(
            [f"{path}: cannot be read ({exc.strerror or exc})"],
            hint="check the path and the file's permissions",
        ) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(
            [f"{path}: line {line}: not UTF-8 text (byte 0x{raw[exc.start]:02x})"],
            hint="save the file as UTF-8 (editors call it 'UTF-8' or 'Unicode')",
        ) from None
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _measure(node)
        return loader.construct_document(node)
    except _Refused as exc:
        raise ConfigError([f"{path}: {exc}"], hint=exc.hint) from None
    except RecursionError:
        raise _too_deep(path) from None
    except yaml.YAMLError as exc:
        if "nesting depth" in str(getattr(exc, "problem", "")):  # libyaml's own limit
            raise _too_deep(path) from None
        raise ConfigError([f"{path}: not valid YAML: {exc}"], hint=_YAML_HINT) from None
    finally:
        loader.dispose()


def _too_deep(path: Path) -> ConfigError:
    return ConfigError(
        [f"{path}: nested too deeply to read"],
        hint="a config or personas file is a few levels deep; look for runaway brackets",
    )
