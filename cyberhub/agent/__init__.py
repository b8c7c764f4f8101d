"""The node agent that runs on a town's server (no Flask, no hub models)."""
