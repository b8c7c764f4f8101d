"""The hub's commands, one module per command group; each lists its commands in `COMMANDS`,
and the `cyberhub` entry point (`cyberhub/cli.py`) registers them."""
