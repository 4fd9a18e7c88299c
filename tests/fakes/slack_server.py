"""A Slack Web API and incoming-webhook fake on 127.0.0.1, speaking Slack's HTTP+JSON.

Scripted failures: push (status, headers, body) onto `script` and the next requests
get them instead of the normal answer. `delay` holds every answer back after the
request took effect (a post is in the channel before a slow answer times out), as a
slow Slack does. Posted messages keep their metadata and are served back by
conversations.history / conversations.replies (metadata only with
include_all_metadata, as Slack does). `chat.update` is recorded in `updated`; a slash
command's or an interaction's `response_url` (`response_url(name)`) takes POSTs and
records them in `responses`; `usergroups` answers `usergroups.users.list`. A channel
named in `missing_channels` answers `ok: false, error: channel_not_found`, as Slack does
for a deleted channel (or a private one the app is not in).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

TOKEN = "xoxb-test-0000-SECRETTOKEN"
WEBHOOK_PATH = "/services/T000/B000/SECRETWEBHOOK"
RESPONSE_PREFIX = "/commands/T000/"  # where Slack's response_url points


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: bytes
    json: dict[str, Any] | None


@dataclass
class FakeSlack:
    server: ThreadingHTTPServer
    requests: list[Request] = field(default_factory=list)
    script: list[tuple[int, dict[str, str], bytes]] = field(default_factory=list)
    uploads: dict[str, bytes] = field(default_factory=dict)
    delay: float = 0.0  # seconds each answer waits (a slow Slack)
    posted: list[tuple[dict[str, Any], str]] = field(default_factory=list)  # (args, ts)
    lock: threading.Lock = field(default_factory=threading.Lock)
    updated: list[dict[str, Any]] = field(default_factory=list)  # chat.update arguments
    responses: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (name, body)
    usergroups: dict[str, list[str]] = field(default_factory=dict)
    missing_channels: set[str] = field(default_factory=set)
    arrived: threading.Condition = field(default_factory=threading.Condition)
    _ts: int = 0

    def response_url(self, name: str) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}{RESPONSE_PREFIX}{name}"

    def wait_for_responses(self, count: int, timeout: float = 60.0) -> list[
            tuple[str, dict[str, Any]]]:
        """Blocks until `count` POSTs reached response URLs (a background job posts)."""
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.responses) >= count, timeout)
            return list(self.responses)

    def wait_for_updates(self, count: int, timeout: float = 60.0) -> list[dict[str, Any]]:
        """Blocks until `count` chat.update calls arrived (sent after the answer)."""
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.updated) >= count, timeout)
            return list(self.updated)

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/api/"

    @property
    def webhook_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}{WEBHOOK_PATH}"

    def posts(self, method: str = "chat.postMessage") -> list[dict[str, Any]]:
        return [r.json or {} for r in self.requests if r.path == f"/api/{method}"]

    def webhook_posts(self) -> list[dict[str, Any]]:
        return [r.json or {} for r in self.requests if r.path == WEBHOOK_PATH]

    def next_ts(self) -> str:
        self._ts += 1
        return f"1767225600.{self._ts:06d}"


def _handler(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _reply(self, status: int, body: bytes, headers: dict[str, str] | None = None,
                   content_type: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802 - slack-sdk reads history with GET
            self._handle(b"")

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            length = int(self.headers.get("Content-Length") or 0)
            self._handle(self.rfile.read(length))

        def _handle(self, body: bytes) -> None:
            parsed: dict[str, Any] | None = None
            ctype = self.headers.get("Content-Type", "")
            if self.path.startswith("/upload/"):
                ctype = ""  # raw file bytes, whatever urllib labels them
            if "json" in ctype:
                parsed = json.loads(body or b"{}")
            elif "x-www-form-urlencoded" in ctype:
                parsed = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            query = self.path.partition("?")[2]
            if query and not self.path.startswith("/upload/"):
                parsed = {**{k: v[0] for k, v in parse_qs(query).items()}, **(parsed or {})}
            with fake.lock:
                fake.requests.append(Request(self.path.split("?")[0], dict(self.headers),
                                             body, parsed))
                scripted = fake.script.pop(0) if fake.script else None
            if scripted:
                if fake.delay:
                    time.sleep(fake.delay)
                status, headers, payload = scripted
                self._reply(status, payload, headers)
                return
            path = self.path.split("?")[0]
            content_type = "text/plain"
            if path == WEBHOOK_PATH:
                reply = b"ok"
            elif path.startswith("/upload/"):
                fake.uploads[path.rsplit("/", 1)[-1]] = body
                reply = b"OK - uploaded"
            elif path.startswith(RESPONSE_PREFIX):
                with fake.arrived:
                    fake.responses.append((path.removeprefix(RESPONSE_PREFIX), parsed or {}))
                    fake.arrived.notify_all()
                reply = json.dumps({"ok": True}).encode()
                content_type = "application/json"
            elif self.headers.get("Authorization") != f"Bearer {TOKEN}":
                reply = json.dumps({"ok": False, "error": "invalid_auth"}).encode()
                content_type = "application/json"
            else:
                with fake.lock:
                    answer = self.answer(path.removeprefix("/api/"), parsed or {})
                reply = json.dumps(answer).encode()
                content_type = "application/json"
            if fake.delay:  # the request took effect; only the answer is late
                time.sleep(fake.delay)
            self._reply(200, reply, content_type=content_type)

        def answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
            if args.get("channel") in fake.missing_channels:
                return {"ok": False, "error": "channel_not_found"}
            if method == "chat.postMessage":
                if not args.get("channel") or not (args.get("text") or args.get("blocks")):
                    return {"ok": False, "error": "no_text"}
                if len(args.get("blocks") or []) > 50:
                    return {"ok": False, "error": "invalid_blocks"}
                ts = fake.next_ts()
                fake.posted.append((args, ts))
                return {"ok": True, "channel": "C0ALERTS", "ts": ts,
                        "message": {"text": args.get("text")}}
            if method in ("conversations.history", "conversations.replies"):
                if not args.get("channel"):
                    return {"ok": False, "error": "channel_not_found"}
                with_meta = str(args.get("include_all_metadata")).lower() in ("1", "true")
                thread = args.get("ts")
                messages = []
                for posted, ts in reversed(fake.posted):  # newest first, as Slack
                    in_thread = posted.get("thread_ts")
                    if method == "conversations.history" and in_thread:
                        continue  # replies are not in the channel's history
                    if method == "conversations.replies" and thread not in (ts, in_thread):
                        continue
                    message: dict[str, Any] = {"type": "message", "ts": ts,
                                               "text": posted.get("text")}
                    meta = posted.get("metadata")
                    if isinstance(meta, str):
                        meta = json.loads(meta)
                    if meta and with_meta:
                        message["metadata"] = meta
                    messages.append(message)
                limit = int(args.get("limit") or 100)
                return {"ok": True, "messages": messages[:limit], "has_more": False}
            if method == "chat.update":
                if not args.get("channel") or not args.get("ts"):
                    return {"ok": False, "error": "message_not_found"}
                with fake.arrived:
                    fake.updated.append(args)
                    fake.arrived.notify_all()
                return {"ok": True, "channel": args["channel"], "ts": args["ts"],
                        "text": args.get("text")}
            if method == "usergroups.users.list":
                users = fake.usergroups.get(str(args.get("usergroup")))
                if users is None:
                    return {"ok": False, "error": "no_such_subteam"}
                return {"ok": True, "users": users}
            if method == "files.getUploadURLExternal":
                file_id = f"F{len(fake.uploads) + 1:05d}"
                host, port = fake.server.server_address[:2]
                return {"ok": True, "file_id": file_id,
                        "upload_url": f"http://{host}:{port}/upload/{file_id}"}
            if method == "files.completeUploadExternal":
                files = args.get("files")
                files = json.loads(files) if isinstance(files, str) else files
                return {"ok": True, "files": [{"id": f["id"], "title": f.get("title", "")}
                                              for f in files or []]}
            return {"ok": False, "error": "unknown_method"}

    return Handler


def start_fake_slack() -> FakeSlack:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    fake = FakeSlack(server)
    server.RequestHandlerClass = _handler(fake)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return fake


def stop_fake_slack(fake: FakeSlack) -> None:
    fake.server.shutdown()
    fake.server.server_close()
