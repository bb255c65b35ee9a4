"""The marketplace's domain operations, one module per concern: the only code that writes
orders, payments, refunds and ledger entries. Each is a keyword-only function; the
exceptions they raise (`common`) carry a message fit to show the person.

- `acting`: whose budget a person is acting for, and what they may do with it
- `budgets`: budgets, periods, the ledger's totals, the support plan, spending outside the site
- `agreements`: requests and orders (asking, accepting, declining, changing)
- `payments`: providers' payment accounts, paying, cancelling and refunding
- `webhooks`: the payment service's events turned into order and payment state
- `pooling`: group activities (one order per place); `statements`: statements and receipts;
  `delegation`: helpers' invitations and levels; `privacy`: data export and erasure

Money rules (see docs/payments.md):
- The ledger is append-only; a budget's *balance* is the sum of its entries: council
  payments and the person's contributions in, payments to providers and spending outside
  the site out, refunds back in.
- An order that is agreed but not yet paid is *committed*. What is *left* is the balance
  less what is committed. Agreeing to an order never takes what is left below zero.
- Every change that could spend money locks the budget's row first
  (`select_for_update` inside `transaction.atomic`), so concurrent requests queue on
  that lock and each one sees what the one before it committed. Locks are always taken
  budget first, then request or order, so two operations cannot deadlock.
- Calls to the payment service happen outside those transactions (a slow network must
  not hold a lock), before anything is recorded: if the service is unreachable, nothing
  changes here.

This package re-exports the public functions and exceptions, so callers outside the
marketplace (and tests) can write `from marketplace.services import place_order`; code
inside the marketplace imports from the concern module.
"""

from ..acting import (
    ALL_PERMISSIONS,
    MANAGE,
    PAY,
    REQUEST,
    STATEMENTS,
    VIEW,
    acting_budget,
    budgets_for,
    can,
    can_act_for,
    is_provider_member,
    orders_visible_to,
    permissions_for,
    requests_visible_to,
)
from .agreements import (
    MAX_DAYS_AHEAD,
    MAX_QUANTITY,
    CostPreview,
    accept_change,
    accept_request,
    decline_request,
    preview_cost,
    propose_change,
    request_support,
    unit_price_for,
    withdraw_request,
)
from .budgets import (
    BudgetSummary,
    OutcomeSpending,
    add_plan_outcome,
    balance_pence,
    budget_summary,
    committed_pence,
    left_pence,
    open_periods,
    record_outside_spending,
    remove_plan_outcome,
    set_up_budget,
)
from .common import (
    BudgetExceeded,
    CancellationNotAllowed,
    InvalidState,
    InvalidWebhook,
    MarketplaceError,
    NotPermitted,
    PaymentRejected,
    PaymentServiceUnavailable,
    ProviderNotReadyForPayments,
    SelfDealing,
)
from .payments import (
    CancellationTerms,
    cancel_and_refund_in_full,
    cancel_order,
    cancellation_terms,
    payment_readiness,
    refresh_payment_account,
    start_checkout,
    start_onboarding,
)
from .webhooks import handle_webhook

__all__ = [
    "ALL_PERMISSIONS",
    "MANAGE",
    "MAX_DAYS_AHEAD",
    "MAX_QUANTITY",
    "PAY",
    "REQUEST",
    "STATEMENTS",
    "VIEW",
    "BudgetExceeded",
    "BudgetSummary",
    "CancellationNotAllowed",
    "CancellationTerms",
    "CostPreview",
    "InvalidState",
    "InvalidWebhook",
    "MarketplaceError",
    "NotPermitted",
    "OutcomeSpending",
    "PaymentRejected",
    "PaymentServiceUnavailable",
    "ProviderNotReadyForPayments",
    "SelfDealing",
    "accept_change",
    "accept_request",
    "acting_budget",
    "add_plan_outcome",
    "balance_pence",
    "budget_summary",
    "budgets_for",
    "can",
    "can_act_for",
    "cancel_and_refund_in_full",
    "cancel_order",
    "cancellation_terms",
    "committed_pence",
    "decline_request",
    "handle_webhook",
    "is_provider_member",
    "left_pence",
    "open_periods",
    "orders_visible_to",
    "payment_readiness",
    "permissions_for",
    "preview_cost",
    "propose_change",
    "record_outside_spending",
    "refresh_payment_account",
    "remove_plan_outcome",
    "request_support",
    "requests_visible_to",
    "set_up_budget",
    "start_checkout",
    "start_onboarding",
    "unit_price_for",
    "withdraw_request",
]
