"""Runtime configuration, read from the environment (prefix ``FENGKONG_``) or a ``.env`` file.

Nothing here opens a connection: importing the package must stay free of side effects so that the
CLI, the tests and the app can each decide which database to talk to.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Locale = Literal["zh_CN", "en"]
SUPPORTED_LOCALES: tuple[Locale, ...] = ("zh_CN", "en")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FENGKONG_", env_file=".env", extra="ignore")

    data_dir: Path = Path("var")
    database_url: str = ""
    secret_key: SecretStr = SecretStr("dev-only-secret-change-me")
    default_locale: Locale = "zh_CN"
    timezone: str = "Asia/Shanghai"
    default_currency: str = "CNY"
    # argon2id cost; production keeps the library defaults, tests lower them to stay fast.
    password_time_cost: int = Field(default=3, ge=1)
    password_memory_cost_kib: int = Field(default=65536, ge=8)
    session_max_age_seconds: int = Field(default=8 * 3600, ge=60)
    cookie_secure: bool = False

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
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
