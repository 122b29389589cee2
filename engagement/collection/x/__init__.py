"""Collecting from the X API v2 through tweepy: the transport seam, the retry policy, and the
three ways in (recent-search polling, the filtered stream, full-archive backfill)."""
