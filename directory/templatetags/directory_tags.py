"""Template helpers for presenting listings."""

from django import template

from directory.fields import DAYS, PARTS, SLOT_BITS

register = template.Library()


@register.simple_tag
def availability_grid(mask):
    """A days x parts-of-day table of booleans for the availability bitmask."""
    mask = mask or 0
    rows = [
        (day_label, [bool(mask & SLOT_BITS[f"{day}-{part}"]) for part, _ in PARTS]) for day, day_label in DAYS
    ]
    return {"parts": [label for _, label in PARTS], "rows": rows, "any": bool(mask)}
