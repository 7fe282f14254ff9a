"""This process's identity as a lease holder: one id for source leases and delivery claims."""

from __future__ import annotations

import os
import socket
import uuid

HOSTNAME = socket.gethostname()
INSTANCE_ID = f"{HOSTNAME}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
"""hostname:pid:random. The random part tells a restarted process (same pid in a container)
from its dead predecessor, whose leases must expire rather than be inherited."""
