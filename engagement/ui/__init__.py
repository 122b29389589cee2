"""Streamlit helpers shared by the pages: roles and sign-in, filters, safe display of untrusted text.

Only the app imports this package; the worker never does.
"""
