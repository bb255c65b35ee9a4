"""Check parameters against the `stripe` SDK's own typed params (the TypedDicts in stripe.params).

The SDK generates a TypedDict for every API method's parameters from Stripe's OpenAPI
spec, with `NotRequired` marking optional keys and `Literal` the allowed values. Walking a
params dict against one catches a misspelt key, a missing required key, a value of the
wrong type or a value outside an enum: what Stripe would answer with a 400.

`wire=True` checks parameters as they arrive over HTTP (form-encoded, so every scalar is a
string): an int must then be digits and a bool "true"/"false".
"""

import types
import typing
from decimal import Decimal, InvalidOperation

from stripe import _request_options
from typing_extensions import is_typeddict

# Every params type extends RequestOptions, whose annotations name things imported only in
# its own module (and StripeContext only for type checkers); resolve them from there.
_REQUEST_OPTIONS_NAMES = {**vars(_request_options), "StripeContext": object}


def validate_params(value, params_type, *, wire: bool = False) -> list[str]:
    """Every problem with `value` as `params_type` (a TypedDict), as "path: problem" strings."""
    problems: list[str] = []
    _check(value, params_type, "params", wire, problems)
    return problems


def _check(value, tp, path, wire, problems):
    if tp is typing.Any or tp is object:
        return
    if isinstance(tp, typing.ForwardRef):  # pragma: no cover - get_type_hints resolves these
        problems.append(f"{path}: unresolved type {tp}")
        return
    if is_typeddict(tp):
        _check_typeddict(value, tp, path, wire, problems)
        return
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        attempts = []
        for option in args:
            found: list[str] = []
            _check(value, option, path, wire, found)
            if not found:
                return
            attempts.append(found)
        problems.append(f"{path}: {value!r} matches none of {tp}")
        return
    if origin is typing.Literal:
        if value not in args:
            problems.append(f"{path}: {value!r} is not one of {args}")
        return
    if origin in (list, typing.List):  # noqa: UP006 (the SDK's annotations use typing.List)
        if not isinstance(value, list):
            problems.append(f"{path}: expected a list, got {type(value).__name__}")
            return
        for index, item in enumerate(value):
            _check(item, args[0], f"{path}[{index}]", wire, problems)
        return
    if origin in (dict, typing.Dict):  # noqa: UP006
        if not isinstance(value, dict):
            problems.append(f"{path}: expected a dict, got {type(value).__name__}")
            return
        for key, item in value.items():
            _check(item, args[1] if args else typing.Any, f"{path}[{key}]", wire, problems)
        return
    if tp is type(None):
        if value is not None:
            problems.append(f"{path}: expected nothing, got {value!r}")
        return
    _check_scalar(value, tp, path, wire, problems)


def _check_typeddict(value, tp, path, wire, problems):
    if not isinstance(value, dict):
        problems.append(f"{path}: expected an object ({tp.__name__}), got {type(value).__name__}")
        return
    hints = typing.get_type_hints(tp, localns=_REQUEST_OPTIONS_NAMES)
    for key in sorted(tp.__required_keys__ - set(value)):
        problems.append(f"{path}: missing required key {key!r}")
    for key, item in value.items():
        if key not in hints:
            problems.append(f"{path}: unknown key {key!r} (not in {tp.__name__})")
            continue
        _check(item, hints[key], f"{path}[{key}]", wire, problems)


def _check_scalar(value, tp, path, wire, problems):
    if tp is bool:
        ok = value in ("true", "false") if wire else isinstance(value, bool)
    elif tp is int:
        ok = (
            (isinstance(value, str) and value.lstrip("-").isdigit())
            if wire
            else (isinstance(value, int) and not isinstance(value, bool))
        )
    elif tp in (float, Decimal):
        ok = (
            _is_number(value)
            if wire
            else isinstance(value, int | float | Decimal) and not isinstance(value, bool)
        )
    elif tp is str:
        ok = isinstance(value, str)
    else:
        ok = isinstance(value, tp) if isinstance(tp, type) else True
    if not ok:
        problems.append(f"{path}: {value!r} is not a {getattr(tp, '__name__', tp)}")


def _is_number(value) -> bool:
    try:
        Decimal(str(value))
    except InvalidOperation:
        return False
    return True
