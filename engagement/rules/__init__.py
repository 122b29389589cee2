"""Event rules: the event files organisers edit, loading them into the database, and the rules that
attribute each post to a session and each author to a stakeholder group, with the admin edits.
"""
