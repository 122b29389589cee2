"""The demo collection: a synthetic event on X, Bluesky and Mastodon, written in each network's own shapes."""

from engagement.demo.generator import DEFAULT_POSTS, DEFAULT_SEED, DemoCollection, questions_path, write_collection

__all__ = ["DEFAULT_POSTS", "DEFAULT_SEED", "DemoCollection", "questions_path", "write_collection"]
