"""Collection: every way posts and questions come in. One subpackage per network (``x/`` today),
the twarc2 file and questions CSV importers, the store (the only writer of posts), the replay of
a collection in simulated time, and the file-reading helpers the importers share.
"""
