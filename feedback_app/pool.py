"""PostgreSQL connections pinged before use only when there is reason to doubt them.

SQLAlchemy's pool_pre_ping sends `SELECT 1` before every request that uses the database: one synchronous round
trip more on the survey submit, which is otherwise one. Here a connection taken from the pool is pinged only if it
sat idle for DATABASE_PING_AFTER_IDLE seconds (a firewall, pgbouncer or a restart may have dropped it meanwhile),
or if this engine saw the server drop a connection since it was last used (a restart under load: the first
request to meet a dead connection fails and SQLAlchemy invalidates the pool, the survey submit then sends its
statement again on a fresh one, and every connection in doubt is pinged before it is handed out). A failed ping
is a DisconnectionError: the pool replaces the connection and the request goes on.
"""
from __future__ import annotations

import time

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError


def ping_when_in_doubt(engine: Engine, idle_seconds: float) -> None:
    """Install the lazy ping on an engine (PostgreSQL; a local SQLite file needs none)."""
    doubt = {"since": 0.0}  # monotonic time of the last dropped connection this engine saw

    @event.listens_for(engine, "handle_error")
    def _dropped(context) -> None:
        if context.is_disconnect:
            doubt["since"] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def _returned(dbapi_connection, record) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _check(dbapi_connection, record, proxy) -> None:
        returned = record.info.pop("returned_at", None)
        if returned is None:  # a connection just made (or one whose last use failed before check-in)
            return
        if returned > doubt["since"] and time.monotonic() - returned < idle_seconds:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # the driver's own error for a dead connection
            raise DisconnectionError("connection dropped while idle") from error
        if alive is False:
            raise DisconnectionError("connection dropped while idle")
