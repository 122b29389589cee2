"""A seeded, synthetic event collection, written as X API v2 search pages in twarc2 JSONL.

The demo enters the database through the same importer as real data. The volume follows the
agenda (bursts at the opening, peaks in sessions, quiet breaks and nights); the same seed, size
and event files give the same bytes. Plans are kept in compact arrays and each post's text is
derived from its own seed when written, so a million posts fit comfortably in memory.

When the event lists an X account (``accounts`` in event.toml), the collection also holds what the
worker collects besides the hashtag: that account's own posts (session announcements, speakers'
words, thank-yous; a third without the hashtag), participants addressing it without the hashtag,
and replies to its posts, mostly without the hashtag — so the demo shows why each post was
collected. Without such an account there are none of these, and the rest is planned as before.
"""

from __future__ import annotations

import csv
import io
import json
import math
import random
import re
import urllib.parse
from array import array
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import accumulate
from pathlib import Path

from engagement.demo import texts
from engagement.rules.event import AgendaRow, EventConfig, load_agenda, load_event
from engagement.timeutil import UTC, format_api_time, to_utc

TWITTER_EPOCH_MS = 1288834974657
ORIGINAL, RETWEET, REPLY, QUOTE = 0, 1, 2, 3
MENTION = 4  # in the plan only: a participant's post addressing the organiser (an original on the wire)
PAGE_SIZE = 100
DEFAULT_POSTS = 3000
DEFAULT_SEED = 18
USER_ID_BASE = 990_000_000_000_000_000  # far above real user ids of the time; visibly made up
LONG_POST_CHARS = 4000
MEDIA_HOST = "https://media.example.invalid/demo"
# The mix of kinds, as cumulative shares of all posts: retweets, then replies, then quotes; the rest
# are originals.
RETWEET_UPTO, REPLY_UPTO, QUOTE_UPTO = 0.45, 0.56, 0.64
# The organiser's channel, as shares of all posts, taken from the originals and replies above so that
# retweets stay the commonest kind. Retweets of the organiser's posts without the hashtag mention it
# too, and ordinary replies now and then land on its posts: the mention and reply shares a reader
# sees are a little above these.
OWN_SHARE = 0.05
MENTION_SHARE = 0.095
ORGANISER_REPLY_SHARE = 0.045
OWN_WITHOUT_HASHTAG = 1 / 3
ORGANISER_REPLY_WITH_HASHTAG = 0.2
ORGANISER_FOLLOWERS = 9000


def snowflake(ms: int, sequence: int) -> int:
    return ((ms - TWITTER_EPOCH_MS) << 22) | (sequence & 0x3FFFFF)


@dataclass
class DemoAuthor:
    user_id: str
    handle: str
    name: str
    bio: str
    location: str
    followers: int
    verified: bool
    group: str
    language: str
    created_at: datetime


class DemoCollection:
    """Plans a collection once; ``pages()`` and ``questions()`` then write it out."""

    def __init__(
        self,
        posts: int = DEFAULT_POSTS,
        seed: int = DEFAULT_SEED,
        event: EventConfig | None = None,
        agenda: list[AgendaRow] | None = None,
    ):
        if posts < 1:
            raise ValueError("a demo collection needs at least one post")
        self.size, self.seed = posts, seed
        self.event = event or load_event()
        self.agenda = agenda if agenda is not None else load_agenda(self.event)
        self.sessions = [row for row in self.agenda if row.kind != "break"]
        rng = random.Random(seed)
        self.authors = self._plan_authors(rng)
        self.languages = list(texts.LANGUAGE_WEIGHTS)
        self._plan_timeline(rng)
        self._plan_posts(rng)
        self._plan_context(rng)

    # -- planning -------------------------------------------------------------------------------

    def _plan_authors(self, rng: random.Random) -> list[DemoAuthor]:
        count = max(len(texts.DIRECTORY_ACCOUNTS) + 10, round(300 * math.sqrt(self.size / DEFAULT_POSTS)))
        start = to_utc(datetime(2009, 1, 1))
        authors = []
        for handle, group in texts.DIRECTORY_ACCOUNTS:
            name = handle.removeprefix("demo_").replace("_", " ").title() + " (demo)"
            authors.append(
                DemoAuthor(
                    "",
                    handle,
                    name,
                    rng.choice(texts.BIOS[group]),
                    rng.choice(texts.CITIES),
                    int(rng.lognormvariate(8.5, 1.0)),
                    rng.random() < 0.6,
                    group,
                    "en",
                    start + timedelta(days=rng.randrange(3000)),
                )
            )
        # The event's own accounts come next (directory accounts keep the first indices, which the
        # mentions and context posts pick from); a handle the demo already has is that author.
        self.organisers: list[int] = []
        known = {author.handle: number for number, author in enumerate(authors)}
        for handle in self.event.accounts_on("x"):
            if handle in known:
                self.organisers.append(known[handle])
                continue
            self.organisers.append(len(authors))
            authors.append(
                DemoAuthor(
                    "",
                    handle,
                    texts.ORGANISER_NAME,
                    f"{self.event.organiser or texts.ORGANISER_BIO_FALLBACK} (demo)",
                    "Vienna",
                    ORGANISER_FOLLOWERS,
                    True,
                    "osce",
                    "en",
                    start + timedelta(days=rng.randrange(1500)),
                )
            )
        self.organiser_set = frozenset(self.organisers)
        added = set(self.organisers) - set(range(len(texts.DIRECTORY_ACCOUNTS)))
        groups, weights = zip(*texts.GROUP_WEIGHTS.items(), strict=True)
        languages, language_weights = zip(*texts.LANGUAGE_WEIGHTS.items(), strict=True)
        for index in range(count - len(authors)):
            group = rng.choices(groups, weights)[0]
            language = rng.choices(languages, language_weights)[0]
            name = f"{rng.choice(texts.FIRST_NAMES[language])} {rng.choice(texts.LAST_NAMES[language])}"
            # Most bios carry words the rules know; some leave their author for a person to classify.
            bio = rng.choice(texts.BIOS[group] if rng.random() < 0.85 else texts.BIOS["public"])
            if index < len(texts.HOSTILE):
                name = f"{name} {texts.HOSTILE[index]}"
                bio = f"{texts.HOSTILE[-1 - index]} {bio}"
            authors.append(
                DemoAuthor(
                    "",
                    f"demo_{group}_{index:05d}",
                    name,
                    bio,
                    rng.choice(texts.CITIES),
                    int(rng.lognormvariate(5.5, 1.6)),
                    False,
                    group,
                    language,
                    start + timedelta(days=rng.randrange(3300)),
                )
            )
        for number, author in enumerate(authors):
            author.user_id = str(USER_ID_BASE + number * 7919)
        # An organiser account added here writes only its own channel's posts (weight 0), planned apart.
        directory = dict(texts.DIRECTORY_ACCOUNTS)
        self.author_weights = list(
            accumulate(
                0.0 if number in added else (3.0 if a.handle in directory else 1.0) * min(rng.paretovariate(1.3), 40)
                for number, a in enumerate(authors)
            )
        )
        return authors

    def _intensity(self, moment: datetime) -> tuple[float, int | None]:
        """Posts per minute (relative) at ``moment``, and the session running then."""
        local = moment.astimezone(self.event.zone)
        on_event_day = self.event.start_date <= local.date() <= self.event.end_date
        rate = (0.05 if on_event_day else 0.012) if 7 <= local.hour < 22 else 0.002
        running = None
        first_plenary = next((s.key for s in self.sessions if s.kind == "plenary"), None)
        for index, row in enumerate(self.agenda):
            if not row.starts_at <= moment < row.ends_at:
                continue
            minutes_in = (moment - row.starts_at).total_seconds() / 60
            minutes_left = (row.ends_at - moment).total_seconds() / 60
            if row.kind == "break":
                base = 0.15
            elif row.kind == "plenary":
                base = 2.0 if row.key == first_plenary else 1.4
            elif row.kind == "side_event":
                base = 0.8
            else:
                base = 1.0
            if row.kind != "break":
                if minutes_in < 15:
                    base *= 2.0 if row.key == first_plenary else 1.4  # the opening burst
                if minutes_left < 20:
                    base *= 1.3  # questions from the floor
                running = index
            rate = max(rate, base)
        return rate, running

    def _plan_timeline(self, rng: random.Random) -> None:
        zone = self.event.zone
        start = to_utc(datetime.combine(self.event.start_date - timedelta(days=2), datetime.min.time()), zone)
        end = to_utc(datetime.combine(self.event.end_date + timedelta(days=2), datetime.min.time()), zone)
        minutes = int((end - start).total_seconds() // 60)
        rates = [self._intensity(start + timedelta(minutes=m))[0] for m in range(minutes)]
        cumulative = list(accumulate(rates))
        base_ms = int(start.timestamp() * 1000)
        times = sorted(
            base_ms + bisect_right(cumulative, rng.random() * cumulative[-1]) * 60_000 + rng.randrange(60_000)
            for _ in range(self.size)
        )
        self.times = array("q", times)

    def _plan_posts(self, rng: random.Random) -> None:
        n = self.size
        self.author = array("i", [0]) * n
        self.kind = bytearray(n)
        self.target = array("i", [-1]) * n  # index of the referenced post; <= -2 is context post -(t + 2)
        self.language = bytearray(n)
        self.retweet_count = array("i", [0]) * n
        self.reply_count = array("i", [0]) * n
        self.quote_count = array("i", [0]) * n
        originals: list[int] = []
        own_posts: list[int] = []  # the organiser's, oldest first
        lang_index = {code: i for i, code in enumerate(self.languages)}
        context_count = max(3, n // 60)
        self.context_count = context_count
        organisers = self.organisers
        channel = OWN_SHARE + MENTION_SHARE + ORGANISER_REPLY_SHARE if organisers else 0.0
        retweet_upto, reply_upto, quote_upto = RETWEET_UPTO, REPLY_UPTO, QUOTE_UPTO
        if organisers:  # the same mix over the rest of the roll, replies to the organiser counted in
            rest = 1 - channel
            retweet_upto = RETWEET_UPTO / rest
            reply_upto = (REPLY_UPTO - ORGANISER_REPLY_SHARE) / rest
            quote_upto = (QUOTE_UPTO - ORGANISER_REPLY_SHARE) / rest
        for i in range(n):
            author = bisect_right(self.author_weights, rng.random() * self.author_weights[-1])
            self.author[i] = min(author, len(self.authors) - 1)
            roll = rng.random()
            if roll < channel:
                self._plan_channel_post(rng, i, roll, originals, own_posts, lang_index)
                continue
            # Without an organiser account, channel is 0 and the mix below is exactly as it was.
            roll = (roll - channel) / (1 - channel)
            kind = ORIGINAL
            if originals and roll < retweet_upto:
                kind = RETWEET
            elif originals and roll < reply_upto:
                kind = REPLY
            elif originals and roll < quote_upto:
                kind = QUOTE
            self.kind[i] = kind
            if kind == ORIGINAL:
                originals.append(i)
                native = self.authors[self.author[i]].language
                self.language[i] = lang_index[native if rng.random() < 0.75 else "en"]
                continue
            if kind != RETWEET and rng.random() < 0.08:
                self.target[i] = -(rng.randrange(context_count) + 2)
                self.language[i] = lang_index["en"]
                continue
            pool = originals[-60:] if rng.random() < 0.7 else originals
            target = rng.choice(pool)
            self.target[i] = target
            if kind == RETWEET:
                self.retweet_count[target] += 1
                self.language[i] = self.language[target]
            else:
                (self.reply_count if kind == REPLY else self.quote_count)[target] += 1
                self.language[i] = lang_index[self.authors[self.author[i]].language if rng.random() < 0.7 else "en"]
        # Fixed roles for a few participants' originals: the hostile strings, the 4,000-character post,
        # edits, the suspended author (the organiser's own posts stay as the organiser wrote them).
        if own_posts:
            originals = [i for i in originals if self.author[i] not in self.organiser_set]
        picks = rng.sample(originals, min(len(originals), len(texts.HOSTILE) + 1 + max(1, n // 300)))
        self.hostile = {index: number for number, index in enumerate(picks[: len(texts.HOSTILE)])}
        self.very_long = set(picks[len(texts.HOSTILE) : len(texts.HOSTILE) + 1])
        self.edited = set(picks[len(texts.HOSTILE) + 1 :])
        # One author left out of includes (a suspended account): their posts must still be kept.
        self.missing_author = len(self.authors) - 1
        for index in rng.sample(originals, min(3, len(originals))):
            if index not in self.hostile and index not in self.very_long:
                self.author[index] = self.missing_author

    def _plan_channel_post(
        self,
        rng: random.Random,
        i: int,
        roll: float,
        originals: list[int],
        own_posts: list[int],
        lang_index: dict[str, int],
    ) -> None:
        """Post ``i`` of the organiser's channel: its own post, a participant addressing it, or a reply
        to one of its posts (the latest mostly). Mentions are not amplified: nothing refers to them."""
        organisers = self.organisers
        if roll < OWN_SHARE or self.author[i] in self.organiser_set:
            if self.author[i] not in self.organiser_set:
                self.author[i] = organisers[0] if len(organisers) == 1 else rng.choice(organisers)
            self.kind[i] = ORIGINAL
            language = "en" if rng.random() < 0.8 else rng.choice(texts.ORGANISER_LANGUAGES)
            self.language[i] = lang_index[language]
            originals.append(i)
            own_posts.append(i)
            return
        native = self.authors[self.author[i]].language
        if roll < OWN_SHARE + MENTION_SHARE or not own_posts:
            self.kind[i] = MENTION
            self.language[i] = lang_index[native if rng.random() < 0.75 else "en"]
            return
        target = own_posts[-1] if rng.random() < 0.6 else rng.choice(own_posts[-8:])
        self.kind[i] = REPLY
        self.target[i] = target
        self.reply_count[target] += 1
        self.language[i] = lang_index[native if rng.random() < 0.7 else "en"]

    def _plan_context(self, rng: random.Random) -> None:
        first = to_utc(datetime.combine(self.event.start_date, datetime.min.time()), self.event.zone)
        self.context_ms = sorted(
            int((first - timedelta(days=rng.uniform(1, 60))).timestamp() * 1000) for _ in range(self.context_count)
        )
        directory = len(texts.DIRECTORY_ACCOUNTS)
        self.context_author = [rng.randrange(directory) for _ in range(self.context_count)]
        # Two referenced posts the API will not show (protected accounts): the page reports an error.
        self.withheld_context = set(range(min(2, self.context_count)))

    # -- ids and text -----------------------------------------------------------------------------

    def post_id(self, index: int) -> str:
        return str(snowflake(self.times[index], index))

    def original_id(self, index: int) -> str:
        """For an edited post, the id of its first version (a few minutes earlier)."""
        return str(snowflake(self.times[index] - 240_000, index))

    def context_id(self, number: int) -> str:
        return str(snowflake(self.context_ms[number], 0x300000 + number))

    def session_at(self, ms: int) -> AgendaRow | None:
        moment = to_utc(datetime.fromtimestamp(ms / 1000, tz=self.event.zone))
        return next((s for s in reversed(self.sessions) if s.starts_at <= moment < s.ends_at), None)

    def _hashtags(self, rng: random.Random, ms: int) -> list[str]:
        tags = [self.event.hashtags[0]]
        moment = to_utc(datetime.fromtimestamp(ms / 1000, tz=self.event.zone))
        running = self.session_at(ms)
        if running and running.hashtags and rng.random() < 0.2:
            tags.append(running.hashtags[0])
        else:
            # People keep using a session's tag a little after it ends: the tag must beat the clock.
            ended = [s for s in self.sessions if s.hashtags and s.ends_at <= moment < s.ends_at + timedelta(minutes=40)]
            if ended and rng.random() < 0.3:
                tags.append(ended[-1].hashtags[0])
        if rng.random() < 0.25:
            tags.append(rng.choice(texts.EXTRA_HASHTAGS))
        return [tag if tag.startswith("#") else f"#{tag}" for tag in tags]

    def text(self, index: int) -> str:
        """The full text of an original, reply or quote (a retweet's comes from its target)."""
        rng = random.Random(self.seed * 1_000_003 + index)
        if self.organisers:
            kind, target = self.kind[index], self.target[index]
            if kind == MENTION:
                return self._addressing_text(rng, index)
            if kind == ORIGINAL and self.author[index] in self.organiser_set:
                return self._own_text(rng, index)
            if kind == REPLY and target >= 0 and self.author[target] in self.organiser_set:
                return self._reply_to_organiser_text(rng, index, target)
        language = self.languages[self.language[index]]
        topic = rng.choice(texts.TOPICS[language])
        who_index = (
            rng.randrange(len(texts.DIRECTORY_ACCOUNTS)) if rng.random() < 0.7 else rng.randrange(len(self.authors))
        )
        who = "@" + self.authors[who_index].handle
        tags = " ".join(self._hashtags(rng, self.times[index]))
        body = rng.choice(texts.POST_TEMPLATES[language]).format(topic=topic, who=who, tags=tags)
        if rng.random() < 0.3:
            body = f"{body} {rng.choice(texts.EMOJI)}"
        if index in self.hostile:
            body = f"{texts.HOSTILE[self.hostile[index]]} {body}"
        if index in self.very_long:
            filler = f" {topic}: " + "everyone has a role, and every role needs a partner. "
            body = (body + filler * (LONG_POST_CHARS // len(filler) + 1))[:LONG_POST_CHARS]
        elif rng.random() < 0.02:
            body = body + " " + " ".join(rng.choice(texts.TOPICS[language]) for _ in range(30))
        return body

    def _who(self, rng: random.Random) -> str:
        return "@" + texts.DIRECTORY_ACCOUNTS[rng.randrange(len(texts.DIRECTORY_ACCOUNTS))][0]

    def _own_text(self, rng: random.Random, index: int) -> str:
        """The organiser's own post, fitting its moment: before the event an invitation, during a
        session a speaker's words or a thank-you, between sessions the next one, afterwards thanks."""
        language = self.languages[self.language[index]]
        ms = self.times[index]
        moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
        running = self.session_at(ms)
        upcoming = next((s for s in self.sessions if s.starts_at > moment), None)
        ended = [s for s in self.sessions if s.ends_at <= moment]
        pick = rng.random()
        session: AgendaRow | None
        if running is not None:
            if pick < 0.55:
                templates, session = texts.ORGANISER_QUOTE, running
            elif pick < 0.85 or upcoming is None:
                templates, session = texts.ORGANISER_THANKS, running
            else:
                templates, session = texts.ORGANISER_ANNOUNCE, upcoming
        elif upcoming is None:
            templates, session = texts.ORGANISER_AFTER, ended[-1] if ended else None
        elif not ended and upcoming.starts_at - moment > timedelta(hours=3):
            templates, session = texts.ORGANISER_BEFORE, upcoming
        elif pick < 0.7 or not ended:
            templates, session = texts.ORGANISER_ANNOUNCE, upcoming
        else:
            templates, session = texts.ORGANISER_THANKS, ended[-1]
        body = rng.choice(templates[language]).format(
            event=self.event.short_name or self.event.name,
            name=self.event.name,
            theme=self.event.theme,
            venue=self.event.venue,
            dates=self._dates(),
            session=session.title if session else self.event.name,
            short=session.title.split(":")[0].strip() if session else self.event.short_name,
            time=session.starts_at.astimezone(self.event.zone).strftime("%H:%M") if session else "",
            room=f" ({session.room})" if session and session.room else "",
            topic=rng.choice(texts.TOPICS[language]),
            who=self._who(rng),
            quote=rng.choice(texts.ORGANISER_QUOTES[language]),
        )
        if rng.random() >= OWN_WITHOUT_HASHTAG:
            return f"{body} {' '.join(self._hashtags(rng, ms))}"
        return f"{body} {rng.choice(texts.EXTRA_HASHTAGS)}" if rng.random() < 0.3 else body

    def _dates(self) -> str:
        start, end = self.event.start_date, self.event.end_date
        if start == end:
            return f"{start.day} {start:%B %Y}"
        if (start.year, start.month) == (end.year, end.month):
            return f"{start.day}–{end.day} {end:%B %Y}"
        return f"{start.day} {start:%B} – {end.day} {end:%B %Y}"

    def _organiser_handle(self, rng: random.Random) -> str:
        organisers = self.organisers
        return self.authors[organisers[0] if len(organisers) == 1 else rng.choice(organisers)].handle

    def _addressing_text(self, rng: random.Random, index: int) -> str:
        """A participant's post addressing the organiser, without the event's hashtags."""
        language = self.languages[self.language[index]]
        body = rng.choice(texts.ADDRESSING_ORGANISER[language]).format(
            org="@" + self._organiser_handle(rng), topic=rng.choice(texts.TOPICS[language])
        )
        if rng.random() < 0.15:
            body = f"{body} {rng.choice(texts.EXTRA_HASHTAGS)}"
        return f"{body} {rng.choice(texts.EMOJI)}" if rng.random() < 0.2 else body

    def _reply_to_organiser_text(self, rng: random.Random, index: int, target: int) -> str:
        """A reply to the organiser's post: it starts with the handle, as X writes replies; a few
        carry the hashtags."""
        language = self.languages[self.language[index]]
        body = rng.choice(texts.REPLYING_TO_ORGANISER[language]).format(
            topic=rng.choice(texts.TOPICS[language]), who=self._who(rng)
        )
        text = f"@{self.authors[self.author[target]].handle} {body}"
        if rng.random() < ORGANISER_REPLY_WITH_HASHTAG:
            return f"{text} {' '.join(self._hashtags(rng, self.times[index]))}"
        return text

    def context_text(self, number: int) -> str:
        rng = random.Random(self.seed * 7_000_003 + number)
        return f"Report launch: {rng.choice(texts.TOPICS['en'])}. Read more in our new study."

    # -- JSON ---------------------------------------------------------------------------------------

    @staticmethod
    def _entities(text: str) -> dict:
        entities: dict[str, list] = {}
        tags = [{"start": m.start(), "end": m.end(), "tag": m.group(1)} for m in re.finditer(r"#(\w+)", text)]
        mentions = [
            {"start": m.start(), "end": m.end(), "username": m.group(1)}
            for m in re.finditer(r"(?<!\w)@(\w{1,30})", text)
        ]
        if tags:
            entities["hashtags"] = tags
        if mentions:
            entities["mentions"] = mentions
        return entities

    def _metrics(self, index: int, followers: int) -> dict:
        rng = random.Random(self.seed * 5_000_011 + index)
        retweets = self.retweet_count[index]
        return {
            "retweet_count": retweets,
            "reply_count": self.reply_count[index],
            "like_count": retweets * 2 + int(rng.expovariate(0.5)),
            "quote_count": self.quote_count[index],
            "bookmark_count": int(rng.expovariate(2)),
            "impression_count": int(followers * rng.uniform(0.05, 0.3)) + retweets * 40,
        }

    def _with_text(self, tweet: dict, text: str) -> dict:
        if len(text) > 280:
            tweet["text"] = text[:279] + "…"
            tweet["entities"] = self._entities(tweet["text"])
            tweet["note_tweet"] = {"text": text, "entities": self._entities(text)}
        else:
            tweet["text"] = text
            tweet["entities"] = self._entities(text)
        if not tweet["entities"]:
            del tweet["entities"]
        return tweet

    def context_tweet(self, number: int) -> dict:
        author = self.authors[self.context_author[number]]
        tweet = {
            "id": self.context_id(number),
            "author_id": author.user_id,
            "created_at": format_api_time(datetime.fromtimestamp(self.context_ms[number] / 1000, tz=UTC)),
            "conversation_id": self.context_id(number),
            "lang": "en",
            "edit_history_tweet_ids": [self.context_id(number)],
            "public_metrics": {
                "retweet_count": 3,
                "reply_count": 1,
                "like_count": 9,
                "quote_count": 1,
                "bookmark_count": 0,
                "impression_count": 800,
            },
        }
        return self._with_text(tweet, self.context_text(number))

    def tweet(self, index: int) -> dict:
        author = self.authors[self.author[index]]
        post_id = self.post_id(index)
        kind, target = self.kind[index], self.target[index]
        tweet: dict = {
            "id": post_id,
            "author_id": author.user_id,
            "created_at": format_api_time(datetime.fromtimestamp(self.times[index] / 1000, tz=UTC)),
            "lang": self.languages[self.language[index]],
        }
        target_id = (self.context_id(-target - 2) if target <= -2 else self.post_id(target)) if target != -1 else None
        if kind == RETWEET:
            target_author = self.authors[self.author[target]]
            text = f"RT @{target_author.handle}: {self.text(target)}"
            if len(text) > 280:
                text = text[:279] + "…"
            tweet["text"] = text
            tweet["entities"] = self._entities(text)
            tweet["referenced_tweets"] = [{"type": "retweeted", "id": target_id}]
            tweet["conversation_id"] = post_id
        else:
            self._with_text(tweet, self.text(index))
            if kind == REPLY:
                tweet["referenced_tweets"] = [{"type": "replied_to", "id": target_id}]
                tweet["in_reply_to_user_id"] = (
                    self.authors[self.context_author[-target - 2]].user_id
                    if target <= -2
                    else self.authors[self.author[target]].user_id
                )
                tweet["conversation_id"] = target_id
            elif kind == QUOTE:
                tweet["referenced_tweets"] = [{"type": "quoted", "id": target_id}]
                tweet["conversation_id"] = post_id
            else:
                tweet["conversation_id"] = post_id
        rng = random.Random(self.seed * 3_000_017 + index)
        if kind == ORIGINAL and rng.random() < 0.15:
            tweet["attachments"] = {"media_keys": [f"3_{post_id}{n}" for n in range(rng.randint(1, 4))]}
        tweet["edit_history_tweet_ids"] = [self.original_id(index), post_id] if index in self.edited else [post_id]
        tweet["public_metrics"] = self._metrics(index, author.followers)
        return tweet

    def user(self, author: DemoAuthor) -> dict:
        return {
            "id": author.user_id,
            "username": author.handle,
            "name": author.name,
            "description": author.bio,
            "location": author.location,
            "verified": author.verified,
            "created_at": format_api_time(author.created_at),
            "public_metrics": {
                "followers_count": author.followers,
                "following_count": author.followers // 3 + 50,
                "tweet_count": author.followers // 2 + 100,
                "listed_count": author.followers // 100,
            },
        }

    # -- output -------------------------------------------------------------------------------------

    def pages(self) -> Iterator[dict]:
        """Search pages as ``twarc2 search`` writes them: newest first, 100 posts a page."""
        by_handle = {a.handle: a for a in self.authors}
        retrieved = to_utc(
            datetime.combine(self.event.end_date + timedelta(days=1), datetime.min.time()).replace(hour=8),
            self.event.zone,
        )
        url = (
            "https://api.twitter.com/2/tweets/search/recent?expansions=author_id%2Creferenced_tweets.id%2C"
            "referenced_tweets.id.author_id%2Centities.mentions.username%2Cattachments.media_keys&tweet.fields="
            "created_at%2Clang%2Cpublic_metrics%2Centities%2Creferenced_tweets%2Cconversation_id%2C"
            "in_reply_to_user_id%2Cnote_tweet%2Cedit_history_tweet_ids&user.fields=name%2Cusername%2C"
            "description%2Clocation%2Cverified%2Cpublic_metrics%2Ccreated_at&max_results=100&query="
            + urllib.parse.quote(self.event.query(), safe="")
        )
        order = list(range(self.size - 1, -1, -1))
        total_pages = math.ceil(self.size / PAGE_SIZE)
        for page_number in range(total_pages):
            chunk = order[page_number * PAGE_SIZE : (page_number + 1) * PAGE_SIZE]
            data = [self.tweet(i) for i in chunk]
            users: dict[str, dict] = {}
            included: dict[str, dict] = {}
            errors: list[dict] = []
            media: list[dict] = []

            missing = self.authors[self.missing_author]
            missing_needed = False

            def add_user(author: DemoAuthor, missing=missing, users=users) -> None:
                nonlocal missing_needed
                if author is missing:
                    missing_needed = True
                    return
                users.setdefault(author.user_id, self.user(author))

            for i, tweet in zip(chunk, data, strict=True):
                add_user(self.authors[self.author[i]])
                for mention in tweet.get("entities", {}).get("mentions", []):
                    if mention["username"] in by_handle:
                        add_user(by_handle[mention["username"]])
                for key in tweet.get("attachments", {}).get("media_keys", []):
                    media.append(
                        {
                            "media_key": key,
                            "type": "photo",
                            "url": f"{MEDIA_HOST}/{key}.jpg",
                            "width": 1200,
                            "height": 800,
                        }
                    )
                target = self.target[i]
                if target == -1:
                    continue
                if target <= -2:
                    number = -target - 2
                    if number in self.withheld_context:
                        errors.append(
                            {
                                "value": self.context_id(number),
                                "detail": "Sorry, you are not authorized to see the "
                                f"Tweet with referenced_tweets.id: [{self.context_id(number)}].",
                                "title": "Authorization Error",
                                "resource_type": "tweet",
                                "parameter": "referenced_tweets.id",
                                "resource_id": self.context_id(number),
                                "section": "includes",
                                "type": "https://api.twitter.com/2/problems/not-authorized-for-resource",
                            }
                        )
                        continue
                    included.setdefault(self.context_id(number), self.context_tweet(number))
                    add_user(self.authors[self.context_author[number]])
                else:
                    included.setdefault(self.post_id(target), self.tweet(target))
                    add_user(self.authors[self.author[target]])
            if missing_needed:
                errors.append(
                    {
                        "value": missing.user_id,
                        "detail": f"Could not find user with id: [{missing.user_id}].",
                        "title": "Not Found Error",
                        "resource_type": "user",
                        "parameter": "author_id",
                        "resource_id": missing.user_id,
                        "type": "https://api.twitter.com/2/problems/resource-not-found",
                    }
                )
            page: dict = {"data": data, "includes": {"users": list(users.values())}}
            if included:
                page["includes"]["tweets"] = list(included.values())
            if media:
                page["includes"]["media"] = media
            if errors:
                page["errors"] = errors
            meta = {"newest_id": data[0]["id"], "oldest_id": data[-1]["id"], "result_count": len(data)}
            if page_number + 1 < total_pages:
                meta["next_token"] = f"demo{self.seed}p{page_number + 1:07d}"
            page["meta"] = meta
            page["__twarc"] = {"url": url, "version": "2.14.0", "retrieved_at": retrieved.isoformat()}
            page["__demo"] = {"generator": "engagement.demo", "seed": self.seed, "posts": self.size}
            yield page

    def questions(self) -> Iterator[dict]:
        """About one question per 15 posts, across sessions, in every moderation state."""
        rng = random.Random(self.seed + 1)
        count = max(len(self.sessions), self.size // 15)
        states = (
            ["pending"] * 20
            + ["follow_up"] * 5
            + ["approved"] * 25
            + ["answered"] * 30
            + ["dismissed"] * 10
            + ["archived"] * 10
        )
        groups = [g for g in texts.GROUP_WEIGHTS if g != "public"]
        on_screen_done: set[str] = set()
        weights = [(s.ends_at - s.starts_at).total_seconds() for s in self.sessions]
        for number in range(count):
            session = self.sessions[number] if number < len(self.sessions) else rng.choices(self.sessions, weights)[0]
            language = rng.choices(list(texts.LANGUAGE_WEIGHTS), list(texts.LANGUAGE_WEIGHTS.values()))[0]
            text = rng.choice(texts.QUESTION_TEMPLATES[language]).format(topic=rng.choice(texts.TOPICS[language]))
            if number < len(texts.HOSTILE):
                text = f"{text} {texts.HOSTILE[number]}"
            status = rng.choice(states)
            if status == "approved" and session.key not in on_screen_done and rng.random() < 0.5:
                status = "on_screen"
                on_screen_done.add(session.key)
            votes = {"pending": 0, "follow_up": rng.randint(0, 5), "dismissed": 0}.get(
                status, int(rng.expovariate(0.12))
            )
            created = session.starts_at + (session.ends_at - session.starts_at) * rng.uniform(0.05, 0.9)
            named = rng.random() < 0.4
            yield {
                "id": f"demo-{self.seed}-q{number + 1:05d}",
                "session": session.key,
                "question": text,
                "name": f"{rng.choice(texts.FIRST_NAMES[language])} ({'demo'})" if named else "",
                "group": rng.choice(groups) if rng.random() < 0.6 else "",
                "affiliation": rng.choice(["Demo NGO", "Demo Ministry", "Demo University", "Demo Union"])
                if rng.random() < 0.3
                else "",
                "language": language,
                "votes": votes,
                "status": status,
                "created_at": created.astimezone(self.event.zone).isoformat(timespec="seconds"),
            }


QUESTION_COLUMNS = [
    "id",
    "session",
    "question",
    "name",
    "group",
    "affiliation",
    "language",
    "votes",
    "status",
    "created_at",
]


def write_collection(
    path: Path, posts: int = DEFAULT_POSTS, seed: int = DEFAULT_SEED, collection: DemoCollection | None = None
) -> tuple[Path, Path]:
    """Write the posts (JSONL) and, beside them, the questions (``<name>.questions.csv``)."""
    collection = collection or DemoCollection(posts, seed)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for page in collection.pages():
            out.write(json.dumps(page, ensure_ascii=False, separators=(",", ":")) + "\n")
    questions = questions_path(path)
    with questions.open("w", encoding="utf-8", newline="") as out:
        out.write(questions_csv(collection))
    return path, questions


def questions_path(path: Path) -> Path:
    name = path.name.removesuffix(".gz").removesuffix(".jsonl")
    return path.with_name(f"{name}.questions.csv")


def questions_csv(collection: DemoCollection) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, QUESTION_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(collection.questions())
    return buffer.getvalue()
