"""Signposting's answers to other apps' signals."""

from django.dispatch import receiver

from cms.signals import erasing_personal_data


@receiver(erasing_personal_data)
def erase_signposting_records(sender, user, **kwargs):
    """A person's data is being erased: delete the signposting records that name them."""
    from .services import erase_records_of

    erase_records_of(user)
