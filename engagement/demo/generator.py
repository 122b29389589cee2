"""A seeded, synthetic event collection on three networks, written as one JSONL file: X API v2 search
pages as twarc2 writes them, then Bluesky ``app.bsky.feed.searchPosts`` pages and Jetstream v1 repost
events (``engagement.demo.bluesky`` writes those shapes), then two Mastodon instances' hashtag
timeline pages as recorded responses (``engagement.demo.mastodon``).

The demo enters the database through the same importer as real data. The volume follows the
agenda (bursts at the opening, peaks in sessions, quiet breaks and nights); the same seed, size
and event files give the same bytes. Plans are kept in compact arrays and each post's text is
derived from its own seed when written, so a million posts fit comfortably in memory.

When the event lists an X account (``accounts`` in event.toml), the collection also holds what the
worker collects besides the hashtag: that account's own posts (session announcements, speakers'
words, thank-yous; a third without the hashtag), participants addressing it without the hashtag,
and replies to its posts, mostly without the hashtag — so the demo shows why each post was
collected. Without such an account there are none of these, and the rest is planned as before.

A share of the posts (``bluesky_share``, 27 % by default) is on Bluesky, planned the same way from a
seed of its own (the same agenda curve, the same mix of kinds, the organiser's channel when the event
lists a Bluesky account) by authors of their own: more NGOs and researchers, fewer governments, some
of them the same people as on X under other accounts. Reposts are not in searchPosts: they are
written as the Jetstream events that announce them, and the posts' repost counts also count reposts
the collector never saw. With a share of 0 the file is byte for byte what it was before Bluesky.

Another share (``mastodon_share``, 15 % by default) is on Mastodon (``MastodonPlan``), on two
simulated instances whose timelines overlap: the same post seen on both, with a local id of each
and the author's acct in each one's form, so the demo shows one row per post across instances.
With both shares 0 the file is X's alone, as before.
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
from itertools import accumulate, chain
from pathlib import Path

from engagement.demo import bluesky, mastodon, texts
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
BLUESKY_SHARE = 0.27
# Bluesky participants who are on X too: the same person (name, language, city, bio), another account.
BLUESKY_ON_X_TOO = 0.3
# The Bluesky plan's seed is the collection's plus this, so its choices are its own, not X's again.
BLUESKY_SEED_OFFSET = 1_000_000_007
# Of Bluesky's originals: some carry images, some a link (facet) to the event's demo pages.
BLUESKY_IMAGE_SHARE, BLUESKY_LINK_SHARE = 0.12, 0.1
BLUESKY_LINK_HOST = "demo.example.invalid"
# Mastodon (issue 21): 15 % of the posts, on two simulated instances; the first is the larger.
MASTODON_SHARE = 0.15
MASTODON_INSTANCES = ("social.demo.example", "fedi.demo.example")
MASTODON_HOME_WEIGHTS = (0.6, 0.4)
# The share of a post's copies that reach the other instance too (its author has followers there):
# the same post seen on both, with another local id and acct form on each. The known accounts'
# posts reach both.
MASTODON_FEDERATED_SHARE = 0.45
MASTODON_SEED_OFFSET = 2_000_000_011
# Hashtag timelines show no boosts: the mix is originals, replies (a quarter) and quotes (4.4+).
MASTODON_KINDS = (0.0, 0.25, 0.34)
# Some posts carry a content warning (spoiler_text), kept beside the text; a few are edited.
MASTODON_WARNING_SHARE = 0.05
MASTODON_WARNING = "Trafficking, exploitation"


def snowflake(ms: int, sequence: int) -> int:
    return ((ms - TWITTER_EPOCH_MS) << 22) | (sequence & 0x3FFFFF)


def directory_name(handle: str) -> str:
    """A known account's display name, from its X handle: ``demo_coe_greta`` → "Coe Greta (demo)"."""
    return handle.removeprefix("demo_").replace("_", " ").title() + " (demo)"


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


class NetworkPlan:
    """One network's posts, planned once from ``seed`` in compact arrays (times, authors, kinds,
    targets, languages, counts); each post's text is derived from its own seed when written.

    A network supplies its authors (``_plan_authors``: the known accounts first, ``directory_count``
    of them, then the organiser's accounts on it, then participants) and writes the plan in its
    own shapes; the planning and the words are shared."""

    directory_count: int
    organisers: list[int]
    # The mix of kinds (cumulative: retweets, replies, quotes; the rest originals).
    kind_shares: tuple[float, float, float] = (RETWEET_UPTO, REPLY_UPTO, QUOTE_UPTO)
    organiser_set: frozenset[int]
    author_weights: list[float]

    def __init__(self, posts: int, seed: int, event: EventConfig, agenda: list[AgendaRow]):
        self.size, self.seed = posts, seed
        self.event, self.agenda = event, agenda
        self.sessions = [row for row in self.agenda if row.kind != "break"]
        rng = random.Random(seed)
        self.authors = self._plan_authors(rng)
        self.languages = list(texts.LANGUAGE_WEIGHTS)
        self._plan_timeline(rng)
        self._plan_posts(rng)
        self._plan_context(rng)

    # -- planning -------------------------------------------------------------------------------

    def _plan_authors(self, rng: random.Random) -> list[DemoAuthor]:
        raise NotImplementedError

    def _cites_context(self, kind: int) -> bool:
        """Whether a post of ``kind`` may refer to an older post outside the collection (on X, replies
        and quotes; the includes carry it, or an error says it is withheld)."""
        return kind != RETWEET

    def _weigh_authors(self, rng: random.Random, count: int, added: set[int]) -> None:
        """How often each author posts (cumulative): a heavy tail, the known accounts three times as
        often; an organiser account added for the event writes only its own channel (weight 0)."""
        self.author_weights = list(
            accumulate(
                0.0
                if number in added
                else (3.0 if number < self.directory_count else 1.0) * min(rng.paretovariate(1.3), 40)
                for number in range(count)
            )
        )

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
        shares = self.kind_shares
        retweet_upto, reply_upto, quote_upto = shares
        if organisers:  # the same mix over the rest of the roll, replies to the organiser counted in
            rest = 1 - channel
            retweet_upto = shares[0] / rest
            reply_upto = (shares[1] - ORGANISER_REPLY_SHARE) / rest
            quote_upto = (shares[2] - ORGANISER_REPLY_SHARE) / rest
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
            if self._cites_context(kind) and rng.random() < 0.08:
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
        self.context_author = [rng.randrange(self.directory_count) for _ in range(self.context_count)]
        # Two referenced posts the API will not show (protected accounts): the page reports an error.
        self.withheld_context = set(range(min(2, self.context_count)))

    # -- text -------------------------------------------------------------------------------------

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
        who_index = rng.randrange(self.directory_count) if rng.random() < 0.7 else rng.randrange(len(self.authors))
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
        """A known account of this network, mentioned (they come first among the authors)."""
        return "@" + self.authors[rng.randrange(self.directory_count)].handle

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

    def _reply_prefix(self, target: int) -> str:
        """What a reply's text starts with: on X, the handle of the author replied to."""
        return f"@{self.authors[self.author[target]].handle} "

    def _reply_to_organiser_text(self, rng: random.Random, index: int, target: int) -> str:
        """A reply to the organiser's post (on X it starts with the handle, as X writes replies); a
        few carry the hashtags."""
        language = self.languages[self.language[index]]
        body = rng.choice(texts.REPLYING_TO_ORGANISER[language]).format(
            topic=rng.choice(texts.TOPICS[language]), who=self._who(rng)
        )
        text = self._reply_prefix(target) + body
        if rng.random() < ORGANISER_REPLY_WITH_HASHTAG:
            return f"{text} {' '.join(self._hashtags(rng, self.times[index]))}"
        return text

    def context_text(self, number: int) -> str:
        rng = random.Random(self.seed * 7_000_003 + number)
        return f"Report launch: {rng.choice(texts.TOPICS['en'])}. Read more in our new study."


class DemoCollection(NetworkPlan):
    """The whole collection, planned once: its X posts (this plan), its Bluesky posts (``bluesky``)
    and the questions; ``pages()``, ``bluesky_lines()`` and ``questions()`` then write it out."""

    def __init__(
        self,
        posts: int = DEFAULT_POSTS,
        seed: int = DEFAULT_SEED,
        event: EventConfig | None = None,
        agenda: list[AgendaRow] | None = None,
        bluesky_share: float = BLUESKY_SHARE,
        mastodon_share: float = MASTODON_SHARE,
    ):
        if posts < 1:
            raise ValueError("a demo collection needs at least one post")
        if not 0 <= bluesky_share < 1:
            raise ValueError("the Bluesky share is a fraction from 0 up to (not including) 1")
        if not 0 <= mastodon_share < 1 or bluesky_share + mastodon_share >= 1:
            raise ValueError("the Mastodon share is a fraction from 0, and with Bluesky's under 1")
        event = event or load_event()
        agenda = agenda if agenda is not None else load_agenda(event)
        # At least one post stays on X: the questions and the demo marker ride on X's pages.
        bluesky_posts = min(posts - 1, round(posts * bluesky_share))
        mastodon_posts = min(posts - 1 - bluesky_posts, round(posts * mastodon_share))
        self.total = posts
        super().__init__(posts - bluesky_posts - mastodon_posts, seed, event, agenda)
        self.bluesky = BlueskyPlan(bluesky_posts, self) if bluesky_posts else None
        self.mastodon = MastodonPlan(mastodon_posts, self) if mastodon_posts else None

    # -- planning -------------------------------------------------------------------------------

    def _plan_authors(self, rng: random.Random) -> list[DemoAuthor]:
        count = max(len(texts.DIRECTORY_ACCOUNTS) + 10, round(300 * math.sqrt(self.size / DEFAULT_POSTS)))
        start = to_utc(datetime(2009, 1, 1))
        authors = []
        self.directory_count = len(texts.DIRECTORY_ACCOUNTS)
        for handle, group in texts.DIRECTORY_ACCOUNTS:
            authors.append(
                DemoAuthor(
                    "",
                    handle,
                    directory_name(handle),
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
        self._weigh_authors(rng, len(authors), added)
        return authors

    # -- ids ------------------------------------------------------------------------------------

    def post_id(self, index: int) -> str:
        return str(snowflake(self.times[index], index))

    def original_id(self, index: int) -> str:
        """For an edited post, the id of its first version (a few minutes earlier)."""
        return str(snowflake(self.times[index] - 240_000, index))

    def context_id(self, number: int) -> str:
        return str(snowflake(self.context_ms[number], 0x300000 + number))

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

    def _demo_marker(self) -> dict:
        """What every search page says of its making (``__demo``: the importer marks the database)."""
        return {"generator": "engagement.demo", "seed": self.seed, "posts": self.total}

    def bluesky_lines(self) -> Iterator[dict]:
        """The Bluesky part: searchPosts pages, then the Jetstream repost events (none without it)."""
        if self.bluesky is not None:
            yield from self.bluesky.lines(self._demo_marker())

    def mastodon_lines(self) -> Iterator[dict]:
        """The Mastodon part: each instance's hashtag timeline pages (none without it)."""
        if self.mastodon is not None:
            yield from self.mastodon.lines(self._demo_marker())

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
            page["__demo"] = self._demo_marker()
            yield page

    def questions(self) -> Iterator[dict]:
        """About one question per 15 posts, across sessions, in every moderation state."""
        rng = random.Random(self.seed + 1)
        count = max(len(self.sessions), self.total // 15)
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


class BlueskyPlan(NetworkPlan):
    """The collection's Bluesky posts: planned as X's are, from a seed of their own, by Bluesky
    authors (DIDs and ``.bsky.social`` handles; the known accounts and a share of the participants
    are people also on X, under other accounts), and written as searchPosts pages and Jetstream
    repost events.

    Differences the network makes: replies answer collected posts only (a searchPosts view names its
    parent by URI and carries nothing of it), only quotes refer to older posts outside the collection
    (the quote's view carries them, or says one is not found), texts fit Bluesky's 300 characters,
    replies do not start with a handle, and there are no edits."""

    def __init__(self, posts: int, collection: DemoCollection):
        self.x_authors = collection.authors
        self.x_directory_count = collection.directory_count
        self.x_organisers = collection.organiser_set
        super().__init__(posts, collection.seed + BLUESKY_SEED_OFFSET, collection.event, collection.agenda)
        self.did_by_handle = {author.handle: author.user_id for author in self.authors}
        self._author_views: dict[int, dict] = {}

    # -- planning -------------------------------------------------------------------------------

    def _plan_authors(self, rng: random.Random) -> list[DemoAuthor]:
        count = max(len(texts.BLUESKY_ACCOUNTS) + 10, round(300 * math.sqrt(self.size / DEFAULT_POSTS)))
        start = to_utc(datetime(2016, 6, 1))
        groups = dict(texts.DIRECTORY_ACCOUNTS)
        authors = []
        self.directory_count = len(texts.BLUESKY_ACCOUNTS)
        for x_handle in texts.BLUESKY_ACCOUNTS:
            group = groups[x_handle]
            authors.append(
                DemoAuthor(
                    "",
                    x_handle.replace("_", "-") + bluesky.HANDLE_SUFFIX,
                    directory_name(x_handle),
                    rng.choice(texts.BIOS[group]),
                    rng.choice(texts.CITIES),
                    int(rng.lognormvariate(7.5, 1.0)),
                    False,
                    group,
                    "en",
                    start + timedelta(days=rng.randrange(600)),
                )
            )
        self.organisers = []
        for handle in self.event.accounts_on("bluesky"):
            self.organisers.append(len(authors))
            authors.append(
                DemoAuthor(
                    "",
                    handle,
                    texts.ORGANISER_NAME,
                    f"{self.event.organiser or texts.ORGANISER_BIO_FALLBACK} (demo)",
                    "Vienna",
                    ORGANISER_FOLLOWERS // 3,
                    False,
                    "osce",
                    "en",
                    start + timedelta(days=rng.randrange(300)),
                )
            )
        self.organiser_set = frozenset(self.organisers)
        # X's participants by group, each to be mirrored once at most: the same person on both networks.
        on_x: dict[str, list[int]] = {}
        for number, x_author in enumerate(self.x_authors):
            if number >= self.x_directory_count and number not in self.x_organisers:
                on_x.setdefault(x_author.group, []).append(number)
        mirrored: set[int] = set()
        groups_, weights = zip(*texts.BLUESKY_GROUP_WEIGHTS.items(), strict=True)
        languages, language_weights = zip(*texts.LANGUAGE_WEIGHTS.items(), strict=True)
        for index in range(count - len(authors)):
            group = rng.choices(groups_, weights)[0]
            word = texts.BLUESKY_HANDLE_WORDS[group]
            handle = f"demo-{word}-{index}{bluesky.HANDLE_SUFFIX}"
            created = start + timedelta(days=rng.randrange(650))
            candidates = on_x.get(group, [])
            twin_number = rng.choice(candidates) if candidates and rng.random() < BLUESKY_ON_X_TOO else None
            if twin_number is not None and twin_number not in mirrored:
                mirrored.add(twin_number)
                twin = self.x_authors[twin_number]
                author = DemoAuthor(
                    "", handle, twin.name, twin.bio, twin.location, 0, False, group, twin.language, created
                )
            else:
                language = rng.choices(languages, language_weights)[0]
                name = f"{rng.choice(texts.FIRST_NAMES[language])} {rng.choice(texts.LAST_NAMES[language])}"
                bio = rng.choice(texts.BIOS[group] if rng.random() < 0.85 else texts.BIOS["public"])
                author = DemoAuthor("", handle, name, bio, rng.choice(texts.CITIES), 0, False, group, language, created)
            author.followers = int(rng.lognormvariate(5.0, 1.5))
            authors.append(author)
        for number, author in enumerate(authors):
            author.user_id = bluesky.did_for(self.seed, number)
        self._weigh_authors(rng, len(authors), set(self.organisers))
        return authors

    def _cites_context(self, kind: int) -> bool:
        return kind == QUOTE

    # -- text ---------------------------------------------------------------------------------------

    def _reply_prefix(self, target: int) -> str:
        return ""  # Bluesky's replies name their parent in the record, not in the text

    def text(self, index: int) -> str:
        return bluesky.fit(super().text(index))

    def context_text(self, number: int) -> str:
        return bluesky.fit(super().context_text(number))

    # -- ids ----------------------------------------------------------------------------------------

    def _microseconds(self, index: int) -> int:
        """A post's time in microseconds, unique within the collection with ``_clock``: the plan has
        milliseconds, and a record key is made of the time and a clock id."""
        return self.times[index] * 1000 + index % 1000

    @staticmethod
    def _clock(index: int) -> int:
        return (index // 1000) & 0x3FF

    def rkey(self, index: int) -> str:
        return bluesky.tid(self._microseconds(index), self._clock(index))

    def uri(self, index: int) -> str:
        return bluesky.post_uri(self.authors[self.author[index]].user_id, self.rkey(index))

    def context_uri(self, number: int) -> str:
        did = self.authors[self.context_author[number]].user_id
        return bluesky.post_uri(did, bluesky.tid(self.context_ms[number] * 1000 + 500, 0x300 + number % 0x100))

    def _indexed_ms(self, index: int) -> int:
        """When the AppView indexed the post: a moment after it was written."""
        return self.times[index] + 150 + index * 7919 % 2000

    # -- JSON ---------------------------------------------------------------------------------------

    def _author_view(self, number: int) -> dict:
        view = self._author_views.get(number)
        if view is None:
            author = self.authors[number]
            created_ms = int(author.created_at.timestamp() * 1000)
            view = bluesky.author_view(author.user_id, author.handle, author.name, author.bio, created_ms)
            self._author_views[number] = view
        return view

    def _counts(self, index: int) -> tuple[int, int, int, int]:
        """Replies, reposts, likes, quotes. The repost count is the reposts in the collection plus
        some the collector never saw (Jetstream is live only): the events are a share of it."""
        rng = random.Random(self.seed * 5_000_011 + index)
        reposts = self.retweet_count[index]
        unseen = int(rng.expovariate(1.5)) if reposts else int(rng.expovariate(3))
        return (
            self.reply_count[index],
            reposts + unseen,
            (reposts + unseen) * 3 + int(rng.expovariate(0.4)),
            self.quote_count[index],
        )

    def post_record(self, index: int) -> dict:
        """The post's ``app.bsky.feed.post`` record: the same whether it is collected or quoted."""
        kind, target = self.kind[index], self.target[index]
        text = self.text(index)
        rng = random.Random(self.seed * 3_000_017 + index)
        links: list[tuple[str, str]] = []
        images = None
        if kind == ORIGINAL:
            pick = rng.random()
            if pick < BLUESKY_IMAGE_SHARE:
                keys = [bluesky.cid_for(f"{self.uri(index)}#image{n}") for n in range(rng.randint(1, 4))]
                images = bluesky.images(keys, texts.BLUESKY_IMAGE_ALT)
            elif pick < BLUESKY_IMAGE_SHARE + BLUESKY_LINK_SHARE:
                path = f"{self.event.hashtags[0].lstrip('#').lower()}/{rng.choice(texts.BLUESKY_LINK_PATHS)}"
                shown = f"{BLUESKY_LINK_HOST}/{path}"
                text = bluesky.fit(text, bluesky.TEXT_LIMIT - len(shown) - 1) + " " + shown
                links.append((shown, f"https://{shown}"))
        reply = quote = None
        if kind == REPLY:
            parent = self.uri(target)
            reply = (parent, bluesky.cid_for(parent))
        elif kind == QUOTE:
            quoted = self.context_uri(-target - 2) if target <= -2 else self.uri(target)
            quote = (quoted, bluesky.cid_for(quoted))
        return bluesky.record(
            text,
            self.times[index],
            self.languages[self.language[index]],
            self.did_by_handle,
            links=links,
            reply=reply,
            quote=quote,
            images=images,
        )

    def _context_record(self, number: int) -> dict:
        return bluesky.record(self.context_text(number), self.context_ms[number], "en", self.did_by_handle)

    def _embed_view(self, index: int, post: dict) -> dict | None:
        """What the view shows of the record's embed: the quoted post, or the images."""
        embed = post.get("embed")
        if embed is None:
            return None
        if embed["$type"] == "app.bsky.embed.images":
            keys = [image["image"]["ref"]["$link"] for image in embed["images"]]
            return bluesky.images_view(keys, texts.BLUESKY_IMAGE_ALT, MEDIA_HOST)
        target = self.target[index]
        if target >= 0:
            return bluesky.quoted_view(
                self.uri(target),
                self._author_view(self.author[target]),
                self.post_record(target),
                self._indexed_ms(target),
                self._counts(target),
            )
        number = -target - 2
        if number in self.withheld_context:
            return bluesky.not_found_view(self.context_uri(number))
        return bluesky.quoted_view(
            self.context_uri(number),
            self._author_view(self.context_author[number]),
            self._context_record(number),
            self.context_ms[number] + 400,
            (1, 3, 9, 1),
        )

    def post_view(self, index: int) -> dict:
        post = self.post_record(index)
        return bluesky.post_view(
            self.uri(index),
            self._author_view(self.author[index]),
            post,
            self._indexed_ms(index),
            self._counts(index),
            self._embed_view(index, post),
        )

    def repost_event(self, index: int) -> dict:
        """The Jetstream event of repost ``index``, seen by the relay a moment after it was made."""
        did = self.authors[self.author[index]].user_id
        seen_us = self._microseconds(index) + (200 + index * 7919 % 1500) * 1000
        return bluesky.repost_event(
            did,
            self.rkey(index),
            self.times[index],
            seen_us,
            self.uri(self.target[index]),
            bluesky.tid(seen_us, self._clock(index)),
        )

    # -- output -------------------------------------------------------------------------------------

    def lines(self, marker: dict) -> Iterator[dict]:
        """searchPosts pages (``sort=latest``: newest first, 100 posts a page, a cursor on all but
        the last), then one Jetstream event per repost, oldest first as the stream delivers them."""
        order = [i for i in range(self.size - 1, -1, -1) if self.kind[i] != RETWEET]
        total_pages = math.ceil(len(order) / PAGE_SIZE)
        for page_number in range(total_pages):
            chunk = order[page_number * PAGE_SIZE : (page_number + 1) * PAGE_SIZE]
            page: dict = {"posts": [self.post_view(i) for i in chunk]}
            if page_number + 1 < total_pages:
                page["cursor"] = str((page_number + 1) * PAGE_SIZE)
            page["__demo"] = marker
            yield page
        for index in range(self.size):
            if self.kind[index] == RETWEET:
                yield self.repost_event(index)


class MastodonPlan(NetworkPlan):
    """The collection's Mastodon posts: planned as X's are, from a seed of their own, by accounts on
    two simulated instances (``MASTODON_INSTANCES``; usernames ``demo_…``, the known accounts'
    the same as on X), and written as each instance's hashtag timeline pages.

    Each post is written on its author's instance and reaches the other one too for
    ``MASTODON_FEDERATED_SHARE`` of them (all of the known accounts'; a reply or quote brings its
    parent along): the same post then appears on both, with a local id of each instance's and the
    author's ``acct`` in each instance's form, and the importer keeps one row per status ``uri``.

    Differences the network makes: no boosts (hashtag timelines leave them out; ``reblogs_count``
    still counts them), replies start with the ``@acct`` Mastodon's composer puts there and answer
    collected posts, only quotes refer to older posts outside the collection, texts fit 500
    characters, some posts carry a content warning, a few are edited (``edited_at``). The copies of
    a post show the same counts on both instances: an import cannot tell which instance served a
    line (a poll can, and takes the origin's)."""

    kind_shares = MASTODON_KINDS

    def __init__(self, posts: int, collection: DemoCollection):
        super().__init__(posts, collection.seed + MASTODON_SEED_OFFSET, collection.event, collection.agenda)
        self.homes_by_name = {self.username(n): MASTODON_INSTANCES[self.home[n]] for n in range(len(self.authors))}
        self._plan_instances(random.Random(self.seed + 1))

    # -- planning -------------------------------------------------------------------------------

    def _plan_authors(self, rng: random.Random) -> list[DemoAuthor]:
        count = max(len(texts.BLUESKY_ACCOUNTS) + 10, round(200 * math.sqrt(self.size / DEFAULT_POSTS)))
        start = to_utc(datetime(2017, 1, 1))
        groups = dict(texts.DIRECTORY_ACCOUNTS)
        authors = []
        self.home = bytearray()
        # The known accounts that are in the fediverse are the same as on Bluesky, on the first instance.
        self.directory_count = len(texts.BLUESKY_ACCOUNTS)
        for handle in texts.BLUESKY_ACCOUNTS:
            group = groups[handle]
            bio = rng.choice(texts.BIOS[group])
            followers = int(rng.lognormvariate(6.5, 1.0))
            created = start + timedelta(days=rng.randrange(1500))
            authors.append(
                DemoAuthor("", handle, directory_name(handle), bio, "", followers, False, group, "en", created)
            )
            self.home.append(0)
        self.organisers = []  # the demo's event lists no Mastodon account: no organiser channel here
        self.organiser_set = frozenset()
        groups_, weights = zip(*texts.BLUESKY_GROUP_WEIGHTS.items(), strict=True)
        languages, language_weights = zip(*texts.LANGUAGE_WEIGHTS.items(), strict=True)
        for index in range(count - len(authors)):
            group = rng.choices(groups_, weights)[0]
            language = rng.choices(languages, language_weights)[0]
            name = f"{rng.choice(texts.FIRST_NAMES[language])} {rng.choice(texts.LAST_NAMES[language])}"
            bio = rng.choice(texts.BIOS[group] if rng.random() < 0.85 else texts.BIOS["public"])
            if index < 3:  # hostile text in a name and a bio, shown literally on every page
                name = f"{name} {texts.HOSTILE[index]}"
                bio = f"{texts.HOSTILE[-1 - index]} {bio}"
            username = f"demo_{texts.BLUESKY_HANDLE_WORDS[group]}_{index}"
            created = start + timedelta(days=rng.randrange(2500))
            followers = int(rng.lognormvariate(4.5, 1.5))
            authors.append(DemoAuthor("", username, name, bio, "", followers, False, group, language, created))
            self.home.append(0 if rng.random() < MASTODON_HOME_WEIGHTS[0] else 1)
        for number, author in enumerate(authors):
            home = MASTODON_INSTANCES[self.home[number]]
            author.user_id = mastodon.account_uri(author.handle, home)
            author.handle = f"{author.handle}@{home}"
        self._weigh_authors(rng, len(authors), set())
        return authors

    def _cites_context(self, kind: int) -> bool:
        return kind == QUOTE

    def _plan_instances(self, rng: random.Random) -> None:
        """Which instances hold each post (bit 0: the first, bit 1: the second)."""
        self.on = bytearray(self.size)
        self.warned = bytearray(self.size)
        for index in range(self.size):
            author = self.author[index]
            own = 1 << self.home[author]
            other = 3 - own
            known = author < self.directory_count
            self.on[index] = own | (other if known or rng.random() < MASTODON_FEDERATED_SHARE else 0)
            self.warned[index] = self.kind[index] == ORIGINAL and rng.random() < MASTODON_WARNING_SHARE
        # An instance that receives a reply or a quote fetches what it answers: newest first, so that
        # a thread's parents reach wherever its last reply went.
        for index in range(self.size - 1, -1, -1):
            target = self.target[index]
            if target >= 0:
                self.on[target] |= self.on[index]

    # -- text ---------------------------------------------------------------------------------------

    def username(self, number: int) -> str:
        return self.authors[number].handle.split("@", 1)[0]

    def _reply_prefix(self, target: int) -> str:
        return ""  # written by post_text: the acct depends on where the reply is written

    def text(self, index: int) -> str:
        return mastodon.fit(super().text(index))

    def context_text(self, number: int) -> str:
        return mastodon.fit(super().context_text(number))

    def post_text(self, index: int) -> str:
        """What the author wrote: a reply starts with the ``@acct`` of the author replied to, as
        Mastodon's composer writes it on the replier's instance."""
        text = self.text(index)
        target = self.target[index]
        if self.kind[index] == REPLY and target >= 0:
            parent = self.author[target]
            home = MASTODON_INSTANCES[self.home[self.author[index]]]
            prefix = "@" + mastodon.acct(self.username(parent), MASTODON_INSTANCES[self.home[parent]], home) + " "
            text = mastodon.fit(prefix + text)
        return text

    # -- JSON ---------------------------------------------------------------------------------------

    def _origin(self, number: int) -> str:
        return MASTODON_INSTANCES[self.home[number]]

    def origin_id(self, index: int) -> int:
        return mastodon.local_id(self.times[index], self._origin(self.author[index]), f"p{index}")

    def uri(self, index: int) -> str:
        return f"{self.authors[self.author[index]].user_id}/statuses/{self.origin_id(index)}"

    def local(self, index: int, instance: str) -> int:
        """The post's id on ``instance`` (its origin's id there)."""
        if instance == self._origin(self.author[index]):
            return self.origin_id(index)
        return mastodon.local_id(self.times[index], instance, f"p{index}")

    def _account(self, number: int, instance: str) -> dict:
        author = self.authors[number]
        created_ms = int(author.created_at.timestamp() * 1000)
        name, home = self.username(number), self._origin(number)
        return mastodon.account(name, home, instance, author.name, author.bio, author.followers, created_ms)

    def _counts(self, index: int) -> tuple[int, int, int, int]:
        """Replies, reblogs, favourites, quotes; boosts are not on the hashtag timeline: only counted."""
        rng = random.Random(self.seed * 5_000_011 + index)
        reblogs = int(rng.expovariate(0.6))
        return self.reply_count[index], reblogs, reblogs * 2 + int(rng.expovariate(0.4)), self.quote_count[index]

    def _render(
        self,
        instance: str,
        *,
        text: str,
        local: int,
        uri: str,
        number: int,
        created_ms: int,
        language: str,
        counts: tuple[int, int, int, int],
        **extra,
    ) -> dict:
        html, tags, mentions = mastodon.content(text, instance, self.homes_by_name)
        name, home = self.username(number), self._origin(number)
        return mastodon.status(
            local=local,
            uri=uri,
            url=f"{mastodon.profile_url(name, home)}/{uri.rsplit('/', 1)[1]}",
            created_ms=created_ms,
            language=language,
            html_content=html,
            author=self._account(number, instance),
            tags=tags,
            mentions=mentions,
            counts=counts,
            **extra,
        )

    def _context_status(self, number: int, instance: str) -> dict:
        author = self.context_author[number]
        home = self._origin(author)
        created = self.context_ms[number]
        origin = mastodon.local_id(created, home, f"c{number}")
        return self._render(
            instance,
            text=self.context_text(number),
            local=origin if instance == home else mastodon.local_id(created, instance, f"c{number}"),
            uri=f"{self.authors[author].user_id}/statuses/{origin}",
            number=author,
            created_ms=created,
            language="en",
            counts=(1, 3, 9, 1),
        )

    def status(self, index: int, instance: str, depth: int = 0) -> dict:
        """Post ``index`` as ``instance`` serves it."""
        kind, target = self.kind[index], self.target[index]
        extra: dict = {}
        if self.warned[index]:
            extra["spoiler_text"] = MASTODON_WARNING
        if index in self.edited:
            extra["edited_ms"] = self.times[index] + 240_000
        if kind == REPLY and target >= 0:
            parent = self.author[target]
            extra["in_reply_to"] = (str(self.local(target, instance)), self._account(parent, instance)["id"])
        elif kind == QUOTE:
            if target >= 0:
                extra["quote"] = (
                    mastodon.accepted_quote(self.status(target, instance, depth + 1)) if depth < 2 else None
                )
            elif -target - 2 in self.withheld_context:
                extra["quote"] = mastodon.deleted_quote()
            else:
                extra["quote"] = mastodon.accepted_quote(self._context_status(-target - 2, instance))
            if extra["quote"] is None:
                del extra["quote"]
        return self._render(
            instance,
            text=self.post_text(index),
            local=self.local(index, instance),
            uri=self.uri(index),
            number=self.author[index],
            created_ms=self.times[index],
            language=self.languages[self.language[index]],
            counts=self._counts(index),
            **extra,
        )

    # -- output -------------------------------------------------------------------------------------

    def lines(self, marker: dict) -> Iterator[dict]:
        """Each instance's hashtag timeline (the event's hashtags: the first in the path, the rest in
        ``any[]``) as recorded responses, newest local id first, 40 statuses a page, each next page
        asked for with ``max_id``."""
        retrieved = to_utc(
            datetime.combine(self.event.end_date + timedelta(days=1), datetime.min.time()).replace(hour=8),
            self.event.zone,
        )
        for bit, instance in enumerate(MASTODON_INSTANCES):
            held = sorted(
                ((self.local(i, instance), i) for i in range(self.size) if self.on[i] >> bit & 1), reverse=True
            )
            max_id: str | None = None
            for start in range(0, len(held), mastodon.PAGE_SIZE):
                body = [self.status(index, instance) for _, index in held[start : start + mastodon.PAGE_SIZE]]
                line = mastodon.timeline_response(instance, self.event.hashtags[:5], body, max_id, retrieved)
                line["__demo"] = marker
                yield line
                max_id = body[-1]["id"]


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
    path: Path,
    posts: int = DEFAULT_POSTS,
    seed: int = DEFAULT_SEED,
    collection: DemoCollection | None = None,
    bluesky_share: float = BLUESKY_SHARE,
    mastodon_share: float = MASTODON_SHARE,
) -> tuple[Path, Path]:
    """Write the posts (JSONL: X's pages, then Bluesky's lines, then Mastodon's) and, beside them,
    the questions (``<name>.questions.csv``)."""
    collection = collection or DemoCollection(posts, seed, bluesky_share=bluesky_share, mastodon_share=mastodon_share)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for page in chain(collection.pages(), collection.bluesky_lines(), collection.mastodon_lines()):
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
