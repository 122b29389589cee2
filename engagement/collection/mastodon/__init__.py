"""Collecting from Mastodon (and the fediverse servers that speak its API): today the normaliser
that turns REST statuses (timeline pages, single statuses, recorded responses) into the
network-neutral records of ``collection.records``, and the HTML-to-text conversion it uses. No
database here."""
