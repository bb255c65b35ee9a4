"""Template filters for showing money stored as integer pence."""

from django import template

register = template.Library()


@register.filter
def pounds(pence):
    """1250 -> "£12.50"; 1200 -> "£12"; None -> ""."""
    if pence is None or pence == "":
        return ""
    pence = int(pence)
    sign = "-" if pence < 0 else ""
    whole, part = divmod(abs(pence), 100)
    if part == 0:
        return f"{sign}£{whole:,}"
    return f"{sign}£{whole:,}.{part:02d}"
