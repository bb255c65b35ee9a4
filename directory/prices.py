"""The price a listing shows first, in the unit the provider charges in.

Cards, search hits, shortlists and the API show one price per listing: the lowest weekday
price, with its own unit ("£6 a meal"), and "From" when the listing has other prices too.
Evening and weekend rates stay on the listing page.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class ShownPrice:
    """One price as a person pays it: whole pence per unit, the unit's length when known."""

    pence: int
    unit: str  # a ListingPrice.Unit value: "hour", "session", "meal"…
    unit_minutes: int | None = None
    count: int = 1  # how many prices the listing has

    @property
    def several(self) -> bool:
        """True when the listing has other prices too, so this one reads "From …"."""
        return self.count > 1

    @property
    def hourly_equivalent_pence(self) -> int | None:
        """This price per hour, or None when its unit has no known length (a meal, a night)."""
        if self.unit == "hour":
            return self.pence
        if self.unit_minutes:
            return round(self.pence * 60 / self.unit_minutes)
        return None


def price_to_show(prices) -> ShownPrice | None:
    """The lowest weekday price of `prices` (ListingPrice rows, in their order), or None.

    Lowest in pence as charged, not per hour: "From £6 a meal" is what the cheapest thing costs,
    whereas an hourly equivalent cannot exist for a unit with no length. Ties keep the first.
    """
    prices = list(prices)
    if not prices:
        return None
    lowest = min(prices, key=lambda price: price.weekday_pence)
    return ShownPrice(
        pence=lowest.weekday_pence, unit=lowest.unit, unit_minutes=lowest.unit_minutes, count=len(prices)
    )
