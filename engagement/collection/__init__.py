"""Collection: every way posts and questions come in. One subpackage per network (``x/``,
``bluesky/``, ``mastodon/``), the records they all return, the file importer (twarc2, Bluesky and
Mastodon files) and the questions CSV importer, the store (the only writer of posts), the replay of
a collection in simulated time, and the file-reading helpers the importers share.
"""
