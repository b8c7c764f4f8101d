"""The agent's settings: defaults < `agent.toml` < `CYBERHUB_AGENT_*` environment.

The data directory is `CYBERHUB_AGENT_HOME` (default `~/.cyberhub-agent`). The settings file is
`CYBERHUB_AGENT_CONFIG` if set, else `agent.toml` in the data directory if it exists. Unknown
keys are an error: a misspelt log path that is silently ignored means evidence nobody reads.
What the hub told the agent at enrolment (URL, credentials, keys) lives in the agent's database,
not here, so this file can be shared between the towns an IT provider looks after.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal, Mapping

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cyberhub.agent.texts import Problem, say
from cyberhub.core import config_files, messages

# Shared with the hub's settings: pure pydantic, no Flask, no database.
from cyberhub.core.config_files import ConfigError

ENV_PREFIX = "CYBERHUB_AGENT_"
ENV_NOT_SETTINGS = ("CYBERHUB_AGENT_HOME", "CYBERHUB_AGENT_CONFIG")
TLP_LEVELS = ("clear", "green", "amber", "amber+strict", "red")
DEFAULT_SSHD_LOG = Path("/var/log/auth.log")


class Collector(BaseModel):
    """One log the agent reads evidence from: a file, or for sshd the systemd journal."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["sshd", "web"]
    path: Path  # sshd: default /var/log/auth.log
    # Name used in reports and `status`; defaults to the file name ("journal" for the journal).
    name: str = ""
    # sshd only. "auto": the file at `path` if it exists, else the systemd journal (Debian 12+
    # and current Ubuntu log sshd only there); "file" or "journal" choose one for good.
    source: Literal["auto", "file", "journal"] = "auto"
    # A journal file or directory to read instead of this machine's journal, e.g. the one
    # systemd-journal-remote fills with other servers' logs.
    journal: Path | None = None

    @model_validator(mode="before")
    @classmethod
    def _sshd_defaults(cls, values: Any) -> Any:
        if isinstance(values, dict) and values.get("kind") == "sshd" and "path" not in values:
            return {**values, "path": DEFAULT_SSHD_LOG}
        return values

    @model_validator(mode="after")
    def _journal_is_for_sshd(self) -> "Collector":
        if self.kind != "sshd" and (self.source != "auto" or self.journal is not None):
            raise ValueError(say("agent.settings.journal_is_for_sshd", kind=self.kind))
        return self


class Thresholds(BaseModel):
    """When local evidence counts as an incident worth a draft report."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # OpenSSH: failed logins from one address within the window → brute force.
    ssh_failures: int = Field(default=10, ge=2)
    # Web: requests answered 404 for distinct paths from one address within the window → scan.
    web_not_found: int = Field(default=20, ge=2)
    window_minutes: int = Field(default=10, ge=1, le=24 * 60)


class AgentSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    home: Path = Field(default_factory=lambda: Path("~/.cyberhub-agent").expanduser())
    poll_interval: int = Field(default=300, ge=1, le=86400)
    send_interval: int = Field(default=60, ge=1, le=86400)
    collect_interval: int = Field(default=300, ge=1, le=86400)
    retry_initial: float = Field(default=30, gt=0)
    retry_max: float = Field(default=3600, gt=0)
    request_timeout: float = Field(default=30, gt=0)
    ca_file: Path | None = None
    allow_http: bool = False
    blocklist_dir: Path | None = None
    # The group of the programs that read the blocklists (resolver, mail server, clamd):
    # then the directory is 0750 and the files 0640 of that group, else 0755 and 0644.
    blocklist_group: str = Field(default="", pattern=r"^$|^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}$")
    apply_command: str = ""
    default_tlp: Literal[TLP_LEVELS] = "amber"  # type: ignore[valid-type]
    auto_send_score: int = Field(default=0, ge=0, le=100)
    log_level: str = "INFO"
    collectors: tuple[Collector, ...] = ()
    thresholds: Thresholds = Thresholds()
    # host:port to listen on for the hub's push notices ("" = poll only), and the URL the
    # hub should use to reach it (default http://<listen>/push; set it behind a proxy).
    listen: str = Field(default="", pattern=r"^$|^[A-Za-z0-9.\-\[\]:]+:\d{1,5}$")
    callback_url: str = ""

    @property
    def blocklists(self) -> Path:
        return self.blocklist_dir or self.home / "blocklists"

    @property
    def database(self) -> Path:
        return self.home / "agent.db"

    @model_validator(mode="after")
    def _reachable_callback(self) -> "AgentSettings":
        if self.callback_url and not self.callback_url.startswith(("http://", "https://")):
            raise ValueError(say("agent.settings.callback_url"))
        host = self.listen.rpartition(":")[0].strip("[]")
        if host in ("0.0.0.0", "::", "") and self.listen and not self.callback_url:
            raise ValueError(say("agent.settings.listen_needs_callback"))
        return self

    @property
    def push_url(self) -> str:
        return self.callback_url or (f"http://{self.listen}/push" if self.listen else "")

    @property
    def drafts(self) -> Path:
        return self.home / "drafts"


class SettingsError(Problem, ConfigError):
    """A mistake in the settings, said in the reader's language (the shared reader's own texts
    are English, as the hub's command line shows them)."""


def _said(error: ConfigError) -> ConfigError:
    """The shared reader's error as the agent says it: its kind, and for a setting pydantic's
    error type, from the catalog; pydantic's English only for a type the catalog lacks."""
    values = error.values
    if error.problem == "not_found":
        return SettingsError("agent.config.not_found", path=values["path"])
    if error.problem == "not_toml":
        return SettingsError("agent.config.not_toml", path=values["path"],
                             detail=values["detail"])
    if error.problem != "invalid":
        return error
    kind, context = values["type"], dict(values.get("context") or {})
    if kind == "literal_error":  # pydantic's "'a', 'b' or 'c'": the "or" is English
        context["expected"] = str(context.get("expected", "")).replace(" or ", ", ")
    if kind != "value_error" and f"agent.config.{kind}" in messages.catalog():
        problem: Any = Problem(f"agent.config.{kind}", **context)
    else:  # a validator's own text (in the catalog's words already), or pydantic's
        problem = values["detail"]
    if not values["setting"]:  # a rule about several settings
        return SettingsError("agent.config.invalid_together", problem=problem)
    return SettingsError("agent.config.invalid", setting=values["setting"], problem=problem)


def _read(path: Path) -> dict[str, Any]:
    try:
        return config_files.read_toml(path)
    except ConfigError as exc:
        raise _said(exc) from None


def _env_settings(environ: Mapping[str, str]) -> dict[str, Any]:
    scalars = {name for name, field in AgentSettings.model_fields.items()
               if name not in ("collectors", "thresholds", "home")}
    values: dict[str, Any] = {}
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX) or name in ENV_NOT_SETTINGS:
            continue
        key = name[len(ENV_PREFIX):].lower()
        if key not in scalars:
            raise ConfigError(say("agent.settings.unknown_environment", name=name))
        values[key] = value
    return values


def load_settings(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> AgentSettings:
    environ = os.environ if environ is None else environ
    merged: dict[str, Any] = {}
    home = environ.get("CYBERHUB_AGENT_HOME")
    if home:
        merged["home"] = Path(home).expanduser()
    config_path = environ.get("CYBERHUB_AGENT_CONFIG")
    if config_path:
        merged.update(_read(Path(config_path)))
    else:
        default = Path(merged.get("home") or Path("~/.cyberhub-agent").expanduser()) / "agent.toml"
        if default.is_file():
            merged.update(_read(default))
    if home:  # the environment names the data directory, whatever a shared file says
        merged["home"] = Path(home).expanduser()
    merged.update(_env_settings(environ))
    if overrides:
        merged.update(overrides)
    try:
        return config_files.validated(AgentSettings, merged)
    except ConfigError as exc:
        raise _said(exc) from None
