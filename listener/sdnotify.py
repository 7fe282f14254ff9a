"""systemd's notify protocol (sd_notify(3)) in a few lines, so Type=notify needs no dependency.

A message is one datagram of ``KEY=VALUE`` lines sent to the socket named by ``$NOTIFY_SOCKET``
(a path, or ``@name`` for Linux's abstract namespace). Outside systemd the variable is unset and
every call is a no-op, so the daemon behaves the same under a terminal, Docker or a test.
"""

from __future__ import annotations

import os
import socket

from listener.logging import get_logger

log = get_logger("listener.sdnotify")


class Notifier:
    """Sends state changes to systemd; silent when not run under a notify-type unit."""

    def __init__(self, environ: dict[str, str] | None = None) -> None:
        env = dict(os.environ) if environ is None else environ
        self.address = _address(env.get("NOTIFY_SOCKET", ""))
        self.watchdog_seconds = _watchdog_seconds(env)
        self._warned = False
        self._ready = False

    @property
    def enabled(self) -> bool:
        return self.address is not None

    def ready(self, status: str | None = None) -> None:
        """READY=1: migrations done, jobs scheduled; systemd now counts the unit as started."""
        self.send("READY=1" + (f"\nSTATUS={status}" if status else ""))
        self._ready = True

    def watchdog(self) -> None:
        """WATCHDOG=1: the scheduler still runs jobs (sent by a job, see daemon.Daemon). Not
        before READY=1: until then systemd's start timeout, not the watchdog, is the guard."""
        if self._ready:
            self.send("WATCHDOG=1")

    def stopping(self) -> None:
        self.send("STOPPING=1")

    def send(self, message: str) -> bool:
        """One datagram; a failure is logged once and never stops the daemon."""
        if self.address is None:
            return False
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.connect(self.address)
                sock.sendall(message.encode())
            return True
        except OSError as exc:
            if not self._warned:
                log.warning("cannot notify systemd", error=exc.strerror or str(exc))
                self._warned = True
            return False


def _address(value: str) -> str | None:
    """``@name`` is an abstract socket (a leading NUL byte); anything else is a path."""
    if not value:
        return None
    if value.startswith("@"):
        return "\0" + value[1:]
    return value


def _watchdog_seconds(env: dict[str, str]) -> float | None:
    """The watchdog period systemd expects, if it is meant for this process (WATCHDOG_PID)."""
    usec = env.get("WATCHDOG_USEC", "")
    pid = env.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) == 0:
        return None
    if pid and (not pid.isdigit() or int(pid) != os.getpid()):
        return None
    return int(usec) / 1_000_000
