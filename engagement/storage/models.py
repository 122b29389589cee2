"""The data model. Every datetime is stored in UTC and read back as an aware UTC datetime.

Tables are changed only through an Alembic revision in ``engagement/storage/migrations``; a test
checks that the models and the migrated schema agree.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint, text
from sqlalchemy import false as sql_false
from sqlmodel import Field, SQLModel

from engagement.timeutil import utcnow


class SessionKind(StrEnum):
    plenary = "plenary"
    panel = "panel"
    side_event = "side_event"
    break_ = "break"


class PostKind(StrEnum):
    original = "original"
    retweet = "retweet"
    reply = "reply"
    quote = "quote"


class GroupSource(StrEnum):
    """How an author's stakeholder group was decided, strongest first."""

    moderator = "moderator"
    directory = "directory"
    rule = "rule"
    unclassified = "unclassified"


class QuestionStatus(StrEnum):
    pending = "pending"
    follow_up = "follow_up"
    approved = "approved"
    on_screen = "on_screen"
    answered = "answered"
    dismissed = "dismissed"
    archived = "archived"
    # Folded into a similar question of the same session (its text kept, its votes added there).
    merged = "merged"


class StakeholderGroup(SQLModel, table=True):
    __tablename__ = "stakeholder_group"

    key: str = Field(primary_key=True)
    label: str
    description: str = ""
    display_order: int = 0
    colour: str
    # {"fr": ..., "ru": ...}: the label in other languages (stakeholder_groups.csv's label_<lang>), 0018
    labels: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}"))


class AgendaSession(SQLModel, table=True):
    """An agenda item. Named so as not to clash with a database session."""

    __tablename__ = "agenda_session"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True)
    title: str
    kind: str = SessionKind.panel
    starts_at: datetime = Field(index=True)
    ends_at: datetime
    room: str = ""
    hashtags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # [{"name", "group": <stakeholder_group.key or "">, "affiliation", "role", "group_source"}]; rows
    # stored before affiliation and role were apart hold the affiliation in "role" (event.speaker_fields)
    speakers: list[dict[str, str]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    illustrative: bool = False
    source_note: str = ""
    # {"fr": ..., "ru": ...}: the title in other languages (agenda.csv's title_<lang>), 0018
    titles: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}"))


class DirectoryEntry(SQLModel, table=True):
    """A known account: its organisation and stakeholder group (organisers keep the list)."""

    __tablename__ = "directory_entry"
    __table_args__ = (UniqueConstraint("platform", "handle"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = "x"
    handle: str  # lower-case, without "@"
    platform_user_id: str | None = None
    organisation: str = ""
    group_key: str = Field(foreign_key="stakeholder_group.key")
    note: str = ""


class ClassificationRule(SQLModel, table=True):
    """A keyword looked for, as a whole word and ignoring case, in display names and bios."""

    __tablename__ = "classification_rule"

    id: int | None = Field(default=None, primary_key=True)
    position: int  # rules are tried in this order; the first match wins
    keyword: str
    group_key: str = Field(foreign_key="stakeholder_group.key")
    language: str = ""
    note: str = ""


class Author(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("platform", "platform_user_id"),
        # Mentions are matched to authors by lower-cased handle.
        Index("ix_author_handle_lower", text("lower(handle)")),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = "x"
    platform_user_id: str
    handle: str | None = Field(default=None, index=True)
    display_name: str | None = None
    bio: str | None = None
    location: str | None = None
    followers: int | None = None
    verified: bool | None = None
    organisation: str | None = None
    group_key: str | None = Field(default=None, foreign_key="stakeholder_group.key", index=True)
    group_source: str = GroupSource.unclassified
    # A moderator's decision survives every reclassification.
    override_group_key: str | None = Field(default=None, foreign_key="stakeholder_group.key")
    override_organisation: str | None = None
    # False while only the id is known (the API left the user out of ``includes``).
    profile_known: bool = False
    first_seen: datetime = Field(default_factory=utcnow)
    last_updated: datetime = Field(default_factory=utcnow)


# The posts ranked as the most reposted (analytics.most_retweeted), which revision 0020's index holds.
MOST_REPOSTED = "collected AND kind <> 'retweet' AND author_id IS NOT NULL"


class Post(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("platform", "platform_id"),
        Index("ix_post_session_created", "session_id", "created_at"),
        # Covers every aggregate of the Analyse pages, so they never read the wide rows (revision 0005);
        # also the newest collected posts (its prefix; revision 0007 dropped the index that was only that).
        Index(
            "ix_post_analytics",
            "collected",
            "created_at",
            "session_id",
            "author_id",
            "kind",
            "language",
            "retweets",
            "likes",
            "impressions",
            "platform",
            "referenced_platform_id",
            "reason",
        ),
        # The organiser's own posts only (revision 0012): the "who was heard" figures leave their authors out.
        Index(
            "ix_post_own",
            "author_id",
            sqlite_where=text("reason = 'own'"),
            postgresql_where=text("reason = 'own'"),
        ),
        # The most reposted posts in order (revision 0020).
        Index(
            "ix_post_most_reposted",
            "retweets",
            "likes",
            sqlite_where=text(MOST_REPOSTED),
            postgresql_where=text(MOST_REPOSTED),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = "x"
    # The logical post: for an edited post, the first id of its edit history.
    platform_id: str
    # The newest version seen (equal to platform_id unless edited).
    current_id: str
    author_id: int | None = Field(default=None, foreign_key="author.id", index=True)
    created_at: datetime
    text: str = Field(sa_column=Column(Text, nullable=False))
    # The warning its author put before the text (Mastodon's spoiler_text), as plain text; NULL where
    # there is none (revision 0015). Not part of the text: it is not what the post says.
    content_warning: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # No indexes of their own: filtered only beside collected and a time range (ix_post_analytics).
    language: str | None = None
    kind: str = PostKind.original
    # [{"type": "retweeted"|"quoted"|"replied_to", "id": ...}]
    referenced: list[dict[str, str]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # The post this one retweets, quotes or replies to (by platform id), for the conversation network.
    referenced_platform_id: str | None = Field(default=None, index=True)
    in_reply_to_user_id: str | None = None
    conversation_id: str | None = None
    hashtags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    mentions: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    urls: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    media_count: int = 0
    retweets: int = 0
    replies: int = 0
    likes: int = 0
    quotes: int = 0
    impressions: int | None = None
    # When the metrics above were read, so that an older file never overwrites newer figures.
    metrics_at: datetime | None = None
    session_id: int | None = Field(default=None, foreign_key="agenda_session.id")
    # True: matched the event query. False: only referenced by a collected post (context).
    collected: bool = True
    # Why it was collected (engagement.rules.reasons): own, hashtag, reply, mention, other; None for context.
    reason: str | None = None
    # Not to be shown to people who are not signed in (Bluesky's !no-unauthenticated; revision 0013).
    hidden: bool = Field(default=False, sa_column_kwargs={"server_default": sql_false()})
    # When a Bluesky post's AppView view was last read, or hydration given up on it (revision 0014):
    # NULL for a post stored from Jetstream that getPosts has still to fill in.
    hydrated_at: datetime | None = None
    raw: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    first_seen: datetime = Field(default_factory=utcnow)
    last_updated: datetime = Field(default_factory=utcnow)


class DeletedPost(SQLModel, table=True):
    """A tombstone: a post its author deleted (a Jetstream ``delete``). The post's row is gone, text
    and all; this keeps it from coming back with a later import or search (revision 0013)."""

    __tablename__ = "deleted_post"

    platform: str = Field(primary_key=True)
    platform_id: str = Field(primary_key=True)
    deleted_at: datetime = Field(default_factory=utcnow)


class PostEntity(SQLModel, table=True):
    """One hashtag or mention of a post, lower-cased, so aggregates can GROUP BY in SQL."""

    __tablename__ = "post_entity"
    __table_args__ = (Index("ix_post_entity_kind_value", "kind", "value"),)

    post_id: int = Field(foreign_key="post.id", primary_key=True, ondelete="CASCADE")
    kind: str = Field(primary_key=True)  # "hashtag" | "mention"
    value: str = Field(primary_key=True)


# Rollups: collected posts with a known author, counted by the dimensions the Analyse pages filter on
# (revisions 0008–0010, keyed also by network and reason since 0017: the worker counts what it inserts, triggers
# follow every change after), so that a page at a million posts reads thousands of rows, not a million. ``session_id``
# 0 is "between sessions", ``language`` '' is "none given", ``reason`` '' none decided; ``minute`` is the bucket's
# start in whole minutes since 1970 (UTC); ``platform`` the post's network. Only engagement.analysis.rollups reads them.


class VolumeRollup(SQLModel, table=True):
    """Posts per (session, kind, language, quarter hour, network, reason)."""

    __tablename__ = "rollup_volume"
    __table_args__ = {"sqlite_with_rowid": False}

    session_id: int = Field(primary_key=True)
    kind: str = Field(primary_key=True)
    language: str = Field(primary_key=True)
    minute: int = Field(primary_key=True)
    platform: str = Field(primary_key=True)  # the post's network
    reason: str = Field(primary_key=True)  # why the post was collected ('' none decided)
    posts: int
    impressions: int  # summed over the posts that report it
    reporting: int  # posts reporting impressions


class MinuteRollup(SQLModel, table=True):
    """Posts per (session, kind, language, minute, network, reason) — revision 0010: the busiest minute,
    fine buckets."""

    __tablename__ = "rollup_minute"
    __table_args__ = {"sqlite_with_rowid": False}

    session_id: int = Field(primary_key=True)
    kind: str = Field(primary_key=True)
    language: str = Field(primary_key=True)
    minute: int = Field(primary_key=True)
    platform: str = Field(primary_key=True)  # the post's network
    reason: str = Field(primary_key=True)  # why the post was collected ('' none decided)
    posts: int


class AuthorRollup(SQLModel, table=True):
    """Posts per (author, session, kind, language, hour, network, reason): unique voices under any filter."""

    __tablename__ = "rollup_author"
    __table_args__ = {"sqlite_with_rowid": False}

    session_id: int = Field(primary_key=True)
    author_id: int = Field(primary_key=True)
    kind: str = Field(primary_key=True)
    language: str = Field(primary_key=True)
    minute: int = Field(primary_key=True)
    platform: str = Field(primary_key=True)  # the post's network
    reason: str = Field(primary_key=True)  # why the post was collected ('' none decided)
    posts: int
    retweets: int
    likes: int


class AuthorHourRollup(SQLModel, table=True):
    """Posts per (author, session, hour, network, reason) — revision 0019: the author rollup without
    kind and language, for every filter but those two. Half the rows (270,562 against 526,647 at a
    million demo posts), and the author first in the key, so per-author sums read it in order."""

    __tablename__ = "rollup_author_hour"
    __table_args__ = {"sqlite_with_rowid": False}

    author_id: int = Field(primary_key=True)
    session_id: int = Field(primary_key=True)
    minute: int = Field(primary_key=True)  # the hour's first minute
    platform: str = Field(primary_key=True)  # the post's network
    reason: str = Field(primary_key=True)  # why the post was collected ('' none decided)
    posts: int
    retweets: int
    likes: int


class AuthorSessionRollup(SQLModel, table=True):
    """Posts per (author, session, network, reason) — revision 0022: the author rollup without time,
    for filters with none (nor kind nor language), counted and kept as ``rollup_author_hour`` is.
    114,799 rows at a million demo posts against that one's 275,321."""

    __tablename__ = "rollup_author_session"
    __table_args__ = {"sqlite_with_rowid": False}

    author_id: int = Field(primary_key=True)
    session_id: int = Field(primary_key=True)
    platform: str = Field(primary_key=True)  # the post's network
    reason: str = Field(primary_key=True)  # why the post was collected ('' none decided)
    posts: int
    retweets: int
    likes: int


class EntityRollup(SQLModel, table=True):
    """Posts per (hashtag or mention, session, kind, language, quarter hour, network, reason)."""

    __tablename__ = "rollup_entity"
    __table_args__ = {"sqlite_with_rowid": False}

    entity: str = Field(primary_key=True)  # "hashtag" | "mention"
    value: str = Field(primary_key=True)
    session_id: int = Field(primary_key=True)
    kind: str = Field(primary_key=True)
    language: str = Field(primary_key=True)
    minute: int = Field(primary_key=True)
    platform: str = Field(primary_key=True)  # the post's network
    reason: str = Field(primary_key=True)  # why the post was collected ('' none decided)
    posts: int


class LinkRollup(SQLModel, table=True):
    """Links (retweets, replies, quotes of a stored post; mentions of a known handle) per (source group,
    target group, link, session, kind, language, quarter hour, the source post's network and reason) —
    revision 0009. A row may hold 0."""

    __tablename__ = "rollup_link"
    __table_args__ = {"sqlite_with_rowid": False}

    source_group: str = Field(primary_key=True)  # '' for an author with no group
    target_group: str = Field(primary_key=True)
    link: str = Field(primary_key=True)  # "retweet" | "reply" | "quote" | "mention"
    session_id: int = Field(primary_key=True)
    kind: str = Field(primary_key=True)
    language: str = Field(primary_key=True)
    minute: int = Field(primary_key=True)
    platform: str = Field(primary_key=True)  # the post's network
    reason: str = Field(primary_key=True)  # why the post was collected ('' none decided)
    posts: int


class LinkSessionRollup(SQLModel, table=True):
    """Links per (source group, target group, link, session, the source post's network and reason) —
    revision 0022: the link rollup without kind, language and time, kept by triggers on
    ``rollup_link``'s rows. 23,860 rows at a million demo posts against its 441,831. A row may hold 0."""

    __tablename__ = "rollup_link_session"
    __table_args__ = {"sqlite_with_rowid": False}

    source_group: str = Field(primary_key=True)
    target_group: str = Field(primary_key=True)
    link: str = Field(primary_key=True)
    session_id: int = Field(primary_key=True)
    platform: str = Field(primary_key=True)
    reason: str = Field(primary_key=True)
    posts: int


class Question(SQLModel, table=True):
    # Every column the Q&A and report counts read (revisions 0011, 0021); its first two serve the queue.
    __table_args__ = (
        Index(
            "ix_question_counts",
            "session_id",
            "status",
            "previous_status",
            "group_key",
            "forgotten",
            "votes",
            "created_at",
        ),
        # Per-participant rate limits count a participant's recent questions.
        Index("ix_question_participant_created", "participant_hash", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="agenda_session.id")
    text: str = Field(sa_column=Column(Text, nullable=False))
    # The participant's own words when a moderator edited the question before approving it.
    original_text: str | None = Field(default=None, sa_column=Column(Text))
    language: str | None = None
    display_name: str | None = None
    group_key: str | None = Field(default=None, foreign_key="stakeholder_group.key")
    affiliation: str | None = None
    status: str = Field(default=QuestionStatus.pending, index=True)
    # The state before the last move out of pending/follow-up/approved, so every move can be undone.
    previous_status: str | None = None
    votes: int = 0
    flagged: bool = False
    flag_reason: str | None = None
    dismiss_reason: str | None = None
    starred: bool = False
    # The chair's order among approved questions (lower first; unset ones follow by votes).
    position: int | None = None
    claimed_by: str | None = None
    claimed_at: datetime | None = None
    merged_into_id: int | None = Field(default=None, foreign_key="question.id")
    # A keyed hash of the participant's browser-session token; the token itself is never stored.
    participant_hash: str | None = None
    # "Forget me" or a purge erased the text and the personal fields; the row stays for the counts.
    forgotten: bool = False
    # Where the question came from: "app", or an import ("csv:<file>", "slido:<file>", "demo").
    origin: str = "app"
    # The importer's stable id, so importing the same file twice changes nothing.
    external_id: str | None = Field(default=None, unique=True)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    updated_at: datetime = Field(default_factory=utcnow)
    answered_at: datetime | None = None


class Vote(SQLModel, table=True):
    """One participant's upvote. The unique pair makes a second vote impossible, whatever the UI does."""

    __table_args__ = (
        UniqueConstraint("question_id", "participant_hash"),
        Index("ix_vote_participant_created", "participant_hash", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    question_id: int = Field(foreign_key="question.id", ondelete="CASCADE")
    # Cleared by "forget me" and purges (the vote still counts; NULLs never collide).
    participant_hash: str | None = None
    created_at: datetime = Field(default_factory=utcnow, index=True)


class ModerationAction(SQLModel, table=True):
    """The audit log: every moderation action, who took it, when, and the question before and after."""

    __tablename__ = "moderation_action"

    id: int | None = Field(default=None, primary_key=True)
    question_id: int = Field(foreign_key="question.id", index=True)
    session_id: int = Field(foreign_key="agenda_session.id", index=True)
    actor: str
    action: str = Field(index=True)
    reason: str | None = None
    before: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    after: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    at: datetime = Field(default_factory=utcnow, index=True)


class IngestCheckpoint(SQLModel, table=True):
    __tablename__ = "ingest_checkpoint"

    source: str = Field(primary_key=True)
    position: str
    updated_at: datetime = Field(default_factory=utcnow)


class RejectedRecord(SQLModel, table=True):
    __tablename__ = "rejected_record"
    __table_args__ = (UniqueConstraint("source", "location"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(index=True)
    location: str
    reason: str
    raw: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class IngestRun(SQLModel, table=True):
    __tablename__ = "ingest_run"

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(index=True)
    command: str = ""
    started_at: datetime = Field(default_factory=utcnow)
    ended_at: datetime | None = None
    status: str = "running"  # running | ok | rejected | failed | interrupted
    counts: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    # Partial failures the API reported beside good data (a suspended author, a withheld post).
    notes: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )


class Setting(SQLModel, table=True):
    """Small facts about the database as a whole: the demo flag, the replay clock."""

    key: str = Field(primary_key=True)
    value: str
    updated_at: datetime = Field(default_factory=utcnow)


# The social wall (issue 24, revision 0016): moderators' decisions on posts, authors kept off it,
# announcements between posts, and the audit log of all three. Only engagement.wall reads them.


class WallStatus(StrEnum):
    # Waiting for a moderator (pre-moderated), or shown after the delay unless held (post-moderated).
    pending = "pending"
    approved = "approved"
    # Kept off the wall by a moderator: refused from the queue, or pulled after it appeared.
    pulled = "pulled"


class WallPost(SQLModel, table=True):
    """A moderator's decision on one post. A post with no row is pending. The row goes with its post
    when the author deletes it (ON DELETE CASCADE): a deleted post has nothing left to show."""

    __tablename__ = "wall_post"

    post_id: int = Field(foreign_key="post.id", primary_key=True, ondelete="CASCADE")
    status: str = Field(default=WallStatus.pending, index=True)
    decided_by: str
    decided_at: datetime = Field(default_factory=utcnow, index=True)


class WallAuthorBlock(SQLModel, table=True):
    """An author none of whose posts may appear on the wall, whatever their state."""

    __tablename__ = "wall_author_block"

    author_id: int = Field(foreign_key="author.id", primary_key=True, ondelete="CASCADE")
    blocked_by: str
    reason: str = ""
    blocked_at: datetime = Field(default_factory=utcnow)


class WallAnnouncement(SQLModel, table=True):
    """A moderator's words shown between posts, on every wall or on one room's."""

    __tablename__ = "wall_announcement"

    id: int | None = Field(default=None, primary_key=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    room: str = ""  # "" : every wall
    created_by: str
    created_at: datetime = Field(default_factory=utcnow)
    withdrawn_at: datetime | None = None


class WallAction(SQLModel, table=True):
    """The wall's audit log: who did what to which post, author or announcement, when, before and after.
    No foreign keys: an entry outlives the post its author deleted."""

    __tablename__ = "wall_action"

    id: int | None = Field(default=None, primary_key=True)
    post_id: int | None = Field(default=None, index=True)
    author_id: int | None = None
    announcement_id: int | None = None
    actor: str
    action: str = Field(index=True)
    reason: str | None = None
    before: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    after: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    at: datetime = Field(default_factory=utcnow, index=True)
