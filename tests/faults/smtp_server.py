"""A tiny SMTP server for fault tests: it speaks just enough SMTP for Django's SMTP backend
(EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) and keeps every message it accepts.

aiosmtpd is not installed, and the standard library's smtpd is gone from newer Pythons, so
this is a plain threaded socket server, listening on 127.0.0.1 only.
"""

import email
import email.policy
import socketserver
import threading
from dataclasses import dataclass


@dataclass
class Received:
    """One message the server accepted."""

    mail_from: str
    rcpt_to: list[str]
    data: bytes

    @property
    def message(self) -> email.message.EmailMessage:
        """The message parsed, to read its headers and body."""
        return email.message_from_bytes(self.data, policy=email.policy.default)


class _Handler(socketserver.StreamRequestHandler):
    server: "_Server"

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode("ascii") + b"\r\n")
        self.wfile.flush()

    def handle(self):
        self.reply("220 faults.test ESMTP ready")
        mail_from, rcpt_to = "", []
        while True:
            line = self.rfile.readline()
            if not line:
                return
            command = line.decode("ascii", "replace").strip()
            verb = command.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 faults.test")
            elif verb == "MAIL":
                mail_from, rcpt_to = command.split(":", 1)[1].strip(), []
                self.reply("250 OK")
            elif verb == "RCPT":
                rcpt_to.append(command.split(":", 1)[1].strip().strip("<>"))
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                lines = []
                while True:
                    data_line = self.rfile.readline()
                    if not data_line or data_line in (b".\r\n", b".\n"):
                        break
                    # Undo SMTP dot-stuffing.
                    lines.append(data_line[1:] if data_line.startswith(b"..") else data_line)
                with self.server.lock:
                    self.server.received.append(Received(mail_from, rcpt_to, b"".join(lines)))
                self.reply("250 OK: queued")
            elif verb in ("RSET", "NOOP"):
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("502 Command not implemented")


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, address):
        self.lock = threading.Lock()
        self.received: list[Received] = []
        super().__init__(address, _Handler)


class SMTPTestServer:
    """Listen on 127.0.0.1:`port` in a background thread until `stop()`."""

    def __init__(self, port: int):
        self.port = port
        self._server: _Server | None = None

    def start(self) -> "SMTPTestServer":
        self._server = _Server(("127.0.0.1", self.port))
        threading.Thread(target=self._server.serve_forever, name="smtp-test-server", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def received(self) -> list[Received]:
        """Every message accepted so far, in order."""
        with self._server.lock:
            return list(self._server.received)
