"""Collecting from Mastodon (and the fediverse servers that speak its API): the normaliser of REST
statuses into the network-neutral records (``normalise``) and the HTML-to-text conversion it uses
(``plaintext``), Mastodon.py's client for one instance with its rate-limit and retry policy
(``client``), and ``mastodon-poll`` over several instances (``poll``)."""
