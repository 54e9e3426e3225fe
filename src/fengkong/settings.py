"""Runtime configuration, read from the environment (prefix ``FENGKONG_``) or a ``.env`` file.

Nothing here opens a connection: importing the package must stay free of side effects so that the
CLI, the tests and the app can each decide which database to talk to.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

Locale = Literal["zh_CN", "en"]
SUPPORTED_LOCALES: tuple[Locale, ...] = ("zh_CN", "en")

# A provider waterfall written as the environment carries it: ``folder,sandbox``.
ProviderNames = Annotated[tuple[str, ...], NoDecode]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FENGKONG_", env_file=".env", extra="ignore")

    data_dir: Path = Path("var")
    database_url: str = ""
    secret_key: SecretStr = SecretStr("dev-only-secret-change-me")
    # Personal data at rest (docs/security.md, "Personal data"): ``id:base64(32 bytes)`` entries,
    # comma-separated; the key id that encrypts new data; the blind-index HMAC key (base64).
    # Unset, development keys are derived from ``secret_key``: set all three in production.
    data_keys: SecretStr = SecretStr("")
    data_key_id: str = ""
    blind_index_key: SecretStr = SecretStr("")
    default_locale: Locale = "zh_CN"
    timezone: str = "Asia/Shanghai"
    default_currency: str = "CNY"
    # argon2id cost; production keeps the library defaults, tests lower them to stay fast.
    password_time_cost: int = Field(default=3, ge=1)
    password_memory_cost_kib: int = Field(default=65536, ge=8)
    session_max_age_seconds: int = Field(default=8 * 3600, ge=60)
    # A browser left alone this long is signed out (docs/security.md, "Sign-in and sessions").
    session_idle_minutes: int = Field(default=30, ge=1)
    cookie_secure: bool = False
    # Failed sign-ins: this many in a row lock a username for login_lockout_minutes; one client
    # address gets login_client_max_failures across all usernames before it is throttled alike.
    login_max_failures: int = Field(default=5, ge=1)
    login_lockout_minutes: int = Field(default=15, ge=1)
    login_client_max_failures: int = Field(default=20, ge=1)
    # New API tokens expire after this many days unless created with --no-expiry.
    api_token_default_expiry_days: int = Field(default=365, ge=1)
    # File imports: anything larger is refused (HTTP 413) before it is parsed.
    import_max_bytes: int = Field(default=200 * 1024 * 1024, ge=1)
    import_max_rows: int = Field(default=2_000_000, ge=1)
    import_max_line_bytes: int = Field(default=1024 * 1024, ge=1024)
    # What an .xlsx may expand to when unzipped (zip bombs). calamine holds a sheet in memory,
    # about 1.7 times its unzipped size: 256 MiB keeps an import under 1 GB.
    import_max_unzipped_bytes: int = Field(default=256 * 1024 * 1024, ge=1)

    # Credit-data connectors (docs/connectors.md): providers tried in order per kind of data. The
    # sandbox invents data, so no kind uses it unless configured to.
    connectors_agency: ProviderNames = ("folder",)
    connectors_registry: ProviderNames = ()
    connectors_court: ProviderNames = ()
    connectors_folder: Path | None = None
    # The age rule: data of a kind newer than this many days is not bought again (unless forced).
    connectors_agency_max_age_days: int = Field(default=90, ge=0)
    connectors_registry_max_age_days: int = Field(default=30, ge=0)
    connectors_court_max_age_days: int = Field(default=7, ge=0)
    # Data quality (docs/data-quality.md): when the latest statement or credit report is stale.
    quality_statement_stale_months: int = Field(default=18, ge=1)
    quality_report_stale_months: int = Field(default=12, ge=1)
    # Risk scores (docs/risk.md): how often `fengkong serve` rescores the customers whose data
    # changed, in embedded (SQLite) mode; 0 turns the background rescoring off.
    rescore_interval_seconds: float = Field(default=30, ge=0)
    # The event stream (docs/architecture.md): a window of events is split into this many jobs
    # by customer, and at most this many run at once across all `fengkong worker` processes.
    # Each job has a fixed cost, so more partitions than busy workers only slow the stream:
    # 32 → 8 drained paced arrivals 20-26 % faster with one worker (docs/performance.md).
    # Changing it is safe at any time, workers running or not.
    stream_partitions: int = Field(default=8, ge=1, le=1024)
    # The record of each customer application (`stream_batches`, for latency and delivery
    # checks) is kept this many days; the stream's dispatchers delete older rows as they go.
    stream_batches_kept_days: int = Field(default=7, ge=1)
    # API tokens resolved within this many seconds answer from memory (fengkong.api.recent_tokens):
    # a revocation, a disabled user or a role change reaches API requests this much later; 0 is off.
    api_token_cache_seconds: float = Field(default=5, ge=0, le=300)
    # Credit checks run in at most this many worker threads at once per server process; the rest
    # queue. More threads only add GIL contention: at 200 checks/s on two cores, 2 threads a
    # process answered with p99 ~0.1 s where anyio's default 40 fell behind (docs/performance.md).
    credit_check_threads: int = Field(default=2, ge=1, le=64)
    # Notifications (docs/notifications.md). Without an SMTP host, email deliveries wait, marked
    # "SMTP not configured", and are sent once it is.
    smtp_host: str = ""
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_from: str = "fengkong@localhost"
    smtp_starttls: bool = False
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_timeout_seconds: float = Field(default=10, gt=0)
    webhook_timeout_seconds: float = Field(default=5, gt=0)
    # Webhook targets must be public addresses; these networks (e.g. ``127.0.0.1/32,10.0.0.0/8``)
    # are allowed anyway.
    webhook_allowed_networks: ProviderNames = ()
    notify_max_attempts: int = Field(default=6, ge=1)
    notify_backoff_base_seconds: float = Field(default=60, gt=0)
    notify_backoff_cap_seconds: float = Field(default=6 * 3600, gt=0)
    # Periodic reviews (docs/reviews.md): a cadence YAML replacing the shipped one.
    review_cadence_file: Path | None = None
    # Drift watch (docs/model-lab.md): a champion whose live score distribution has a PSI above
    # this against development is "drifted" and its owner is alerted; fewer live scores than the
    # minimum are not judged (deciles of a handful of customers are noise).
    model_drift_psi: float = Field(default=0.25, gt=0)
    model_drift_min_scores: int = Field(default=100, ge=1)
    # Audit log (docs/security.md): how long entries must be kept. The app never deletes them (the
    # table is append-only); a DBA may prune entries older than this, keeping the chain's anchor.
    audit_retention_days: int = Field(default=365, ge=180)
    # Logs go to stderr through the personal-data mask (docs/security.md, "Logs").
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("webhook_allowed_networks", mode="before")
    @classmethod
    def _network_list(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(entry.strip() for entry in value.split(",") if entry.strip())
        return value

    @field_validator("connectors_agency", "connectors_registry", "connectors_court", mode="before")
    @classmethod
    def _provider_list(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(name.strip() for name in value.split(",") if name.strip())
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @property
    def resolved_database_url(self) -> str:
        """The configured URL, or an SQLite file in the data directory (the embedded default)."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'fengkong.db').resolve()}"

    @property
    def resolved_connectors_folder(self) -> Path:
        """Where the folder provider reads export files (default: ``<data_dir>/connectors``)."""
        return self.connectors_folder or self.data_dir / "connectors"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
