"""The emails the marketplace sends at each step, and the receipt attached when an order is paid.

Emails say what happened and link to the page; they carry no more personal data than the
person receiving them already sees on the site. A failed send is logged, never raised into
the step that caused it (the step has already happened).
"""

import logging
import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from cms import mail
from cms.site import site_url

from .models import SupportRequest

logger = logging.getLogger(__name__)


def _holder_emails(support_request) -> list[str]:
    """The buying side: the holder (or the person paying themselves) and whoever asked."""
    buyer = support_request.buyer
    emails = [buyer.email]
    if support_request.requested_by_id != buyer.pk:
        emails.append(support_request.requested_by.email)
    return emails


def _provider_emails(support_request) -> list[str]:
    provider = support_request.provider
    emails = [provider.email, *provider.members.values_list("email", flat=True)]
    return list(dict.fromkeys(e for e in emails if e))


def _how_to_answer(support_request, request_link: str) -> str:
    """The part of a new request's email that says how to answer it: claim the listing first
    when nobody runs it on the site yet, and set up payments when the provider cannot be paid."""
    from .services.payments import payment_route

    provider = support_request.provider
    if not provider.members.filter(is_active=True).exists():
        claim_link = site_url(reverse("my:claim", args=[support_request.listing.public_id]))
        text = (
            "Nobody manages this listing on the site yet. To answer, create an account with this "
            f"email address and claim the listing (a coordinator checks it is yours): {claim_link}\n\n"
            f"Then see the request and answer: {request_link}\n"
        )
    else:
        text = f"See it and answer: {request_link}\n"
    route = payment_route(provider)
    if route.reason == "provider":
        payments_link = site_url(reverse("marketplace:provider_payments"))
        text += (
            "\nYou cannot be paid through the site yet. Set up payments so the person can pay you "
            f"here with Stripe, our payment service: {payments_link}\n"
            "Until then they may contact you directly and pay you another way.\n"
        )
    return text


def _helper_order_text(order, request_link: str) -> str:
    """What the holder is told when an order someone helping them asked for is agreed."""
    from cms.templatetags.money import pounds

    from .models import Delegate

    helper = (
        Delegate.objects.filter(budget=order.budget, user_id=order.request.requested_by_id)
        .order_by("-created_at")
        .values_list("name", flat=True)
        .first()
    ) or "Someone helping you"
    return (
        f"{helper} asked {order.provider.name} for support for you, and {order.provider.name} has "
        "agreed. It will be paid from your budget.\n\n"
        f"Provider: {order.provider.name}\n"
        f"What: {order.service_description}, {order.quantity_words}, "
        f"{order.starts_on:%-d %B %Y} to {order.ends_on:%-d %B %Y}\n"
        f"Price: {pounds(order.total_pence)} ({pounds(order.unit_price_pence)} {order.unit_label})\n"
        f"For your outcome: {order.plan_outcome.own_words}\n"
        f"Order reference: {order.reference}\n\n"
        "Nothing has been paid yet. If this is not right, cancel it before it is paid, or tell "
        f"your helper or a coordinator: {request_link}\n"
    )


def send_notification(what: str, request_pk: int) -> int:
    """Send the emails for one step (`what`) of a support request; returns how many were sent."""
    support_request = (
        SupportRequest.objects.select_related("budget__holder", "payer", "provider", "requested_by")
        .filter(pk=request_pk)
        .first()
    )
    if support_request is None:
        return 0
    request_link = site_url(reverse("marketplace:request_detail", args=[support_request.public_id]))
    order = getattr(support_request, "order", None)
    messages = []
    if what == "request_received":
        messages.append(
            (
                _provider_emails(support_request),
                "New request for support",
                f"{support_request.provider.name} has a new request for "
                f"{support_request.service_description}.\n\n" + _how_to_answer(support_request, request_link),
                None,
            )
        )
    elif what == "request_agreed":
        helper_started = support_request.requested_by_id != support_request.buyer.pk
        if helper_started and order is not None:
            # Issue 14: a helper may pay, so the holder hears the terms before any money moves.
            messages.append(
                (
                    [support_request.budget.holder.email],
                    f"Support agreed for you: order {order.reference}",
                    _helper_order_text(order, request_link),
                    None,
                )
            )
        messages.append(
            (
                [support_request.requested_by.email] if helper_started else _holder_emails(support_request),
                "Your support is agreed",
                f"{support_request.provider.name} and you have agreed on "
                f"{support_request.service_description}.\n\n"
                f"Pay for it here: {request_link}\n",
                None,
            )
        )
    elif what == "change_proposed":
        messages.append(
            (
                _holder_emails(support_request),
                "The provider suggested a change",
                f"{support_request.provider.name} suggested a change to your request.\n\n"
                f"See the change and accept it or not: {request_link}\n",
                None,
            )
        )
    elif what == "request_closed":
        if support_request.status == SupportRequest.Status.DECLINED:
            messages.append(
                (
                    _holder_emails(support_request),
                    "Your request was declined",
                    f"{support_request.provider.name} cannot take on this request.\n\n{request_link}\n",
                    None,
                )
            )
        else:
            messages.append(
                (
                    _provider_emails(support_request),
                    "A request was withdrawn",
                    f"A request for {support_request.service_description} was withdrawn.\n\n{request_link}\n",
                    None,
                )
            )
    elif what == "paid" and order is not None:
        receipt = render_receipt_html(order)
        messages.append(
            (
                _holder_emails(support_request),
                f"Your receipt: order {order.reference}",
                render_to_string("marketplace/emails/receipt.txt", receipt_context(order)),
                receipt,
            )
        )
        messages.append(
            (
                _provider_emails(support_request),
                f"Payment received: order {order.reference}",
                f"{support_request.service_description} has been paid for. Stripe will pay the money "
                f"into your bank account.\n\n{request_link}\n",
                None,
            )
        )
    elif what == "cancelled" and order is not None:
        text = f"Order {order.reference} ({order.service_description}) was cancelled.\n\n{request_link}\n"
        messages.append((_holder_emails(support_request), f"Order {order.reference} cancelled", text, None))
        messages.append((_provider_emails(support_request), f"Order {order.reference} cancelled", text, None))
    sent = 0
    for recipients, subject, body, attachment in messages:
        email = EmailMultiAlternatives(subject, body, None, recipients)
        if attachment:
            email.attach(f"receipt-{order.reference}.html", attachment, "text/html")
        try:
            sent += mail.send(email)
        except (smtplib.SMTPException, OSError):
            logger.exception("Could not send the %r email for request %s", what, support_request.public_id)
    return sent


def receipt_context(order) -> dict:
    """Everything a receipt shows: provider and trading details, the support, the money."""
    payment = order.payment
    # (A placeholder wholly taken over by the refund it stood for is left at £0: not listed.)
    refunds = list(payment.refunds.filter(amount_pence__gt=0).order_by("created_at")) if payment else []
    # A refund that failed later gave nothing back: it is listed as failed, not netted off.
    refunded = sum(r.amount_pence for r in refunds if not r.failed)
    return {
        "order": order,
        "provider": order.provider,
        "payment": payment,
        "refunds": refunds,
        "refunded_pence": refunded,
        "net_pence": (payment.amount_pence if payment else 0) - refunded,
        "holder": order.buyer,
        "site_name": getattr(settings, "WAGTAIL_SITE_NAME", "Local Support Marketplace"),
    }


def render_receipt_html(order) -> str:
    """The receipt as a standalone HTML document (emailed, and offered as a download)."""
    return render_to_string("marketplace/receipt_document.html", receipt_context(order))
