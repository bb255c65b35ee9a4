"""Template filters for showing money stored as integer pence, and prices in their own units."""

from django import template

register = template.Library()

# How a price's unit reads after the amount: "£6 a meal". Keys are directory.models.ListingPrice.Unit
# values; the kit sits below the directory, so it knows them as plain words.
UNIT_PHRASES = {
    "hour": "an hour",
    "session": "a session",
    "day": "a day",
    "visit": "a visit",
    "meal": "a meal",
    "night": "a night",
}


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


def length_words(minutes: int) -> str:
    """90 -> "1½ hours"; 120 -> "2 hours"; 45 -> "45 minutes"; 80 -> "1 hour 20 minutes"."""
    hours, rest = divmod(minutes, 60)
    if hours == 0:
        return f"{rest} minute{'' if rest == 1 else 's'}"
    if rest == 0:
        return f"{hours} hour{'' if hours == 1 else 's'}"
    if rest == 30:
        return f"{hours}½ hours"
    return f"{hours} hour{'' if hours == 1 else 's'} {rest} minute{'' if rest == 1 else 's'}"


def price_words(
    pence: int, unit: str, unit_minutes: int | None = None, *, several=False, hourly=False
) -> str:
    """A price as a person pays it: "£6 a meal", "£45 a session (2 hours)", "From £12 an hour".

    `several` says the listing has other prices too ("From …"). `hourly` adds the hourly
    equivalent where the unit has a known length, for pages that compare prices by the hour:
    "£45 a session (2 hours, £22.50 an hour)". A unit with no length never gets one.
    """
    text = f"{pounds(pence)} {UNIT_PHRASES.get(unit, f'per {unit}')}"
    if unit_minutes and unit != "hour":
        extra = length_words(unit_minutes)
        if hourly:
            # The same rounding as ListingPrice.hourly_equivalent_pence, which the price filter uses.
            extra += f", {pounds(round(pence * 60 / unit_minutes))} an hour"
        text += f" ({extra})"
    return f"From {text}" if several else text


@register.filter
def price_as_shown(price, arg=""):
    """{{ listing.shown_price|price_as_shown }} -> "£6 a meal"; "" when there is no price.

    `price` is anything with pence, unit, unit_minutes and several (directory.prices.ShownPrice,
    as listings and search hits carry it). `{{ …|price_as_shown:"hourly" }}` adds the hourly
    equivalent where the price has a length.
    """
    if price is None or price == "":
        return ""
    return price_words(
        price.pence, price.unit, price.unit_minutes, several=price.several, hourly=arg == "hourly"
    )
