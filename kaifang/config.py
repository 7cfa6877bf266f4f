"""Configuration from ``KAIFANG_*`` environment variables, with safe defaults for the embedded shape."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KAIFANG_", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    var_dir: Path = PROJECT_ROOT / "var"
    # Empty means the embedded SQLite file under var_dir.
    database_url: str = ""
    secret_key: str = Field(default="", repr=False)
    base_url: str = "http://127.0.0.1:8000"

    # Background jobs: "embedded" (SQLite storage, worker thread in the web process),
    # "redis" (production, separate `kaifang worker` processes), "immediate" (run inline, tests).
    jobs_backend: Literal["embedded", "redis", "immediate"] = "embedded"
    jobs_embedded_worker: bool = True
    redis_url: str = "redis://127.0.0.1:6379/0"
    jobs_name: str = "kaifang"

    # Mail: "smtp" sends through smtp_host; "file" writes .eml files to var/mail (development).
    mail_backend: Literal["smtp", "file"] = "file"
    mail_from: str = "Kaifang 苏州公共数据开放平台 <noreply@kaifang.local>"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = Field(default="", repr=False)
    smtp_starttls: bool = False
    smtp_timeout: float = 10.0

    # Data engine: uploads, query limits, exports.
    max_upload_bytes: int = 2 * 1024**3
    api_max_limit: int = 1000
    api_default_limit: int = 100
    query_timeout_seconds: float = 10.0
    query_memory_limit: str = "512MB"
    # Calls per minute to the data API and downloads: anonymous (per IP) and with a key or a session.
    rate_limit_backend: Literal["memory", "redis"] = "memory"
    rate_limit_anonymous: int = 60
    rate_limit_identified: int = 1200

    session_max_age: int = 14 * 24 * 3600
    cookie_secure: bool = False
    login_max_failures: int = 5
    login_lockout_minutes: int = 15
    password_reset_hours: int = 2
    # Version of the platform rules of use (A9.5) that users accept at registration.
    rules_version: str = "2026-01"

    @model_validator(mode="after")
    def _fill_defaults(self) -> Settings:
        self.var_dir = Path(self.var_dir).resolve()
        if not self.database_url:
            self.database_url = f"sqlite:///{self.var_dir / 'kaifang.db'}"
        if self.database_url.startswith("postgresql://"):
            self.database_url = "postgresql+psycopg://" + self.database_url[len("postgresql://"):]
        if not self.secret_key:
            if self.env == "production":
                raise ValueError("KAIFANG_SECRET_KEY must be set in production")
            self.secret_key = _load_or_create_secret(self.var_dir)
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def files_dir(self) -> Path:
        return self.var_dir / "files"


def _load_or_create_secret(var_dir: Path) -> str:
    """A random secret kept in var/secret_key, created on first run, readable by the owner only."""
    var_dir.mkdir(parents=True, exist_ok=True)
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


@lru_cache
def get_settings() -> Settings:
    return Settings()
