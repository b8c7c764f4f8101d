"""`cyberhub demo`: the whole loop on this machine (see `cyberhub.demo.walkthrough`)."""

from __future__ import annotations

import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

import click

from cyberhub.core.clitools import CommandError, emit, json_option
from cyberhub.demo import federation, walkthrough
from cyberhub.hub.cli.common import handle_errors


@click.command("demo")
@click.option("--directory", type=click.Path(file_okay=False, path_type=Path),
              help="Where to keep the demo's hub and towns (default: a new temporary "
              "directory).")
@click.option("--clean", is_flag=True, help="Remove the demo's directory at the end.")
@click.option("--keep", is_flag=True, help="Keep the hub running after the story, with its "
              "web console and a login for it, until Ctrl-C.")
@click.option("--federation", is_flag=True, help="Three hubs instead of one: two Land hubs "
              "and a federal hub that finds a campaign across both Länder.")
@json_option
@handle_errors
def demo(directory: Path | None, clean: bool, keep: bool, federation: bool,
         as_json: bool) -> None:
    """Start a hub and six town agents on loopback and run the whole loop: reports, a
    campaign found, an advisory drafted, approved by a second person, published, applied and
    acknowledged. Stops everything it started before it ends."""
    directory = directory or Path(tempfile.mkdtemp(prefix="cyberhub-demo-"))
    say = (lambda line: None) if as_json else click.echo
    if federation:
        if keep:
            raise CommandError("--keep is for the one-hub demo")
        _federation(directory, say, clean, as_json)
        return

    def command(name: str) -> str:
        """The command as this user can run it: by its path when it is not on PATH."""
        found = Path(sys.executable).parent / name
        return name if shutil.which(name) == str(found) or not found.exists() else str(found)

    hub_cli, agent_cli = command("cyberhub"), command("cyberhub-agent")

    def human(r: dict) -> None:
        click.echo("")
        if "console_login" in r:
            login = r["console_login"]
            click.echo("The hub keeps running; the towns' agents have stopped.")
            click.echo(f"  Console:  {r['console']}")
            click.echo(f"  Login:    {login['username']} / {login['password']}  (an analyst; "
                       "shown only here)")
            click.echo("Press Ctrl-C to stop the hub.")
            return
        click.echo("Done: every process the demo started has stopped.")
        if clean:
            return
        hub_home = Path(r["directory"]) / "hub"
        town = Path(r["directory"]) / "towns" / r["first_town"]
        click.echo("Where to look next (the data stays in " + r["directory"] + "):")
        click.echo(f"  export CYBERHUB_HOME={hub_home}")
        click.echo(f"  {hub_cli} advisories status {r['advisory']}   # who has it")
        click.echo(f"  {hub_cli} advisories show {r['advisory']}     # text, history")
        click.echo(f"  {hub_cli} campaigns show {r['campaign']}      # why the towns are linked")
        click.echo(f"  {hub_cli} audit                   # who did what, when")
        click.echo(f"  {hub_cli} accounts add me --role coordinator   # to revise or withdraw it "
                   "yourself (--as me)")
        click.echo(f"  CYBERHUB_AGENT_HOME={town} {agent_cli} advisories show {r['advisory']}")
        click.echo(f"  {hub_cli} serve   # then the console at http://127.0.0.1:8000/console/ "
                   "and any TAXII 2.1 client at http://127.0.0.1:8000/taxii2/")
        click.echo(f"Remove it all with: rm -r {r['directory']}")

    def serve_on(result: dict) -> None:
        """--keep: show where the console is, then wait; Ctrl-C is the normal end here."""
        emit(as_json, result, human)
        sys.stdout.flush()

        def stop(_signum, _frame) -> None:
            raise KeyboardInterrupt

        # Installed here: a shell that starts the demo in the background ignores SIGINT for
        # it, and a service manager stops with SIGTERM; either way the hub stops with it.
        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass

    try:
        result = walkthrough.run(directory, say, keep=serve_on if keep else None)
    except walkthrough.DemoError as exc:
        logs = f" (logs in {directory})" if (directory / "hub.log").exists() else ""
        raise CommandError(f"demo stopped: {exc}{logs}") from None
    except KeyboardInterrupt:
        raise CommandError(f"demo interrupted; every process it started is stopped "
                           f"(files in {directory})") from None
    if clean:
        shutil.rmtree(directory, ignore_errors=True)
    if keep:
        say("Hub stopped.")
        return
    emit(as_json, result, human)


def _federation(directory: Path, say, clean: bool, as_json: bool) -> None:  # type: ignore
    try:
        result = federation.run(directory, say)
    except walkthrough.DemoError as exc:
        raise CommandError(f"demo stopped: {exc} (logs in {directory})") from None
    except KeyboardInterrupt:
        raise CommandError(f"demo interrupted; every process it started is stopped "
                           f"(files in {directory})") from None
    if clean:
        shutil.rmtree(directory, ignore_errors=True)

    def human(r: dict) -> None:
        status = r["status"]
        click.echo("")
        click.echo(f"Done: {status['acknowledged']} of {status['addressed']} addressed "
                   f"(towns and Land hubs) acknowledged at the federal hub; every process "
                   "the demo started has stopped.")
        if not clean:
            click.echo(f"The three hubs' data stays in {r['directory']}/hubs; for example:")
            click.echo(f"  CYBERHUB_HOME={r['directory']}/hubs/bund cyberhub advisories status "
                       f"{r['advisory']}")
            click.echo(f"  CYBERHUB_HOME={r['directory']}/hubs/sachsen cyberhub peers status")

    emit(as_json, result, human)
