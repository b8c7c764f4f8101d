"""Typed settings: defaults < TOML file named by ``CYBERHUB_CONFIG`` < ``CYBERHUB_*`` environment.

Unknown keys are an error in both the file and the environment, because a misspelt setting that
is silently ignored is how a hub ends up listening on the wrong address or the wrong database.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any, Mapping

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cyberhub.core import addresses
from cyberhub.core.config_files import ConfigError, read_toml, validated

ENV_PREFIX = "CYBERHUB_"
# Environment names that share the prefix but are not hub settings.
# Not settings: the config file, and the password of the person running a command.
ENV_NOT_SETTINGS = ("CYBERHUB_CONFIG", "CYBERHUB_PASSWORD")
ENV_OTHER_PREFIXES = ("CYBERHUB_AGENT_", "CYBERHUB_TEST_", "CYBERHUB_BENCH_")


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    home: Path = Field(default_factory=lambda: Path("~/.cyberhub").expanduser())
    database_url: str | None = None
    secret_key: str | None = None

    title: str = "cyberhub"
    description: str = "Incident sharing hub for municipalities"
    contact: str = ""
    public_url: str | None = None
    api_root: str = "hub"

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64)

    max_content_length: int = Field(default=10 * 1024 * 1024, ge=1024)
    max_object_size: int = Field(default=1024 * 1024, ge=1024)
    enrollment_token_hours: int = Field(default=72, ge=1, le=24 * 60)
    page_size: int = Field(default=100, ge=1)
    max_page_size: int = Field(default=1000, ge=1)
    status_retention_hours: int = Field(default=168, ge=24)
    next_token_max_age: int = Field(default=86400, ge=60)
    # The console: a session ends after this long without a request, and after this long
    # in all (BSI IT-Grundschutz ORP.4 asks for both).
    console_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    console_session_hours: int = Field(default=12, ge=1, le=7 * 24)
    log_level: str = "INFO"

    # Correlation: campaigns need min_towns towns within window_days and an evidence score of
    # campaign_threshold; a key in more than correlation_max_postings incidents stops linking.
    campaign_min_towns: int = Field(default=3, ge=2, le=100)
    campaign_window_days: int = Field(default=7, ge=1, le=365)
    campaign_threshold: float = Field(default=3.0, gt=0)
    correlation_max_postings: int = Field(default=50, ge=2)
    warninglists_dir: Path = Field(
        default_factory=lambda: Path(__file__).resolve().parents[2] / "config" / "warninglists")

    # Push notices go to public addresses only (cyberhub.core.addresses); these CIDR ranges
    # are allowed besides, e.g. the Land's network the towns reach the hub through. In the
    # environment: separated by commas.
    push_allowed_networks: tuple[str, ...] = ()

    @field_validator("home", mode="after")
    @classmethod
    def _expand_home(cls, value: Path) -> Path:
        return value.expanduser()

    @field_validator("api_root")
    @classmethod
    def _plain_segment(cls, value: str) -> str:
        if not value or not value.replace("-", "").replace("_", "").isalnum():
            raise ValueError("must be one URL path segment of letters, digits, - and _")
        return value

    @field_validator("push_allowed_networks", mode="before")
    @classmethod
    def _split_networks(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part for part in value.replace(",", " ").split() if part]
        return value

    @field_validator("push_allowed_networks")
    @classmethod
    def _cidr(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(str(network) for network in addresses.networks(value))

    @property
    def signing_key_path(self) -> Path:
        """The hub's Ed25519 private key: made by `cyberhub init` (mode 0600), read once by
        `cyberhub.hub.bootstrap`, never sent anywhere."""
        return self.home / "hub_signing_key.pem"

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'cyberhub.db'}"

    @property
    def base_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        return f"http://{self.host}:{self.port}"

    @property
    def discovery_url(self) -> str:
        return f"{self.base_url}/taxii2/"

    @property
    def api_root_url(self) -> str:
        return f"{self.base_url}/taxii2/{self.api_root}/"

    def secret(self) -> str:
        """The key that signs `next` cursors; kept in the data directory so every worker and
        every restart shares it."""
        if self.secret_key:
            return self.secret_key
        path = self.home / "secret_key"
        try:
            return path.read_text().strip()
        except FileNotFoundError:
            pass
        self.home.mkdir(parents=True, exist_ok=True)
        value = secrets.token_urlsafe(48)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another worker won the race
            return path.read_text().strip()
        with os.fdopen(fd, "w") as handle:
            handle.write(value + "\n")
        return value


def _env_settings(environ: Mapping[str, str]) -> dict[str, Any]:
    known = set(Settings.model_fields)
    values: dict[str, Any] = {}
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX) or name in ENV_NOT_SETTINGS:
            continue
        if name.startswith(ENV_OTHER_PREFIXES):
            continue
        key = name[len(ENV_PREFIX):].lower()
        if key not in known:
            raise ConfigError(f"unknown setting in environment: {name}")
        values[key] = value
    return values


def _file_settings(path: Path) -> dict[str, Any]:
    data = read_toml(path)
    known = set(Settings.model_fields)
    for key in data:
        if key not in known:
            raise ConfigError(f"unknown setting in {path}: {key}")
    return data


def load_settings(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Merge defaults, the TOML file, the environment and explicit overrides (tests, CLI)."""
    environ = os.environ if environ is None else environ
    merged: dict[str, Any] = {}
    config_path = environ.get("CYBERHUB_CONFIG")
    if config_path:
        merged.update(_file_settings(Path(config_path)))
    merged.update(_env_settings(environ))
    if overrides:
        merged.update(overrides)
    return validated(Settings, merged)
