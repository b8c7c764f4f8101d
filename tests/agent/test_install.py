"""`cyberhub-agent install` / `uninstall` for real: system users and groups made with useradd,
directories with their owners and modes, the unit and the wrapper, which really runs the agent
as the service user. Every user and group a test makes is removed again, also when it fails.

The service user must be able to run the installation. The project's own interpreter may live
where no other user can enter (pyenv under /root, as on the CI image) - exactly what `install`
refuses. So the installation these tests install is a small virtualenv of Debian's
/usr/bin/python3 in a world-readable directory that reaches the project's packages through a
.pth file, with a `cyberhub-agent` script like the one pip writes.
"""

from __future__ import annotations

import grp
import json
import os
import pwd
import secrets
import shutil
import stat
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from cyberhub.agent import install
from cyberhub.agent.install_commands import install_command, uninstall_command
from cyberhub.agent.service_files import APPARMOR_MARK


def _need_accounts() -> None:
    if (os.geteuid() != 0 or shutil.which("useradd") is None
            or shutil.which("runuser") is None):
        pytest.skip("creates real system users: needs root and useradd/runuser (Debian's "
                    "passwd and util-linux)")

REPO = Path(__file__).resolve().parents[2]
NOLOGIN = "/usr/sbin/nologin" if Path("/usr/sbin/nologin").exists() else "/sbin/nologin"


def _sh(*argv: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False, **kwargs)


def _exists(database: str, name: str) -> bool:
    return _sh("getent", database, name).returncode == 0


def _runs_for_others(python: str) -> bool:
    return _sh("runuser", "-u", "nobody", "--", python, "-I", "-c", "import cyberhub.agent",
               cwd="/").returncode == 0


@pytest.fixture(autouse=True)
def german(monkeypatch):
    """The texts checked below are the German ones, whatever the machine's locale."""
    monkeypatch.setenv("CYBERHUB_LANGUAGE", "de")


@pytest.fixture(scope="module")
def installation():
    """(python, its cyberhub-agent script): an installation any system user can run."""
    _need_accounts()
    base = Path(tempfile.mkdtemp(prefix="chtest-install-"))
    base.chmod(0o755)
    try:
        if _runs_for_others(sys.executable):
            script = Path(sys.executable).parent / "cyberhub-agent"
            yield Path(sys.executable), script
            return
        system = Path("/usr/bin/python3")
        version = _sh(str(system), "-c", "import sys; print(sys.version_info[:2])").stdout
        if version.strip() != str(tuple(sys.version_info[:2])):
            pytest.skip(f"the interpreter {sys.executable} is out of other users' reach and "
                        f"/usr/bin/python3 is not Python {sys.version_info[0]}."
                        f"{sys.version_info[1]}: no installation a service user could run")
        venv = base / "venv"
        subprocess.run([str(system), "-m", "venv", "--without-pip", str(venv)], check=True)
        site = Path(sysconfig.get_paths(vars={"base": str(venv), "platbase": str(venv)})
                    ["purelib"])
        site.mkdir(parents=True, exist_ok=True)
        (site / "cyberhub-project.pth").write_text(
            f"import site; site.addsitedir({sysconfig.get_paths()['purelib']!r})\n")
        script = venv / "bin" / "cyberhub-agent"
        script.write_text(f"#!{venv}/bin/python\nimport sys\nfrom cyberhub.agent.cli import main"
                          "\nsys.exit(main())\n")
        script.chmod(0o755)
        yield venv / "bin" / "python", script
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def accounts():
    """Unique user/group names; whatever exists of them at the end is removed."""
    _need_accounts()
    made: list[str] = []
    token = secrets.token_hex(4)

    def name(role: str) -> str:
        made.append(f"cht{token}{role}")
        return made[-1]

    yield name
    # Users first: a group cannot go while it is some user's primary group.
    for account in made:
        if _exists("passwd", account):
            _sh("userdel", account)
    for account in made:
        if _exists("group", account):
            _sh("groupdel", account)
    left = [account for account in made if _exists("passwd", account) or _exists("group", account)]
    assert not left, f"could not remove the test accounts {left}"


@pytest.fixture
def place():
    base = Path(tempfile.mkdtemp(prefix="chtest-place-"))
    base.chmod(0o755)  # the service and resolver users must get through to their directories
    yield base
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def resolver(accounts):
    """A resolver's group, a user in it, and an outsider."""
    group, user, outsider = accounts("res"), accounts("rsu"), accounts("out")
    subprocess.run(["groupadd", "--system", group], check=True)
    for name, extra in ((user, ["--gid", group]), (outsider, [])):
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", NOLOGIN, *extra,
                        name], check=True)
    return group, user, outsider


class Setup:
    def __init__(self, installation, place: Path, user: str) -> None:
        self.python, self.script = installation
        self.user, self.root = user, place / "root"
        self.data, self.blocklists = place / "data", place / "blocklists"
        self.unit = self.root / "etc/systemd/system/cyberhub-agent.service"
        self.wrapper = self.root / "usr/local/bin/cyberhub-agent"

    def command(self, name: str, *args: str, as_user: str | None = None,
                stdin: str | None = None) -> subprocess.CompletedProcess:
        """`cyberhub-agent install|uninstall ...` as its own process of the installation."""
        argv = [str(self.python), "-I", "-c",
                f"from cyberhub.agent.install_commands import {name}_command as c; c()",
                "--root", str(self.root), "--user", self.user, *args]
        if as_user:
            argv = ["runuser", "-u", as_user, "--", *argv]
        return subprocess.run(argv, capture_output=True, text=True, timeout=60, input=stdin,
                              cwd="/", check=False)

    def install(self, *args: str) -> dict:
        done = self.command("install", "--data-dir", str(self.data), "--blocklist-dir",
                            str(self.blocklists), "--json", *args)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def uninstall(self, *args: str) -> dict:
        done = self.command("uninstall", "--json", *args)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def agent(self, *args: str, cwd: str = "/root") -> subprocess.CompletedProcess:
        """The administrator, as root, in root's home, typing `cyberhub-agent ...`."""
        return _sh(str(self.wrapper), *args, cwd=cwd)


@pytest.fixture
def setup(installation, place, accounts):
    return Setup(installation, place, accounts("agt"))


def _states(result: dict) -> set[str]:
    return {step["state"] for step in result["steps"]}


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_install_makes_user_directories_unit_and_wrapper(setup, resolver):
    group, _, _ = resolver
    result = setup.install("--resolver-group", group)
    assert result["changed"] == len(result["steps"]) - 1  # the last step only checks
    account = pwd.getpwnam(setup.user)
    assert (account.pw_dir, account.pw_shell) == (str(setup.data), NOLOGIN)
    assert account.pw_uid < 1000 and account.pw_gid == grp.getgrnam(setup.user).gr_gid
    assert setup.user in grp.getgrnam("adm").gr_mem
    assert (setup.data.stat().st_uid, _mode(setup.data)) == (account.pw_uid, 0o700)
    blocklists = setup.blocklists.stat()
    assert (blocklists.st_uid, blocklists.st_gid) == (account.pw_uid, grp.getgrnam(group).gr_gid)
    assert _mode(setup.blocklists) == 0o2750

    unit = setup.unit.read_text()
    assert f"\nExecStart={setup.script} run\n" in unit
    assert f"\nUser={setup.user}\nGroup={setup.user}\n" in unit
    assert f"\nEnvironment=CYBERHUB_AGENT_HOME={setup.data}\n" in unit
    assert f"\nEnvironment=CYBERHUB_AGENT_BLOCKLIST_DIR={setup.blocklists}\n" in unit
    assert f"\nReadWritePaths={setup.data} {setup.blocklists}\n" in unit
    assert "\nProtectSystem=strict\n" in unit and f"die Gruppe {group}" in unit
    assert _mode(setup.unit) == 0o644 and _mode(setup.wrapper) == 0o755


def test_the_wrapper_runs_the_agent_as_the_service_user(setup):
    setup.install()
    done = setup.agent("status", "--json")
    assert done.returncode == 0, done.stderr
    status = json.loads(done.stdout)
    assert (status["home"], status["blocklists"]) == (str(setup.data), str(setup.blocklists))
    uid = pwd.getpwnam(setup.user).pw_uid
    made = list(setup.data.rglob("*"))
    assert setup.data / "agent.db" in made
    assert all(path.lstat().st_uid == uid for path in made)  # nothing in there belongs to root
    assert _mode(setup.data / "agent.db") == 0o600


def test_a_non_root_caller_of_the_wrapper_is_told_to_use_root(setup, resolver):
    setup.install()
    done = _sh("runuser", "-u", resolver[2], "--", str(setup.wrapper), "status", cwd="/")
    assert done.returncode == 1 and "als root" in done.stderr
    assert not (setup.data / "agent.db").exists()


def test_the_resolver_reads_the_blocklists_but_not_the_agents_data(setup, resolver):
    group, reader, outsider = resolver
    setup.install("--resolver-group", group)
    assert setup.agent("status").returncode == 0  # makes agent.db
    # The agent's own writer, as the service user, with the unit's umask.
    write = ("import os; os.umask(0o077); from pathlib import Path; "
             "from cyberhub.agent import blocklists as b; "
             f"b.write(Path({str(setup.blocklists)!r}), b.render(b.Blocklist(), header='t'))")
    done = _sh("runuser", "-u", setup.user, "--", str(setup.python), "-I", "-c", write, cwd="/")
    assert done.returncode == 0, done.stderr
    listing = setup.blocklists / "unbound-cyberhub.conf"
    assert listing.stat().st_gid == grp.getgrnam(group).gr_gid  # the setgid bit passed it on

    assert _sh("runuser", "-u", reader, "--", "cat", str(listing)).stdout.startswith("# t\n")
    assert _sh("runuser", "-u", reader, "--", "cat", str(setup.data / "agent.db")).returncode
    assert _sh("runuser", "-u", outsider, "--", "cat", str(listing)).returncode


def test_a_second_install_changes_nothing_and_says_so(setup, resolver):
    setup.install("--resolver-group", resolver[0])
    before = setup.unit.stat().st_mtime_ns, setup.wrapper.stat().st_mtime_ns
    again = setup.install("--resolver-group", resolver[0])
    assert again["changed"] == 0 and _states(again) == {"already"}
    assert (setup.unit.stat().st_mtime_ns, setup.wrapper.stat().st_mtime_ns) == before
    human = setup.command("install", "--data-dir", str(setup.data), "--blocklist-dir",
                          str(setup.blocklists), "--resolver-group", resolver[0])
    lines = human.stdout.splitlines()
    assert all(line.startswith("  bereits erledigt") for line in lines[:len(again["steps"])])
    assert "Nichts geändert" in human.stdout


def test_another_resolver_group_regroups_the_blocklists(setup, resolver, accounts):
    setup.install()
    setup.blocklists.joinpath("cyberhub.rpz").write_text("; old\n")  # as root, 0644
    result = setup.install("--resolver-group", resolver[0])
    assert [s["state"] for s in result["steps"] if "Sperrlisten" in s["step"]] == ["changed"]
    listing = setup.blocklists / "cyberhub.rpz"
    assert listing.stat().st_gid == grp.getgrnam(resolver[0]).gr_gid
    assert listing.stat().st_uid == pwd.getpwnam(setup.user).pw_uid and _mode(listing) == 0o640


def test_a_dry_run_changes_nothing(setup, resolver, monkeypatch):
    done = setup.command("install", "--data-dir", str(setup.data), "--blocklist-dir",
                         str(setup.blocklists), "--resolver-group", resolver[0], "--dry-run")
    assert done.returncode == 0, done.stderr
    assert "würde ausführen" in done.stdout and "Probelauf: nichts geändert" in done.stdout
    assert "useradd --system" in done.stdout
    assert not _exists("passwd", setup.user) and not _exists("group", setup.user)
    assert not setup.data.exists() and not setup.blocklists.exists() and not setup.root.exists()
    monkeypatch.setenv("CYBERHUB_LANGUAGE", "en")
    english = setup.command("install", "--data-dir", str(setup.data), "--dry-run")
    assert "would do" in english.stdout and "useradd --system" in english.stdout
    monkeypatch.setenv("CYBERHUB_LANGUAGE", "de")
    setup.install()
    assert setup.uninstall("--dry-run")["changed"] == 0
    assert _exists("passwd", setup.user) and setup.unit.exists() and setup.wrapper.exists()


def test_install_refuses_without_root_but_shows_a_dry_run(setup, resolver):
    outsider = resolver[2]
    done = setup.command("install", "--data-dir", str(setup.data), as_user=outsider)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "braucht root-Rechte" in done.stderr
    dry = setup.command("install", "--data-dir", str(setup.data), "--dry-run", as_user=outsider)
    assert dry.returncode == 0 and "würde ausführen" in dry.stdout
    assert not _exists("passwd", setup.user) and not setup.data.exists()


def test_uninstall_keeps_the_data_and_purge_removes_it(setup, resolver):
    setup.install("--resolver-group", resolver[0])
    assert setup.agent("status").returncode == 0
    result = setup.uninstall()
    assert _states(result) <= {"changed", "already"} and result["changed"] >= 3
    assert not _exists("passwd", setup.user) and not _exists("group", setup.user)
    assert not setup.unit.exists() and not setup.wrapper.exists()
    assert (setup.data / "agent.db").is_file() and setup.blocklists.is_dir()
    assert setup.uninstall()["changed"] == 0

    where = ("--data-dir", str(setup.data), "--blocklist-dir", str(setup.blocklists))
    declined = setup.command("uninstall", "--purge", *where, stdin="n\n")
    assert declined.returncode == 1 and "nichts gelöscht" in declined.stderr
    assert (setup.data / "agent.db").is_file()
    setup.uninstall("--purge", "--yes", *where)
    assert not setup.data.exists() and not setup.blocklists.exists()


def test_uninstall_purge_in_one_go(setup):
    setup.install()
    (setup.data / "agent.db").write_text("")
    result = setup.uninstall("--purge", "--yes")  # the directories come from the unit
    assert result["changed"] >= 5
    assert not setup.data.exists() and not setup.blocklists.exists()
    assert not _exists("passwd", setup.user)


def test_what_root_left_in_the_data_directory_is_handed_over(setup):
    setup.data.mkdir()
    (setup.data / "agent.db").write_text("")  # an enrolment run as root before the install
    (setup.data / "drafts").mkdir()
    setup.install()
    uid = pwd.getpwnam(setup.user).pw_uid
    assert {p.lstat().st_uid for p in [setup.data, *setup.data.rglob("*")]} == {uid}


def test_unrunnable_installation_is_refused(setup, place):
    hidden = place / "private"
    hidden.mkdir(mode=0o700)
    script = hidden / "cyberhub-agent"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    layout = install.Layout(user=setup.user, data_dir=setup.data, root=setup.root,
                            blocklist_dir=setup.blocklists, entry=(str(script),))
    with pytest.raises(install.InstallError) as failed:
        install.carry_out(install.install_plan(layout), dry_run=False)
    assert f"kann {script} nicht ausführen" in str(failed.value)
    assert "Prüfen" not in " ".join(o.text for o in failed.value.outcomes)


@pytest.mark.parametrize("args, message", [
    (["--resolver-group", "chtest-no-such-group"], "die Gruppe chtest-no-such-group gibt es"),
    (["--user", "Root Admin"], "kein gültiger Benutzer"),
    (["--user", "root"], "kein Dienstbenutzer"),
    (["--data-dir", "/home/agent"], "ProtectHome"),
    (["--data-dir", "/var/lib"], "Systemverzeichnis"),
    (["--data-dir", "/var/lib/x%i"], "nur absolute Pfade"),
    (["--blocklist-dir", "{data}/blocklists"], "nicht im Datenverzeichnis"),
    (["--data-dir", "{foreign}"], "kein Datenverzeichnis des Agenten"),
])
def test_bad_input_is_one_line_and_changes_nothing(setup, place, args, message):
    foreign = place / "someone-else"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine\n")
    args = [a.format(data=setup.data, foreign=foreign) for a in args]
    base = ["--data-dir", str(setup.data), "--root", str(setup.root), "--user", setup.user]
    result = CliRunner().invoke(install_command, base + args)
    assert result.exit_code == 1 and message in result.output, result.output
    assert result.output.startswith("error: ") and result.output.count("\n") == 1
    assert not _exists("passwd", setup.user) and not setup.root.exists()
    assert (foreign / "notes.txt").read_text() == "mine\n"


def test_uninstall_leaves_root_and_peoples_accounts_alone(setup):
    result = CliRunner().invoke(uninstall_command, ["--user", "root", "--root", str(setup.root)])
    assert result.exit_code == 1 and "kein Dienstbenutzer" in result.output
    assert _exists("passwd", "root")


def test_a_foreign_cyberhub_agent_in_usr_local_bin_is_not_overwritten(setup):
    setup.wrapper.parent.mkdir(parents=True)
    setup.wrapper.write_text("#!/bin/sh\n# pip's own script\n")
    result = CliRunner().invoke(install_command, ["--root", str(setup.root), "--user",
                                                  setup.user, "--data-dir", str(setup.data)])
    assert result.exit_code == 1 and "nicht der Befehl von cyberhub-agent install" in result.output
    removed = CliRunner().invoke(uninstall_command, ["--root", str(setup.root), "--user",
                                                     setup.user])
    assert removed.exit_code == 0, removed.output
    assert setup.wrapper.read_text() == "#!/bin/sh\n# pip's own script\n"


def test_the_resolvers_apparmor_profile_gets_a_rule_and_loses_it_again(setup):
    profiles = setup.root / "etc/apparmor.d"
    (profiles / "local").mkdir(parents=True)
    # Debian's profile, reduced to what matters here: it reads the local additions.
    (profiles / "usr.sbin.unbound").write_text(
        "profile unbound /usr/sbin/unbound {\n  /etc/unbound/** r,\n"
        "  #include <local/usr.sbin.unbound>\n}\n")
    local = profiles / "local/usr.sbin.unbound"
    local.write_text("# Site-specific additions and overrides\n")
    layout = install.Layout(user=setup.user, data_dir=setup.data, root=setup.root,
                            blocklist_dir=setup.blocklists, resolver_group="adm")
    step = [s for s in install.install_plan(layout) if "AppArmor" in s.text]
    assert [o.state for o in install.carry_out(step, dry_run=False)] == ["changed"]
    assert local.read_text() == ("# Site-specific additions and overrides\n"
                                 f"{APPARMOR_MARK}\n{setup.blocklists}/ r,\n"
                                 f"{setup.blocklists}/** r,\n")
    assert [o.state for o in install.carry_out(step, dry_run=False)] == ["already"]
    if shutil.which("apparmor_parser"):  # Debian's apparmor package: the rule compiles
        done = _sh("apparmor_parser", "--skip-kernel-load", "--skip-cache", "--base",
                   str(profiles), str(profiles / "usr.sbin.unbound"))
        assert done.returncode == 0, done.stderr
    removal = [s for s in install.uninstall_plan(layout, purge=False) if "AppArmor" in s.text]
    assert [o.state for o in install.carry_out(removal, dry_run=False)] == ["changed"]
    assert local.read_text() == "# Site-specific additions and overrides\n"


def test_the_unit_passes_systemd_analyze(setup):
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze (Debian's systemd package) is not installed")
    setup.install()
    done = _sh("systemd-analyze", "verify", str(setup.unit))
    assert done.returncode == 0, done.stderr


def test_the_example_unit_is_the_template_filled_with_the_defaults():
    example = install.Layout(entry=("/opt/cyberhub-agent/bin/cyberhub-agent",),
                             resolver_group="unbound")
    unit = example.unit()
    assert (REPO / "config/cyberhub-agent.service").read_text() == unit


# --- a town from nothing to its first report, and an advisory in its resolver and mail filter

def test_a_town_installs_enrols_reports_and_its_resolver_and_mail_filter_read_the_advisory(
        setup, resolver, place, hub_process, db, tmp_path):
    """The German quick start's steps, as a town's administrator (root) types them: install,
    enrol, the service running, a report delivered; an advisory's address, domain and sender
    in files that a resolver's user and a mail filter's map read; uninstall keeps the data."""
    from cyberhub.core import timestamps
    from cyberhub.hub import nodes

    from .conftest import EXAMPLE, wait_for

    group, resolver_user, outsider = resolver
    setup.install("--resolver-group", group)
    with db.writing() as session:
        token = nodes.add_node(session, "zwickau", "Stadt Zwickau", "SN",
                               now=timestamps.now_us(), token_ttl_hours=1)["enrollment_token"]
    enrolled = setup.agent("enroll", "--hub", hub_process.base_url, "--token", token, "--json")
    assert enrolled.returncode == 0, enrolled.stderr
    # The service, as systemd would start it (there is no systemd in the test container).
    service = subprocess.Popen([str(setup.wrapper), "run"], cwd="/", stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL,
                               env={**os.environ, "CYBERHUB_AGENT_POLL_INTERVAL": "1"})
    try:
        report = place / "vorfall.yaml"  # where the service user may read it
        report.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
        report.chmod(0o644)
        sent = setup.agent("report", str(report), "--json")
        assert sent.returncode == 0, sent.stderr
        assert json.loads(sent.stdout)["state"] == "delivered"
        assert hub_process.objects("reports", type="incident")

        address, sender = "203.0.113.77", "rechnung@zahlung-stadtwerke.example"
        hub_process.publish_advisory({
            "title": {"de": "Warnung: Phishing", "en": "Warning: phishing"},
            "summary": {"de": "Sperren.", "en": "Block."}, "severity": "high", "tlp": "green",
            "indicators": [{"kind": "ipv4", "value": address, "note": "Server"},
                           {"kind": "email", "value": sender, "note": "Absender"}]}, tmp_path)
        ip_list = setup.blocklists / "ip-blocklist.txt"
        wait_for(lambda: ip_list.exists() and address in ip_list.read_text(), timeout=30,
                 what="the advisory in the blocklist directory")
    finally:
        service.terminate()
        service.wait(30)

    def as_user(user: str, *argv: str) -> subprocess.CompletedProcess:
        return _sh("runuser", "-u", user, "--", *argv, cwd="/")

    assert address in as_user(resolver_user, "cat", str(ip_list)).stdout
    assert as_user(outsider, "cat", str(ip_list)).returncode != 0
    assert as_user(resolver_user, "cat", str(setup.data / "agent.db")).returncode != 0
    if shutil.which("named-checkzone"):
        checked = as_user(resolver_user, "named-checkzone", "rpz.cyberhub",
                          str(setup.blocklists / "cyberhub.rpz"))
        assert checked.returncode == 0, checked.stdout + checked.stderr
    if shutil.which("postmap"):
        # postmap reads a main.cf; a minimal one, so the test needs no configured Postfix
        # (an old time stamp: Postfix waits for a main.cf changed seconds ago to settle).
        postfix = place / "postfix"
        postfix.mkdir(mode=0o755)
        (postfix / "main.cf").write_text("myhostname = localhost.localdomain\n"
                                         "compatibility_level = 3.6\n")
        (postfix / "main.cf").chmod(0o644)
        os.utime(postfix / "main.cf", (time.time() - 60, time.time() - 60))
        answer = as_user(resolver_user, "postmap", "-c", str(postfix), "-q", sender,
                         f"texthash:{setup.blocklists / 'sender-access'}")
        assert answer.stdout.startswith("REJECT "), answer.stdout + answer.stderr
    setup.uninstall()
    assert (setup.data / "agent.db").exists() and not setup.wrapper.exists()
