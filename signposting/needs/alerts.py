"""Demand alerts: a would-be provider asks to hear when demand for one outcome grows in one
postcode district, like a saved search does for listings.

Demand is what "Start something local" counts for that district and outcome: open needs and
searches that found little in the last year. An alert emails when demand reaches the next
multiple of the public threshold (`DEMAND_MIN_COUNT`, 5 by default: 5, then 10, then 15…) and
records that level in the same transaction as the email, so the same rise is never told twice
and demand that falls and rises back to a level already told stays quiet. Run daily by cron
(`manage.py send_demand_alerts`, or `signposting.tasks.send_demand_alerts_task`); coordinators
can also press "Send alerts now" on the unmet-demand report (`signposting.wagtail_hooks`), which
runs the same `send_demand_alerts`.
"""

import logging
import smtplib

from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from cms import mail
from cms.site import site_url

from ..models import DemandAlert
from ..services import NotAllowed, SignpostingError
from . import demand, services

logger = logging.getLogger(__name__)

MAX_ALERTS_PER_PERSON = 20


class TooManyAlerts(SignpostingError):
    """The person has as many demand alerts as one account may have."""


def alerts_of(*, user):
    """The person's demand alerts, by district and outcome."""
    return DemandAlert.objects.filter(user=user).select_related("district", "outcome")


def register_alert(*, user, outcome, district, now=None) -> tuple[DemandAlert, bool]:
    """Ask to hear when demand for `outcome` grows in `district`; (alert, whether it is new).

    Demand already there counts as told, so the first email comes with the next rise."""
    if not user.is_authenticated:
        raise NotAllowed("Sign in to get demand alerts.")
    existing = DemandAlert.objects.filter(user=user, outcome=outcome, district=district).first()
    if existing:
        return existing, False
    if DemandAlert.objects.filter(user=user).count() >= MAX_ALERTS_PER_PERSON:
        raise TooManyAlerts(f"You have {MAX_ALERTS_PER_PERSON} alerts already. Remove one to add another.")
    now = now or timezone.now()
    level = demand_count(outcome=outcome, district=district, now=now) // services.demand_threshold()
    alert = DemandAlert.objects.create(
        user=user, outcome=outcome, district=district, created_at=now, level_sent=level
    )
    return alert, True


def remove_alert(*, alert: DemandAlert, by) -> None:
    """Stop an alert (only its owner may)."""
    if alert.user_id != by.pk:
        raise NotAllowed("Only the person who made this alert can remove it.")
    alert.delete()


def demand_count(*, outcome, district, now=None) -> int:
    """Open needs plus searches that found little, for one outcome in one district."""
    now = now or timezone.now()
    key = (district.code, outcome.slug)
    return demand.need_counts(district.code, now)[key] + demand.search_counts(district.code, now)[key]


def _send(alert: DemandAlert, count: int) -> None:
    page = reverse("signposting:start_something_local") + "?" + urlencode({"district": alert.district.code})
    context = {
        "alert": alert,
        "count": count,
        "demand_url": site_url(page),
        "needs_url": site_url(
            reverse("signposting:needs")
            + "?"
            + urlencode({"district": alert.district.code, "outcome": alert.outcome.slug})
        ),
        "alerts_url": site_url(reverse("signposting:demand_alerts")),
    }
    email = EmailMessage(
        f"More people in {alert.district.code} are looking for help with “{alert.outcome.label}”",
        render_to_string("signposting/emails/demand_alert.txt", context),
        None,
        [alert.user.email],
    )
    mail.send(email)


def send_demand_alerts(*, now=None) -> int:
    """Email each alert whose demand reached a new level; returns emails sent.

    The level is claimed (a conditional update) before the email goes, in one transaction: a
    second run, or one at the same moment, finds it claimed; a failed send rolls back, so the
    next run tries again.
    """
    now = now or timezone.now()
    threshold = services.demand_threshold()
    sent = 0
    counts: dict[str, tuple] = {}
    alerts = DemandAlert.objects.select_related("district", "outcome", "user").filter(user__is_active=True)
    for alert in alerts:
        code = alert.district.code
        if code not in counts:
            counts[code] = (demand.need_counts(code, now), demand.search_counts(code, now))
        needs, searches = counts[code]
        count = needs[(code, alert.outcome.slug)] + searches[(code, alert.outcome.slug)]
        level = count // threshold
        if level <= alert.level_sent or not alert.user.email:
            continue
        try:
            with transaction.atomic():
                claimed = DemandAlert.objects.filter(pk=alert.pk, level_sent__lt=level).update(
                    level_sent=level, last_sent_at=now
                )
                if not claimed:
                    continue
                _send(alert, count)
        except (smtplib.SMTPException, OSError):
            logger.warning("Could not send demand alert %s", alert.public_id, exc_info=True)
            continue
        sent += 1
    return sent
