"""Django's PostgreSQL backend; a pooled connection the server closed is never lent.

An idle connection that the server ended (a restart, a failover, `pg_terminate_backend`)
must be replaced when borrowed, not handed to a request to fail. Django's
`CONN_HEALTH_CHECKS` has the pool probe every loan with an empty query: a round trip
and 8 % of Daphne's CPU per API request (bench/README.md). But a connection the server
closed is readable (its last words, FATAL 57P01, and the end of the stream wait in the
socket) while a healthy idle one has nothing to say: so each loan is looked at first
(one `select` on the socket) and probed only when something is there.
"""

import select

from django.db.backends.postgresql import base
from psycopg_pool import ConnectionPool


def closed_by_server(conn) -> bool:
    """Whether a connection just taken from the pool is unfit to lend."""
    readable, _, _ = select.select([conn.fileno()], [], [], 0)
    if not readable:
        return False
    try:
        ConnectionPool.check_connection(conn)
    except Exception:  # psycopg marks it broken; the pool discards it when given back
        return True
    return False


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        if self.pool is None:
            return connection
        # Every idle connection may have died together (a restart): at most all of them
        # are given back before a fresh one is opened for this loan.
        for _ in range(self.pool.max_size):
            if not closed_by_server(connection):
                return connection
            self.pool.putconn(connection)
            connection = super().get_new_connection(conn_params)
        return connection
