"""tweepy clients pointed at the configured endpoint, and the fields the normaliser needs."""

from __future__ import annotations

import logging
import re

import requests
import tweepy

from engagement import settings
from engagement.collection.x.transport import route

EXPANSIONS = [
    "author_id",
    "referenced_tweets.id",
    "referenced_tweets.id.author_id",
    "entities.mentions.username",
    "attachments.media_keys",
]
TWEET_FIELDS = [
    "created_at",
    "lang",
    "public_metrics",
    "entities",
    "referenced_tweets",
    "conversation_id",
    "in_reply_to_user_id",
    "note_tweet",
    "edit_history_tweet_ids",
    "attachments",
    "author_id",
]
USER_FIELDS = ["name", "username", "description", "location", "verified", "public_metrics", "created_at"]
MEDIA_FIELDS = ["type", "url", "preview_image_url"]
FIELDS = {
    "expansions": EXPANSIONS,
    "tweet_fields": TWEET_FIELDS,
    "user_fields": USER_FIELDS,
    "media_fields": MEDIA_FIELDS,
}


BEARER = re.compile(r"(Bearer\s+)[^\s'\"]+")


class ScrubBearer(logging.Filter):
    """tweepy's debug log prints request headers, the bearer token among them: blank it out."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "Bearer" in message:
            record.msg, record.args = BEARER.sub(r"\1<redacted>", message), ()
        return True


for _name in ("tweepy.client", "tweepy.streaming"):
    logging.getLogger(_name).addFilter(ScrubBearer())


class MissingToken(RuntimeError):
    pass


def bearer_token() -> str:
    token = settings.x_bearer_token()
    if not token:
        raise MissingToken("X_BEARER_TOKEN is not set: the X API commands need a bearer token")
    return token


def make_client(token: str | None = None, base_url: str | None = None) -> tweepy.Client:
    """A client whose calls return the raw ``requests.Response``: we normalise the JSON ourselves,
    keep the ``includes`` that tweepy's objects would scatter, and see a cut-off body as an error."""
    client = tweepy.Client(
        bearer_token=token or bearer_token(), return_type=requests.Response, wait_on_rate_limit=False
    )
    route(client.session, base_url or settings.x_api_base_url(), timeout=(10, settings.x_api_timeout()))
    return client
