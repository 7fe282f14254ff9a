"""A webhook receiver in a process of its own, for the kill -9 test: prints its port, serves.

python -m tests.listener.webhooks.serve_receiver DATABASE_URL ROUTES_JSON
"""

from __future__ import annotations

import json
import sys
import threading

from listener import logging as listener_logging
from listener.privacy.keys import Pseudonymiser
from listener.store.db import Store
from listener.webhooks.config import WebhooksConfig
from listener.webhooks.receiver import Receiver
from listener.webhooks.server import WebhookServer


def main() -> None:
    listener_logging.configure("info", True)  # log lines go to stderr; stdout is the port
    url, routes = sys.argv[1], json.loads(sys.argv[2])
    store = Store(url)
    config = WebhooksConfig.model_validate({"routes": routes})
    receiver = Receiver(config, store, Pseudonymiser(b"receiver-test-author-key"))
    server = WebhookServer(receiver).start()
    print(server.port, flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
