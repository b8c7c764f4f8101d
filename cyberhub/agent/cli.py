"""The `cyberhub-agent` command."""

from __future__ import annotations

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cyberhub")
def main() -> None:
    """cyberhub-agent: the node agent a town runs to report incidents to its hub.

    Enrolment, reporting and advisories are being built; this release only identifies itself.
    """
