"""One TOML config file, with defaults that work when there is no file at all.

Secrets are never read from here: the BLS key, webhook URL and SMTP password come from environment
variables (names below), so a config file can be committed and shared.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

POSTING_SOURCES = ("greenhouse", "lever", "ashby", "jsonld", "hn", "remoteok", "themuse")

DEFAULT_BASE_URLS = {
    "greenhouse": "https://boards-api.greenhouse.io",
    "lever": "https://api.lever.co",
    "ashby": "https://api.ashbyhq.com",
    "hn": "https://hacker-news.firebaseio.com",
    "remoteok": "https://remoteok.com",
    "themuse": "https://www.themuse.com",
}

ENV_BLS_KEY = "LABORWATCH_BLS_API_KEY"
ENV_WEBHOOK_URL = "LABORWATCH_WEBHOOK_URL"
ENV_SMTP_PASSWORD = "LABORWATCH_SMTP_PASSWORD"
ENV_CONFIG = "LABORWATCH_CONFIG"


class SettingsError(ValueError):
    """A config file that cannot be used; the message names the file and key."""


@dataclass
class SourceSettings:
    """One postings source. `boards` holds board tokens/sites, or page URLs for jsonld."""

    name: str
    base_url: str | None
    boards: list[str] = field(default_factory=list)
    rate_limit_per_second: float = 2.0
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def enabled(self) -> bool:
        return bool(self.boards)


@dataclass
class HttpSettings:
    user_agent: str = "laborwatch/0.1 (+https://github.com/laborwatch/laborwatch)"
    contact: str = "laborwatch@example.org"
    timeout_seconds: float = 20.0
    max_retries: int = 4
    backoff_seconds: float = 1.0
    max_backoff_seconds: float = 60.0
    max_response_bytes: int = 20_000_000
    respect_robots: bool = True
    default_rate_limit_per_second: float = 2.0

    @property
    def full_user_agent(self) -> str:
        return f"{self.user_agent} contact: {self.contact}"


@dataclass
class BlsSettings:
    base_url: str = "https://api.bls.gov"
    series: list[str] = field(default_factory=list)
    start_year: int | None = None  # None: the last `lookback_years` up to the as-of year
    lookback_years: int = 10
    daily_query_limit: int = 500
    run_query_share: float = 0.25  # a run spends at most this share of the day's budget
    projections_url: str | None = None
    oews_urls: list[str] = field(default_factory=list)
    calendar_url: str | None = None
    release_grace_minutes: int = 30  # a release counts this long after its scheduled time

    @property
    def api_key(self) -> str | None:
        return os.environ.get(ENV_BLS_KEY) or None


@dataclass
class AlertSettings:
    channels: list[str] = field(default_factory=lambda: ["log", "file"])
    file_path: str | None = None  # default: <data_dir>/alerts.jsonl
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_from: str = "laborwatch@localhost"
    smtp_to: list[str] = field(default_factory=list)
    smtp_starttls: bool = False
    timeout_seconds: float = 10.0  # per webhook POST / SMTP conversation
    max_consecutive_failures: int = 3  # a channel failing this often in a row is left for the next run

    @property
    def webhook_url(self) -> str | None:
        return os.environ.get(ENV_WEBHOOK_URL) or None

    @property
    def smtp_password(self) -> str | None:
        return os.environ.get(ENV_SMTP_PASSWORD) or None


@dataclass
class Settings:
    warehouse_path: Path = Path("data/warehouse.duckdb")
    data_dir: Path = Path("data")
    backend: str = "duckdb"  # duckdb | ducklake
    ducklake_catalog: str = "postgres:dbname=laborwatch host=127.0.0.1"
    ducklake_data_path: str | None = None
    roles_dir: Path | None = None
    sources: dict[str, SourceSettings] = field(default_factory=dict)
    http: HttpSettings = field(default_factory=HttpSettings)
    bls: BlsSettings = field(default_factory=BlsSettings)
    alerts: AlertSettings = field(default_factory=AlertSettings)
    config_path: Path | None = None

    @property
    def snapshot_path(self) -> Path:
        return self.data_dir / "snapshot" / "analyst.duckdb"

    @property
    def landing_dir(self) -> Path:
        return self.data_dir / "landing"

    @property
    def alerts_file(self) -> Path:
        return Path(self.alerts.file_path) if self.alerts.file_path else self.data_dir / "alerts.jsonl"

    def source(self, name: str) -> SourceSettings:
        return self.sources[name]


_SECRET_KEYS = {"api_key", "registrationkey", "password", "smtp_password", "webhook_url", "token"}


def _reject_secrets(table: dict[str, Any], origin: str, prefix: str = "") -> None:
    for key, value in table.items():
        if key.lower() in _SECRET_KEYS:
            raise SettingsError(
                f"{origin}: '{prefix}{key}' looks like a secret; set it through the environment instead"
            )
        if isinstance(value, dict):
            _reject_secrets(value, origin, f"{prefix}{key}.")


def _dataclass_from(cls: type, table: dict[str, Any], origin: str, section: str) -> Any:
    allowed = {f for f in cls.__dataclass_fields__}
    unknown = set(table) - allowed
    if unknown:
        raise SettingsError(f"{origin}: unknown key(s) in [{section}]: {', '.join(sorted(unknown))}")
    return cls(**table)


def _source_from(name: str, table: dict[str, Any], http: HttpSettings) -> SourceSettings:
    table = dict(table)
    boards = table.pop("boards", None) or table.pop("pages", None) or []
    return SourceSettings(
        name=name,
        base_url=table.pop("base_url", DEFAULT_BASE_URLS.get(name)),
        boards=list(boards),
        rate_limit_per_second=float(table.pop("rate_limit_per_second", http.default_rate_limit_per_second)),
        options=table,
    )


def load_settings(path: Path | str | None = None, warehouse: Path | str | None = None) -> Settings:
    """Settings from `path` (or $LABORWATCH_CONFIG, or defaults); `warehouse` overrides the path."""
    path = path or os.environ.get(ENV_CONFIG)
    data: dict[str, Any] = {}
    origin = "<defaults>"
    if path:
        origin = str(path)
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise SettingsError(f"{origin}: config file not found") from exc
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"{origin}: not valid TOML: {exc}") from exc
        _reject_secrets(data, origin)
    unknown = set(data) - {"warehouse", "sources", "http", "bls", "alerts", "roles"}
    if unknown:
        raise SettingsError(f"{origin}: unknown section(s): {', '.join(sorted(unknown))}")
    base = Path(path).resolve().parent if path else Path.cwd()
    wh = dict(data.get("warehouse", {}))
    settings = Settings(config_path=Path(path) if path else None)
    if "path" in wh:
        settings.warehouse_path = base / wh.pop("path")
    if "data_dir" in wh:
        settings.data_dir = base / wh.pop("data_dir")
    for key in ("backend", "ducklake_catalog"):
        if key in wh:
            setattr(settings, key, wh.pop(key))
    if "ducklake_data_path" in wh:  # a local path is relative to this file; a URL (s3://…) stays as given
        data_path = str(wh.pop("ducklake_data_path"))
        settings.ducklake_data_path = data_path if "://" in data_path else str(base / data_path)
    if wh:
        raise SettingsError(f"{origin}: unknown key(s) in [warehouse]: {', '.join(sorted(wh))}")
    if settings.backend not in ("duckdb", "ducklake"):
        raise SettingsError(f"{origin}: [warehouse] backend must be duckdb or ducklake")
    if "roles" in data:
        settings.roles_dir = base / data["roles"].get("dir", "roles")
    settings.http = _dataclass_from(HttpSettings, data.get("http", {}), origin, "http")
    settings.bls = _dataclass_from(BlsSettings, data.get("bls", {}), origin, "bls")
    settings.alerts = _dataclass_from(AlertSettings, data.get("alerts", {}), origin, "alerts")
    sources = data.get("sources", {})
    for name in sources:
        if name not in POSTING_SOURCES:
            raise SettingsError(f"{origin}: unknown source [sources.{name}]")
    settings.sources = {n: _source_from(n, sources.get(n, {}), settings.http) for n in POSTING_SOURCES}
    if warehouse:
        settings.warehouse_path = Path(warehouse)
        if not path:
            settings.data_dir = Path(warehouse).resolve().parent
    return settings
