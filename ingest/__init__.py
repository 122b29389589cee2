"""The ingest worker: ``python -m ingest --help``."""
