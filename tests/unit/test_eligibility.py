"""The pure eligibility rules of README, "Training eligibility" (dsr.domain.eligibility)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dsr.domain.eligibility import (
    CATEGORIES,
    DEFAULT_POLICY,
    ConsentFact,
    ExclusionFact,
    Policy,
    Reason,
    decide,
    decide_keys,
    decide_many,
    excluded_subjects,
    first_bad_email_key,
    latest_consent,
    policy_from_config,
    subject_problem,
)
from dsr.settings import Settings

T = datetime(2026, 5, 1, tzinfo=UTC)
GATED = ("prompts", "outputs", "customer_content")


@pytest.mark.parametrize(
    ("category", "consent", "excluded", "expected"),
    [
        *[(c, True, False, Reason.CONSENT_GRANTED) for c in GATED],
        *[(c, False, False, Reason.CONSENT_WITHDRAWN) for c in GATED],
        *[(c, None, False, Reason.NO_CONSENT) for c in GATED],
        *[
            (c, g, True, Reason.EXCLUDED_BY_REQUEST)
            for c in CATEGORIES
            for g in (True, False, None)
        ],
        *[("public_web", g, False, Reason.NOT_CONSENT_GATED) for g in (True, False, None)],
    ],
)
def test_decision_table(
    category: str, consent: bool | None, excluded: bool, expected: Reason
) -> None:
    assert decide(DEFAULT_POLICY, category, consent, excluded) is expected


def test_the_default_policy_is_design_3_4() -> None:
    assert DEFAULT_POLICY.consent_gated == frozenset(GATED)
    assert DEFAULT_POLICY.version == "2026-11-22.1"


def test_only_granted_and_ungated_are_eligible() -> None:
    rows = decide_many(
        DEFAULT_POLICY,
        "prompts",
        ["a:1", "a:2", "a:3", "a:4"],
        {"a:1": True, "a:2": False},
        {"a:4"},
    )
    assert [(e, r) for _, e, r in rows] == [
        (True, Reason.CONSENT_GRANTED),
        (False, Reason.CONSENT_WITHDRAWN),
        (False, Reason.NO_CONSENT),
        (False, Reason.EXCLUDED_BY_REQUEST),
    ]


def test_answers_keep_input_order_and_duplicates() -> None:
    subjects = ["b:2", "a:1", "b:2", "c:3"]
    rows = decide_many(DEFAULT_POLICY, "prompts", subjects, {"b:2": True}, set())
    assert [s for s, _, _ in rows] == subjects
    assert [e for _, e, _ in rows] == [True, False, True, False]


def test_decide_keys_denies_by_default_and_exclusions_win() -> None:
    default, by_key = decide_keys(
        DEFAULT_POLICY, "prompts", ["a:1", "a:3"], ["a:2"], {"a:3", "a:4"}
    )
    assert default is Reason.NO_CONSENT  # a key without any record
    assert by_key == {
        "a:1": Reason.CONSENT_GRANTED,
        "a:2": Reason.CONSENT_WITHDRAWN,
        "a:3": Reason.EXCLUDED_BY_REQUEST,  # granted, but excluded
        "a:4": Reason.EXCLUDED_BY_REQUEST,  # excluded without any record
    }
    default, by_key = decide_keys(DEFAULT_POLICY, "public_web", [], [], {"a:4"})
    assert default is Reason.NOT_CONSENT_GATED
    assert by_key == {"a:4": Reason.EXCLUDED_BY_REQUEST}


def test_latest_consent_by_recorded_time_then_arrival() -> None:
    assert latest_consent([]) is None
    history = [ConsentFact(T, 1, True), ConsentFact(T + timedelta(days=1), 2, False)]
    assert latest_consent(history) is False
    assert latest_consent(reversed(history)) is False
    # A record that arrives later (higher seq) but was made earlier does not win.
    assert latest_consent([ConsentFact(T + timedelta(days=1), 1, True), ConsentFact(T, 9, False)])
    # The same recorded time: the later arrival wins.
    assert latest_consent([ConsentFact(T, 1, True), ConsentFact(T, 2, False)]) is False


def _ex(subject: str, case: str, seq: int, kind: str) -> ExclusionFact:
    return ExclusionFact(subject, case, seq, kind)


def test_exclusion_life_per_request() -> None:
    assert excluded_subjects([]) == set()
    assert excluded_subjects([_ex("s:1", "c1", 1, "provisional")]) == {"s:1"}
    assert excluded_subjects([_ex("s:1", "c1", 1, "provisional"), _ex("s:1", "c1", 2, "permanent")])
    lifted = [_ex("s:1", "c1", 1, "provisional"), _ex("s:1", "c1", 2, "lifted")]
    assert excluded_subjects(lifted) == set()
    assert excluded_subjects(reversed(lifted)) == set()  # order of rows does not matter
    # Lifted, then excluded again (an appeal overturned the denial and the request was fulfilled).
    assert excluded_subjects([*lifted, _ex("s:1", "c1", 3, "permanent")]) == {"s:1"}


def test_one_lifted_request_does_not_lift_another() -> None:
    events = [
        _ex("s:1", "c1", 1, "provisional"),
        _ex("s:1", "c2", 2, "provisional"),
        _ex("s:1", "c1", 3, "lifted"),
        _ex("s:2", "c3", 4, "provisional"),
        _ex("s:2", "c3", 5, "lifted"),
    ]
    assert excluded_subjects(events) == {"s:1"}


@pytest.mark.parametrize(
    ("key", "ok"),
    [
        ("account:42", True),
        ("account:acct_9-X.y", True),
        ("email_sha256:" + "0123456789abcdef" * 4, True),
        ("crm.contact:7f3a", True),
        ("account:" + "x" * 200, True),
        ("account:" + "x" * 201, False),
        ("email_sha256:" + "0123456789ABCDEF" * 4, False),
        ("email_sha256:" + "a" * 65, False),
        ("email_sha256:", False),
        ("account", False),
        (":42", False),
        ("Account:42", False),
        ("9ns:1", False),
        ("account:4 2", False),
        ("account:42\n", False),
        ("account:é", False),
        ("n" * 41 + ":1", False),
    ],
)
def test_subject_keys(key: str, ok: bool) -> None:
    assert (subject_problem(key) is None) is ok


def test_first_bad_email_key() -> None:
    good = "email_sha256:" + "ab" * 32
    assert first_bad_email_key([]) is None
    assert first_bad_email_key(["account:1", good, good]) is None
    for bad in ("email_sha256:" + "AB" * 32, "email_sha256:" + "ab" * 31, good + "0"):
        assert first_bad_email_key(["account:1", good, bad, good, bad]) == 2
        assert first_bad_email_key([bad]) == 0


def test_policy_configuration() -> None:
    assert policy_from_config(None) is DEFAULT_POLICY
    p = policy_from_config({"version": "2027-01-01.1", "consent_gated": ["prompts", "public_web"]})
    assert p == Policy("2027-01-01.1", frozenset({"prompts", "public_web"}))
    same = {
        "version": DEFAULT_POLICY.version,
        "consent_gated": sorted(DEFAULT_POLICY.consent_gated),
    }
    assert policy_from_config(same) == DEFAULT_POLICY
    bad: list[tuple[Any, str]] = [
        ({"consent_gated": ["prompts"]}, "'version' must be a short non-empty string"),
        ({"version": "", "consent_gated": []}, "'version' must be a short non-empty string"),
        ({"version": "v2", "consent_gated": ["emails"]}, r"unknown categories \['emails'\]"),
        ({"version": "v2", "consent_gated": "prompts"}, "'consent_gated' must be a list"),
        ({"version": "v2", "consent_gated": [], "extra": 1}, r"unknown keys \['extra'\]"),
        # A changed policy under the default's version would make old answers ambiguous.
        (
            {"version": DEFAULT_POLICY.version, "consent_gated": ["prompts"]},
            "a changed policy needs its own version",
        ),
    ]
    for config, message in bad:
        with pytest.raises(ValueError, match=message):
            policy_from_config(config)


def test_policy_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    policy = {"version": "2027-03-01.2", "consent_gated": ["outputs"]}
    monkeypatch.setenv("DSR_TRAINING_POLICY", json.dumps(policy))
    assert Settings(secret_key="x", var_dir=tmp_path).training_policy == policy
    monkeypatch.setenv("DSR_TRAINING_POLICY", json.dumps({**policy, "consent_gated": ["emails"]}))
    with pytest.raises(ValueError, match="unknown categories"):
        Settings(secret_key="x", var_dir=tmp_path)
