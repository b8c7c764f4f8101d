"""What makes `cyberhub-agent` speak the administrator's language, apart from its commands:
the help page (headings, metavars, the help option) in the language of the process at import,
since click fixes help texts when it builds the commands; click's usage errors and the agent's
one-line errors ("Fehler: …") in the language of the run; the errors an operator can cause
turned into such lines, never tracebacks."""

from __future__ import annotations

import functools
import os
from typing import Any, Callable

import click

from cyberhub.agent.description import DescriptionError
from cyberhub.agent.node_key import KeyFileError
from cyberhub.agent.texts import Problem, say
from cyberhub.core import messages
from cyberhub.core.clitools import CommandError
from cyberhub.core.config_files import ConfigError

# The language of the help texts: click reads them when the commands are built.
HELP_LANGUAGE = messages.from_environment(os.environ)
LANGUAGE_KEY = "cyberhub.language"


def help_text(key: str) -> str:
    return messages.text(key, HELP_LANGUAGE)


def run_language() -> str:
    """The language of this run, chosen once in the group's callback."""
    context = click.get_current_context(silent=True)
    if context is None:
        return messages.from_environment(os.environ)
    return context.meta.setdefault(LANGUAGE_KEY, messages.from_environment(os.environ))


def run_say(key: str, **values: Any) -> str:
    return say(key, run_language(), **values)


class Failure(CommandError):
    """A failure to report as one line on stderr (exit status 1), in the reader's language."""

    def show(self, file=None) -> None:  # noqa: D401 - click's signature
        click.echo(say("agent.cli.error", messages.from_environment(os.environ),
                       message=self.message), err=True)


class _Usage(click.UsageError):
    """click's usage errors (an option missing, a command unknown) in the reader's language."""

    def show(self, file=None) -> None:  # noqa: D401 - click's signature
        if self.ctx is not None:
            click.echo(self.ctx.get_usage(), err=True)
            click.echo(say("agent.cli.usage_hint", command=self.ctx.command_path), err=True)
        click.echo(say("agent.cli.error", message=self.message), err=True)


def _usage(exc: click.UsageError) -> _Usage:
    if isinstance(exc, _Usage):
        return exc
    language = messages.from_environment(os.environ)
    if isinstance(exc, click.MissingParameter) and exc.param is not None:
        message = say("agent.cli.usage_missing", language,
                      what=exc.param.get_error_hint(exc.ctx) if exc.ctx else exc.param.name)
    elif isinstance(exc, click.NoSuchOption):
        message = say("agent.cli.usage_no_option", language, option=exc.option_name)
    elif isinstance(exc, click.BadParameter) and exc.param is not None and exc.ctx:
        message = say("agent.cli.usage_bad_value", language,
                      what=exc.param.get_error_hint(exc.ctx), problem=exc.message)
    else:
        message = exc.format_message()
    return _Usage(message, exc.ctx)


class _Formatter(click.HelpFormatter):
    """click's help page with the headings in the help language."""

    _HEADINGS = {"Options": "agent.help.options", "Commands": "agent.help.commands",
                 "Arguments": "agent.help.arguments"}

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, help_text("agent.help.usage") + " " if prefix is None
                            else prefix)

    def section(self, name: str):  # type: ignore[no-untyped-def] - click's context manager
        return super().section(help_text(self._HEADINGS[name]) if name in self._HEADINGS else name)


class _Context(click.Context):
    formatter_class = _Formatter


class _Said:
    """What the agent's commands and groups share: the help page and usage errors in the
    reader's language."""

    context_class = _Context

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("options_metavar", help_text("agent.help.options_metavar"))
        if isinstance(self, click.Group):
            kwargs.setdefault("subcommand_metavar", help_text("agent.help.commands_metavar"))
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.help = help_text("agent.help.help")
        return option

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)  # type: ignore[misc]
        except click.UsageError as exc:
            raise _usage(exc) from None


class _Command(_Said, click.Command):
    pass


class AgentGroup(_Said, click.Group):
    command_class = _Command
    group_class = type  # subgroups are of this class too

    def resolve_command(self, ctx: click.Context, args: list[str]) -> Any:
        if args and not args[0].startswith("-") and self.get_command(ctx, args[0]) is None:
            raise _Usage(say("agent.cli.usage_no_command", name=args[0]), ctx)
        return super().resolve_command(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        # click says "Aborted!" after Ctrl-C or a question left unanswered, in English and
        # from where the agent cannot reach it: said here instead, before click sees it.
        try:
            return super().invoke(ctx)
        except (click.Abort, EOFError, KeyboardInterrupt):
            click.echo(run_say("agent.interrupt.aborted"), err=True)
            raise click.exceptions.Exit(1) from None


def json_option(func: Callable) -> Callable:
    return click.option("--json", "as_json", is_flag=True, help=help_text("agent.help.json"))(func)


def handle_errors(func: Callable) -> Callable:
    """Failures an operator can cause become one-line errors, never tracebacks."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Problem as exc:  # hub, store, enrolment, not enrolled: said from the catalog
            raise Failure(exc.text(run_language())) from None
        except (ConfigError, DescriptionError, KeyFileError) as exc:
            raise Failure(str(exc)) from None
        except OSError as exc:
            where = f": {exc.filename}" if exc.filename else ""
            raise Failure(f"{exc.strerror or exc}{where}") from None

    return wrapper
