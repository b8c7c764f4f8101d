"""The TAXII 2.1 hub. From the bottom up: settings and storage; the records (accounts,
collections, nodes, audit, receipts, playbooks); services (ingest, publishing, statuses,
housekeeping) and setup; the features (correlation, advisories); the bootstrap that wires them
once; and the entry points (web, jobs, cli). `tests/test_imports.py` holds the layers to this."""
