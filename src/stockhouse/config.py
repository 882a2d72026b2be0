"""Settings: command-line flags, then environment variables, then DATA_DIR/stockhouse.toml.

`load_settings()` is the only place that reads the environment. A wrong value raises
`ConfigError`, which the CLI prints as one line naming the setting.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

ENV_PREFIX = "STOCKHOUSE_"
CONFIG_FILE_NAME = "stockhouse.toml"
SECRET_KEY_FILE_NAME = "secret_key"  # noqa: S105 (a file name)
DEFAULT_DATA_DIR = "./stockhouse-data"
# Set by `stockhouse serve --workers N` for its server processes (not a user setting).
RUN_JOB_WORKERS_ENV = "STOCKHOUSE_SERVE_JOB_WORKERS"


class ConfigError(Exception):
    """A setting has a value Stockhouse cannot use."""

    def __init__(self, setting: str, message: str) -> None:
        super().__init__(f"configuration error: {setting}: {message}")
        self.setting = setting


@dataclass(frozen=True)
class Settings:
    """Everything a Stockhouse process needs to know about its environment."""

    data_dir: Path
    database_url: str
    storage_url: str
    redis_url: str | None = None
    search: str = "tantivy"
    host: str = "127.0.0.1"
    port: int = 8080
    base_url: str = ""
    secret_key: str = field(default="", repr=False)
    job_workers: int = 2
    log_level: str = "INFO"
    log_format: str = "json"
    session_ttl_s: int = 3 * 3600
    cliparto_min_interval_s: float = 20.0
    cliparto_repeat_window_s: float = 3600.0
    ftp_port: int = 2121
    fetch_allowlist: tuple[str, ...] = ()
    root_api: str = ""  # a compatible API also answered at "/" (`serve --api`)
    # The AI image generator (docs/generation.md): which backend draws the pictures.
    generation_backend: str = "offline"
    generation_endpoint: str | None = None  # OpenAI-compatible base URL, e.g. .../v1
    generation_api_key: str = field(default="", repr=False)
    generation_model: str = ""
    generation_timeout_s: float = 120.0
    generation_long_edge: int = 2048
    generation_callback_backoff_s: float = 5.0

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith("postgresql")

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def inbox_dir(self) -> Path:
        return self.data_dir / "inbox"

    @property
    def public_base_url(self) -> str:
        return self.base_url or f"http://{self.host}:{self.port}"


def _parse_int(setting: str, low: int, high: int) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        try:
            number = int(str(value).strip())
        except ValueError:
            raise ConfigError(setting, f"{value!r} is not a whole number") from None
        if not low <= number <= high:
            raise ConfigError(setting, f"{number} is outside {low}..{high}")
        return number

    return parse


def _parse_seconds(setting: str) -> Callable[[Any], float]:
    def parse(value: Any) -> float:
        try:
            number = float(str(value).strip())
        except ValueError:
            raise ConfigError(setting, f"{value!r} is not a number of seconds") from None
        if not 0 <= number <= 365 * 86400:
            raise ConfigError(setting, f"{number} is not between 0 and one year")
        return number

    return parse


ROOT_APIS = ("", "depositphotos", "pond5")
GENERATION_BACKENDS = ("offline", "openai", "diffusers")


def _parse_choice(setting: str, choices: tuple[str, ...]) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        text = str(value).strip().lower()
        if text not in choices:
            raise ConfigError(setting, f"{value!r} is not one of {', '.join(choices)}")
        return text

    return parse


def _parse_url(setting: str, schemes: tuple[str, ...]) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        text = str(value).strip()
        scheme = text.split("://", 1)[0].split("+", 1)[0].lower() if "://" in text else ""
        if scheme not in schemes:
            raise ConfigError(setting, f"{text!r} must start with one of {', '.join(schemes)}://")
        return text

    return parse


def _parse_optional_url(setting: str, schemes: tuple[str, ...]) -> Callable[[Any], str | None]:
    parse_url = _parse_url(setting, schemes)

    def parse(value: Any) -> str | None:
        return None if str(value).strip() == "" else parse_url(value)

    return parse


def _parse_networks(setting: str) -> Callable[[Any], tuple[str, ...]]:
    def parse(value: Any) -> tuple[str, ...]:
        items = value if isinstance(value, list) else str(value).split(",")
        networks = []
        for item in (str(i).strip() for i in items):
            if not item:
                continue
            try:
                networks.append(str(ipaddress.ip_network(item, strict=False)))
            except ValueError:
                raise ConfigError(
                    setting, f"{item!r} is not an IP network like 10.0.0.0/8"
                ) from None
        return tuple(networks)

    return parse


_PARSERS: dict[str, Callable[[Any], Any]] = {
    "database_url": _parse_url("STOCKHOUSE_DATABASE_URL", ("sqlite", "postgresql", "postgres")),
    "storage_url": _parse_url("STOCKHOUSE_STORAGE_URL", ("file", "s3")),
    "redis_url": _parse_optional_url("STOCKHOUSE_REDIS_URL", ("redis", "rediss", "unix")),
    "search": _parse_choice("STOCKHOUSE_SEARCH", ("tantivy", "postgres")),
    "host": str,
    "port": _parse_int("STOCKHOUSE_PORT", 1, 65535),
    "base_url": _parse_optional_url("STOCKHOUSE_BASE_URL", ("http", "https")),
    "secret_key": str,
    "job_workers": _parse_int("STOCKHOUSE_JOB_WORKERS", 0, 64),
    "log_level": _parse_choice("STOCKHOUSE_LOG_LEVEL", ("debug", "info", "warning", "error")),
    "log_format": _parse_choice("STOCKHOUSE_LOG_FORMAT", ("json", "text")),
    "session_ttl_s": _parse_int("STOCKHOUSE_SESSION_TTL_S", 60, 365 * 86400),
    "cliparto_min_interval_s": _parse_seconds("STOCKHOUSE_CLIPARTO_MIN_INTERVAL_S"),
    "cliparto_repeat_window_s": _parse_seconds("STOCKHOUSE_CLIPARTO_REPEAT_WINDOW_S"),
    "ftp_port": _parse_int("STOCKHOUSE_FTP_PORT", 0, 65535),
    "fetch_allowlist": _parse_networks("STOCKHOUSE_FETCH_ALLOWLIST"),
    "root_api": _parse_choice("STOCKHOUSE_ROOT_API", ROOT_APIS),
    "generation_backend": _parse_choice("STOCKHOUSE_GENERATION_BACKEND", GENERATION_BACKENDS),
    "generation_endpoint": _parse_optional_url("STOCKHOUSE_GENERATION_ENDPOINT", ("http", "https")),
    "generation_api_key": str,
    "generation_model": str,
    "generation_timeout_s": _parse_seconds("STOCKHOUSE_GENERATION_TIMEOUT_S"),
    "generation_long_edge": _parse_int("STOCKHOUSE_GENERATION_LONG_EDGE", 256, 4096),
    "generation_callback_backoff_s": _parse_seconds("STOCKHOUSE_GENERATION_CALLBACK_BACKOFF_S"),
}


def _read_config_file(data_dir: Path) -> dict[str, Any]:
    path = data_dir / CONFIG_FILE_NAME
    if not path.is_file():
        return {}
    try:
        with path.open("rb") as handle:
            values = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), f"not valid TOML ({exc})") from None
    unknown = sorted(set(values) - set(_PARSERS))
    if unknown:
        raise ConfigError(str(path), f"unknown setting {unknown[0]!r}")
    return values


def _secret_key_from_data_dir(data_dir: Path) -> str:
    """Read the data dir's signing key, creating it on first use."""
    path = data_dir / SECRET_KEY_FILE_NAME
    if path.is_file():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def load_settings(
    flags: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    create_secret: bool = True,
) -> Settings:
    """Build Settings from flags > environment > DATA_DIR/stockhouse.toml > defaults.

    `flags` holds only the options given on the command line (None values are ignored).
    """
    flags = {key: value for key, value in (flags or {}).items() if value is not None}
    environ = os.environ if environ is None else environ

    raw_data_dir = flags.get("data_dir") or environ.get(ENV_PREFIX + "DATA_DIR") or DEFAULT_DATA_DIR
    data_dir = Path(raw_data_dir).expanduser().resolve()
    if data_dir.exists() and not data_dir.is_dir():
        raise ConfigError("STOCKHOUSE_DATA_DIR", f"{data_dir} exists and is not a directory")

    values: dict[str, Any] = dict(_read_config_file(data_dir))
    for name in _PARSERS:
        env_value = environ.get(ENV_PREFIX + name.upper())
        if env_value is not None:
            values[name] = env_value
    values.update({key: value for key, value in flags.items() if key in _PARSERS})

    parsed = {name: _PARSERS[name](value) for name, value in values.items()}
    parsed.setdefault("database_url", f"sqlite:///{data_dir / 'stockhouse.db'}")
    parsed.setdefault("storage_url", f"file://{data_dir / 'blobs'}")
    if not parsed.get("secret_key") and create_secret:
        parsed["secret_key"] = _secret_key_from_data_dir(data_dir)
    if parsed.get("search") == "postgres" and not str(parsed["database_url"]).startswith(
        "postgres"
    ):
        raise ConfigError("STOCKHOUSE_SEARCH", "'postgres' search needs a PostgreSQL database_url")
    if parsed.get("generation_backend") == "openai" and not parsed.get("generation_endpoint"):
        raise ConfigError(
            "STOCKHOUSE_GENERATION_ENDPOINT",
            "the 'openai' generation backend needs an endpoint URL",
        )
    known = {f.name for f in fields(Settings)}
    return Settings(data_dir=data_dir, **{k: v for k, v in parsed.items() if k in known})
