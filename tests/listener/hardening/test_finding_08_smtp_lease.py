"""Issue 11, finding 8 (fixed on main by listener/delivery/): a crash during SMTP meant the digest
was never sent; the next run said the week "is claimed by another run".

Here as the probe did it, with real processes: an SMTP server that never answers, kill -9 while
the run waits for it, then a working server: once the claim's lease has run out, the next run
sends the digest, once, with the Message-ID fixed at the first attempt.
"""

from __future__ import annotations

import signal
import socket
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from tests.listener.alerts.servers import Inbox
from tests.listener.hardening.helpers import listener_command, rss, run_cli, write_config

AS_OF = "2026-11-23T12:00"
LEASE_SECONDS = 2


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_a_run_killed_while_smtp_hangs_does_not_block_the_digest(tmp_path: Path) -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    port = silent.getsockname()[1]
    feed = tmp_path / "feed.xml"
    feed.write_bytes(rss([("p-1", "Late", "Chasing late payments eats my Friday.")]))
    source = {"name": "forum", "type": "feed", "every": "1h", "urls": [str(feed)]}
    smtp = {"host": "127.0.0.1", "port": port, "starttls": False, "from": "l@example.com"}
    config = write_config(
        tmp_path, [source], smtp={**smtp, "timeout": 60}, delivery={"lease": f"{LEASE_SECONDS}s"}
    )
    first = subprocess.Popen(
        listener_command(
            "--log-level", "warning", "run", "--once", "--as-of", AS_OF, "-c", str(config)
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    silent.settimeout(180)
    connection, _ = silent.accept()  # the run is waiting for the server's greeting now
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    connection.close()
    silent.close()
    with sqlite3.connect(tmp_path / "listener.db") as db:
        status, message_id = db.execute(
            "SELECT status, message_id FROM deliveries WHERE channel = 'digest'"
        ).fetchone()
    assert status == "sending" and message_id

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        time.sleep(LEASE_SECONDS + 1)  # the killed run's lease runs out
        second = run_cli("run", "--once", "--as-of", AS_OF, "-c", str(config))
        third = run_cli("run", "--once", "--as-of", AS_OF, "-c", str(config))
    finally:
        controller.stop()
    assert second.returncode == 0, second.stderr[-2000:]
    assert "digest 2026-W47 sent" in second.stdout, second.stdout
    assert "already sent" in third.stdout, third.stdout
    (message,) = inbox.parsed()
    assert message["Message-ID"] == message_id
