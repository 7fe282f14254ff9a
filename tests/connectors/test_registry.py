"""The registry's two lookups agree, and the config lookup stays light.

``CONFIGS[type]`` is what config loading validates a source with; ``REGISTRY[type].Config`` is
what a connector is built from. They must be one class, and finding it must not import the
connector (its HTTP client, feedparser, PRAW, openpyxl): `listener status` loads the config.
"""

from __future__ import annotations

import json
import subprocess
import sys

from connectors.registry import CONFIGS, REGISTRY

CONNECTOR_LIBRARIES = (
    "httpx",
    "httpcore",
    "feedparser",
    "praw",
    "prawcore",
    "requests",
    "openpyxl",
)


def test_every_type_has_one_config_class() -> None:
    assert sorted(CONFIGS) == sorted(REGISTRY)
    for kind in REGISTRY:
        assert CONFIGS[kind] is REGISTRY[kind].Config, kind


def test_unknown_type_is_missing_from_both() -> None:
    assert CONFIGS.get("rss") is None
    assert REGISTRY.get("rss") is None


def test_config_classes_import_no_connector_library() -> None:
    script = (
        "import json, sys\n"
        "from connectors.registry import CONFIGS\n"
        "classes = [CONFIGS[kind] for kind in CONFIGS]\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    loaded = set(json.loads(done.stdout))
    libraries = {m.split(".")[0] for m in loaded} & set(CONNECTOR_LIBRARIES)
    connectors = {f"connectors.{kind}" for kind in REGISTRY} | {"connectors.http"}
    assert not libraries, libraries
    assert not connectors & loaded, connectors & loaded
