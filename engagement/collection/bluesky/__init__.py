"""Collecting from Bluesky (the AT Protocol): today the normaliser that turns AppView JSON
(searchPosts and getPosts pages, PostViews, FeedViewPosts) and Jetstream v1 events into the
network-neutral records of ``collection.records``. No database here."""
