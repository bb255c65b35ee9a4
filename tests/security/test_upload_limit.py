"""An upload larger than the limit is refused while it streams (security review, issue 14).

Over real HTTP (the live test server) a provider sends 60 MB as evidence of a check. The server
must answer "smaller than 5MB" on the form once it has read a little more than 5 MB, not after
reading all 60 MB: the client sends in 64 KB pieces and stops as soon as an answer arrives, so
the bytes sent by then bound what the server had to read (plus the sockets' buffers).
"""

import re
import select
import socket
import uuid
from urllib.parse import urlsplit

import pytest
from django.test import Client

from cms.models import Role
from tests.factories import ProviderFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

TOTAL = 60 * 1024 * 1024
PIECE = 64 * 1024


def _request(host, port, head: bytes, body_pieces=(), total=0):
    """Send one request; return (response bytes, body bytes sent before the answer came)."""
    sock = socket.create_connection((host, port), timeout=60)
    sock.sendall(head)
    sent = 0
    response = b""
    for piece in body_pieces:
        readable, _, _ = select.select([sock], [], [], 0)
        if readable:
            break
        try:
            sock.sendall(piece)
        except (BrokenPipeError, ConnectionResetError):
            break
        sent += len(piece)
    sock.settimeout(60)
    try:
        while chunk := sock.recv(65536):
            response += chunk
            if b"</html>" in response:
                break
    except (ConnectionResetError, TimeoutError):
        pass
    sock.close()
    return response, sent


def test_a_60_mb_upload_is_refused_after_about_5_mb_with_a_clear_message(live_server):
    provider = ProviderFactory(name="Jo's Swims")
    member = UserFactory(role=Role.PROVIDER)
    provider.members.add(member)
    client = Client()
    client.force_login(member)
    session = client.cookies["sessionid"].value
    url = urlsplit(live_server.url)
    path = f"/my/organisation/{provider.public_id}/checks/new/"

    form, _ = _request(
        url.hostname,
        url.port,
        f"GET {path} HTTP/1.1\r\nHost: {url.netloc}\r\nCookie: sessionid={session}\r\n"
        "Connection: close\r\n\r\n".encode(),
    )
    csrf_cookie = re.search(rb"csrftoken=([A-Za-z0-9]+)", form).group(1).decode()
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1).decode()

    boundary = uuid.uuid4().hex
    before = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n{token}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="reference"\r\n\r\nDBS-001122\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="document"; filename="dbs.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n%PDF-1.7\n"
    ).encode()
    after = f"\r\n--{boundary}--\r\n".encode()
    file_bytes = TOTAL - len(b"%PDF-1.7\n")
    length = len(before) + file_bytes + len(after)

    def pieces():
        yield before
        left = file_bytes
        while left > 0:
            yield b"0" * min(PIECE, left)
            left -= PIECE
        yield after

    head = (
        f"POST {path} HTTP/1.1\r\nHost: {url.netloc}\r\n"
        f"Cookie: sessionid={session}; csrftoken={csrf_cookie}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {length}\r\n"
        f"Origin: {live_server.url}\r\nReferer: {live_server.url}{path}\r\n\r\n"
    ).encode()
    response, sent = _request(url.hostname, url.port, head, pieces())

    assert b"The selected file must be smaller than 5MB" in response, response[:300]
    assert b"DBS-001122" in response  # what was typed is kept
    assert sent < 20 * 1024 * 1024, f"the client had to send {sent / 1024 / 1024:.0f} MB of 60 MB first"
    assert not provider.checks.exists()
