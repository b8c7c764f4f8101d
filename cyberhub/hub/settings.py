"""Typed settings: defaults < TOML file named by ``CYBERHUB_CONFIG`` < ``CYBERHUB_*`` environment.

Unknown keys are an error in both the file and the environment, because a misspelt setting that
is silently ignored is how a hub ends up listening on the wrong address or the wrong database.
"""

from __future__ import annotations

import os
import re
import secrets
from email.errors import HeaderParseError
from email.headerregistry import Address
from pathlib import Path
from typing import Any, Literal, Mapping

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from cyberhub.core import addresses
from cyberhub.core.config_files import ConfigError, read_toml, validated

ENV_PREFIX = "CYBERHUB_"
# Environment names that share the prefix but are not hub settings.
# Not settings: the config file, the password and the language of the person running a
# command, and the mail server's password (under its default name; `mail_password_env` may
# name another).
ENV_NOT_SETTINGS = ("CYBERHUB_CONFIG", "CYBERHUB_PASSWORD", "CYBERHUB_LANGUAGE",
                    "CYBERHUB_MAIL_PASSWORD")
ENV_OTHER_PREFIXES = ("CYBERHUB_AGENT_", "CYBERHUB_TEST_", "CYBERHUB_BENCH_")
MAIL_PORTS = {"starttls": 587, "tls": 465, "none": 25}
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _mail_address(value: str) -> str:
    """An address as `local@domain`, nothing around it (no display name, no line break: the
    value goes into mail headers)."""
    try:
        parsed = Address(addr_spec=value)
    except (HeaderParseError, ValueError, IndexError):
        parsed = None
    if parsed is None or not parsed.username or "." not in parsed.domain \
            or parsed.addr_spec != value:
        raise ValueError(f"{value!r} is not an e-mail address like cert@example.org")
    return value


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
    # One line per request on standard output. Off by default: writing it cost a tenth of the
    # server's time on a page of objects, and failures and security events are logged anyway.
    access_log: bool = False

    # Correlation: campaigns need min_towns towns within window_days and an evidence score of
    # campaign_threshold; a key in more than correlation_max_postings incidents stops linking.
    campaign_min_towns: int = Field(default=3, ge=2, le=100)
    campaign_window_days: int = Field(default=7, ge=1, le=365)
    campaign_threshold: float = Field(default=3.0, gt=0)
    correlation_max_postings: int = Field(default=50, ge=2)
    warninglists_dir: Path = Field(
        default_factory=lambda: Path(__file__).resolve().parents[2] / "config" / "warninglists")

    # External feeds (cyberhub.hub.feeds): the directory of shipped feed files, how many feeds
    # the scheduler runs at once, and a CA bundle for sources behind a private CA (None: the
    # system's trusted certificates; TLS is always verified).
    feeds_dir: Path = Field(
        default_factory=lambda: Path(__file__).resolve().parents[2] / "feeds")
    feeds_workers: int = Field(default=3, ge=1, le=16)
    feeds_ca_file: Path | None = None

    # Push notices go to public addresses only (cyberhub.core.addresses); these CIDR ranges
    # are allowed besides, e.g. the Land's network the towns reach the hub through. In the
    # environment: separated by commas.
    push_allowed_networks: tuple[str, ...] = ()

    # E-mail to the analysts' team mailbox (cyberhub.hub.notifications): off unless mail_host
    # and mail_to are set. The password is not a setting: mail_password_env names the
    # environment variable that holds it, read when a mail is sent.
    mail_host: str | None = None
    mail_port: int | None = Field(default=None, ge=1, le=65535)  # None: by mail_security
    mail_security: Literal["starttls", "tls", "none"] = "starttls"
    mail_username: str | None = None
    mail_password_env: str = "CYBERHUB_MAIL_PASSWORD"
    mail_ca_file: Path | None = None  # None: the system's trusted certificates
    mail_from: str | None = None
    mail_to: tuple[str, ...] = ()  # in the environment: separated by commas
    mail_language: Literal["de", "en"] = "de"
    mail_unacknowledged_hours: int = Field(default=24, ge=1, le=30 * 24)

    # Federation (cyberhub.hub.federation): which town reports go up to an upstream hub, by
    # TLP, in the original form (the town's signature kept) and in the pseudonymised form
    # (the hub's pseudonym instead of the town; AMBER only so); AMBER+STRICT and RED never.
    # In the environment: separated by commas. How often the scheduler forwards.
    forward_original: tuple[Literal["clear", "green"], ...] = ("clear", "green")
    forward_pseudonymised: tuple[Literal["clear", "green", "amber"], ...] = ("amber",)
    forward_seconds: int = Field(default=30, ge=5, le=24 * 3600)

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

    @field_validator("push_allowed_networks", "forward_original", "forward_pseudonymised",
                     mode="before")
    @classmethod
    def _split_networks(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part for part in value.replace(",", " ").split() if part]
        return value

    @field_validator("push_allowed_networks")
    @classmethod
    def _cidr(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(str(network) for network in addresses.networks(value))

    @field_validator("mail_to", mode="before")
    @classmethod
    def _split_addresses(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part for part in value.replace(",", " ").split() if part]
        return value

    @field_validator("mail_to")
    @classmethod
    def _recipients(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_mail_address(address) for address in value)

    @field_validator("mail_from")
    @classmethod
    def _sender(cls, value: str | None) -> str | None:
        return None if value is None else _mail_address(value)

    @field_validator("mail_password_env")
    @classmethod
    def _variable_name(cls, value: str) -> str:
        if not _ENV_NAME.fullmatch(value):
            raise ValueError("must be the name of an environment variable, not the password")
        return value

    @model_validator(mode="after")
    def _mail_complete(self) -> "Settings":
        # Half a mail setup is a mistake to report, not a reason to stay silently off.
        if bool(self.mail_host) != bool(self.mail_to):
            raise ValueError("mail_host and mail_to go together: set both to send e-mail "
                             "notifications, or neither")
        if self.mail_host and not self.mail_from:
            raise ValueError("mail_from: the sender address is needed to send e-mail")
        if self.mail_username and self.mail_security == "none":
            raise ValueError("mail_username needs mail_security starttls or tls: the "
                             "password is never sent in the clear")
        both = set(self.forward_original) & set(self.forward_pseudonymised)
        if both:
            raise ValueError(f"forward_original and forward_pseudonymised both name "
                             f"{sorted(both)[0]}: a report goes up in one form")
        return self

    @property
    def mail_enabled(self) -> bool:
        return bool(self.mail_host and self.mail_to)

    @property
    def effective_mail_port(self) -> int:
        return self.mail_port or MAIL_PORTS[self.mail_security]

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


def _env_settings(environ: Mapping[str, str], not_settings: tuple[str, ...] = ()
                  ) -> dict[str, Any]:
    known = set(Settings.model_fields)
    values: dict[str, Any] = {}
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX) or name in ENV_NOT_SETTINGS + not_settings:
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
    # The variable holding the mail password is not a setting, whatever it is called.
    password_env = ((overrides or {}).get("mail_password_env")
                    or environ.get(ENV_PREFIX + "MAIL_PASSWORD_ENV")
                    or merged.get("mail_password_env"))
    merged.update(_env_settings(environ, (password_env,) if password_env else ()))
    if overrides:
        merged.update(overrides)
    return validated(Settings, merged)
