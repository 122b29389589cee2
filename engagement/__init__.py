"""Shared core of the conference engagement dashboard.

The ingest worker (``python -m ingest``) and the Streamlit pages both import from here;
nothing here imports from them.
"""
