"""The social wall (``/wall``): moderated posts from every collected network on the hall's screens.

``moderation``: what moderators do (approve, pull, restore a post; block an author; announce; the
wall's mode and delay), each action audited. ``listing``: what the public wall shows (only what
moderators let through, and only the fields a wall needs) and what the moderators' queue shows.
"""
