"""Storage: engines and sessions, the tables and their migrations, the database's own bookkeeping
(runs, resume points, rejected records, flags), backups and what the database holds.
"""
