"""Runtime configuration, read from ``KAPAUDIT_*`` environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import parse_qs, urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = [
    "DatabaseSslMode",
    "KafkaSaslMechanism",
    "KafkaSecurityProtocol",
    "Settings",
]

KafkaSecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
KafkaSaslMechanism = Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"]
DatabaseSslMode = Literal["disable", "require", "verify-ca", "verify-full"]


class Settings(BaseSettings):
    """Every setting kapaudit reads; the README lists them with their defaults."""

    model_config = SettingsConfigDict(
        env_prefix="KAPAUDIT_", extra="ignore", frozen=True, env_ignore_empty=True
    )

    data_dir: Path = Field(default=Path("var"))
    """Where the embedded default keeps its SQLite database."""

    database_url: str | None = None
    """SQLAlchemy async URL of the store; unset means SQLite under ``data_dir``."""

    database_sslmode: DatabaseSslMode | None = None
    """TLS to PostgreSQL, as libpq's ``sslmode``: ``disable``, ``require`` (encrypted, server
    not verified), ``verify-ca`` (certificate signed by ``database_ssl_root_cert``) or
    ``verify-full`` (that, and the certificate names the host). Unset: asyncpg's default
    (``prefer``: TLS when the server offers it, unverified) or the URL's ``?ssl=``.
    SQLite ignores it."""

    database_ssl_root_cert: Path | None = None
    """PEM file of the CA(s) the PostgreSQL server's certificate must chain to; needed by
    ``verify-ca`` and ``verify-full``. SQLite ignores it."""

    kafka_bootstrap_servers: str | None = None
    """Kafka bootstrap servers; unset means ``kapaudit up`` starts the embedded Tansu broker."""

    embedded_kafka_port: int = Field(default=19092, ge=0, le=65535)
    """Port of the embedded broker on 127.0.0.1 (0 picks a free one)."""

    kafka_partitions: int = Field(default=12, ge=1)
    """Partitions of the event topic when kapaudit creates it."""

    kafka_replication_factor: int = Field(default=1, ge=1)
    """Replication factor of the topics kapaudit creates."""

    kafka_idempotent_producer: bool = False
    """Turn on the idempotent producer (Apache Kafka supports it, the embedded Tansu does not)."""

    kafka_security_protocol: KafkaSecurityProtocol = "PLAINTEXT"
    """How every kapaudit Kafka client talks to the brokers: ``PLAINTEXT``, ``SSL`` (TLS;
    with a client certificate, mTLS), ``SASL_PLAINTEXT`` or ``SASL_SSL``. Anything but
    PLAINTEXT needs ``kafka_bootstrap_servers``: the embedded broker speaks plaintext only."""

    kafka_ssl_cafile: Path | None = None
    """PEM file of the CA(s) that signed the brokers' certificates (SSL, SASL_SSL); unset:
    the system's trust store, which is enough for brokers with publicly trusted certificates."""

    kafka_ssl_certfile: Path | None = None
    """PEM client certificate (mTLS), given together with ``kafka_ssl_keyfile``."""

    kafka_ssl_keyfile: Path | None = None
    """The client certificate's private key, PEM, not encrypted: keep the file private
    (a compose or Kubernetes secret)."""

    kafka_sasl_mechanism: KafkaSaslMechanism | None = None
    """SASL mechanism of SASL_PLAINTEXT and SASL_SSL: ``SCRAM-SHA-512``, ``SCRAM-SHA-256``
    or ``PLAIN`` (which sends the password itself: only inside TLS, SASL_SSL)."""

    kafka_sasl_username: str | None = None
    """SASL user name (the Kafka principal ``User:<name>`` that ACLs grant to)."""

    kafka_sasl_password_file: Path | None = None
    """File holding the SASL password (one line; a trailing newline is ignored), so that
    the secret is never an environment value."""

    recorder_group_id: str = "kapaudit-recorder"
    """Consumer group of the recorder."""

    recorder_batch_size: int = Field(default=500, ge=1, le=10_000)
    """Most messages the recorder stores in one database transaction."""

    recorder_batch_timeout_ms: int = Field(default=200, ge=1)
    """How long the recorder waits to fill a batch."""

    profiles_file: Path | None = None
    """TOML file of per-clinic protocol profile overrides (see docs/COMPLIANCE.md)."""

    default_timezone: str = "UTC"
    """IANA time zone of clinics not in ``clinic_timezones``: where their days begin."""

    clinic_timezones: dict[str, str] = Field(default_factory=dict)
    """Clinic id -> IANA time zone, as a JSON object (``{"clinic-a": "America/Denver"}``)."""

    projector_batch_size: int = Field(default=1000, ge=1)
    """Most log events the projector folds per transaction."""

    http_host: str = "127.0.0.1"
    """Where ``kapaudit up`` serves the API and dashboard."""

    http_port: int = Field(default=8080, ge=0, le=65535)
    """Port of the API and dashboard (0 picks a free one)."""

    recorder_metrics_port: int | None = Field(default=9101, ge=0, le=65535)
    """Port of the recorder's ``/metrics`` (0 picks a free one and logs it; ``off``: none)."""

    projector_metrics_port: int | None = Field(default=9102, ge=0, le=65535)
    """Port of the projector's ``/metrics``, as ``recorder_metrics_port``. A process running
    both (``kapaudit up``) serves one registry on the recorder's port."""

    metrics_host: str = "127.0.0.1"
    """Where the recorder's and projector's ``/metrics`` listen (``0.0.0.0`` in a container,
    for a scraper on another host); the API serves ``/metrics`` on its own port."""

    log_format: Literal["console", "json"] = "console"
    """``console``: one readable line per record; ``json``: one JSON object per line, for a
    log collector."""

    api_requests_per_minute: float = Field(default=3000, ge=0)
    """Per API token: requests a minute the API answers before 429 with Retry-After
    (0: no limit). Generous, so that a clinic system publishing in batches never meets it
    and a runaway script or leaked token does."""

    api_burst: int = Field(default=1000, ge=1)
    """Per API token: requests it may send at once after a quiet spell."""

    api_expensive_per_minute: float = Field(default=12, ge=0)
    """Per API token: whole-log checks (``GET /v1/log/verify``) and export requests a
    minute (0: no limit); each costs the server seconds of work."""

    api_expensive_burst: int = Field(default=4, ge=1)
    """Per API token: such calls at once."""

    signing_key_file: Path | None = None
    """Ed25519 signer key (``kapaudit keys create``) that signs the log's checkpoints; never
    stored in the database. Unset: ``kapaudit up`` uses ``<data_dir>/signing.key``,
    creating it, and the other commands sign no checkpoints."""

    export_dir: Path | None = None
    """Where the HTTP server writes the export bundles it makes, as ``<export id>.zip``;
    unset: ``<data_dir>/exports``. Bundles hold patient data: keep it private."""

    trusted_keys: str | None = None
    """Verifier keys (space or comma separated) whose checkpoints ``verify`` accepts besides
    the signing key's own: the keys the log was signed with before a rotation."""

    log_origin: str = Field(default="kapaudit.local/log", pattern=r"^[^\s+]+$")
    """The checkpoints' origin line and key name: a schema-less URL naming this log."""

    checkpoint_every_events: int = Field(default=1000, ge=1)
    """The recorder signs a checkpoint once this many events were recorded since the last."""

    checkpoint_every_seconds: float = Field(default=60.0, gt=0)
    """... or once this long has passed since the last and any event was recorded."""

    log_level: str = "WARNING"
    """Python logging level of the services and their libraries. WARNING keeps the
    quickstart's terminal to what a newcomer needs; INFO brings back every detail
    (production's compose file sets it)."""

    @field_validator("kafka_security_protocol", "kafka_sasl_mechanism", mode="before")
    @classmethod
    def _upper_case(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("recorder_metrics_port", "projector_metrics_port", mode="before")
    @classmethod
    def _off_is_none(cls, value: object) -> object:
        # ``off`` reads better in an environment file than an empty value.
        if isinstance(value, str) and value.strip().lower() in ("off", ""):
            return None
        return value

    @field_validator("log_format", mode="before")
    @classmethod
    def _format_lower_case(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("database_sslmode", mode="before")
    @classmethod
    def _lower_case(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _consistent_transport_security(self) -> Settings:
        problems = [*self._kafka_security_problems(), *self._database_tls_problems()]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _kafka_security_problems(self) -> list[str]:
        protocol = self.kafka_security_protocol
        setting = f"KAPAUDIT_KAFKA_SECURITY_PROTOCOL={protocol}"
        problems = []
        if protocol != "PLAINTEXT" and self.kafka_bootstrap_servers is None:
            problems.append(
                f"{setting} needs KAPAUDIT_KAFKA_BOOTSTRAP_SERVERS: the embedded broker is "
                "plaintext only"
            )
        tls_files = {
            "KAPAUDIT_KAFKA_SSL_CAFILE": self.kafka_ssl_cafile,
            "KAPAUDIT_KAFKA_SSL_CERTFILE": self.kafka_ssl_certfile,
            "KAPAUDIT_KAFKA_SSL_KEYFILE": self.kafka_ssl_keyfile,
        }
        if protocol not in ("SSL", "SASL_SSL"):
            if given := [name for name, value in tls_files.items() if value is not None]:
                problems.append(f"{_are_set(given)}, but {setting} uses no TLS (SSL, SASL_SSL)")
        elif (self.kafka_ssl_certfile is None) != (self.kafka_ssl_keyfile is None):
            one, other = (
                ("KAPAUDIT_KAFKA_SSL_CERTFILE", "KAPAUDIT_KAFKA_SSL_KEYFILE")
                if self.kafka_ssl_keyfile is None
                else ("KAPAUDIT_KAFKA_SSL_KEYFILE", "KAPAUDIT_KAFKA_SSL_CERTFILE")
            )
            problems.append(f"{one} is set without {other}: a client certificate needs both")
        sasl = {
            "KAPAUDIT_KAFKA_SASL_MECHANISM": self.kafka_sasl_mechanism,
            "KAPAUDIT_KAFKA_SASL_USERNAME": self.kafka_sasl_username,
            "KAPAUDIT_KAFKA_SASL_PASSWORD_FILE": self.kafka_sasl_password_file,
        }
        if protocol in ("SASL_PLAINTEXT", "SASL_SSL"):
            if missing := [name for name, value in sasl.items() if value is None]:
                problems.append(f"{setting} needs {_listed(missing)}")
            if protocol == "SASL_PLAINTEXT" and self.kafka_sasl_mechanism == "PLAIN":
                problems.append(
                    f"KAPAUDIT_KAFKA_SASL_MECHANISM=PLAIN with {setting} would send the "
                    "password unencrypted: use SASL_SSL, or a SCRAM mechanism"
                )
        elif given := [name for name, value in sasl.items() if value is not None]:
            problems.append(
                f"{_are_set(given)}, but {setting} uses no SASL (SASL_SSL, SASL_PLAINTEXT)"
            )
        return problems

    def _database_tls_problems(self) -> list[str]:
        mode = self.database_sslmode
        problems = []
        if mode in ("verify-ca", "verify-full") and self.database_ssl_root_cert is None:
            problems.append(
                f"KAPAUDIT_DATABASE_SSLMODE={mode} needs KAPAUDIT_DATABASE_SSL_ROOT_CERT "
                "(the CA that signed the server's certificate)"
            )
        if mode not in ("verify-ca", "verify-full") and self.database_ssl_root_cert is not None:
            problems.append(
                "KAPAUDIT_DATABASE_SSL_ROOT_CERT is set but KAPAUDIT_DATABASE_SSLMODE is "
                f"{mode or 'unset'}: use verify-ca or verify-full for the CA to be checked"
            )
        if mode is not None and self.database_url:
            query = parse_qs(urlsplit(self.database_url).query)
            for name in ("ssl", "sslmode"):
                if name in query:
                    problems.append(
                        f"KAPAUDIT_DATABASE_SSLMODE and KAPAUDIT_DATABASE_URL's ?{name}= both "
                        "set PostgreSQL's TLS: keep one"
                    )
        return problems

    def resolved_export_dir(self) -> Path:
        """The export directory: the configured one, or ``exports`` under ``data_dir``."""
        return self.export_dir if self.export_dir is not None else self.data_dir / "exports"

    def resolved_database_url(self) -> str:
        """The store URL: the configured one, or SQLite under ``data_dir``."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'kapaudit.db').as_posix()}"


def _listed(names: list[str]) -> str:
    """``A``, ``A and B``, ``A, B and C``."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _are_set(names: list[str]) -> str:
    return f"{_listed(names)} {'is' if len(names) == 1 else 'are'} set"
