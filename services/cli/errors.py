"""CLI errors: one readable line and a hint, never a traceback."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer
from aiokafka.errors import KafkaConnectionError, KafkaError
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, OperationalError

from services.adapters.kafka.security import KafkaSecurityError
from services.adapters.prometheus import MetricsPortError
from services.adapters.sql.engine import DatabaseTlsError
from services.adapters.tansu import EmbeddedBrokerError
from services.cli.cli_error import CliError, print_error
from services.clinic_zones import UnknownTimeZoneError
from services.signing_keys import SigningKeyError

__all__ = ["CliError", "friendly_errors"]

P = ParamSpec("P")
R = TypeVar("R")


def _explain(error: BaseException) -> CliError:
    if isinstance(error, CliError):
        return error
    if isinstance(error, ValidationError) and error.title == "Settings":
        return CliError(
            settings_problems(error),
            hint="see the settings in README.md and docs/DEPLOYMENT.md",
        )
    if isinstance(error, KafkaSecurityError):
        return CliError(
            f"Kafka TLS/SASL: {error}",
            hint="the files must be readable by kapaudit's user (docs/DEPLOYMENT.md, Kafka)",
        )
    if isinstance(error, DatabaseTlsError):
        return CliError(
            f"PostgreSQL TLS: {error}",
            hint="point KAPAUDIT_DATABASE_SSL_ROOT_CERT at the CA's PEM file",
        )
    if isinstance(error, UnknownTimeZoneError):
        return CliError(
            str(error), hint="use a name from the IANA time zone database, e.g. America/Denver"
        )
    if isinstance(error, SigningKeyError):
        return CliError(
            str(error),
            hint="check KAPAUDIT_SIGNING_KEY_FILE and KAPAUDIT_TRUSTED_KEYS; "
            "`kapaudit keys create --out PATH` makes a new key",
        )
    if isinstance(error, MetricsPortError):
        return CliError(
            str(error),
            hint="set KAPAUDIT_RECORDER_METRICS_PORT or KAPAUDIT_PROJECTOR_METRICS_PORT to a "
            "free port, 0 to pick one, or off",
        )
    if isinstance(error, EmbeddedBrokerError):
        return CliError(
            f"embedded broker: {error}",
            hint="set KAPAUDIT_EMBEDDED_KAFKA_PORT to a free port, or 0 to pick one",
        )
    if isinstance(error, KafkaConnectionError):
        return CliError(
            f"cannot reach Kafka: {error}",
            hint="check KAPAUDIT_KAFKA_BOOTSTRAP_SERVERS and that KAPAUDIT_KAFKA_SECURITY_PROTOCOL "
            "is what the listener speaks, or unset them to use the embedded broker",
        )
    if isinstance(error, KafkaError):
        return CliError(f"Kafka error: {error}", hint="see the broker's log")
    # ConnectionError: asyncpg's own, e.g. "rejected SSL upgrade" from a server without TLS.
    if isinstance(error, OperationalError | DBAPIError | ConnectionError):
        first_line = str(error).splitlines()[0]
        return CliError(
            f"cannot use the database: {first_line}",
            hint="check KAPAUDIT_DATABASE_URL and KAPAUDIT_DATABASE_SSLMODE "
            "(unset the URL for SQLite under ./var)",
        )
    if isinstance(error, OSError):
        return CliError(f"{error}", hint="check the path and its permissions")
    return CliError(
        f"{type(error).__name__}: {error}", hint="rerun with KAPAUDIT_DEBUG=1 for the traceback"
    )


def settings_problems(error: ValidationError) -> str:
    """A ``Settings`` validation error on one line, each problem naming its variable."""
    problems = []
    for problem in error.errors(include_url=False):
        message = str(problem["msg"]).removeprefix("Value error, ")
        where = problem["loc"]
        problems.append(f"KAPAUDIT_{str(where[0]).upper()}: {message}" if where else message)
    return "; ".join(problems)


def friendly_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn any exception escaping ``command`` into ``error: ...`` and ``hint: ...``."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except Exception as error:
            if os.environ.get("KAPAUDIT_DEBUG"):
                raise
            print_error(_explain(error))
            raise typer.Exit(code=2) from None

    return wrapper
