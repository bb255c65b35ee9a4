"""AvailabilityField: the days and parts of the day a listing can offer support.

Stored as one integer bitmask (7 days x 4 parts of day = 28 bits) so search can filter
with a single indexed bitwise test; edited as a grid of tick boxes.
"""

from django import forms
from django.db import models

DAYS = [
    ("mon", "Monday"),
    ("tue", "Tuesday"),
    ("wed", "Wednesday"),
    ("thu", "Thursday"),
    ("fri", "Friday"),
    ("sat", "Saturday"),
    ("sun", "Sunday"),
]
PARTS = [
    ("morning", "Morning"),
    ("afternoon", "Afternoon"),
    ("evening", "Evening"),
    ("overnight", "Overnight"),
]
SLOTS = [(f"{d}-{p}", f"{dl} {pl.lower()}") for d, dl in DAYS for p, pl in PARTS]
SLOT_BITS = {slot: 1 << i for i, (slot, _) in enumerate(SLOTS)}
ALL_SLOTS = (1 << len(SLOTS)) - 1


def availability_grid(bound_field):
    """An AvailabilityFormField's tick boxes grouped by day, for directory/my/_availability.html:
    [(day label, [(part label, widget)])]."""
    widgets = list(bound_field)
    parts = len(PARTS)
    return [
        (
            day_label,
            list(zip([label for _, label in PARTS], widgets[i * parts : (i + 1) * parts], strict=True)),
        )
        for i, (_, day_label) in enumerate(DAYS)
    ]


def slots_to_mask(slots) -> int:
    """Turn slot names like "mon-morning" into the stored bitmask."""
    mask = 0
    for slot in slots:
        mask |= SLOT_BITS[slot]
    return mask


def mask_to_slots(mask: int) -> list[str]:
    """Turn the stored bitmask back into slot names, in week order."""
    return [slot for slot, bit in SLOT_BITS.items() if mask & bit]


def day_mask(day: str) -> int:
    """All parts of one day, e.g. every Saturday slot."""
    return slots_to_mask(f"{day}-{part}" for part, _ in PARTS)


def part_mask(part: str) -> int:
    """One part of the day across the whole week, e.g. every evening."""
    return slots_to_mask(f"{day}-{part}" for day, _ in DAYS)


class AvailabilityFormField(forms.MultipleChoiceField):
    """Tick boxes for each day and part of day, cleaned to a bitmask."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        kwargs.pop("max_length", None)
        kwargs.pop("min_value", None)
        kwargs.pop("max_value", None)
        super().__init__(choices=SLOTS, **kwargs)

    def prepare_value(self, value):
        if isinstance(value, int):
            return mask_to_slots(value)
        return value

    def clean(self, value):
        return slots_to_mask(super().clean(value))

    def has_changed(self, initial, data):
        initial_mask = initial if isinstance(initial, int) else slots_to_mask(initial or [])
        return initial_mask != slots_to_mask(data or [])


class AvailabilityField(models.PositiveIntegerField):
    """The week's availability as a bitmask; see the module docstring."""

    def formfield(self, **kwargs):
        return AvailabilityFormField(required=not self.blank, label=self.verbose_name.capitalize())
