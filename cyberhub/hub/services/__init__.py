"""Use cases shared by the web, the commands and the scheduler: ingest (with verification
and admission), statuses, publishing as the hub, housekeeping. They take their collaborators as
arguments and never import Flask or a feature."""
