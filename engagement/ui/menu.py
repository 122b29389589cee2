"""The app's pages, their sections and URL paths, and the role each needs."""

from __future__ import annotations

from typing import NamedTuple

from engagement.ui.auth import RANK


class PageSpec(NamedTuple):
    section: str
    path: str
    title: str
    icon: str
    url_path: str
    minimum: str


PAGES = [
    PageSpec("Participate", "views/ask.py", "Ask a question", ":material/live_help:", "ask", "participant"),
    PageSpec("Moderate", "views/live.py", "Live", ":material/sensors:", "live", "moderator"),
    PageSpec("Moderate", "views/queue.py", "Q&A queue", ":material/checklist:", "queue", "moderator"),
    PageSpec("Moderate", "views/screen.py", "On screen", ":material/tv:", "screen", "moderator"),
    PageSpec("Analyse", "views/engagement.py", "Engagement", ":material/insights:", "engagement", "moderator"),
    PageSpec("Analyse", "views/sessions.py", "Sessions", ":material/event:", "sessions", "moderator"),
    PageSpec("Analyse", "views/groups.py", "Stakeholder groups", ":material/groups:", "groups", "moderator"),
    PageSpec("Analyse", "views/conversations.py", "Conversations", ":material/forum:", "conversations", "moderator"),
    PageSpec("Report", "views/summary.py", "Post-event summary", ":material/summarize:", "summary", "organiser"),
    PageSpec("Admin", "views/agenda.py", "Agenda and groups", ":material/edit_calendar:", "agenda", "organiser"),
    PageSpec(
        "Admin", "views/directory.py", "Directory and classification", ":material/badge:", "directory", "organiser"
    ),
    PageSpec("Admin", "views/ingest.py", "Ingest status", ":material/database:", "ingest", "organiser"),
    PageSpec("Account", "views/account.py", "Account", ":material/account_circle:", "account", "participant"),
]


def menu_for(role: str) -> dict[str, list[PageSpec]]:
    """The sections and pages a role may open, in menu order."""
    menu: dict[str, list[PageSpec]] = {}
    for page in PAGES:
        if RANK[role] >= RANK[page.minimum]:
            menu.setdefault(page.section, []).append(page)
    return menu


def landing(role: str) -> str:
    return "live" if RANK[role] >= RANK["moderator"] else "ask"
