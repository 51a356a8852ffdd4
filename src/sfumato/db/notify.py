"""PostgreSQL LISTEN/NOTIFY: the queue tells every process at once when work arrives and when a job ends.

A NOTIFY sent inside a transaction is delivered when, and only if, it commits, so a listener never
hears of a job it cannot yet read. Each listening process holds one extra connection of its own
(psycopg, autocommit) in a thread; when PostgreSQL goes away it reconnects, and tells its owner
(`on_reconnect`) that signals may have been missed meanwhile. Nothing depends on a signal arriving:
workers and waiters also look at the database every SFUMATO_POLL_SECONDS. On SQLite there is one
process, which wakes its own threads directly, and `notify` does nothing.
"""

import logging
import threading
from collections.abc import Callable, Mapping

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sfumato.db.database import Database

log = logging.getLogger(__name__)

JOBS_QUEUED = "sfumato_jobs_queued"  # payload: empty; a job can be claimed
JOB_ENDED = "sfumato_job_ended"  # payload: the job's id; it succeeded, failed or was canceled or deleted


def notify(session: Session, channel: str, payload: str = "") -> None:
    """Signal `channel` when the session's transaction commits (PostgreSQL only)."""
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        session.execute(select(func.pg_notify(channel, payload)))


class Listener:
    """LISTENs to the channels of `handlers`, calling each with the payloads that arrive (own thread)."""

    def __init__(
        self,
        db: Database,
        handlers: Mapping[str, Callable[[str], None]],
        *,
        on_reconnect: Callable[[], None] = lambda: None,
        retry_seconds: float = 1.0,
    ) -> None:
        self.dsn = db.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self.handlers = dict(handlers)
        self.on_reconnect = on_reconnect
        self.retry_seconds = retry_seconds
        self.listening = threading.Event()  # set while the LISTENs stand
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="sfumato-listen", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        import psycopg
        from psycopg import sql

        connected_before = False
        lost_logged = False
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.dsn, autocommit=True, connect_timeout=5) as connection:
                    for channel in self.handlers:
                        connection.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
                    self.listening.set()
                    if connected_before:
                        log.warning("listening to PostgreSQL again")
                        self.on_reconnect()  # what was signalled while we were away is in the database
                    connected_before, lost_logged = True, False
                    while not self._stop.is_set():
                        for signal in connection.notifies(timeout=0.5):
                            self._dispatch(signal.channel, signal.payload)
            except psycopg.Error as error:
                self.listening.clear()
                if not lost_logged:
                    log.warning("PostgreSQL LISTEN lost (%s); polling until it is back", type(error).__name__)
                    lost_logged = True
                self._stop.wait(self.retry_seconds)

    def _dispatch(self, channel: str, payload: str) -> None:
        handler = self.handlers.get(channel)
        if handler is None:
            return
        try:
            handler(payload)
        except Exception:  # one handler's bug must not end the listening
            log.exception("handling %s failed", channel)
