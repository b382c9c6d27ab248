"""The iftrue token and the GitHub token appear nowhere but in the ::add-mask:: lines, on every
path, in every form a service, a proxy or a log gives them."""

from __future__ import annotations

import base64
import html
import io
import json
import re
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import (
    GITHUB_TOKEN,
    TOKEN,
    Answer,
    FakeGitHub,
    FakeIftrue,
    Recorded,
    Run,
    TrickleServer,
    payload,
    run_action,
    runner_env,
)
from test_lookups import happy, run_with_github

from track_deployment.inputs import MAX_PAYLOAD_BYTES
from track_deployment.redaction import read, read_text
from track_deployment.workflow import Console


class EchoIftrue(FakeIftrue):
    """A service that echoes the request's headers back, as some error pages do."""

    def __init__(self, status: int) -> None:
        self.status = status
        super().__init__()

    def _route(self, request: Recorded) -> Answer:
        return Answer(
            self.status, {"message": f"headers: {json.dumps(request.headers)}", "echo": request.headers}
        )


def assert_no_token(run_text: str, token: str = TOKEN) -> None:
    text = "\n".join(line for line in run_text.splitlines() if not line.startswith("::add-mask::"))
    assert token not in text
    assert GITHUB_TOKEN not in text
    # Nor its start, as a value shortened in a message would show it (`got 'eyJhbGciOi…'`).
    assert token[:16] not in text
    assert GITHUB_TOKEN[:16] not in text
    assert f"Bearer {token}" not in text


PATHS = [
    ("created", "release", {}, Answer(201, {"id": "x", "echo": TOKEN})),
    ("skipped", "release-draft", {}, None),
    ("dry_run", "release", {"dry_run": "true"}, None),
    ("400 echo", "release", {}, Answer(400, {"message": f"bad token {TOKEN}"})),
    ("401 echo", "release", {}, Answer(401, f"Unauthorized: Bearer {TOKEN}")),
    ("403", "release", {}, Answer(403, {"error": TOKEN})),
    ("422 echo", "release", {}, Answer(422, {"detail": [TOKEN]})),
    ("404", "release", {}, Answer(404, TOKEN)),
    ("503 outage", "release", {"timeout": "3"}, Answer(503, {"message": TOKEN})),
    ("non-json 2xx", "release", {}, Answer(200, f"<p>{TOKEN}</p>")),
    ("invalid input", "release", {"is_fix": TOKEN}, None),
    ("token not a JWT", "release", {"token": "opaque-secret-123"}, None),
    (
        "token with Bearer prefix",
        "release",
        {"token": "Bearer opaque-secret-456"},
        Answer(401, "bad opaque-secret-456"),
    ),
]


MASKABLE = {"add-mask", "group", "endgroup", "notice", "warning", "error"}


@pytest.mark.parametrize(("actions", "debug"), [("true", "0"), ("true", "1"), ("", "0")])
@pytest.mark.parametrize(("event", "inputs", "answer"), [p[1:] for p in PATHS], ids=[p[0] for p in PATHS])
def test_tokens_never_leak(
    tmp_path: Path, event: str, inputs: dict[str, str], answer: Answer | None, actions: str, debug: str
) -> None:
    data = payload("release")
    if event == "release-draft":
        data["release"]["draft"] = True
    token = inputs.get("token", TOKEN).removeprefix("Bearer ")
    leaky = Answer(403, {"message": f"token {GITHUB_TOKEN} lacks scope; sent {token}"})
    with FakeIftrue(*([answer] * 5 if answer else [])) as iftrue, FakeGitHub({"pulls": leaky}) as github:
        env = runner_env(
            tmp_path, "release", data, {"api_url": iftrue.url, "github_token": GITHUB_TOKEN, **inputs}
        )
        env["GITHUB_API_URL"] = github.api_url
        env["RUNNER_DEBUG"] = debug
        env["GITHUB_ACTIONS"] = actions
        run = run_action(env)
    assert_no_token(run.everything(), token)
    # Read as the runner reads the log: the secrets are masked first, and only they are.
    assert {c.name for c in run.commands} <= MASKABLE
    masked = [c.message for c in run.commands if c.name == "add-mask"]
    if actions:
        # A JWT's payload and signature, and a GitHub token without `ghs_`, are masked too.
        parts = {*token.split(".")[1:], GITHUB_TOKEN.removeprefix("ghs_")}
        assert token in masked and set(masked) <= {token, f"Bearer {token}", GITHUB_TOKEN, *parts}
        assert run.commands[: len(masked)] == [c for c in run.commands if c.name == "add-mask"]
    else:
        assert masked == []
        assert token not in run.everything()  # no runner would hide it: it is never printed
        assert GITHUB_TOKEN not in run.everything()
    if debug == "1" and run.code == 1 and "Input" not in run.errors[0]:
        assert "Traceback (most recent call last)" in run.stdout


def test_header_echoing_service(tmp_path: Path) -> None:
    for status in (201, 422, 500):
        workdir = tmp_path / str(status)
        workdir.mkdir()
        with EchoIftrue(status) as iftrue:
            run = run_action(
                runner_env(workdir, "release", payload("release"), {"api_url": iftrue.url, "timeout": "3"})
            )
        assert iftrue.requests, "the request was made"
        assert_no_token(run.everything())


def test_token_from_the_ci_variable_is_masked(tmp_path: Path) -> None:
    # Other CI systems hand the token over as IFTRUE_TOKEN instead of the input.
    with EchoIftrue(422) as iftrue:
        env = runner_env(tmp_path, "release", payload("release"), {"api_url": iftrue.url})
        del env["INPUT_TOKEN"]
        env["IFTRUE_TOKEN"] = TOKEN
        run = run_action(env)
    assert iftrue.posts[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert run.code == 1
    assert_no_token(run.everything())


# Where text is shortened: iftrue's message in an annotation (500 characters) and a summary
# cell (300, after "iftrue answered 400, rejecting the record: ").
CUTS = [500, 300 - len("iftrue answered 400, rejecting the record: ")]


@pytest.mark.parametrize("cut", CUTS)
@pytest.mark.parametrize("overlap", [1, 4, len(TOKEN) // 2])
def test_a_token_cut_by_shortening_is_still_redacted(tmp_path: Path, cut: int, overlap: int) -> None:
    # iftrue echoes the token so that the cut falls inside it, `overlap` characters before its end.
    message = "x" * (cut - len(TOKEN) + overlap) + TOKEN
    with FakeIftrue(*[Answer(400, {"message": message})] * 5) as iftrue:
        run = run_action(runner_env(tmp_path, "release", payload("release"), {"api_url": iftrue.url}))
    assert run.code == 1
    assert_no_token(run.everything())
    text = "\n".join(line for line in run.everything().splitlines() if not line.startswith("::add-mask::"))
    assert TOKEN[:32] not in text
    assert run.errors[0].startswith("iftrue answered 400, rejecting the record: xxx")
    assert "***" in run.errors[0]
    if cut == CUTS[1]:
        assert "***" in html.unescape(run.summary)


def test_a_token_in_a_changelog_cut_to_fit_is_redacted(tmp_path: Path) -> None:
    # The record is shortened to fit the payload input, wherever the cut falls: with the token
    # repeated, it falls inside one, which must be redacted before it is cut.
    changelog = " ".join([TOKEN] * (MAX_PAYLOAD_BYTES // len(TOKEN) + 50))
    inputs = {"api_url": "http://127.0.0.1:9", "timeout": "1", "changelog": changelog}
    run = run_action(runner_env(tmp_path, "release", payload("release"), inputs))
    assert run.outputs["result"] == "failed"
    assert json.loads(run.outputs["payload"])["changelog"].endswith(" more characters")
    text = "\n".join(line for line in run.everything().splitlines() if not line.startswith("::add-mask::"))
    assert TOKEN[:8] not in text


# --- however broken or encoded --------------------------------------------------------------


def leaks(text: str, secret: str) -> list[str]:
    """Pieces of `secret` in `text`: 12 characters of it, or 16 of any of its base64 forms.

    A JWT's header and the first 15 characters of its payload (JSON's keys: `{"sub":"org_1`)
    are the same in many JWTs: a piece within them, or within their base64, is not counted.
    """
    header, dot, _ = secret.partition(".")
    public = len(header) + 1 + 15 if dot and header.startswith("eyJ") else 0
    found = [
        secret[i : i + 12] for i in range(len(secret) - 11) if i + 12 > public and secret[i : i + 12] in text
    ]
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + secret.encode()).decode()[4:-4]
        for form in (encoded, encoded.translate(str.maketrans("+/", "-_"))):
            found += [
                form[i : i + 16]
                for i in range(len(form) - 15)
                if i + 16 > public * 4 // 3 + 2 and form[i : i + 16] in text
            ]
    return found


def assert_no_secret(run: Run, *secrets: str) -> None:
    """No token, in no form, in stdout, stderr, the outputs or the summary (but ::add-mask::)."""
    text = "\n".join(line for line in run.everything().splitlines() if not line.startswith("::add-mask::"))
    for secret in secrets or (TOKEN, GITHUB_TOKEN):
        assert not leaks(text, secret)
        assert not leaks(html.unescape(text), secret)  # the summary as it renders


def broken(secret: str) -> dict[str, str]:
    """The forms a service, a proxy or a log gives a secret in."""
    half = len(secret) // 2
    forms = {
        "line break": f"{secret[:half]}\n{secret[half:]}",
        "CRLF and indent": f"{secret[:half]}\r\n    {secret[half:]}",
        "spaces": " ".join(secret[i : i + 5] for i in range(0, len(secret), 5)),
        "other white space": f"{secret[:5]}\u2028{secret[5:half]}\u00a0{secret[half:-3]}\f{secret[-3:]}",
        "unicode escapes": "".join(f"\\u{ord(c):04x}" if i % 3 == 0 else c for i, c in enumerate(secret)),
        "escaped line break": f"{secret[:half]}\\n{secret[half:]}",
        "percent-encoded": urllib.parse.quote(secret, safe="")
        + "|"
        + "".join(f"%{ord(c):02X}" for c in secret),
        "cut off at its end": f"{secret[:-10]}… (truncated)",
        "cut off at its start": f"…{secret[10:]}",
    }
    for offset in range(3):
        data = b"x" * offset + f"Bearer {secret}".encode()
        forms[f"base64 at {offset}"] = base64.encodebytes(data).decode()  # MIME: a line break every 76
        forms[f"base64url at {offset}"] = base64.urlsafe_b64encode(data).decode()
    forms["base64 cut off"] = base64.b64encode(f"Bearer {secret}".encode()).decode()[:-12] + "…"
    return forms


@pytest.mark.parametrize("form", list(broken(TOKEN)))
@pytest.mark.parametrize("status", [401, 201])
def test_an_echoed_token_is_redacted_in_any_form(tmp_path: Path, status: int, form: str) -> None:
    # A 401 puts iftrue's message in the error and the summary, a 201 its body in `response`;
    # the body is raw text, so a JSON string escape stays as the service wrote it.
    text = broken(TOKEN)[form]
    body = json.dumps({"id": "3f0c2a8e", "message": f"token {text} refused"}).replace("\\\\", "\\")
    with FakeIftrue(Answer(status, body.encode())) as iftrue:
        run = run_action(iftrue_env(tmp_path, iftrue.url))
    assert run.outputs["result"] == ("created" if status == 201 else "failed")
    assert_no_secret(run)
    assert "***" in (run.outputs["response"] if status == 201 else run.errors[0])


@pytest.mark.parametrize("part", [1, 2])
def test_a_jwt_part_alone_is_redacted(tmp_path: Path, part: int) -> None:
    quoted = TOKEN.split(".")[part]
    with FakeIftrue(Answer(401, {"message": f"bad claims {quoted} in token"})) as iftrue:
        run = run_action(iftrue_env(tmp_path, iftrue.url))
    assert_no_secret(run)
    assert "bad claims *** in token" in run.errors[0]


def test_a_token_with_a_slash_json_escaped_is_redacted(tmp_path: Path) -> None:
    # PHP's json_encode writes `/` as `\/`.
    token = "opaque/secret/value-123"
    with FakeIftrue(Answer(201, b'{"id": "x", "echo": "opaque\\/secret\\/value-123"}')) as iftrue:
        run = run_action(iftrue_env(tmp_path, iftrue.url, token=token))
    assert run.outputs["result"] == "created"
    assert "secret" not in run.everything().replace(f"::add-mask::{token}", "")
    assert json.loads(run.outputs["response"])["echo"] == "***"


def iftrue_env(tmp_path: Path, url: str, **inputs: str) -> dict[str, str]:
    return runner_env(tmp_path, "release", payload("release"), {"api_url": url, "timeout": "3", **inputs})


@pytest.mark.parametrize("status", [401, 201])
def test_a_token_cut_off_with_the_answer_is_redacted(tmp_path: Path, status: int) -> None:
    # The connection breaks 90 characters into the echoed token: what came is all the text has.
    body = b'{"message": "token ' + TOKEN[:90].encode()
    head = f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
    with TrickleServer(head.encode(), body, trickle="none") as server:
        run = run_action(iftrue_env(tmp_path, server.url))
    assert run.outputs["result"] == ("created" if status == 201 else "failed")
    assert_no_secret(run)
    assert "***" in (run.outputs["response"] if status == 201 else run.errors[0])


def test_a_token_cut_by_the_1_mib_limit_is_redacted(tmp_path: Path) -> None:
    body = (TOKEN + " ") * (2 * 1024 * 1024 // (len(TOKEN) + 1))
    assert (1024 * 1024) % (len(TOKEN) + 1) > 8  # the limit falls inside a token
    with FakeIftrue(Answer(201, body.encode())) as iftrue:
        run = run_action(iftrue_env(tmp_path, iftrue.url))
    assert run.outputs["result"] == "created"
    assert_no_secret(run)


@pytest.mark.parametrize("status", [401, 201])
def test_a_token_in_json_escaped_twice_is_redacted(tmp_path: Path, status: int) -> None:
    # A gateway that wraps the service's JSON error in its own: `\\n` and `\\u0065` in the body.
    half = len(TOKEN) // 2
    inner = json.dumps({"message": f"token {TOKEN[:half]}\n{TOKEN[half:]} refused"}).replace("e", "\\u0065")
    body = json.dumps({"id": "3f0c2a8e", "upstream": inner})
    with FakeIftrue(Answer(status, body.encode())) as iftrue:
        run = run_action(iftrue_env(tmp_path, iftrue.url))
    assert "\\\\n" in body and "\\\\u0065" in body
    assert run.outputs["result"] == ("created" if status == 201 else "failed")
    assert_no_secret(run)
    assert "***" in (run.outputs["response"] if status == 201 else run.errors[0])


@pytest.mark.parametrize("form", [*broken(GITHUB_TOKEN), "without ghs_"])
def test_a_github_token_echoed_by_github_is_redacted_in_any_form(
    tmp_path: Path, iftrue: FakeIftrue, form: str
) -> None:
    text = GITHUB_TOKEN.removeprefix("ghs_") if form == "without ghs_" else broken(GITHUB_TOKEN)[form]
    with FakeGitHub(happy(pulls=Answer(422, {"message": f"Bad credentials for {text}"}))) as github:
        run = run_with_github(tmp_path, github, iftrue, "release", payload("release"))
    assert run.outputs["result"] == "created"
    assert_no_secret(run)


# --- the reading, unit by unit --------------------------------------------------------------

# What may come between two characters of a secret: white space of any kind, raw, JSON-escaped
# (once or twice) or percent-encoded.
GAPS = [
    " ", "\n", "\r\n", "\t", "  \n  ", "\f", "\v", "\u2028", "\u00a0", "\u3000", "\\n", "\\r\\n", "\\t",
    "\\\\n", "%0A", "%0d%0a", "%20", "%C2%A0", "%E2%80%A8", "\\u000a", "\\u0020", "\\u2028", "\\\\u000a",
]  # fmt: skip


def encode_char(char: str, how: str) -> str:
    return {
        "json": f"\\u{ord(char):04x}",
        "JSON": f"\\u{ord(char):04X}",
        "JSON twice": f"\\\\u{ord(char):04x}",
        "percent": f"%{ord(char):02X}",
    }.get(how, char)


def normalized(text: str) -> str:
    """`text` with every encoding and gap above undone: what a reader could put back together."""
    text = re.sub(r"\\+u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)
    text = re.sub(r"\\+[nrt]", "", urllib.parse.unquote(text)).replace("\\/", "/")
    return re.sub(r"\s", "", text)


def console() -> Console:
    console = Console(io.StringIO(), actions=False)
    console.add_secret(TOKEN)
    console.add_secret(GITHUB_TOKEN)
    return console


@settings(max_examples=150, deadline=None)
@given(
    secret=st.sampled_from([TOKEN, GITHUB_TOKEN]),
    data=st.data(),
    before=st.text(max_size=12),
    after=st.text(max_size=12),
)
def test_a_secret_split_and_encoded_anywhere_is_redacted(
    secret: str, data: Any, before: str, after: str
) -> None:
    splits = data.draw(st.dictionaries(st.integers(1, len(secret) - 1), st.sampled_from(GAPS), max_size=8))
    hows = data.draw(
        st.lists(
            st.sampled_from(["plain", "plain", "json", "JSON", "JSON twice", "percent"]),
            min_size=len(secret),
            max_size=len(secret),
        )
    )
    text = "".join(
        splits.get(index, "") + encode_char(char, how)
        for index, (char, how) in enumerate(zip(secret, hows, strict=True))
    )
    redacted = console().redact(before + text + after)
    assert "***" in redacted
    assert not leaks(normalized(redacted), secret)


@settings(max_examples=100, deadline=None)
@given(
    secret=st.sampled_from([TOKEN, GITHUB_TOKEN]),
    before=st.binary(max_size=7),
    after=st.binary(max_size=4),
    alphabet=st.sampled_from(["standard", "urlsafe"]),
    lines=st.sampled_from([None, 76, 64, 1]),
)
def test_a_secret_base64_encoded_at_any_alignment_is_redacted(
    secret: str, before: bytes, after: bytes, alphabet: str, lines: int | None
) -> None:
    encoded = base64.b64encode(before + secret.encode() + after).decode()
    if alphabet == "urlsafe":
        encoded = encoded.translate(str.maketrans("+/", "-_"))
    if lines:
        encoded = "\n".join(encoded[i : i + lines] for i in range(0, len(encoded), lines))
    redacted = console().redact(f"data: {encoded} end")
    assert "***" in redacted
    assert not leaks(redacted.replace("\n", ""), secret)


@pytest.mark.parametrize("gap", ["\\u2028", "\\u00a0", "\\\\n", "\\\\u000a", "\u2028", "%0A", " \r\n "])
def test_the_text_around_a_broken_secret_is_kept(gap: str) -> None:
    half = len(TOKEN) // 2
    text = f'{{"message": "token {TOKEN[:half]}{gap}{TOKEN[half:]} refused", "next": "ok"}}'
    assert console().redact(text) == '{"message": "token *** refused", "next": "ok"}'


TRICKY = st.lists(
    st.sampled_from(
        ["\\", "\\\\", "u", "0", "0a", "2028", "41", "n", "/", "%", "%2", "%0A", "%C2", "%A0", "%E2%80",
         "%F0%9F", "%98%80", "x", ";", " ", "\n", "\u00a0", "a", "é"]
    ),
    max_size=30,
).map("".join)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(text=TRICKY)
def test_the_quick_reading_is_the_mapped_one(text: str) -> None:
    # The quick reading decides whether the mapped one is made at all: they must agree.
    reading, span = read(text)
    assert read_text(text) == reading
    for index in range(len(reading)):
        start, end = span(index, index + 1)
        assert 0 <= start < end <= len(text)
        assert reading[index] == read_text(text[start:end])


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        (f"token {TOKEN[:90]}", "token ***"),  # an answer cut off inside the token
        (f"{TOKEN[-40:]} was refused", "*** was refused"),  # a line the token went on to
        (f"token {TOKEN[:30]}\\u000a{TOKEN[30:60]}", "token ***"),
        (f"token {TOKEN[:7]}", f"token {TOKEN[:7]}"),  # 7 characters could be anyone's
        (f"invalid signature {TOKEN.split('.')[2]}", "invalid signature ***"),
        (f"claims {TOKEN.split('.')[1]} expired", "claims *** expired"),
        (TOKEN.replace(".", ""), TOKEN.split(".")[0] + "***"),  # the header is every HS256 JWT's
        (TOKEN.replace(".", " . "), "***"),
        (f"invalid token {TOKEN[:75]}... (truncated)", "invalid token ***... (truncated)"),
        (f"token {GITHUB_TOKEN[:26]}... is expired", "token ***... is expired"),
        (f"token {TOKEN[:60]}\\n{TOKEN[60:70]}\\", "token ***\\"),  # cut after an escape's `\\`
        (f"token {GITHUB_TOKEN[:20]}\n(next)", "token ***\n(next)"),
        (f"token {GITHUB_TOKEN[4:]} refused", "token *** refused"),  # without `ghs_`
        (
            f"Basic {base64.b64encode(GITHUB_TOKEN.encode()).decode()[:52]}… (truncated)",
            "Basic ***… (truncated)",
        ),
        # Anyone's JWT: the header every HS256 JWT has is kept, and so is their payload.
        ("see eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJuYW1lIjoiSm9obiJ9.abc", None),
        # Anyone's: the jwt.io example, a payload's first keys, the header in base64.
        (
            "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N",
            None,
        ),
        ("eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0", None),
        ("ZXlKaGJHY2lPaUpJVXpJMU5pSXNJblI1Y0NJNklrcFhWQ0o5", None),
        ("R&D, a=1&b=2, &copy; 50%, <b>bold</b> C:\\x\\new \\\\ %%", None),
    ],
)
def test_what_is_left_of_a_secret_is_redacted(text: str, redacted: str | None) -> None:
    assert console().redact(text) == (text if redacted is None else redacted)
