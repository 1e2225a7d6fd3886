"""Runtime configuration, read from ``KAPAUDIT_*`` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings"]


class Settings(BaseSettings):
    """Every setting kapaudit reads; the README lists them with their defaults."""

    model_config = SettingsConfigDict(
        env_prefix="KAPAUDIT_", extra="ignore", frozen=True, env_ignore_empty=True
    )

    data_dir: Path = Field(default=Path("var"))
    """Where the embedded default keeps its SQLite database."""

    database_url: str | None = None
    """SQLAlchemy async URL of the store; unset means SQLite under ``data_dir``."""

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

    def resolved_export_dir(self) -> Path:
        """The export directory: the configured one, or ``exports`` under ``data_dir``."""
        return self.export_dir if self.export_dir is not None else self.data_dir / "exports"

    def resolved_database_url(self) -> str:
        """The store URL: the configured one, or SQLite under ``data_dir``."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'kapaudit.db').as_posix()}"
