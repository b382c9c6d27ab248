"""Behind corporate networks: proxies, private CAs, interim answers, and errors that say why.

Each case runs the action as a process against servers on 127.0.0.1: a CONNECT proxy, a TLS
server with a CA made here, a SOCKS5 proxy, raw sockets.
"""

from __future__ import annotations

import datetime
import ipaddress
import resource
import select
import signal
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from support import (
    ENTRYPOINT,
    GITHUB_TOKEN,
    TOKEN,
    Answer,
    FakeGitHub,
    FakeIftrue,
    Run,
    TrickleServer,
    collect,
    payload,
    run_action,
    runner_env,
)
from test_cli import FIELDS, cli
from test_lookups import happy

TIMEOUT = "3"
NOW = datetime.datetime.now(datetime.UTC)
CREATED = b'HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"id": "a"}'


def env_for(tmp_path: Path, url: str, **extra: str) -> dict[str, str]:
    env = runner_env(tmp_path, "release", payload("release"), {"api_url": url, "timeout": TIMEOUT})
    return {**env, "NO_PROXY": "", "no_proxy": "", **extra}


def warning_or_error(run: Run) -> str:
    return "\n".join(run.warnings + run.errors)


# --- certificates ---------------------------------------------------------------------------


class CA:
    """A certificate authority of this test, and certificates it signs."""

    def __init__(self, tmp_path: Path) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Corp Test Root CA")])
        self.name = name
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(NOW - datetime.timedelta(days=1))
            .not_valid_after(NOW + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True
            )
            .sign(self.key, hashes.SHA256())
        )
        self.pem = tmp_path / "corp-ca.pem"
        self.pem.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))
        self.tmp_path = tmp_path

    def server_context(
        self, names: tuple[str, ...] = ("iftrue.test", "127.0.0.1"), expired: bool = False
    ) -> Any:
        key = ec.generate_private_key(ec.SECP256R1())
        start = NOW - datetime.timedelta(days=10 if expired else 1)
        sans: list[x509.GeneralName] = [
            x509.IPAddress(ipaddress.ip_address(n)) if n[0].isdigit() else x509.DNSName(n) for n in names
        ]
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
            .issuer_name(self.name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(
                NOW - datetime.timedelta(days=2) if expired else NOW + datetime.timedelta(days=10)
            )
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        cert_path, key_path = self.tmp_path / "server.pem", self.tmp_path / "server.key"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_path, key_path)
        return context


class TLSIftrue(FakeIftrue):
    """FakeIftrue behind TLS, with a certificate of the test's CA."""

    def __init__(self, context: ssl.SSLContext, *answers: Answer) -> None:
        super().__init__(*answers)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])


@pytest.fixture
def ca(tmp_path: Path) -> CA:
    return CA(tmp_path)


# --- proxies --------------------------------------------------------------------------------


def pipe(a: socket.socket, b: socket.socket) -> None:
    with a, b:
        while True:
            ready, _, _ = select.select([a, b], [], [], 10)
            if not ready:
                return
            for source in ready:
                data = source.recv(65536)
                if not data:
                    return
                (b if source is a else a).sendall(data)


class Proxy:
    """A proxy on 127.0.0.1: HTTP CONNECT, or SOCKS5; it connects every tunnel to `target`."""

    def __init__(self, target: int = 0, answer: bytes = b"", socks: bool = False) -> None:
        self.target, self.answer, self.socks = target, answer, socks
        self.asked: list[str] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        scheme = "socks5h" if socks else "http"
        self.url = f"{scheme}://127.0.0.1:{self.listener.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(client,), daemon=True).start()

    def _one(self, client: socket.socket) -> None:
        try:
            if self.socks:
                self._socks(client)
            else:
                self._connect(client)
        except OSError:
            client.close()

    def _connect(self, client: socket.socket) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = client.recv(4096)
            if not chunk:
                return
            head += chunk
        self.asked.append(head.split(b"\r\n")[0].decode())
        if self.answer:
            client.sendall(self.answer)
            client.close()
            return
        upstream = socket.create_connection(("127.0.0.1", self.target))
        client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        pipe(client, upstream)

    def _socks(self, client: socket.socket) -> None:
        client.recv(257)  # version, methods
        client.sendall(b"\x05\x00")  # no authentication
        kind = client.recv(4)[3]  # version, command, reserved, address type
        # A name (3) is resolved here, as socks5h asks; anything else is taken for IPv4.
        name = client.recv(client.recv(1)[0]).decode() if kind == 3 else socket.inet_ntoa(client.recv(4))
        (port,) = struct.unpack("!H", client.recv(2))
        self.asked.append(f"{name}:{port}")
        upstream = socket.create_connection(("127.0.0.1", self.target))
        client.sendall(b"\x05\x00\x00\x01" + socket.inet_aton("127.0.0.1") + struct.pack("!H", self.target))
        pipe(client, upstream)

    def __enter__(self) -> Proxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.listener.close()


@pytest.fixture
def proxy() -> Iterator[Proxy]:
    with Proxy() as server:
        yield server


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_loopback_never_goes_through_a_proxy(
    tmp_path: Path, iftrue: FakeIftrue, proxy: Proxy, host: str
) -> None:
    # An http:// api_url carries the token in clear text: a proxy would read it.
    url = iftrue.url.replace("127.0.0.1", host)
    run = run_action(env_for(tmp_path, url, HTTP_PROXY=proxy.url, http_proxy=proxy.url, ALL_PROXY=proxy.url))
    assert run.outputs["result"] == "created", run.stdout + run.stderr
    assert len(iftrue.posts) == 1
    assert proxy.asked == []


@pytest.mark.parametrize("host", ["127.0.0.2", "[0:0:0:0:0:0:0:1]"])
def test_every_loopback_address_stays_off_the_proxy(tmp_path: Path, proxy: Proxy, host: str) -> None:
    # Any address of this machine is accepted for http://, so none may cross a proxy either.
    run = run_action(env_for(tmp_path, f"http://{host}:9", HTTP_PROXY=proxy.url, http_proxy=proxy.url))
    assert run.outputs["result"] == "failed"  # nothing listens there: refused, directly
    assert proxy.asked == []
    assert "refused" in warning_or_error(run)


def test_the_github_token_stays_off_the_proxy_to_a_loopback_api(
    tmp_path: Path, iftrue: FakeIftrue, proxy: Proxy
) -> None:
    with FakeGitHub(happy()) as github:
        env = env_for(tmp_path, iftrue.url, HTTP_PROXY=proxy.url, http_proxy=proxy.url)
        env |= {"GITHUB_API_URL": github.api_url, "INPUT_GITHUB_TOKEN": GITHUB_TOKEN}
        run = run_action(env)
    assert run.outputs["result"] == "created", run.stdout + run.stderr
    assert github.requests and proxy.asked == []


def test_a_folder_of_ca_certificates_is_trusted(tmp_path: Path, ca: CA) -> None:
    folder = tmp_path / "certs"
    folder.mkdir()
    digest = subprocess.run(
        ["openssl", "x509", "-hash", "-noout", "-in", str(ca.pem)], capture_output=True, text=True, check=True
    ).stdout.strip()
    (folder / f"{digest}.0").write_bytes(ca.pem.read_bytes())  # as c_rehash names it
    with TLSIftrue(ca.server_context()) as iftrue:
        run = run_action(
            env_for(tmp_path, f"https://127.0.0.1:{iftrue.port}", REQUESTS_CA_BUNDLE=str(folder))
        )
    assert run.outputs["result"] == "created", run.stdout + run.stderr
    assert "Internal error" not in run.everything()


def test_a_proxy_asking_for_credentials_is_named(tmp_path: Path) -> None:
    answer = b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\n"
    answer += b"Content-Length: 0\r\n\r\n"
    with Proxy(answer=answer) as proxy:
        # Credentials the proxy did not take: the message names the proxy without them.
        with_credentials = proxy.url.replace("http://", "http://deploy:pr0xy-pa55@")
        run = run_action(env_for(tmp_path, "https://iftrue.test", HTTPS_PROXY=with_credentials))
    assert run.code == 0 and run.outputs["result"] == "failed"
    assert proxy.asked == ["CONNECT iftrue.test:443 HTTP/1.0"]
    message = warning_or_error(run)
    assert f"the proxy {proxy.url} answered 407 Proxy Authentication Required" in message
    assert "HTTPS_PROXY=http://user:password@host:port" in message
    assert "pr0xy-pa55" not in run.everything()
    assert "attempts" not in message


def test_a_proxy_variable_requests_cannot_use_is_named_and_nothing_was_sent(tmp_path: Path) -> None:
    """`user:pw@host:port` without its scheme: requests refuses it before sending anything, so
    the warning names the variable and how to write it, never "iftrue may have recorded it"."""
    with Proxy() as proxy:
        bare = proxy.url.replace("http://", "deploy:pr0xy-pa55@")
        run = run_action(env_for(tmp_path, "https://iftrue.test", HTTPS_PROXY=bare))
    assert proxy.asked == []
    assert run.outputs["result"] == "failed"
    message = warning_or_error(run)
    assert "the proxy variable (HTTPS_PROXY, HTTP_PROXY or ALL_PROXY) is no URL requests can use" in message
    assert "Give it as http://user:password@host:port" in message
    assert "may have recorded" not in message
    assert "pr0xy-pa55" not in run.everything()


def test_a_proxy_with_its_own_ca_delivers_with_ssl_cert_file(tmp_path: Path, ca: CA) -> None:
    # A company's proxy tunnels to a server whose certificate its own CA signed.
    with TLSIftrue(ca.server_context()) as iftrue, Proxy(iftrue.port) as proxy:
        env = env_for(
            tmp_path, f"https://iftrue.test:{iftrue.port}", HTTPS_PROXY=proxy.url, SSL_CERT_FILE=str(ca.pem)
        )
        run = run_action(env)
    assert run.outputs["result"] == "created", run.stdout + run.stderr
    assert proxy.asked == [f"CONNECT iftrue.test:{iftrue.port} HTTP/1.0"]
    assert iftrue.posts[0].headers["authorization"] == f"Bearer {TOKEN}"


def test_through_a_socks_proxy(tmp_path: Path, ca: CA) -> None:
    with TLSIftrue(ca.server_context()) as iftrue, Proxy(iftrue.port, socks=True) as proxy:
        env = env_for(
            tmp_path,
            f"https://iftrue.test:{iftrue.port}",
            ALL_PROXY=proxy.url,
            REQUESTS_CA_BUNDLE=str(ca.pem),
        )
        run = run_action(env)
    assert run.outputs["result"] == "created", run.stdout + run.stderr
    assert proxy.asked == [f"iftrue.test:{iftrue.port}"]
    assert len(iftrue.posts) == 1


def test_a_sign_in_page_is_not_a_delivery(tmp_path: Path, ca: CA) -> None:
    # A proxy that signs its own certificates answers for iftrue with its sign-in page.
    page = Answer(200, b"<!doctype html><title>Sign in</title>", {"Content-Type": "text/html; charset=utf-8"})
    with TLSIftrue(ca.server_context(), page) as iftrue, Proxy(iftrue.port) as proxy:
        env = env_for(
            tmp_path, f"https://iftrue.test:{iftrue.port}", HTTPS_PROXY=proxy.url, SSL_CERT_FILE=str(ca.pem)
        )
        run = run_action(env)
    assert run.code == 0
    assert run.outputs["result"] == "failed"
    assert "deployment_id" not in run.outputs or not run.outputs["deployment_id"]
    [message] = [w for w in run.warnings if "web page" in w]
    assert f"the proxy {proxy.url} answered 200 with a web page instead of iftrue" in message
    assert "the record was not delivered" in message
    assert run.outputs["payload"]


def test_a_sign_in_page_without_a_content_type_is_not_a_delivery(tmp_path: Path) -> None:
    page = Answer(200, b"\n  <!DOCTYPE html><html><title>Sign in</title></html>", {"Content-Type": ""})
    with FakeIftrue(page) as iftrue:
        run = run_action(env_for(tmp_path, iftrue.url))
    assert (run.code, run.outputs["result"]) == (0, "failed"), run.stdout
    assert any("web page" in w and "the record was not delivered" in w for w in run.warnings), run.warnings


def test_a_real_2xx_with_an_empty_body_stays_created(tmp_path: Path) -> None:
    with FakeIftrue(Answer(204, b"", {"Content-Type": ""})) as iftrue:
        run = run_action(env_for(tmp_path, iftrue.url))
    assert run.outputs["result"] == "created", run.stdout + run.stderr


# --- certificates -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("names", "expired", "says", "fix"),
    [
        pytest.param(
            ("127.0.0.1",),
            False,
            "is signed by an unknown CA",
            "REQUESTS_CA_BUNDLE or SSL_CERT_FILE",
            id="unknown CA",
        ),
        pytest.param(("127.0.0.1",), True, "is out of date", "must be renewed", id="expired"),
        pytest.param(
            ("iftrue.test",),
            False,
            "is not for 127.0.0.1",
            "Check the host in the `api_url` input",
            id="host",
        ),
    ],
)
def test_a_certificate_failure_says_which_check(
    tmp_path: Path, ca: CA, names: tuple[str, ...], expired: bool, says: str, fix: str
) -> None:
    bundle = {} if "unknown CA" in says else {"REQUESTS_CA_BUNDLE": str(ca.pem)}
    with TLSIftrue(ca.server_context(names, expired)) as iftrue:
        run = run_action(env_for(tmp_path, f"https://127.0.0.1:{iftrue.port}", **bundle))
    assert run.outputs["result"] == "failed"
    message = warning_or_error(run)
    assert f"its TLS certificate {says}" in message and fix in message, message
    assert "attempts" not in message
    assert iftrue.posts == []


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE"])
@pytest.mark.parametrize("problem", ["missing", "not a certificate"])
def test_a_bad_ca_bundle_is_a_configuration_error(
    tmp_path: Path, iftrue: FakeIftrue, variable: str, problem: str
) -> None:
    bundle = tmp_path / "ca.pem"
    if problem != "missing":
        bundle.write_text("not a certificate\n")
    run = run_action(env_for(tmp_path, iftrue.url, **{variable: str(bundle)}))
    assert run.code == 1
    [error] = run.errors
    assert error.startswith(f"{variable} names '{bundle}', which ")
    assert ("cannot be read" if problem == "missing" else "holds no PEM certificate") in error
    assert "Internal error" not in error and "Traceback" not in run.stdout + run.stderr
    assert iftrue.requests == []


# --- no answer ------------------------------------------------------------------------------


def test_a_refusal_is_named(tmp_path: Path) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()  # nothing listens there now
    run = run_action(env_for(tmp_path, f"http://127.0.0.1:{port}"))
    assert run.code == 0 and run.outputs["result"] == "failed"
    message = warning_or_error(run)
    assert "127.0.0.1 refused the connection" in message
    assert "check the `api_url` input, its port too" in message
    assert "after 5 attempts" not in message


def test_a_connection_never_accepted_is_named_with_the_time_it_was_given(tmp_path: Path) -> None:
    """A server whose queue is full drops the connection's SYN, as a firewall does: no
    connection, within the `timeout` input when that is shorter than the connect timeout."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=0)
    port = listener.getsockname()[1]
    with listener, socket.create_connection(("127.0.0.1", port)):  # fills the queue
        started = time.monotonic()
        run = run_action({**env_for(tmp_path, f"http://127.0.0.1:{port}"), "INPUT_TIMEOUT": "3"})
        seconds = time.monotonic() - started
    assert run.code == 0 and run.outputs["result"] == "failed"
    message = warning_or_error(run)
    assert "no connection within 3 s" in message, message
    assert "A firewall may drop the traffic" in message
    assert seconds < 3 + 5, seconds


def test_an_unknown_name_is_named(tmp_path: Path) -> None:
    run = run_action(env_for(tmp_path, "https://iftrue.invalid", INPUT_TIMEOUT="1"))
    assert run.outputs["result"] == "failed"
    message = warning_or_error(run)
    assert "the name iftrue.invalid could not be resolved (DNS)" in message


# --- interim answers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "interim",
    [
        b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n",
        b"HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 103 Early Hints\r\n\r\n",
    ],
    ids=["103", "102 then 103"],
)
def test_interim_answers_are_skipped(tmp_path: Path, interim: bytes) -> None:
    with TrickleServer(interim + CREATED, b"", trickle="none") as server:
        run = run_action(env_for(tmp_path, server.url))
    assert run.outputs["result"] == "created", run.stdout + run.stderr
    assert run.outputs["deployment_id"] == "a"
    assert server.connections == 1


# --- output files ---------------------------------------------------------------------------


def test_a_full_disk_never_leaves_a_cut_off_output(tmp_path: Path, iftrue: FakeIftrue) -> None:
    env = env_for(tmp_path, iftrue.url)
    earlier = "earlier<<ghadelimiter_1\n" + "x" * 60_000 + "\nghadelimiter_1\n"
    Path(env["GITHUB_OUTPUT"]).write_text(earlier)
    limit = len(earlier) + 200  # room for a few lines of the outputs, not all of them

    def small_disk() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    proc = subprocess.run(
        [sys.executable, str(ENTRYPOINT)],
        env=env,
        capture_output=True,
        preexec_fn=small_disk,
        timeout=60,
        check=False,
    )
    assert Path(env["GITHUB_OUTPUT"]).read_text() == earlier  # whole or not at all
    run = collect(proc.returncode, proc.stdout, proc.stderr, None, env["GITHUB_STEP_SUMMARY"])
    assert any(
        "Could not write the step's outputs" in w and "none of it was written" in w for w in run.warnings
    )
    assert "Deployment recorded in iftrue" in run.summary  # written on its own
    assert len(iftrue.posts) == 1


# --- the command ----------------------------------------------------------------------------


def test_the_command_names_its_flags(tmp_path: Path) -> None:
    bare = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "IFTRUE_TOKEN": TOKEN}
    with FakeIftrue(Answer(401, {"message": "bad token"})) as iftrue:
        refused = cli([*FIELDS, "--api-url", iftrue.url], bare)
    assert refused.returncode == 1
    assert "Check that --token or IFTRUE_TOKEN holds a current" in refused.stdout + refused.stderr
    assert "secret" not in refused.stdout + refused.stderr
    with FakeIftrue(Answer(503, {"message": "down"}, {"Retry-After": "600"})) as iftrue:
        later = cli([*FIELDS, "--api-url", iftrue.url, "--timeout", "5"], bare)
    assert "another would pass --timeout (5 s)" in later.stdout + later.stderr
    assert "`timeout`" not in later.stdout + later.stderr


# --- a cancel -------------------------------------------------------------------------------


def test_a_cancel_while_a_201s_headers_arrive_asks_for_no_blind_replay(tmp_path: Path) -> None:
    # The status line came, the headers trickle: iftrue may hold the record, so the run must not
    # tell the reader to send it again without looking.
    head, headers = b"HTTP/1.1 201 Created\r\n", b"X-A: b\r\n" * 100 + b"\r\n"
    with TrickleServer(head, headers, trickle="body", interval=0.2) as server:
        env = env_for(tmp_path, server.url)
        proc = subprocess.Popen(
            [sys.executable, str(ENTRYPOINT)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 20
        while server.connections < 1:
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.02)
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=30)
    run = collect(proc.returncode, stdout, stderr, env["GITHUB_OUTPUT"], env["GITHUB_STEP_SUMMARY"])
    assert run.code == 130, run.stdout + run.stderr
    assert server.connections == 1
    [warning] = [w for w in run.warnings if "cancelled" in w]
    assert "iftrue may have recorded the deployment" in warning
    assert "if iftrue does not list this deployment, run the action again" in warning
    assert "to record this deployment" not in warning
