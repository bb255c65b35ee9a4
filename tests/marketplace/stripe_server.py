"""A small Stripe-compatible HTTP server for tests: the parts of the API localstripe lacks.

Connect accounts, account links, Checkout Sessions, refunds of destination charges and
transfers, spoken over real HTTP to the real `stripe` SDK. Every response is a deep copy of
Stripe's own fixture object for that resource (`../shared/stripe/fixtures3.json`, the
OpenAPI fixtures Stripe publishes), with its id and the posted fields filled in, so the SDK
parses exactly the shapes Stripe returns.

What it does like Stripe:
- authenticates with a Bearer secret key (401 without one);
- decodes form-encoded, bracket-nested parameters (`line_items[0][price_data][currency]`);
- honours `Idempotency-Key`: the same key with the same parameters replays the first
  response (`Idempotent-Replayed: true`) without creating anything; the same key with
  different parameters is a 400 `idempotency_error`;
- answers errors in Stripe's `{"error": {...}}` shape with Stripe's status codes;
- refuses what Stripe refuses in the calls the site makes (an unknown parameter, a missing
  required one, a value outside an enum or of the wrong type), checked against Stripe's
  OpenAPI description of those endpoints (`stripe_openapi_subset.json`), with Stripe's 400
  `invalid_request_error` naming the parameter, so the SDK raises `InvalidRequestError`;
- serves the hosted pages the project redirects to (Checkout's payment page and Connect
  onboarding) as plain HTML forms, so a browser test can click through them;
- sends events in the shape of the API version the installed `stripe` SDK is pinned to
  (`stripe.api_version`, which is the project's `STRIPE_API_VERSION`): since 2022-11-15 a
  charge no longer embeds its refunds (`charge.refunds` is only there when expanded), so a
  `charge.refunded` event carries the refunded total and each refund has its own
  `refund.created` / `refund.updated` event (tests/marketplace/test_stripe_shapes.py checks
  every payload against the fixtures and the SDK's own types);
- plays what happens outside the site: refunds made in Stripe's dashboard (full or partial),
  refunds that fail later at the card's end (`fail_refund`), and card disputes, opened, with
  their funds withdrawn, and closed as won or lost;
- signs webhooks exactly as Stripe does: `Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256
  of "<t>.<raw body>" with the endpoint's secret>`, and POSTs them to the live server.

For fault tests it can be told to fail the next requests (HTTP 500) or to stall (a timeout).
It records every API request (method, path, decoded parameters, headers) for assertions.
"""

import copy
import hashlib
import hmac
import html
import json
import os
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import stripe

OPENAPI_SUBSET_PATH = Path(__file__).with_name("stripe_openapi_subset.json")
FIXTURES_PATH = Path(
    os.environ.get(
        "STRIPE_FIXTURES_PATH",
        Path(__file__).resolve().parents[3] / "shared" / "stripe" / "fixtures3.json",
    )
)


def load_fixtures(path: Path = FIXTURES_PATH) -> dict:
    """Stripe's fixture objects, by resource name ("checkout.session", "account", …)."""
    return json.loads(path.read_text(encoding="utf-8"))["resources"]


def load_request_schemas(path: Path = OPENAPI_SUBSET_PATH) -> dict:
    """(method, path template) -> the request parameters' schema, from the OpenAPI subset."""
    spec = json.loads(path.read_text(encoding="utf-8"))
    return {
        (method.upper(), template): operation["requestBody"]["content"]["application/x-www-form-urlencoded"][
            "schema"
        ]
        for template, operations in spec["paths"].items()
        for method, operation in operations.items()
    }


def _matches(template: str, path: str) -> bool:
    want, got = template.strip("/").split("/"), path.strip("/").split("/")
    return len(want) == len(got) and all(w.startswith("{") or w == g for w, g in zip(want, got, strict=True))


def param_problem(value, schema: dict, name: str = "") -> "StripeError | None":
    """The first way `value` (form-decoded: scalars are strings) breaks `schema`, as the 400
    Stripe would answer, or None. `name` is the parameter's name as Stripe spells it."""
    if "anyOf" in schema:
        problems = [param_problem(value, option, name) for option in schema["anyOf"]]
        return None if None in problems else problems[0]
    kind = schema.get("type")
    if "enum" in schema:
        if value in schema["enum"]:
            return None
        allowed = ", ".join(str(v) for v in schema["enum"])
        return StripeError(400, f"Invalid {name}: must be one of {allowed}", param=name)
    if kind == "object":
        if not isinstance(value, dict):
            return StripeError(400, f"Invalid object: {name} must be a hash", param=name)
        properties = schema.get("properties")
        for key in value:
            full = f"{name}[{key}]" if name else key
            if (properties is None or key not in properties) and not isinstance(
                schema.get("additionalProperties"), dict
            ):
                return StripeError(400, f"Received unknown parameter: {full}", param=full)
        for key in schema.get("required", []):
            if key not in value:
                full = f"{name}[{key}]" if name else key
                return StripeError(400, f"Missing required param: {full}.", param=full)
        for key, item in value.items():
            full = f"{name}[{key}]" if name else key
            if properties is not None and key in properties:
                item_schema = properties[key]
            elif isinstance(schema.get("additionalProperties"), dict):
                item_schema = schema["additionalProperties"]
            else:
                return StripeError(400, f"Received unknown parameter: {full}", param=full)
            if problem := param_problem(item, item_schema, full):
                return problem
        return None
    if kind == "array":
        if not isinstance(value, list):
            return StripeError(400, f"Invalid array: {name}", param=name)
        for index, item in enumerate(value):
            if problem := param_problem(item, schema.get("items", {}), f"{name}[{index}]"):
                return problem
        return None
    if kind in ("string", "integer", "boolean", "number"):
        ok = isinstance(value, str) and (
            kind == "string"
            or (kind == "integer" and value.lstrip("-").isdigit())
            or (kind == "boolean" and value in ("true", "false"))
            or (kind == "number" and value.replace(".", "", 1).lstrip("-").isdigit())
        )
        if not ok:
            return StripeError(400, f"Invalid {kind}: {value!r}", param=name)
    return None


def decode_form(body: str) -> dict:
    """Stripe's form encoding back into nested dicts and lists (values stay strings)."""
    result: dict = {}
    for key, value in urllib.parse.parse_qsl(body, keep_blank_values=True):
        parts = [key.split("[", 1)[0]] + [p.rstrip("]") for p in key.split("[")[1:]]
        node = result
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, {})
    return _lists(result)


def _lists(node):
    if isinstance(node, dict):
        if node and all(k.isdigit() for k in node):
            return [_lists(node[k]) for k in sorted(node, key=int)]
        return {k: _lists(v) for k, v in node.items()}
    return node


def sign_payload(payload: str, secret: str, timestamp: int | None = None) -> str:
    """The `Stripe-Signature` header Stripe sends for `payload` (the exact body string)."""
    timestamp = int(time.time()) if timestamp is None else int(timestamp)
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def _new_id(prefix: str) -> str:
    return f"{prefix}_test_{secrets.token_hex(12)}"


class StripeError(Exception):
    """An error response in Stripe's shape."""

    def __init__(self, status: int, message: str, *, type_="invalid_request_error", code=None, param=None):
        super().__init__(message)
        self.status = status
        self.body = {"error": {"type": type_, "message": message, "code": code, "param": param}}


@dataclass
class RecordedRequest:
    """One API request as the server received it."""

    method: str
    path: str
    params: dict
    headers: dict

    @property
    def idempotency_key(self) -> str | None:
        """The request's Idempotency-Key header, if any."""
        return self.headers.get("idempotency-key")


@dataclass
class WebhookTarget:
    """Where (and with which secret) events for one endpoint are delivered."""

    url: str
    secret: str


@dataclass
class Delivery:
    """A webhook the server sent, and what the receiver answered."""

    event: dict
    endpoint: str
    status: int
    body: str = ""


@dataclass
class _State:
    objects: dict = field(default_factory=dict)
    session_extras: dict = field(default_factory=dict)  # session id -> what Stripe keeps internally
    links: dict = field(default_factory=dict)  # onboarding token -> account link details
    idempotency: dict = field(default_factory=dict)
    requests: list = field(default_factory=list)
    deliveries: list = field(default_factory=list)
    events: list = field(default_factory=list)  # every event built, delivered or not
    outbox: list = field(default_factory=list)  # events API calls caused, not delivered yet


class StripeTestServer:
    """The server, its state and the helpers that play Stripe's part in a test."""

    def __init__(self, fixtures: dict | None = None):
        self.fixtures = fixtures if fixtures is not None else load_fixtures()
        self.request_schemas = load_request_schemas()
        self.state = _State()
        self.lock = threading.RLock()
        self.webhooks: dict[str, WebhookTarget] = {}
        self.fail_remaining = 0
        self.fail_status = 500
        self.fail_path = ""
        self.stall_seconds = 0.0
        self.stall_remaining: int | None = None
        self.stall_path = ""
        self.stall_after = False
        self.api_version_seen: str | None = None
        # The version events are rendered in: a webhook endpoint's own version, which the
        # project creates at the version it pins (the SDK's).
        self.event_api_version = stripe.api_version
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle -------------------------------------------------------------------

    def start(self) -> "StripeTestServer":
        """Listen on 127.0.0.1 on a free port, in a background thread."""
        server = self

        class Handler(_Handler):
            stripe = server

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="stripe-test-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening."""
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    @property
    def url(self) -> str:
        """The base address to give the SDK as its API base."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def reset(self) -> None:
        """Forget every object, request and delivery; stop failing."""
        with self.lock:
            self.state = _State()
            self.webhooks = {}
            self.fail_remaining = 0
            self.fail_path = ""
            self.stall_seconds = 0.0
            self.stall_remaining, self.stall_path, self.stall_after = None, "", False

    # --- fault injection -------------------------------------------------------------

    def fail_next(self, count: int = 1, *, status: int = 500, path: str = "") -> None:
        """Answer the next `count` API requests (to paths starting with `path`, if given) with an
        error (500: Stripe's side failed), without acting on them."""
        with self.lock:
            self.fail_remaining, self.fail_status, self.fail_path = count, status, path

    def stall(self, seconds: float, *, count: int | None = None, path: str = "", after: bool = False) -> None:
        """Wait this long before answering API requests (longer than the client's timeout).

        Every request, or only the next `count` to paths starting with `path`. `after=True`
        does the work first and then stalls: the answer is lost to a client that has given
        up, as when Stripe acted but the response never arrived.
        """
        with self.lock:
            self.stall_seconds, self.stall_remaining = seconds, count
            self.stall_path, self.stall_after = path, after

    def _take_stall(self, path: str) -> tuple[float, bool]:
        """(seconds to stall, whether after the work) for one request to `path`."""
        with self.lock:
            if not self.stall_seconds or not path.startswith(self.stall_path):
                return 0.0, False
            if self.stall_remaining is not None:
                if self.stall_remaining <= 0:
                    return 0.0, False
                self.stall_remaining -= 1
            return self.stall_seconds, self.stall_after

    # --- what was asked --------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every API request received, in order."""
        return list(self.state.requests)

    def requests_to(self, method: str, path_prefix: str) -> list[RecordedRequest]:
        """API requests with this method whose path starts with `path_prefix`."""
        return [r for r in self.state.requests if r.method == method and r.path.startswith(path_prefix)]

    def objects_of(self, object_type: str) -> list[dict]:
        """Every object of one type ("checkout.session", "refund", …) the server holds."""
        return [o for o in self.state.objects.values() if o.get("object") == object_type]

    def get(self, object_id: str) -> dict:
        """One object by id."""
        return self.state.objects[object_id]

    # --- webhooks --------------------------------------------------------------------

    def set_webhook(self, endpoint: str, url: str, secret: str) -> None:
        """Deliver events for `endpoint` ("platform" or "connect") to `url`, signed with `secret`."""
        self.webhooks[endpoint] = WebhookTarget(url, secret)

    def build_event(
        self, event_type: str, obj: dict, *, created: int | None = None, account: str | None = None
    ) -> dict:
        """An event in Stripe's shape (from the fixture) carrying a copy of `obj`."""
        event = copy.deepcopy(self.fixtures["event"])
        event.update(
            {
                "id": _new_id("evt"),
                "type": event_type,
                "created": int(time.time()) if created is None else int(created),
                "data": {"object": copy.deepcopy(obj)},
                "api_version": self.event_api_version,
                "livemode": False,
                "pending_webhooks": 1,
                "request": {"id": None, "idempotency_key": None},
            }
        )
        if account:
            event["account"] = account
        self.state.events.append(event)
        return event

    def deliver_outbox(self) -> list[Delivery]:
        """Deliver the events that API calls caused (a refund's `charge.refunded`, …), in order."""
        with self.lock:
            events, self.state.outbox = self.state.outbox, []
        return [self.deliver(event) for event in events]

    def deliver(
        self,
        event: dict,
        *,
        endpoint: str = "platform",
        secret: str | None = None,
        timestamp: int | None = None,
        signature: str | None = None,
        payload: str | None = None,
    ) -> Delivery:
        """POST an event to the endpoint's URL, signed as Stripe signs it (or as told, to forge)."""
        target = self.webhooks[endpoint]
        payload = payload if payload is not None else json.dumps(event, indent=2)
        header = signature or sign_payload(payload, secret or target.secret, timestamp)
        request = urllib.request.Request(  # noqa: S310 (http to the local test server)
            target.url,
            data=payload.encode("utf-8"),
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Stripe-Signature": header,
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                delivery = Delivery(event, endpoint, response.status, response.read().decode())
        except urllib.error.HTTPError as exc:
            delivery = Delivery(event, endpoint, exc.code, exc.read().decode())
        self.state.deliveries.append(delivery)
        return delivery

    @property
    def deliveries(self) -> list[Delivery]:
        """Every webhook delivery made, in order."""
        return list(self.state.deliveries)

    # --- playing Stripe's part -------------------------------------------------------

    def complete_checkout(self, session_id: str, *, deliver: bool = True, delayed: bool = False) -> dict:
        """The holder pays on the hosted page: a destination charge and its transfer are made,
        the session completes and `checkout.session.completed` is delivered (unless told not to).

        `delayed=True` plays a delayed payment method (like Bacs): the session completes
        unpaid and `settle_delayed_payment` later says whether the money arrived.
        """
        with self.lock:
            session = self.state.objects[session_id]
            if session["status"] != "open":
                raise StripeError(400, f"This Checkout Session is {session['status']}.")
            extras = self.state.session_extras[session_id]
            intent = self._make_payment(session, extras, succeeded=not delayed)
            session["status"] = "complete"
            session["payment_status"] = "unpaid" if delayed else "paid"
            session["payment_intent"] = intent["id"]
            session["customer_details"] = {
                **(session.get("customer_details") or {}),
                "email": "holder@example.org",
            }
            event = self.build_event("checkout.session.completed", session)
        if deliver:
            self.deliver(event)
        return event

    def settle_delayed_payment(self, session_id: str, *, succeeded: bool, deliver: bool = True) -> dict:
        """The delayed payment for a completed session arrives (or fails)."""
        with self.lock:
            session = self.state.objects[session_id]
            intent = self.state.objects[session["payment_intent"]]
            if succeeded:
                self._succeed(intent)
                session["payment_status"] = "paid"
                event = self.build_event("checkout.session.async_payment_succeeded", session)
            else:
                intent["status"] = "requires_payment_method"
                event = self.build_event("checkout.session.async_payment_failed", session)
        if deliver:
            self.deliver(event)
        return event

    def expire_session_now(self, session_id: str, *, deliver: bool = True) -> dict:
        """The session times out on Stripe's side; `checkout.session.expired` is delivered."""
        with self.lock:
            session = self.state.objects[session_id]
            session["status"] = "expired"
            event = self.build_event("checkout.session.expired", session)
        if deliver:
            self.deliver(event)
        return event

    def enable_account(self, account_id: str, *, deliver: bool = True, created: int | None = None) -> dict:
        """The provider finishes onboarding: charges and payouts on, nothing due."""
        with self.lock:
            account = self.state.objects[account_id]
            account.update({"charges_enabled": True, "payouts_enabled": True, "details_submitted": True})
            account["requirements"].update(
                {"currently_due": [], "eventually_due": [], "past_due": [], "disabled_reason": None}
            )
            event = self.build_event("account.updated", account, created=created, account=account_id)
        if deliver:
            self.deliver(event, endpoint="connect")
        return event

    def charge_refunded_event(self, payment_intent_id: str) -> dict:
        """`charge.refunded` for the charge of a payment, as it stands now."""
        intent = self.state.objects[payment_intent_id]
        return self.build_event("charge.refunded", self.state.objects[intent["latest_charge"]])

    def refund_in_dashboard(
        self,
        payment_intent_id: str,
        amount: int | None = None,
        *,
        deliver: bool = True,
        reverse_transfer: bool = True,
    ) -> list[dict]:
        """Someone refunds the payment (all of it, or `amount`) in Stripe's dashboard, taking
        the money back from the provider's account (unless `reverse_transfer=False`: then it
        comes out of the platform's balance, Stripe's default for a destination charge).

        Stripe then sends `charge.refunded` (the charge with its new refunded total, no list
        of refunds) and `refund.created` (the refund itself); returns both, delivered to the
        platform endpoint unless told not to.
        """
        params = {"payment_intent": payment_intent_id}
        if amount is not None:
            params["amount"] = str(amount)
        with self.lock:
            refund = self._create_refund(params, reverse_transfer=reverse_transfer)
            events, self.state.outbox = self.state.outbox[-2:], self.state.outbox[:-2]
        assert events[-1]["data"]["object"]["id"] == refund["id"]
        if deliver:
            for event in events:
                self.deliver(event)
        return events

    def fail_refund(self, refund_id: str, *, failure_reason: str = "expired_or_canceled_card") -> list[dict]:
        """A refund reported made fails at the card's end (the card was closed, say), as
        Stripe plays it: the refund's status becomes "failed" with a `failure_reason` and a
        `failure_balance_transaction` putting the money back in the platform's balance, the
        charge's refunded total goes down by its amount (so it can be refunded again), and
        Stripe sends `refund.updated` and `refund.failed` (types the pinned SDK knows).
        Returns both events, not delivered."""
        with self.lock:
            refund = self._fetch(refund_id, "refund")
            if refund["status"] not in ("succeeded", "pending"):
                raise StripeError(400, f"This refund is {refund['status']}.")
            charge = self.state.objects[refund["charge"]]
            refund["status"] = "failed"
            refund["failure_reason"] = failure_reason
            refund["failure_balance_transaction"] = _new_id("txn")
            charge["amount_refunded"] -= refund["amount"]
            charge["refunded"] = False
            return [self.build_event("refund.updated", refund), self.build_event("refund.failed", refund)]

    def dispute_event(self, payment_intent_id: str, *, reason: str = "fraudulent") -> dict:
        """The card holder's bank disputes the whole payment: `charge.dispute.created`."""
        with self.lock:
            intent = self.state.objects[payment_intent_id]
            charge = self.state.objects[intent["latest_charge"]]
            dispute = copy.deepcopy(self.fixtures["dispute"])
            dispute.update(
                {
                    "id": _new_id("dp"),
                    "charge": charge["id"],
                    "payment_intent": intent["id"],
                    "amount": charge["amount"] - charge["amount_refunded"],
                    "currency": intent["currency"],
                    "reason": reason,
                    "status": "needs_response",
                    "is_charge_refundable": False,
                    "created": int(time.time()),
                }
            )
            charge["disputed"] = True
            self.state.objects[dispute["id"]] = dispute
            return self.build_event("charge.dispute.created", dispute)

    def dispute_funds_withdrawn(self, dispute_id: str) -> dict:
        """Stripe takes the disputed amount (and its fee) from the balance while the bank decides:
        `charge.dispute.funds_withdrawn`."""
        with self.lock:
            dispute = self._fetch(dispute_id, "dispute")
            dispute["balance_transactions"] = [
                {
                    **copy.deepcopy(self.fixtures["balance_transaction"]),
                    "id": _new_id("txn"),
                    "amount": -dispute["amount"],
                    "currency": dispute["currency"],
                    "type": "adjustment",
                    "reporting_category": "dispute",
                    "source": dispute_id,
                }
            ]
            return self.build_event("charge.dispute.funds_withdrawn", dispute)

    def close_dispute(self, dispute_id: str, *, won: bool) -> list[dict]:
        """The bank decides: `charge.dispute.closed` (status "won" or "lost"), and when won,
        `charge.dispute.funds_reinstated` first."""
        with self.lock:
            dispute = self._fetch(dispute_id, "dispute")
            dispute["status"] = "won" if won else "lost"
            events = []
            if won:
                events.append(self.build_event("charge.dispute.funds_reinstated", dispute))
            events.append(self.build_event("charge.dispute.closed", dispute))
            return events

    def _make_payment(self, session, extras, *, succeeded: bool) -> dict:
        data = extras.get("payment_intent_data") or {}
        destination = (data.get("transfer_data") or {}).get("destination")
        intent = copy.deepcopy(self.fixtures["payment_intent"])
        intent.update(
            {
                "id": _new_id("pi"),
                "amount": session["amount_total"],
                "amount_received": 0,
                "currency": session["currency"],
                "metadata": dict(data.get("metadata") or {}),
                "description": data.get("description"),
                "transfer_data": {"destination": destination} if destination else None,
                "status": "processing",
                "created": int(time.time()),
                "last_payment_error": None,
                "next_action": None,
                "canceled_at": None,
                "client_secret": None,
            }
        )
        self.state.objects[intent["id"]] = intent
        if succeeded:
            self._succeed(intent)
        return intent

    def _succeed(self, intent: dict) -> None:
        charge = copy.deepcopy(self.fixtures["charge"])
        charge_id = _new_id("ch")
        destination = (intent.get("transfer_data") or {}).get("destination")
        transfer_id = None
        if destination:
            transfer = copy.deepcopy(self.fixtures["transfer"])
            transfer_id = _new_id("tr")
            transfer.update(
                {
                    "id": transfer_id,
                    "amount": intent["amount"],
                    "currency": intent["currency"],
                    "destination": destination,
                    "source_transaction": charge_id,
                    "amount_reversed": 0,
                    "reversed": False,
                    "created": int(time.time()),
                    "reversals": {
                        "object": "list",
                        "data": [],
                        "has_more": False,
                        "url": f"/v1/transfers/{transfer_id}/reversals",
                    },
                }
            )
            self.state.objects[transfer_id] = transfer
        charge.update(
            {
                "id": charge_id,
                "amount": intent["amount"],
                "amount_captured": intent["amount"],
                "amount_refunded": 0,
                "captured": True,
                "paid": True,
                "refunded": False,
                "status": "succeeded",
                "currency": intent["currency"],
                "payment_intent": intent["id"],
                "metadata": {},
                "transfer": transfer_id,
                "transfer_data": {"destination": destination, "amount": None} if destination else None,
                "disputed": False,
                "source": None,  # a charge made by a PaymentIntent has no source
                "created": int(time.time()),
            }
        )
        # Since API version 2022-11-15 `refunds` is included only when expanded.
        del charge["refunds"]
        if transfer_id:
            charge["transfer"] = transfer_id  # a destination charge names its transfer
        self.state.objects[charge_id] = charge
        intent.update(
            {"status": "succeeded", "latest_charge": charge_id, "amount_received": intent["amount"]}
        )

    # --- the API ---------------------------------------------------------------------

    def handle_api(self, method: str, path: str, params: dict, headers: dict) -> tuple[int, dict]:
        """Route one API request; returns (status, body)."""
        key = headers.get("idempotency-key")
        auth = headers.get("authorization", "")
        if not auth.startswith("Bearer sk_"):
            raise StripeError(401, "You did not provide an API key.", type_="invalid_request_error")
        if headers.get("stripe-version"):
            self.api_version_seen = headers["stripe-version"]
        # Checked before anything else: Stripe keeps no idempotent result for a refused request.
        self.check_params(method, path, params)
        if key and method == "POST":
            with self.lock:
                remembered = self.state.idempotency.get((auth, key))
                if remembered:
                    if remembered["request"] != (method, path, params):
                        raise StripeError(
                            400,
                            "Keys for idempotent requests can only be used with the same parameters "
                            "they were first used with.",
                            type_="idempotency_error",
                        )
                    return remembered["status"], {**remembered["body"], "__replayed__": True}
        status, body = self._route(method, path, params)
        if key and method == "POST" and status < 500:
            with self.lock:
                self.state.idempotency[(auth, key)] = {
                    "request": (method, path, params),
                    "status": status,
                    # A snapshot: a replay answers what was first answered, as Stripe does.
                    "body": copy.deepcopy(body),
                }
        return status, body

    def check_params(self, method: str, path: str, params: dict) -> None:
        """Refuse parameters Stripe's OpenAPI description of this endpoint does not allow."""
        for (schema_method, template), schema in self.request_schemas.items():
            if schema_method == method and _matches(template, path):
                if problem := param_problem(params, schema):
                    raise problem
                return

    def _route(self, method: str, path: str, params: dict) -> tuple[int, dict]:
        parts = [p for p in path.split("/") if p][1:]  # drop "v1"
        with self.lock:
            match method, parts:
                case "POST", ["accounts"]:
                    return 200, self._create_account(params)
                case "GET", ["accounts", account_id]:
                    return 200, self._fetch(account_id, "account")
                case "POST", ["account_links"]:
                    return 200, self._create_account_link(params)
                case "POST", ["checkout", "sessions"]:
                    return 200, self._create_session(params)
                case "GET", ["checkout", "sessions", session_id]:
                    return 200, self._fetch(session_id, "checkout.session")
                case "POST", ["checkout", "sessions", session_id, "expire"]:
                    return 200, self._expire_session(session_id)
                case "POST", ["refunds"]:
                    return 200, self._create_refund(params)
                case "GET", ["refunds"]:
                    return 200, self._list_refunds(params)
                case "GET", ["refunds", refund_id]:
                    return 200, self._fetch(refund_id, "refund")
                case "GET", ["payment_intents", intent_id]:
                    return 200, self._fetch(intent_id, "payment_intent")
                case "POST", ["transfers"]:
                    return 200, self._create_transfer(params)
                case "GET", ["transfers", transfer_id]:
                    return 200, self._fetch(transfer_id, "transfer")
                case "POST", ["transfers", transfer_id, "reversals"]:
                    return 200, self._reverse_transfer(
                        transfer_id, int(params.get("amount") or 0) or None, params
                    )
        raise StripeError(404, f"Unrecognized request URL ({method}: {path}).")

    def _fetch(self, object_id: str, object_type: str) -> dict:
        obj = self.state.objects.get(object_id)
        if obj is None or obj.get("object") != object_type:
            raise StripeError(404, f"No such {object_type}: '{object_id}'", code="resource_missing")
        return obj

    def _create_account(self, params: dict) -> dict:
        account = copy.deepcopy(self.fixtures["account"])
        account.update(
            {
                "id": f"acct_{secrets.token_hex(8)}",
                "country": params.get("country", "GB"),
                "default_currency": "gbp",
                "email": params.get("email"),
                "business_type": params.get("business_type"),
                "metadata": params.get("metadata") or {},
                "charges_enabled": False,
                "payouts_enabled": False,
                "details_submitted": False,
                "created": int(time.time()),
            }
        )
        if params.get("business_profile"):
            account["business_profile"].update(params["business_profile"])
        if params.get("controller"):
            account["controller"] = {**params["controller"], "type": "application", "is_controller": True}
        account["requirements"]["disabled_reason"] = "requirements.past_due"
        self.state.objects[account["id"]] = account
        return account

    def _create_account_link(self, params: dict) -> dict:
        account_id = params.get("account")
        self._fetch(account_id, "account")
        for name in ("refresh_url", "return_url", "type"):
            if not params.get(name):
                raise StripeError(400, f"Missing required param: {name}.", param=name)
        token = secrets.token_urlsafe(12)
        link = copy.deepcopy(self.fixtures["account_link"])
        link.update(
            {
                "created": int(time.time()),
                "expires_at": int(time.time()) + 300,
                "url": f"{self.url}/setup/{token}",
            }
        )
        self.state.links[token] = {"account": account_id, **params}
        return link

    def _create_session(self, params: dict) -> dict:
        if params.get("mode") != "payment":
            raise StripeError(400, "This test server supports mode=payment only.", param="mode")
        items = params.get("line_items") or []
        if not items:
            raise StripeError(400, "line_items is required in payment mode.", param="line_items")
        for name in ("success_url", "cancel_url"):
            url = params.get(name, "")
            if not url.startswith(("http://", "https://")):
                raise StripeError(400, f"Not a valid URL: {name}", param=name)
        total, currency = 0, None
        for item in items:
            price = item.get("price_data") or {}
            unit_amount, quantity = int(price.get("unit_amount", -1)), int(item.get("quantity", 0))
            if unit_amount < 0 or quantity < 1:
                raise StripeError(
                    400, "Each line item needs a unit_amount and a quantity.", param="line_items"
                )
            total += unit_amount * quantity
            currency = price.get("currency")
        destination = ((params.get("payment_intent_data") or {}).get("transfer_data") or {}).get(
            "destination"
        )
        if destination:
            account = self._fetch(destination, "account")
            if not account.get("charges_enabled"):
                raise StripeError(
                    400,
                    f"The destination account {destination} cannot take charges yet.",
                    param="payment_intent_data[transfer_data][destination]",
                )
        session = copy.deepcopy(self.fixtures["checkout.session"])
        session_id = f"cs_test_{secrets.token_hex(16)}"
        session.update(
            {
                "id": session_id,
                "mode": "payment",
                "amount_subtotal": total,
                "amount_total": total,
                "currency": currency,
                "client_reference_id": params.get("client_reference_id"),
                "metadata": params.get("metadata") or {},
                "success_url": params["success_url"],
                "cancel_url": params["cancel_url"],
                "status": "open",
                "payment_status": "unpaid",
                "payment_intent": None,
                "created": int(time.time()),
                "expires_at": int(params.get("expires_at") or time.time() + 24 * 3600),
                "url": f"{self.url}/pay/{session_id}",
                "locale": params.get("locale"),
                "payment_method_types": params.get("allowed_payment_method_types") or ["card"],
                "customer_details": None,
                "shipping_cost": None,
                "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
                "currency_conversion": None,
            }
        )
        self.state.objects[session_id] = session
        self.state.session_extras[session_id] = {
            "payment_intent_data": params.get("payment_intent_data") or {}
        }
        return session

    def _expire_session(self, session_id: str) -> dict:
        session = self._fetch(session_id, "checkout.session")
        if session["status"] != "open":
            raise StripeError(
                400,
                'Only Checkout Sessions with a status in ["open"] can be expired. '
                f"This one is {session['status']}.",
            )
        session["status"] = "expired"
        return session

    def _create_refund(self, params: dict, *, reverse_transfer: bool = False) -> dict:
        intent_id = params.get("payment_intent")
        intent = self._fetch(intent_id, "payment_intent")
        if intent.get("status") != "succeeded":
            raise StripeError(400, "This PaymentIntent does not have a successful charge to refund.")
        charge = self.state.objects[intent["latest_charge"]]
        remaining = charge["amount"] - charge["amount_refunded"]
        amount = int(params.get("amount") or remaining)
        if amount < 1 or amount > remaining:
            raise StripeError(
                400,
                f"Refund amount ({amount}) is greater than unrefunded amount ({remaining}).",
                param="amount",
                code="amount_too_large",
            )
        refund = copy.deepcopy(self.fixtures["refund"])
        refund.update(
            {
                "id": _new_id("re"),
                "amount": amount,
                "charge": charge["id"],
                "payment_intent": intent_id,
                "currency": charge["currency"],
                "metadata": params.get("metadata") or {},
                "status": "succeeded",
                "created": int(time.time()),
            }
        )
        if reverse_transfer or params.get("reverse_transfer") == "true":
            if not charge.get("transfer"):
                raise StripeError(400, "This charge has no transfer to reverse.", param="reverse_transfer")
            reversal = self._reverse_transfer(
                charge["transfer"], amount, {"metadata": {"refund": refund["id"]}}
            )
            refund["transfer_reversal"] = reversal["id"]
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
        self.state.objects[refund["id"]] = refund
        # What Stripe sends for a refund, however it was made (not delivered by itself).
        self.state.outbox.append(self.build_event("charge.refunded", charge))
        self.state.outbox.append(self.build_event("refund.created", refund))
        return refund

    def _list_refunds(self, params: dict) -> dict:
        """`GET /v1/refunds`, as Stripe lists: newest first, at most `limit` (10 unless asked,
        1 to 100) after the `starting_after` cursor, `has_more` when more follow; only a
        charge's (or a PaymentIntent's) refunds when asked."""
        limit = int(params.get("limit") or 10)
        if not 1 <= limit <= 100:
            raise StripeError(400, "This value must be greater than 1 and less than 100.", param="limit")
        refunds = [
            r
            for r in self.objects_of("refund")
            if r["charge"] == params.get("charge", r["charge"])
            and r["payment_intent"] == params.get("payment_intent", r["payment_intent"])
        ]
        refunds.reverse()  # newest first (objects are kept in the order they were made)
        refunds.sort(key=lambda r: r["created"], reverse=True)
        ids = [r["id"] for r in refunds]
        page, has_more = refunds[:limit], len(refunds) > limit
        if params.get("starting_after"):  # the older ones after the cursor
            older = refunds[ids.index(self._fetch(params["starting_after"], "refund")["id"]) + 1 :]
            page, has_more = older[:limit], len(older) > limit
        elif params.get("ending_before"):  # the newer ones just before it
            newer = refunds[: ids.index(self._fetch(params["ending_before"], "refund")["id"])]
            page, has_more = newer[-limit:], len(newer) > limit
        return {"object": "list", "data": copy.deepcopy(page), "has_more": has_more, "url": "/v1/refunds"}

    def _create_transfer(self, params: dict) -> dict:
        self._fetch(params.get("destination"), "account")
        transfer = copy.deepcopy(self.fixtures["transfer"])
        transfer_id = _new_id("tr")
        transfer.update(
            {
                "id": transfer_id,
                "amount": int(params["amount"]),
                "currency": params.get("currency"),
                "destination": params["destination"],
                "amount_reversed": 0,
                "reversed": False,
                "metadata": params.get("metadata") or {},
                "created": int(time.time()),
                "reversals": {
                    "object": "list",
                    "data": [],
                    "has_more": False,
                    "url": f"/v1/transfers/{transfer_id}/reversals",
                },
            }
        )
        self.state.objects[transfer_id] = transfer
        return transfer

    def _reverse_transfer(self, transfer_id: str, amount: int | None, params: dict) -> dict:
        transfer = self._fetch(transfer_id, "transfer")
        remaining = transfer["amount"] - transfer["amount_reversed"]
        amount = amount or remaining
        if amount > remaining:
            raise StripeError(400, "Reversal amount is greater than the unreversed amount.", param="amount")
        reversal = copy.deepcopy(self.fixtures["transfer_reversal"])
        reversal.update(
            {
                "id": _new_id("trr"),
                "amount": amount,
                "currency": transfer["currency"],
                "transfer": transfer_id,
                "metadata": params.get("metadata") or {},
                "created": int(time.time()),
            }
        )
        transfer["amount_reversed"] += amount
        transfer["reversed"] = transfer["amount_reversed"] >= transfer["amount"]
        transfer["reversals"]["data"].insert(0, reversal)
        self.state.objects[reversal["id"]] = reversal
        return reversal

    # --- hosted pages ----------------------------------------------------------------

    def hosted_page(self, method: str, path: str, form: dict) -> tuple[int, dict, str]:
        """Checkout's payment page and Connect onboarding: (status, headers, html)."""
        parts = [p for p in path.split("?")[0].split("/") if p]
        if len(parts) == 2 and parts[0] == "pay":
            session = self.state.objects.get(parts[1])
            if session is None:
                return 404, {}, _page("Not found", "<p>No such payment page.</p>")
            if method == "POST":
                if session["status"] != "open":
                    return 400, {}, _page("Payment", f"<p>This payment page is {session['status']}.</p>")
                self.complete_checkout(session["id"])
                success = session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"])
                return 303, {"Location": success}, ""
            amount = session["amount_total"]
            body = (
                f"<p>Pay <strong>£{amount // 100}.{amount % 100:02d}</strong></p>"
                f'<form method="post"><label for="card">Card number</label> '
                f'<input id="card" name="card" value="4242 4242 4242 4242"> '
                f"<button>Pay</button></form>"
                f'<p><a href="{html.escape(session["cancel_url"])}">Back</a></p>'
            )
            return 200, {}, _page("Test payment page", body)
        if len(parts) == 2 and parts[0] == "setup":
            link = self.state.links.get(parts[1])
            if link is None:
                return 404, {}, _page("Not found", "<p>This link has expired.</p>")
            if method == "POST":
                self.enable_account(link["account"])
                return 303, {"Location": link["return_url"]}, ""
            body = (
                '<form method="post"><p>Test onboarding for a connected account.</p>'
                "<button>Agree and submit</button></form>"
            )
            return 200, {}, _page("Set up payments", body)
        return 404, {}, _page("Not found", "<p>Not found.</p>")


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>"
        f"<body><main><h1>{html.escape(title)}</h1>{body}</main></body></html>"
    )


class _Handler(BaseHTTPRequestHandler):
    stripe: StripeTestServer
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; without TCP_NODELAY, Nagle's algorithm and
    # the client's delayed ACK add ~40 ms to every keep-alive response.
    disable_nagle_algorithm = True

    def log_message(self, format, *args):
        pass  # quiet: tests assert on `requests` instead

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def _handle(self, method):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8") if length else ""
        path, _, query = self.path.partition("?")
        if not path.startswith("/v1/"):
            status, headers, page = self.stripe.hosted_page(method, self.path, decode_form(body))
            self._send(status, page.encode(), "text/html; charset=utf-8", headers)
            return
        params = decode_form(body if method == "POST" else query)
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.stripe.state.requests.append(RecordedRequest(method, path, params, headers))
        stall_seconds, stall_after = self.stripe._take_stall(path)
        if stall_seconds and not stall_after:
            time.sleep(stall_seconds)
        with self.stripe.lock:
            failing = self.stripe.fail_remaining > 0 and path.startswith(self.stripe.fail_path)
            if failing:
                self.stripe.fail_remaining -= 1
        if failing:
            error = StripeError(self.stripe.fail_status, "An unknown error occurred", type_="api_error")
            self._send(error.status, json.dumps(error.body).encode(), "application/json")
            return
        extra = {"Request-Id": f"req_{secrets.token_hex(7)}"}
        try:
            status, payload = self.stripe.handle_api(method, path, params, headers)
        except StripeError as exc:
            status, payload = exc.status, exc.body
        if stall_seconds and stall_after:
            time.sleep(stall_seconds)
        if payload.pop("__replayed__", False):
            extra["Idempotent-Replayed"] = "true"
        if headers.get("idempotency-key"):
            extra["Idempotency-Key"] = headers["idempotency-key"]
        self._send(status, json.dumps(payload).encode(), "application/json", extra)

    def _send(self, status, body: bytes, content_type: str, headers=None):
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)
