"""Setting the agent up as a system service, as a plan of steps.

`cyberhub-agent install` and `uninstall` are each a list of `Step`s: what the step does (for the
town's administrator, from the catalog table agent.install), a check whether it is already in
place, and the action.
A dry run prints the steps whose check fails; a real run carries them out; running it again
finds every check true and changes nothing. So dry run and idempotency come from one list
instead of two code paths that can drift apart.

What gets set up, and why (each one a failure a new town ran into by hand):
- a system user and group (`useradd --system`, no login shell, home = the data directory), in
  `adm` and `systemd-journal` so that it can read the auth log and the journal;
- the data directory (key, credentials, queue), owned by that user, 0700 - also created here
  rather than by systemd on first start, so that enrolling works before the service ran;
- a separate blocklist directory, owned by the user and group-owned by the resolver's group
  (`--resolver-group unbound`), mode 2750: Unbound or BIND, running as their own users, read the
  files, nobody else does, and the setgid bit gives new files the group. It is not inside the
  data directory, which would then have to be traversable;
- on Debian/Ubuntu, a rule in the readers' local AppArmor profiles (Unbound, BIND, clamd),
  which otherwise let Unbound read only /etc/unbound and /var/lib/unbound;
- the systemd unit, pointing at this very installation (no hard-coded virtualenv), allowed to
  write both directories under ProtectSystem=strict;
- `/usr/local/bin/cyberhub-agent`, a small wrapper that runs every command as the service user
  with its data directory, so the administrator types `cyberhub-agent status` as root and no
  file in the data directory ever belongs to root.
The texts of the unit and the wrapper are in `service_files`.
"""

from __future__ import annotations

import grp
import os
import pwd
import re
import shutil
import stat
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from cyberhub.agent import service_files
from cyberhub.agent.blocklists import FILES as BLOCKLIST_FILES
from cyberhub.agent.node_key import KEY_FILE
from cyberhub.agent.service_files import APPARMOR_MARK, WRAPPER_MARK
from cyberhub.core import messages

SERVICE = "cyberhub-agent.service"
DEFAULT_USER = "cyberhub-agent"
DEFAULT_DATA_DIR = Path("/var/lib/cyberhub-agent")
DEFAULT_BLOCKLIST_DIR = Path("/var/lib/cyberhub-agent-blocklists")
# Groups that may read /var/log/auth.log (adm on Debian) and the journal; those present are used.
LOG_GROUPS = ("adm", "systemd-journal")
# The AppArmor profiles (Debian, Ubuntu) of the blocklists' readers: Unbound, BIND, clamd. The
# group decides who may read; the profile would still stop them.
APPARMOR_PROFILES = ("usr.sbin.unbound", "usr.sbin.named", "usr.sbin.clamd")
# What only an agent's data directory holds: a directory without any of these (and not empty)
# is someone else's, and is neither chowned nor purged.
AGENT_FILES = ("agent.db", KEY_FILE, "agent.toml", "drafts")
# ProtectHome=yes hides these from the service; a data directory there could never be used.
HIDDEN_FROM_SERVICE = (Path("/home"), Path("/root"), Path("/run/user"))
SYSTEM_DIRS = {Path(p) for p in ("/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/opt",
                                 "/proc", "/root", "/run", "/sbin", "/srv", "/sys", "/tmp", "/usr",
                                 "/var", "/var/lib", "/var/log", "/usr/local")}
NO_LOGIN = ("/usr/sbin/nologin", "/sbin/nologin", "/bin/false", "/usr/bin/false")
_NAME = re.compile(r"^[a-z_][a-z0-9_-]{0,30}$")
# Paths that go into the unit and the wrapper unquoted: systemd would expand % and split on
# blanks, so such paths are refused rather than escaped.
_PATH = re.compile(r"^/[A-Za-z0-9._/+-]*$")


def text(key: str, **values: object) -> str:
    """A text of the plan (catalog table agent.install), in the administrator's language."""
    return messages.text(f"agent.install.{key}", messages.from_environment(os.environ), **values)


class InstallError(Exception):
    """A setup step cannot be carried out; the message says why, in one line. `outcomes` are
    the steps taken before it, for the report of how far it got."""

    def __init__(self, message: str, outcomes: list[Outcome] | None = None) -> None:
        super().__init__(message)
        self.outcomes = outcomes or []


@dataclass(frozen=True)
class Layout:
    """Where everything goes. `root` moves only the files written into the system (unit, wrapper,
    AppArmor rule) into a directory tree, for tests and packaging; users, groups and the data
    directories are always the real ones."""

    user: str = DEFAULT_USER
    data_dir: Path = DEFAULT_DATA_DIR
    blocklist_dir: Path = DEFAULT_BLOCKLIST_DIR
    resolver_group: str | None = None
    root: Path = Path("/")
    entry: tuple[str, ...] = field(default_factory=lambda: installed_entry())

    @property
    def unit_path(self) -> Path:
        return self.root / "etc/systemd/system" / SERVICE

    @property
    def wrapper_path(self) -> Path:
        return self.root / "usr/local/bin/cyberhub-agent"

    @property
    def reader_group(self) -> str:
        return self.resolver_group or self.user

    @property
    def apparmor_locals(self) -> list[Path]:
        """The local additions to the readers' AppArmor profiles installed here."""
        return [self.root / "etc/apparmor.d/local" / profile for profile in APPARMOR_PROFILES
                if (self.root / "etc/apparmor.d" / profile).is_file()]

    @property
    def systemd(self) -> bool:
        """Whether systemctl can act: systemd runs here and the unit goes into this system."""
        return self.root == Path("/") and Path("/run/systemd/system").is_dir()

    @property
    def environment(self) -> dict[str, str]:
        return {"CYBERHUB_AGENT_HOME": str(self.data_dir),
                "CYBERHUB_AGENT_BLOCKLIST_DIR": str(self.blocklist_dir)}

    def unit(self) -> str:
        return service_files.render_unit(user=self.user, data_dir=self.data_dir,
                                         blocklist_dir=self.blocklist_dir,
                                         reader=self.reader_group, entry=self.entry)

    def wrapper(self) -> str:
        return service_files.render_wrapper(user=self.user, environment=self.environment,
                                            entry=self.entry)

    def apparmor_rules(self) -> str:
        return service_files.apparmor_rules(self.blocklist_dir)


@dataclass(frozen=True)
class Step:
    text: str
    done: Callable[[], bool]
    act: Callable[[], None]


@dataclass(frozen=True)
class Outcome:
    text: str
    state: str  # "already" (was in place), "changed" (done now), "planned" (dry run)


def installed_entry() -> tuple[str, ...]:
    """The command of the running installation: the `cyberhub-agent` script beside this
    interpreter (a venv's bin/), else the interpreter itself with `-m cyberhub.agent`."""
    script = Path(sys.executable).parent / "cyberhub-agent"
    if script.is_file() and os.access(script, os.X_OK):
        return (str(script),)
    return (sys.executable, "-m", "cyberhub.agent")


def carry_out(steps: list[Step], dry_run: bool) -> list[Outcome]:
    """Take the steps in order. The first failing action stops the run: the error carries the
    outcomes so far, because a half-done install must say what it did."""
    outcomes: list[Outcome] = []
    for step in steps:
        if step.done():
            outcomes.append(Outcome(step.text, "already"))
        elif dry_run:
            outcomes.append(Outcome(step.text, "planned"))
        else:
            try:
                step.act()
            except InstallError as exc:
                raise InstallError(str(exc), outcomes) from None
            except OSError as exc:
                where = f": {exc.filename}" if exc.filename else ""
                raise InstallError(f"{exc.strerror or exc}{where}", outcomes) from None
            outcomes.append(Outcome(step.text, "changed"))
    return outcomes


# --- checks -------------------------------------------------------------------------------------

def _user(name: str) -> pwd.struct_passwd | None:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        return None


def _group(name: str) -> grp.struct_group | None:
    try:
        return grp.getgrnam(name)
    except KeyError:
        return None


def _nologin() -> str:
    return next((p for p in NO_LOGIN[:2] if Path(p).exists()), NO_LOGIN[2])


def _owned(path: Path, user: str, group: str, mode: int) -> bool:
    account, team = _user(user), _group(group)
    try:
        info = path.lstat()
    except OSError:
        return False
    return (account is not None and team is not None and stat.S_ISDIR(info.st_mode)
            and info.st_uid == account.pw_uid and info.st_gid == team.gr_gid
            and stat.S_IMODE(info.st_mode) == mode)


def _entries(path: Path) -> list[Path]:
    found = []
    for top, dirs, files in os.walk(path):
        found += [Path(top, name) for name in dirs + files]
    return found


def _agent_dir(path: Path, markers: tuple[str, ...]) -> bool:
    """Empty, or holding what only the agent's directory holds."""
    try:
        names = {entry.name for entry in path.iterdir()}
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return not names or bool(names & set(markers))


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _run(argv: list[str]) -> None:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InstallError(text("command_failed", command=argv[0], why=exc)) from None
    if done.returncode != 0:
        why = ((done.stderr or done.stdout).strip().splitlines() or [f"Status {done.returncode}"])
        raise InstallError(text("command_failed", command=" ".join(argv[:2]),
                                                          why=why[-1]))


def _succeeds(argv: list[str]) -> bool:
    try:
        return subprocess.run(argv, capture_output=True, timeout=60, check=False).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _write(path: Path, content: str, mode: int) -> None:
    """Written under a temporary name and renamed: a unit or wrapper is never half there."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(content)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _ours(path: Path) -> bool:
    return WRAPPER_MARK in (_read(path) or "")


# --- checking the input -------------------------------------------------------------------------

def validate(layout: Layout, installing: bool = True, dirs: bool = True) -> None:
    """Refuse a layout that could not work or would touch what is not the agent's."""
    for what, name in (("--user", layout.user), ("--resolver-group", layout.resolver_group)):
        if name is not None and not _NAME.match(name):
            raise InstallError(text("bad_name", what=what, name=name))
    account = _user(layout.user)
    # usermod/userdel on root or a person's account would lock them out.
    if account is not None and (account.pw_uid == 0 or account.pw_shell not in NO_LOGIN):
        raise InstallError(text("foreign_user", user=layout.user))
    if installing and layout.resolver_group and _group(layout.resolver_group) is None:
        raise InstallError(text("no_group", group=layout.resolver_group))
    for what, path, default in ((text("data_dir_what"), layout.data_dir, DEFAULT_DATA_DIR),
                                (text("blocklist_dir_what"), layout.blocklist_dir,
                                 DEFAULT_BLOCKLIST_DIR)):
        if not _PATH.match(str(path)) or ".." in path.parts:
            raise InstallError(text("bad_path", path=path, what=what))
        if path in SYSTEM_DIRS:
            raise InstallError(text("system_dir", path=path, what=what))
        hidden = next((h for h in HIDDEN_FROM_SERVICE if path.is_relative_to(h)), None)
        if hidden is not None:
            raise InstallError(text("hidden", path=path, hidden=hidden, default=default))
    data, blocklists = layout.data_dir, layout.blocklist_dir
    if data.is_relative_to(blocklists) or blocklists.is_relative_to(data):
        raise InstallError(text("nested", blocklists=blocklists, data=data))
    checked = ((data, AGENT_FILES, "--data-dir"), (blocklists, BLOCKLIST_FILES, "--blocklist-dir"))
    for path, markers, option in checked if dirs else ():
        mine = account is not None and path.exists() and path.stat().st_uid == account.pw_uid
        if not mine and not _agent_dir(path, markers):
            raise InstallError(text("foreign_dir", path=path, option=option))
    if installing:
        if not all(_PATH.match(part) for part in layout.entry[:1]):
            raise InstallError(text("bad_path", path=layout.entry[0], what=text("program_what")))
        if Path(layout.entry[0]) == layout.wrapper_path:
            raise InstallError(text("entry_is_wrapper", path=layout.wrapper_path))
        if layout.wrapper_path.exists() and not _ours(layout.wrapper_path):
            raise InstallError(text("foreign_wrapper", path=layout.wrapper_path))


# --- the plans ----------------------------------------------------------------------------------

def install_plan(layout: Layout) -> list[Step]:
    validate(layout)
    user, home, nologin = layout.user, layout.data_dir, _nologin()

    def user_right() -> bool:
        account = _user(user)
        return (account is not None and Path(account.pw_dir) == home
                and account.pw_shell == nologin and _group(user) is not None
                and account.pw_gid == _group(user).gr_gid)

    def make_user() -> None:
        if _user(user) is None:
            _run(["useradd", "--system", "--gid", user, "--home-dir", str(home),
                  "--no-create-home", "--shell", nologin, "--comment", "cyberhub-Knotenagent",
                  user])
        else:
            _run(["usermod", "--gid", user, "--home", str(home), "--shell", nologin, user])

    steps = [
        Step(text("group", user=user), lambda: _group(user) is not None,
             lambda: _run(["groupadd", "--system", user])),
        Step(text("user_fix" if _user(user) else "user", user=user, home=home),
             user_right, make_user),
    ]
    for name in (g for g in LOG_GROUPS if _group(g) is not None):
        steps.append(Step(text("log_group", user=user, group=name),
                          lambda name=name: user in _group(name).gr_mem,
                          lambda name=name: _run(["usermod", "-aG", name, user])))
    steps += [
        Step(text("data_dir", path=home, user=user), lambda: _data_dir_right(layout),
             lambda: _make_data_dir(layout)),
        Step(text("blocklist_dir", path=layout.blocklist_dir, user=user,
                                           group=layout.reader_group),
             lambda: _blocklist_dir_right(layout), lambda: _make_blocklist_dir(layout)),
    ]
    reload = text("apparmor_reload") if _apparmor_active(layout) else ""
    for local in layout.apparmor_locals if layout.resolver_group else ():
        steps.append(Step(text("apparmor", reader=local.name, file=local,
                                                   path=layout.blocklist_dir, reload=reload),
                          lambda local=local: layout.apparmor_rules() in (_read(local) or ""),
                          lambda local=local: _add_apparmor(layout, local)))
    unit, wrapper = layout.unit(), layout.wrapper()
    steps += [
        Step(text("unit", path=layout.unit_path, entry=" ".join(layout.entry),
                                  reload=text("daemon_reload") if layout.systemd else ""),
             lambda: _read(layout.unit_path) == unit, lambda: _write_unit(layout, unit)),
        Step(text("wrapper", path=layout.wrapper_path, user=user, home=home),
             lambda: (_read(layout.wrapper_path) == wrapper
                      and os.access(layout.wrapper_path, os.X_OK)),
             lambda: _write(layout.wrapper_path, wrapper, 0o755)),
        Step(text("runnable", user=user, entry=" ".join(layout.entry)),
             lambda: _runnable(layout) is None, lambda: _fail_unrunnable(layout)),
    ]
    if layout.systemd:
        steps.append(Step(text("enable", service=SERVICE),
                          lambda: _succeeds(["systemctl", "is-enabled", "--quiet", SERVICE]),
                          lambda: _run(["systemctl", "enable", SERVICE])))
    return steps


def uninstall_plan(layout: Layout, purge: bool) -> list[Step]:
    validate(layout, installing=False, dirs=purge)
    user, steps = layout.user, []
    if layout.systemd:
        steps.append(Step(text("disable", service=SERVICE),
                          lambda: not (_succeeds(["systemctl", "is-enabled", "--quiet", SERVICE])
                                       or _succeeds(["systemctl", "is-active", "--quiet",
                                                     SERVICE])),
                          lambda: _run(["systemctl", "disable", "--now", SERVICE])))

    def remove_unit() -> None:
        layout.unit_path.unlink(missing_ok=True)
        if layout.systemd:
            _run(["systemctl", "daemon-reload"])

    steps += [
        Step(text("remove_unit", path=layout.unit_path,
                                         reload=text("daemon_reload") if layout.systemd else ""),
             lambda: not layout.unit_path.exists(), remove_unit),
        # Only the wrapper this command wrote: a real cyberhub-agent there stays.
        Step(text("remove_wrapper", path=layout.wrapper_path),
             lambda: not _ours(layout.wrapper_path),
             lambda: layout.wrapper_path.unlink(missing_ok=True)),
    ]
    for local in layout.apparmor_locals:
        steps.append(Step(text("remove_apparmor", path=layout.blocklist_dir, file=local),
                          lambda local=local: layout.apparmor_rules() not in (_read(local) or ""),
                          lambda local=local: _remove_apparmor(layout, local)))
    if purge:  # before the user goes: validate() saw the directories are the agent's
        for path in (layout.data_dir, layout.blocklist_dir):
            steps.append(Step(text("purge", path=path),
                              lambda path=path: not path.exists(),
                              lambda path=path: shutil.rmtree(path)))
    steps += [
        Step(text("remove_user", user=user), lambda: _user(user) is None,
             lambda: _run(["userdel", user])),
        # userdel removes a group of the same name only when login.defs says so.
        Step(text("remove_group", user=user), lambda: _group(user) is None,
             lambda: _run(["groupdel", user])),
    ]
    return steps


# --- the actions --------------------------------------------------------------------------------

def _data_dir_right(layout: Layout) -> bool:
    if not _owned(layout.data_dir, layout.user, layout.user, 0o700):
        return False
    uid = _user(layout.user).pw_uid
    return all(entry.lstat().st_uid == uid for entry in _entries(layout.data_dir))


def _make_data_dir(layout: Layout) -> None:
    """Also hands over what root left there (an enrolment run as root before this install):
    a root-owned file in the data directory would stop the service."""
    account = _user(layout.user)
    layout.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    for path in [layout.data_dir, *_entries(layout.data_dir)]:
        os.lchown(path, account.pw_uid, account.pw_gid)
    os.chmod(layout.data_dir, 0o700)


def _blocklist_dir_right(layout: Layout) -> bool:
    path, team = layout.blocklist_dir, _group(layout.reader_group)
    if not _owned(path, layout.user, layout.reader_group, 0o2750):
        return False
    return all(entry.lstat().st_gid == team.gr_gid and entry.lstat().st_mode & stat.S_IRGRP
               for entry in _entries(path))


def _make_blocklist_dir(layout: Layout) -> None:
    account, team = _user(layout.user), _group(layout.reader_group)
    path = layout.blocklist_dir
    path.mkdir(parents=True, exist_ok=True)
    os.chown(path, account.pw_uid, team.gr_gid)
    os.chmod(path, 0o2750)  # after chown, which clears setgid
    for entry in _entries(path):  # lists written before, or under another resolver group
        os.lchown(entry, account.pw_uid, team.gr_gid)
        if not entry.is_symlink():
            os.chmod(entry, 0o2750 if entry.is_dir() else 0o640)


def _apparmor_active(layout: Layout) -> bool:
    return (layout.root == Path("/") and shutil.which("apparmor_parser") is not None
            and Path("/sys/kernel/security/apparmor").is_dir())


def _reload_apparmor(layout: Layout, local: Path) -> None:
    if _apparmor_active(layout):
        _run(["apparmor_parser", "-r", str(layout.root / "etc/apparmor.d" / local.name)])


def _add_apparmor(layout: Layout, local: Path) -> None:
    current = _without_rules(_read(local) or "")
    _write(local, current + ("" if not current or current.endswith("\n") else "\n")
           + layout.apparmor_rules(), 0o644)
    _reload_apparmor(layout, local)


def _remove_apparmor(layout: Layout, local: Path) -> None:
    _write(local, _without_rules(_read(local) or ""), 0o644)
    _reload_apparmor(layout, local)


def _without_rules(text: str) -> str:
    """The local profile without the block this command added (any blocklist directory)."""
    lines, kept, skip = text.splitlines(keepends=True), [], 0
    for line in lines:
        if line.rstrip("\n") == APPARMOR_MARK:
            skip = 2
        elif skip:
            skip -= 1
        else:
            kept.append(line)
    return "".join(kept)


def _write_unit(layout: Layout, unit: str) -> None:
    _write(layout.unit_path, unit, 0o644)
    if layout.systemd:
        _run(["systemctl", "daemon-reload"])


def _runnable(layout: Layout) -> str | None:
    """None if the service user can start the installation; else why not. Its own interpreter,
    isolated (-I: not the current directory's code), imports the package and finds the entry
    executable - cheaper than starting the whole command."""
    if _user(layout.user) is None:
        return "?"
    probe = ("import os, sys, cyberhub.agent; "
             f"sys.exit(0 if os.access({layout.entry[0]!r}, os.X_OK) else 3)")
    try:
        done = subprocess.run(["runuser", "-u", layout.user, "--", sys.executable, "-I", "-c",
                               probe], capture_output=True, text=True, timeout=60, cwd="/",
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return str(exc)
    if done.returncode == 0:
        return None
    lines = done.stderr.strip().splitlines()
    return lines[-1] if lines else text("access_denied")


def _fail_unrunnable(layout: Layout) -> None:
    raise InstallError(text("not_runnable", user=layout.user, why=_runnable(layout),
                                                    entry=" ".join(layout.entry)))
