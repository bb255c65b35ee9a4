"""The marketplace's answers to other apps' signals (`cms.signals`)."""

from django.dispatch import receiver

from cms.signals import signposted_outcome_counts

from .services import outcome_checks


@receiver(signposted_outcome_counts)
def count_signposted_answers(sender, *, introductions, **kwargs):
    """"Did it help?" counts for the people a professional signposted (counts only)."""
    return outcome_checks.signposted_counts(introductions=introductions)
