"""Issue 12, defect 9: the decision e-mail put the status link inside <title>, which some mail
clients show as broken markup. Every kind's HTML is rendered by the real renderer from the
templates and parsed: the <title> holds text only, in the head; every link is in the body."""

from __future__ import annotations

import uuid
from html.parser import HTMLParser
from typing import Any

import pytest

from dsr.notifications.catalogue import SUBJECTS
from dsr.notifications.models import OutboxMessage
from dsr.notifications.render import LINK_PATHS, render
from dsr.settings import Settings

CASE_ID = str(uuid.uuid4())
# Every variable any template uses, with every optional part present (all links included).
CONTEXT: dict[str, Any] = {
    "case_id": CASE_ID,
    "appeal_id": str(uuid.uuid4()),
    "task_id": str(uuid.uuid4()),
    "task_link": str(uuid.uuid4()),
    "tokens": {purpose: str(uuid.uuid4()) for purpose in LINK_PATHS},
    "staff": True,
    "reference": "DSR-TEST-0001",
    "type": "access",
    "jurisdiction": "DE",
    "full_name": "Ada Lovelace",
    "received_date": "2026-01-05",
    "respond_by": "2026-02-05",
    "due": "2026-02-05",
    "days_left": 3,
    "what": "case",
    "expires_hours": 72,
    "expires_on": "2026-03-01",
    "max_downloads": 5,
    "link_expires": "2026-03-01",
    "system": "CRM",
    "new": True,
    "paused": True,
    "reason": "We need a copy of your account id.",
    "outcome": "partially_fulfilled",
    "explanation": "Some of it is kept by law.",
    "exceptions": [{"system": "Billing", "exception": "tax records"}],
    "rights": ["You may complain to the regulator."],
    "regulator": {"name": "The regulator", "url": "https://regulator.example/"},
    "appeal_available": True,
    "appeal_window_ends": "2026-04-01",
    "statutory": True,
    "statutory_appeal": True,
    "upheld": False,
    "agent_name": "Permission Agency",
    "event": "decision",
    "status": "denied",
}
# An agent hears what happened, never a link: links are the consumer's (dsr.cases.agents).
LINK_FREE = frozenset({"agent_notice"})


class Structure(HTMLParser):
    """Where each element and each link sits: the open elements around them."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.inside_title: list[str] = []  # tags opened inside <title>
        self.title = ""
        self.titles = 0
        self.title_parents: list[list[str]] = []
        self.hrefs: list[tuple[str, list[str]]] = []  # (href, the elements around it)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if "title" in self.open:
            self.inside_title.append(tag)
        if tag == "title":
            self.titles += 1
            self.title_parents.append(list(self.open))
        if tag == "a":
            self.hrefs.append((dict(attrs).get("href") or "", list(self.open)))
        if tag not in ("meta", "br", "hr", "img"):
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.open:
            del self.open[len(self.open) - 1 - self.open[::-1].index(tag) :]

    def handle_data(self, data: str) -> None:
        if self.open and self.open[-1] == "title":
            self.title += data


@pytest.mark.parametrize("kind", sorted(SUBJECTS))
async def test_the_title_is_text_and_links_are_in_the_body(kind: str, settings: Settings) -> None:
    msg = OutboxMessage(
        id=1, kind=kind, recipient="someone@example.org", dedup_key=f"test:{kind}", context=CONTEXT
    )
    email = render(msg, settings)
    part = email.get_body(preferencelist=("html",))
    assert part is not None
    parsed = Structure()
    parsed.feed(str(part.get_content()))
    parsed.close()
    assert parsed.titles == 1
    assert parsed.title_parents == [["html", "head"]]
    assert parsed.inside_title == []
    assert parsed.title.strip() != ""
    assert "http" not in parsed.title
    assert (parsed.hrefs == []) if kind in LINK_FREE else (parsed.hrefs != [])
    assert [h for h, around in parsed.hrefs if around[:2] != ["html", "body"]] == []
