"""`python -m listener.health.probe [readyz]`: exit 0 when the daemon's endpoint answers 200.

For container HEALTHCHECKs: the slim image has no curl, and this imports nothing heavy (the
standard library only), so a probe costs a few milliseconds, not a spaCy import.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request


def probe(url: str, timeout: float = 4.0) -> int:
    """0 if ``url`` answers 200, else 1 (and one line saying why on stderr)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return 0 if response.status == 200 else 1
    except urllib.error.HTTPError as exc:
        print(f"probe: {url} answered {exc.code}", file=sys.stderr)
    except (OSError, ValueError) as exc:
        print(f"probe: {url}: {exc}", file=sys.stderr)
    return 1


def main(argv: list[str]) -> int:
    path = argv[0] if argv else "healthz"
    port = os.environ.get("LISTENER_HEALTH_PORT", "8787")
    base = os.environ.get("LISTENER_HEALTH_URL", f"http://127.0.0.1:{port}")
    return probe(f"{base.rstrip('/')}/{path.lstrip('/')}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
