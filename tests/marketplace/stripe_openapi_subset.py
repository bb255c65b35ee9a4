"""Extract the request parameters of the Stripe endpoints the site calls, as an OpenAPI subset.

    .venv/bin/python tests/marketplace/stripe_openapi_subset.py   # rewrites the .json beside it

Where it comes from: Stripe's published OpenAPI description (github.com/stripe/openapi,
`openapi/spec3.json`) for the API version the project pins (`STRIPE_API_VERSION`, which is
the installed SDK's `stripe.api_version`). That file (over 4 MiB) could not be brought here
whole, so the subset is read from the form Stripe itself generates from it for this version:
the `stripe` SDK's request-parameter types (`stripe.params`, one TypedDict per endpoint,
`NotRequired` for optional parameters, `Literal` for enums, `Literal[""]` for Stripe's
"emptyable" values; the SDK leaves its enums open to any string for later versions' values,
marked `x-sdk-open-enum` here, and the server holds them to the enum as Stripe does). The
written file says which SDK and API version it came from; the test
server (`stripe_server.py`) checks every request the site makes against it, and
`test_stripe_params.py` checks the file still matches the installed SDK.

Only endpoints listed in `ENDPOINTS` are included. Every top-level parameter is named (so an
unknown one is refused); parameters the site never sends keep only their names, and those it
sends keep their whole schema.
"""

import json
import sys
import types
import typing
from decimal import Decimal
from pathlib import Path

OUTPUT = Path(__file__).with_name("stripe_openapi_subset.json")

# (method, path) -> (params type in stripe.params, top-level parameters the site sends).
ENDPOINTS = {
    ("post", "/v1/accounts"): (
        "AccountCreateParams",
        ["business_profile", "business_type", "capabilities", "controller", "country", "email", "metadata"],
    ),
    ("get", "/v1/accounts/{account}"): ("AccountRetrieveParams", []),
    ("post", "/v1/account_links"): (
        "AccountLinkCreateParams",
        ["account", "collection_options", "refresh_url", "return_url", "type"],
    ),
    ("post", "/v1/checkout/sessions"): (
        "checkout.SessionCreateParams",
        [
            "allowed_payment_method_types",
            "cancel_url",
            "client_reference_id",
            "line_items",
            "locale",
            "metadata",
            "mode",
            "payment_intent_data",
            "submit_type",
            "success_url",
        ],
    ),
    ("get", "/v1/checkout/sessions/{session}"): ("checkout.SessionRetrieveParams", []),
    ("post", "/v1/checkout/sessions/{session}/expire"): ("checkout.SessionExpireParams", []),
    ("post", "/v1/refunds"): (
        "RefundCreateParams",
        ["amount", "metadata", "payment_intent", "reverse_transfer"],
    ),
    # A charge's refunds, page by page (the SDK's auto-paging sends `starting_after`); a GET's
    # parameters are its query string, checked the same way.
    ("get", "/v1/refunds"): ("RefundListParams", ["charge", "limit", "starting_after"]),
}


def _params_type(dotted: str):
    import stripe.params

    module, _, name = dotted.rpartition(".")
    return getattr(getattr(stripe.params, module) if module else stripe.params, name)


def _schema(tp) -> dict:
    from stripe import _request_options
    from typing_extensions import is_typeddict

    if tp is typing.Any or tp is object:
        return {}
    if is_typeddict(tp):
        hints = typing.get_type_hints(tp, localns={**vars(_request_options), "StripeContext": object})
        names = sorted(set(hints) - set(_request_options.RequestOptions.__annotations__))
        return {
            "type": "object",
            "properties": {name: _schema(hints[name]) for name in names},
            "required": sorted(set(tp.__required_keys__) & set(names)),
            "additionalProperties": False,
        }
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        options = [_schema(a) for a in args if a is not type(None)]
        enums = [o for o in options if "enum" in o]
        if enums and {"type": "string"} in options and len(options) == len(enums) + 1:
            # The SDK opens every enum to any string, so that a value added in a later version
            # does not break it; Stripe's API refuses a value outside the enum.
            values = [v for o in enums for v in o["enum"]]
            options = [{"type": "string", "enum": values, "x-sdk-open-enum": True}]
        return options[0] if len(options) == 1 else {"anyOf": options}
    if origin is typing.Literal:
        return {"type": "string", "enum": list(args)}
    if origin in (list, typing.List):  # noqa: UP006 (the SDK's annotations use typing.List)
        return {"type": "array", "items": _schema(args[0])}
    if origin in (dict, typing.Dict) or getattr(origin, "__name__", "") == "UntypedStripeObject":  # noqa: UP006
        return {"type": "object", "additionalProperties": _schema(args[1]) if len(args) > 1 else {}}
    if tp is bool:
        return {"type": "boolean"}
    if tp is int:
        return {"type": "integer"}
    if tp in (float, Decimal):
        return {"type": "number"}
    if tp is str:
        return {"type": "string"}
    return {}


def extract() -> dict:
    """The subset, as written to `OUTPUT`."""
    import stripe

    paths: dict = {}
    for (method, path), (type_name, sent) in ENDPOINTS.items():
        schema = _schema(_params_type(type_name))
        schema["properties"] = {
            name: (value if name in sent else {"description": "not sent by the site: any value"})
            for name, value in schema["properties"].items()
        }
        paths.setdefault(path, {})[method] = {
            "x-params-type": f"stripe.params.{type_name}",
            "requestBody": {"content": {"application/x-www-form-urlencoded": {"schema": schema}}},
        }
    return {
        "openapi": "3.0.0",
        "info": {
            "title": "Stripe API: the endpoints this site calls (a subset)",
            "version": stripe.api_version,
            "x-source": "Stripe's OpenAPI description (github.com/stripe/openapi, openapi/spec3.json) for "
            f"API version {stripe.api_version}, as generated into stripe-python {stripe.VERSION}'s "
            "request-parameter types (stripe.params); "
            "extracted by tests/marketplace/stripe_openapi_subset.py",
        },
        "paths": paths,
    }


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    OUTPUT.write_text(json.dumps(extract(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {OUTPUT} ({OUTPUT.stat().st_size} bytes)")
