"""The JDBC side of a Spark read: URL, driver, connection properties and each session's first statement.

Every task opens its own connection (Spark's JDBC reader), so what the Python job's sources set on
their connections is set here on each task's, before its query:

- PostgreSQL (pgjdbc): a `REPEATABLE READ, READ ONLY` transaction that imports the snapshot the
  driver's source exported (`SET TRANSACTION SNAPSHOT`), so every task reads the same instant the
  driver read the window's high mark in, as the Python job's parts do; the session settings the
  COPY path relies on (UTC, ISO dates, the shortest exact float text, bytea as hex). Spark turns
  autocommit off before this statement when a fetch size is set, which pgjdbc also needs to stream.
- MySQL/MariaDB (MariaDB Connector/J, through the `jdbc:mysql:` scheme so that Spark uses its
  MySQL dialect): UTC, long network timeouts, `REPEATABLE READ` and read-only transactions. A
  task's query is one statement, so one consistent snapshot; tasks do not share one (MySQL cannot).

The connection URL's options (glue/README.md, `--connection`) are translated to the JDBC drivers'
names where the drivers have them; one without an equivalent is refused by name, never dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import quote

from ..connection import ConnectionSettings
from ..errors import JobArgumentError

POSTGRES_DRIVER = "org.postgresql.Driver"
MYSQL_DRIVER = "org.mariadb.jdbc.Driver"

# libpq's parameter → pgjdbc's property, and how a value reads there.
# https://jdbc.postgresql.org/documentation/use/#connection-parameters
TARGET_SESSION_ATTRS = {
    "any": "any", "read-write": "primary", "primary": "primary",
    "read-only": "secondary", "standby": "secondary", "prefer-standby": "preferSecondary",
}
POSTGRES_PROPERTIES: dict[str, tuple[str, Callable[[str], str]]] = {
    "sslmode": ("sslmode", lambda v: v),
    "sslrootcert": ("sslrootcert", lambda v: v),
    "sslcert": ("sslcert", lambda v: v),
    "sslkey": ("sslkey", lambda v: v),  # pgjdbc reads a PKCS-8 (DER) or PKCS-12 key, not PEM
    "gssencmode": ("gssEncMode", lambda v: v),
    "keepalives": ("tcpKeepAlive", lambda v: "true" if v != "0" else "false"),
    "target_session_attrs": ("targetServerType", lambda v: TARGET_SESSION_ATTRS.get(v, v)),
    "load_balance_hosts": ("loadBalanceHosts", lambda v: "true" if v == "random" else "false"),
}


@dataclass(frozen=True)
class JdbcSource:
    """How Spark reaches the source: URL, driver class, properties (the password among them, never in the URL)."""

    engine: str
    url: str
    driver: str
    properties: dict[str, str] = field(repr=False)

    def options(self, session_init: str, fetch_rows: int) -> dict[str, str]:
        """The options of one `spark.read.format("jdbc")`, for a query still to be named (`dbtable`)."""
        return {
            "url": self.url,
            "driver": self.driver,
            **self.properties,
            "sessionInitStatement": session_init,
            "fetchsize": str(fetch_rows),
            "pushDownPredicate": "false",
        }


def jdbc_source(settings: ConnectionSettings, tls: bool | None = None) -> JdbcSource:
    """`tls`: whether the driver's own connection to a MySQL source negotiated TLS (the Python job's
    connector prefers it unless told otherwise); the tasks then do the same."""
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    base = {"user": settings.user, "password": settings.password}
    if settings.engine == "postgres":
        properties = {**base, "ApplicationName": "floe-extract-spark", "connectTimeout": "15"}
        for name, value in settings.options.items():
            if name not in POSTGRES_PROPERTIES:
                raise JobArgumentError(_unsupported(name, "PostgreSQL", POSTGRES_PROPERTIES))
            target, convert = POSTGRES_PROPERTIES[name]
            properties[target] = convert(str(value))
        url = f"jdbc:postgresql://{host}:{settings.port}/{quote(settings.dbname, safe='')}"
        return JdbcSource("postgres", url, POSTGRES_DRIVER, properties)
    properties = {**base, "connectTimeout": "15000", "allowMultiQueries": "true"}
    options = dict(settings.options)
    for name in ("ssl_cert", "ssl_key"):
        if name in options:
            raise JobArgumentError(
                f"--connection option {name!r} is not supported by the Spark engine's MariaDB JDBC driver "
                "(it takes client certificates from a Java key store): use the Python engine for this source"
            )
    use_tls = not options.pop("ssl_disabled", False) and (tls if tls is not None else True)
    properties["useSsl"] = "true" if use_tls else "false"
    if "ssl_ca" in options:
        properties["serverSslCert"] = str(options.pop("ssl_ca"))
    # mysql-connector checks neither the certificate nor the host unless asked; neither does this.
    properties["trustServerCertificate"] = "false" if options.pop("ssl_verify_cert", False) else "true"
    properties["disableSslHostnameVerification"] = "false" if options.pop("ssl_verify_identity", False) else "true"
    if options:
        raise JobArgumentError(_unsupported(next(iter(options)), "MySQL", {}))
    url = f"jdbc:mysql://{host}:{settings.port}/{quote(settings.dbname, safe='')}"
    return JdbcSource("mysql", url, MYSQL_DRIVER, properties)


def postgres_session_init(snapshot: str | None) -> str:
    """The first statement of each task's transaction on PostgreSQL."""
    statements = ["SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"]
    if snapshot is not None:
        if not all(c.isalnum() or c == "-" for c in snapshot):
            raise ValueError(f"unexpected snapshot id {snapshot!r}")
        statements.append(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
    statements += [
        "SET LOCAL TimeZone = 'UTC'",
        "SET LOCAL DateStyle = 'ISO'",
        "SET LOCAL extra_float_digits = 3",
        "SET LOCAL bytea_output = 'hex'",
    ]
    return "; ".join(statements)


MYSQL_SESSION_INIT = "; ".join(
    (
        "SET time_zone = '+00:00'",
        "SET SESSION net_write_timeout = 3600",
        "SET SESSION net_read_timeout = 3600",
        "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY",
    )
)


def _unsupported(name: str, label: str, known: Mapping[str, object]) -> str:
    supported = ", ".join(known) or "ssl_ca, ssl_disabled, ssl_verify_cert, ssl_verify_identity"
    return (
        f"--connection option {name[:40]!r} has no equivalent in the Spark engine's {label} JDBC driver "
        f"(supported there: {supported}); use the Python engine for this source, or drop the option"
    )
