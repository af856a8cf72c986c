"""The SQL connector's dataset format (dsr.connectors.sql.dataset): pure parsing and checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from dsr.connectors.sql.dataset import DatasetError, Edge, parse

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sql" / "chat_dataset.yaml"


def test_the_example_parses_with_parents_before_children() -> None:
    ds = parse(EXAMPLE.read_text())
    order = ds.order
    assert set(order) == {
        "accounts",
        "conversations",
        "messages",
        "attachments",
        "feedback",
        "invoices",
    }
    assert order.index("accounts") < order.index("conversations") < order.index("messages")
    assert order.index("messages") < order.index("attachments")
    messages = ds.tables["messages"]
    assert set(messages.edges) == {
        Edge("conversations", "id", "conversation_id"),
        Edge("accounts", "id", "author_id"),
    }
    assert ds.tables["accounts"].identities == (("account_id", "id"), ("email", "email"))
    assert ds.tables["invoices"].erase.kind == "retain"
    assert ds.tables["invoices"].erase.reason
    assert ds.tables["feedback"].erase.columns == ("comment",)
    assert ds.key_columns("accounts") == {"id"}


def test_a_parent_column_may_lead_to_several_columns() -> None:
    ds = parse(
        "tables:\n  accounts: {identities: {email: email}, erase: delete}\n"
        "  transfers: {from: {accounts.id: [sender_id, recipient_id]}, erase: delete}\n"
    )
    assert {e.column for e in ds.tables["transfers"].edges} == {"sender_id", "recipient_id"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "tables: {a: {identities: {email: e}, from: {b.id: a_id}, erase: delete},"
            " b: {from: {a.id: b_id}, erase: delete}}",
            "cycle (a -> b -> a)",
        ),
        (
            "tables: {a: {identities: {email: e}, from: {a.id: parent_id}, erase: delete}}",
            "cycle (a -> a)",
        ),
        ("tables: {a: {identities: {email: e}, erase: delete, extra: 1}}", "unknown key 'extra'"),
        ("tables: {a: {identities: {phone: p}, erase: delete}}", "'phone' is not one of"),
        ("tables: {a: {erase: delete}}", "tables.a: needs `identities` or `from`"),
        ("tables: {a: {identities: {email: e}}}", "tables.a.erase: required"),
        ("tables: {a: {identities: {email: e}, erase: drop}}", "tables.a.erase:"),
        ("tables: {a: {identities: {email: e}, erase: {retain: ''}}}", "erase.retain"),
        ("tables: {a: {identities: {email: e}, erase: {null: []}}}", "erase.null"),
        ("tables: {a: {from: {b.id: x}, erase: delete}}", "table 'b' is not in the dataset"),
        ("tables: {a: {from: {b: x}, erase: delete}}", "must be parent_table.column"),
        (
            'tables: {"a; DROP TABLE x": {identities: {email: e}, erase: delete}}',
            "not a plain SQL name",
        ),
        ('tables: {a: {identities: {email: "e OR 1=1"}, erase: delete}}', "not a plain SQL name"),
        ("tables: [a, b]", "`tables` must map"),
        ("accounts: {}", "one key, `tables`"),
        ("tables: {a: [", "not valid YAML"),
        ("!!python/object/apply:os.system ['true']", "not valid YAML"),
    ],
)
def test_a_wrong_dataset_is_refused_saying_where(text: str, message: str) -> None:
    with pytest.raises(DatasetError) as err:
        parse(text)
    assert message in str(err.value)
