"""Issue 12, defect 8: a form that is not UTF-8 is refused with 400 and nothing stored, on every
form route (the public request form, the console's forms, the login, the owner's task page),
url-encoded or multipart, as the JSON API refuses the same bytes. Valid UTF-8, and uploaded
files whatever their bytes, are untouched."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import select

from dsr.cases.models import Case
from dsr.form_encoding import NOT_UTF8, _MultipartCheck, _UrlEncodedCheck
from tests.helpers import Mailbox, count, csrf_in, make_staff, send_public_form
from tests.manual_helpers import ManualTask, manual_task

FORM = "application/x-www-form-urlencoded"
FIELDS = b"type=deletion&jurisdiction=US-CA&email=ada%40example.org&details=&full_name="
# What a client could send for the name: a lone continuation byte, escaped and raw, an overlong
# encoding, a truncated sequence, and an escaped lone surrogate.
BAD_NAMES = [b"Ada%FF", b"Ada\xff", b"%C0%AF", b"Ada%E2%82", b"%ED%A0%80"]


def multipart(fields: dict[str, bytes], file: tuple[str, bytes] | None = None) -> bytes:
    out = b""
    for name, value in fields.items():
        out += b'--xyz\r\nContent-Disposition: form-data; name="%s"\r\n\r\n' % name.encode()
        out += value + b"\r\n"
    if file is not None:
        out += b'--xyz\r\nContent-Disposition: form-data; name="files"; filename="%s"\r\n' % (
            file[0].encode()
        )
        out += b"Content-Type: image/png\r\n\r\n" + file[1] + b"\r\n"
    return out + b"--xyz--\r\n"


@pytest.mark.parametrize("name", BAD_NAMES)
async def test_the_public_form_refuses_bytes_that_are_not_utf8(
    app: FastAPI, client: httpx.AsyncClient, name: bytes
) -> None:
    r = await client.post("/requests", content=FIELDS + name, headers={"content-type": FORM})
    assert r.status_code == 400
    assert NOT_UTF8 in r.text
    assert r.headers["content-type"].startswith("text/html")
    assert await count(app, "case_record") == 0


async def test_the_public_form_refuses_them_sent_as_multipart_too(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    fields = dict(part.split(b"=") for part in FIELDS.split(b"&"))
    fields[b"email"] = b"ada@example.org"
    body = multipart({k.decode(): v for k, v in fields.items()} | {"full_name": b"Ada \xff"})
    r = await client.post(
        "/requests", content=body, headers={"content-type": "multipart/form-data; boundary=xyz"}
    )
    assert r.status_code == 400
    assert await count(app, "case_record") == 0


async def test_utf8_names_still_arrive_whole(app: FastAPI, client: httpx.AsyncClient) -> None:
    name = "Zoë Ångström-Nakamura 中村"
    body = FIELDS + httpx.QueryParams({"n": name}).__str__().encode()[2:]
    r = await send_public_form(client, content=body, headers={"content-type": FORM})
    assert r.status_code == 303, r.text
    async with app.state.sessionmaker() as session:
        stored = (
            await session.exec(select(Case.full_name))
        ).one()  # sealed: read through the model
    assert stored == name


async def test_the_console_login_and_its_forms_refuse_them(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await make_staff(app, "handler@example.com", "handler")
    page = await client.get("/console/login")
    body = b"email=handler%40example.com&password=%FF&csrf_token=" + csrf_in(page.text).encode()
    r = await client.post("/console/login", content=body, headers={"content-type": FORM})
    assert r.status_code == 400
    assert (await client.get("/console")).headers["location"] == "/console/login"


async def test_a_console_form_refuses_them_and_stores_nothing(
    app: FastAPI, console: object
) -> None:
    c: httpx.AsyncClient = await console("handler")  # type: ignore[operator]
    page = await c.get("/console/new")
    body = FIELDS + b"Ada%FF&channel=email&csrf_token=" + csrf_in(page.text).encode()
    r = await c.post("/console/new", content=body, headers={"content-type": FORM})
    assert r.status_code == 400
    assert "not valid UTF-8" in r.text
    assert await count(app, "case_record") == 0


async def test_the_task_page_takes_binary_files_but_not_a_bad_pasted_text(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    admin = await make_staff(app, "admin@example.com", "admin")
    task: ManualTask = await manual_task(client, app, mailbox, admin)
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    kind = {"content-type": "multipart/form-data; boundary=xyz"}
    path = f"/tasks/{task.task_id}/results?token={task.token}"
    bad = multipart({"token": task.token.encode(), "pasted": b'["\xc3"]'})
    r = await client.post(path, content=bad, headers=kind)
    assert r.status_code == 400
    assert await count(app, "task_result") == 0
    good = multipart({"token": task.token.encode(), "pasted": b""}, ("scan.png", png))
    r = await client.post(path, content=good, headers=kind)
    assert r.status_code == 200, r.text
    assert await count(app, "task_result") == 1


@pytest.mark.parametrize("size", [1, 2, 3, 7])
def test_the_checks_follow_a_body_cut_anywhere(size: int) -> None:
    """A multi-byte character or an escape split between chunks is still judged whole."""

    def chunks(body: bytes) -> list[bytes]:
        return [body[i : i + size] for i in range(0, len(body), size)]

    def feed(check: _UrlEncodedCheck | _MultipartCheck, body: bytes) -> None:
        parts = chunks(body)
        for n, part in enumerate(parts):
            check.feed(part, final=n == len(parts) - 1)

    feed(_UrlEncodedCheck(), b"a=%C3%A9t%C3%A9&b=\xc3\xa9+x&c")
    with pytest.raises(UnicodeDecodeError):
        feed(_UrlEncodedCheck(), b"a=%C3%A9&b=%C3")
    feed(_MultipartCheck(b"xyz"), multipart({"a": "été".encode()}, ("f.png", b"\xff\xfe")))
    with pytest.raises(UnicodeDecodeError):
        feed(_MultipartCheck(b"xyz"), multipart({"a": "été".encode()[:-1]}))
