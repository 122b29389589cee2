"""The read path: the Analyse figures under one set of filters, the rows they read (rollups where
one answers exactly, else the posts), the live view's figures, charts, and how tables look to
people on the pages and in exports.
"""
