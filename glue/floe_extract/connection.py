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
from urllib.parse import parse_qsl, unquote, urlsplit

from .errors import JobArgumentError, SourceUnavailableError

SECRET_PREFIX = "secretsmanager:"
ENV_PREFIX = "env:"
DEFAULT_PORTS = {"postgres": 5432, "mysql": 3306}
# Settings floe makes itself (session time zone, timeouts, read-only): a URL may not override them.
POSTGRES_RESERVED = {"host", "hostaddr", "port", "user", "password", "dbname", "application_name",
                     "connect_timeout", "options", "passfile", "service"}
MYSQL_TEXT_OPTIONS = {"ssl_ca", "ssl_cert", "ssl_key"}
MYSQL_FLAG_OPTIONS = {"ssl_disabled", "ssl_verify_cert", "ssl_verify_identity"}
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
    """Replaces known secrets in text with `***`."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()

    def add(self, secret: str) -> None:
        if secret:
            self._secrets.add(secret)

    def __call__(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, "***")
        return text


def _driver_options(query: str, engine: str) -> dict[str, Any]:
    """URL query parameters as driver options, typed; names floe sets itself, or does not know, are refused."""
    options: dict[str, Any] = {}
    for name, value in parse_qsl(query):
        if engine == "postgres":
            if name in POSTGRES_RESERVED:
                raise JobArgumentError(f"--connection option {name!r} is set by floe and cannot be overridden")
            options[name] = value
        elif name in MYSQL_TEXT_OPTIONS:
            options[name] = value
        elif name in MYSQL_FLAG_OPTIONS and value.lower() in FLAGS:
            options[name] = FLAGS[value.lower()]
        else:
            known = ", ".join(sorted(MYSQL_TEXT_OPTIONS | MYSQL_FLAG_OPTIONS))
            raise JobArgumentError(
                f"--connection option {name!r} is not supported for MySQL (supported: {known}; flags take true/false)"
            )
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


def _from_secret(secret_id: str, engine: str) -> ConnectionSettings:
    """Reads an RDS-style JSON secret (username, password, host, port, dbname) or a secret holding a URL."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        client = boto3.client("secretsmanager", endpoint_url=os.environ.get("AWS_ENDPOINT_URL_SECRETS_MANAGER"))
        secret = client.get_secret_value(SecretId=secret_id)["SecretString"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            raise JobArgumentError(
                f"--connection names secret {secret_id!r}, which Secrets Manager does not have"
            ) from None
        raise SourceUnavailableError(f"could not read secret {secret_id!r} from Secrets Manager: {error}") from None
    except BotoCoreError as error:
        raise SourceUnavailableError(f"could not read secret {secret_id!r} from Secrets Manager: {error}") from None
    if secret.lstrip().startswith("{"):
        try:
            fields = json.loads(secret)
            return ConnectionSettings(
                engine=engine,
                host=str(fields["host"]),
                port=int(fields.get("port") or DEFAULT_PORTS[engine]),
                user=str(fields["username"]),
                password=str(fields.get("password", "")),
                dbname=str(fields.get("dbname") or fields["database"]),
            )
        except (ValueError, KeyError) as error:
            raise JobArgumentError(
                f"secret {secret_id!r} must hold JSON with host, port, username, password and dbname "
                f"(missing or invalid: {error.__class__.__name__} {error.args[0] if error.args else ''})"
            ) from None
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
