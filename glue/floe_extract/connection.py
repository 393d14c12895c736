"""Source connection settings: from a URL or from a Secrets Manager secret.

The password is kept out of every string this module hands back except the
driver arguments; `Redactor` scrubs it from any text that might still carry it
(a driver's error message, say) before that text is logged or raised.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from .errors import JobArgumentError, SourceRefusedError, SourceUnavailableError

SECRET_PREFIX = "secretsmanager:"
ENV_PREFIX = "env:"
DEFAULT_PORTS = {"postgres": 5432, "mysql": 3306}

# The query parameters a connection URL may carry, per engine: an allow-list, so nothing else ever
# reaches the driver. psycopg.connect takes keywords of its own beside libpq's (autocommit,
# row_factory, prepare_threshold, cursor_factory, context, conninfo); `?autocommit=1` once switched
# the read-only guard off, because without a transaction there is no `BEGIN READ ONLY`. None of
# them is a libpq key word, and only libpq key words are listed here.
# PostgreSQL: libpq's key words, https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-PARAMKEYWORDS
# (section "Parameter Key Words"): TLS, GSSAPI encryption, authentication hardening, TCP
# keepalives and timeouts, and host selection. Left out on purpose: what floe sets itself (below),
# `options` and `client_encoding` (session settings floe's reads depend on), `replication`,
# `service`/`passfile`/`sslkeylogfile` (files the job would read or write), secrets beside the
# password (`sslpassword`, `scram_*`, `oauth_*`), and `gssdelegation` (hands credentials to the server).
# config/connection-parameters.ts holds the same lists for `floe run`/`floe push`; a test compares them.
POSTGRES_PARAMETERS = (
    "sslmode", "sslnegotiation", "sslcompression", "sslcert", "sslkey", "sslcertmode", "sslrootcert", "sslcrl",
    "sslcrldir", "sslsni", "ssl_min_protocol_version", "ssl_max_protocol_version",
    "gssencmode", "channel_binding", "require_auth",
    "keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count", "tcp_user_timeout",
    "target_session_attrs", "load_balance_hosts",
)
# Settings floe makes itself (who, where, session time zone and formats, timeouts): a URL may not override them.
POSTGRES_SET_BY_FLOE = ("host", "hostaddr", "port", "user", "password", "dbname", "application_name",
                        "fallback_application_name", "connect_timeout", "options")
# MySQL Connector/Python's TLS arguments,
# https://dev.mysql.com/doc/connector-python/en/connector-python-connectargs.html
MYSQL_TEXT_PARAMETERS = ("ssl_ca", "ssl_cert", "ssl_key")
MYSQL_FLAG_PARAMETERS = ("ssl_disabled", "ssl_verify_cert", "ssl_verify_identity")
MYSQL_SET_BY_FLOE = ("host", "port", "user", "password", "database", "charset", "use_pure",
                     "connection_timeout", "autocommit", "client_flags")
ALLOWED_PARAMETERS = {
    "postgres": POSTGRES_PARAMETERS,
    "mysql": MYSQL_TEXT_PARAMETERS + MYSQL_FLAG_PARAMETERS,
}
SET_BY_FLOE = {"postgres": POSTGRES_SET_BY_FLOE, "mysql": MYSQL_SET_BY_FLOE}
FLAGS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
SCHEMES = {
    "postgres": "postgres",
    "postgresql": "postgres",
    "mysql": "mysql",
    "mariadb": "mysql",
}


@dataclass(frozen=True)
class ConnectionSettings:
    engine: str
    host: str
    port: int
    user: str
    password: str = field(repr=False)
    dbname: str
    options: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        """A printable name for the source: never the password."""
        return f"{self.engine}://{self.user}@{self.host}:{self.port}/{self.dbname}"


class Redactor:
    """Replaces known secrets in text with `***`.

    Each secret is also known in the spellings text may carry it in: JSON-escaped (with and without
    `ensure_ascii`), as Python's repr escapes it, and percent-encoded as in a URL. A password with
    `"` or `\\` reads differently in each, and a log line or an error text may hold any of them.
    """

    def __init__(self) -> None:
        self._secrets: set[str] = set()

    def add(self, secret: str) -> None:
        if not secret:
            return
        self._secrets.add(secret)
        self._secrets.add(json.dumps(secret)[1:-1])
        self._secrets.add(json.dumps(secret, ensure_ascii=False)[1:-1])
        self._secrets.add(repr(secret)[1:-1])
        self._secrets.add(quote(secret, safe=""))

    def __call__(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, "***")
        return text


def parameter_problem(name: str, value: str, engine: str) -> str | None:
    """Why a URL query parameter cannot reach the driver, or None when it can. Never quotes the value."""
    shown = repr(name[:40])
    allowed = ALLOWED_PARAMETERS[engine]
    if name in SET_BY_FLOE[engine]:
        return f"option {shown} is set by floe and cannot be overridden"
    if name not in allowed:
        label = "PostgreSQL" if engine == "postgres" else "MySQL"
        return f"option {shown} is not supported for {label} (supported: {', '.join(allowed)})"
    if value == "":
        return f"option {shown} needs a value"
    if name in MYSQL_FLAG_PARAMETERS and value.lower() not in FLAGS:
        return f"option {shown} takes true or false"
    return None


def _driver_options(query: str, engine: str) -> dict[str, Any]:
    """URL query parameters as driver options, typed; only the engine's allow-list gets through."""
    options: dict[str, Any] = {}
    # Blank values are kept, so `?autocommit=` is refused by name rather than dropped unseen.
    for name, value in parse_qsl(query, keep_blank_values=True):
        problem = parameter_problem(name, value, engine)
        if problem is not None:
            raise JobArgumentError(f"--connection {problem}")
        options[name] = FLAGS[value.lower()] if name in MYSQL_FLAG_PARAMETERS else value
    return options


def _from_url(url: str, engine: str) -> ConnectionSettings:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise JobArgumentError("--connection is not a valid URL (scheme://user:password@host:port/database)") from None
    scheme_engine = SCHEMES.get(parts.scheme.lower())
    if scheme_engine is None:
        raise JobArgumentError(
            f"--connection has scheme {parts.scheme!r}; expected one of {', '.join(sorted(SCHEMES))} "
            f"or {SECRET_PREFIX}<secret id>"
        )
    if scheme_engine != engine:
        raise JobArgumentError(f"--connection is a {scheme_engine} URL but --engine is {engine}")
    dbname = unquote(parts.path.lstrip("/"))
    if not parts.hostname or not dbname:
        raise JobArgumentError("--connection must name a host and a database (scheme://user@host:port/database)")
    return ConnectionSettings(
        engine=engine,
        host=parts.hostname,
        port=port or DEFAULT_PORTS[engine],
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        dbname=dbname,
        options=_driver_options(parts.query, engine),
    )


# What a `secretsmanager:<id>?…` connection may add to its secret: the address an RDS-managed secret
# (`rds!db-…`, `rds!cluster-…`) lacks, since it holds only username and password.
# https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-secrets-manager.html
SECRET_ADDRESS_KEYS = ("host", "port", "dbname")


def _secret_address(query: str, secret_id: str) -> dict[str, str]:
    """The host, port and database given beside the secret id; anything else is refused by name."""
    address: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        if name not in SECRET_ADDRESS_KEYS:
            raise JobArgumentError(
                f"--connection secretsmanager:{secret_id}?…: option {name[:40]!r} is not supported beside a secret "
                f"(supported: {', '.join(SECRET_ADDRESS_KEYS)}); driver options belong in the secret's URL"
            )
        if value == "":
            raise JobArgumentError(f"--connection secretsmanager:{secret_id}?…: option {name!r} needs a value")
        address[name] = value
    return address


def _from_secret(reference: str, engine: str) -> ConnectionSettings:
    """Reads an RDS-style JSON secret (username, password, host, port, dbname) or a secret holding a URL.

    `reference` is the secret id, optionally followed by `?host=…&port=…&dbname=…`: values given
    there replace the secret's (an RDS-managed secret has only username and password, so its
    database's address comes from the stack's context or the config). Secret ids never hold `?`.
    """
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    secret_id, _, query = reference.partition("?")
    address = _secret_address(query, secret_id)
    try:
        client = boto3.client("secretsmanager", endpoint_url=os.environ.get("AWS_ENDPOINT_URL_SECRETS_MANAGER"))
        secret = client.get_secret_value(SecretId=secret_id)["SecretString"]
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code")
        if code == "ResourceNotFoundException":
            raise JobArgumentError(
                f"--connection names secret {secret_id!r}, which Secrets Manager does not have"
            ) from None
        if code in ("AccessDeniedException", "AccessDenied") and "kms" in str(error).lower():
            # A secret encrypted with a customer managed key needs kms:Decrypt on that key as well.
            # https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html
            raise JobArgumentError(
                f"could not decrypt secret {secret_id!r}: the job role needs kms:Decrypt on the secret's KMS key "
                f"(context floe:sourceSecrets.<source>.kmsKeyArn): {error}"
            ) from None
        if code in ("AccessDeniedException", "AccessDenied"):
            raise SourceRefusedError(
                f"could not read secret {secret_id!r}: the job role needs secretsmanager:GetSecretValue on it: {error}"
            ) from None
        raise SourceUnavailableError(f"could not read secret {secret_id!r} from Secrets Manager: {error}") from None
    except BotoCoreError as error:
        raise SourceUnavailableError(f"could not read secret {secret_id!r} from Secrets Manager: {error}") from None
    if secret.lstrip().startswith("{"):
        try:
            fields = {**json.loads(secret), **address}
            host = fields.get("host")
            dbname = fields.get("dbname") or fields.get("database")
            if not host or not dbname:
                missing = " and ".join(name for name, value in (("host", host), ("dbname", dbname)) if not value)
                raise JobArgumentError(
                    f"secret {secret_id!r} has no {missing} (an RDS-managed secret holds only username and password): "
                    f"give it beside the secret, secretsmanager:<secret id>?host=…&port=…&dbname=… "
                    f"(on AWS: context floe:sourceSecrets.<source>.host, .port and .dbname)"
                )
            return ConnectionSettings(
                engine=engine,
                host=str(host),
                port=int(fields.get("port") or DEFAULT_PORTS[engine]),
                user=str(fields["username"]),
                password=str(fields.get("password", "")),
                dbname=str(dbname),
            )
        except (ValueError, KeyError) as error:
            raise JobArgumentError(
                f"secret {secret_id!r} must hold JSON with host, port, username, password and dbname "
                f"(missing or invalid: {error.__class__.__name__} {error.args[0] if error.args else ''})"
            ) from None
    if address:
        raise JobArgumentError(
            f"secret {secret_id!r} holds a URL, which names its own host: drop ?{'&'.join(address)} from the connection"
        )
    return _from_url(secret.strip(), engine)


def resolve_connection(value: str, engine: str, redactor: Redactor) -> ConnectionSettings:
    """Turn `--connection` into settings, registering the password with the redactor first.

    `env:NAME` reads the URL from an environment variable, so it never stands on a command line
    (where `ps` shows it): the local runner passes connections this way.
    """
    if value.startswith(ENV_PREFIX):
        name = value[len(ENV_PREFIX):]
        if not os.environ.get(name):
            raise JobArgumentError(f"--connection names environment variable {name!r}, which is not set")
        value = os.environ[name]
    if value.startswith(SECRET_PREFIX):
        settings = _from_secret(value[len(SECRET_PREFIX):], engine)
    else:
        try:
            redactor.add(unquote(urlsplit(value).password or ""))
            redactor.add(urlsplit(value).password or "")
        except ValueError:
            pass
        settings = _from_url(value, engine)
    redactor.add(settings.password)
    return settings
