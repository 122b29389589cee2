"""Collecting from Bluesky (the AT Protocol): the normaliser of AppView JSON and Jetstream v1
events into the network-neutral records (``normalise``), the live stream from Jetstream
(``jetstream``), atproto's XRPC client with its signed-in session and retry policy (``xrpc``),
searchPosts backfill (``search``) and the AppView hydration of what Jetstream leaves out
(``hydrate``)."""
