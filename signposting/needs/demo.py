"""A few needs and a group proposal in Bolton for the demo, so /needs/ and
/start-something-local/ show something.

Posted by the demo holder and professional (never shown: needs are anonymous) when
`load_demo` sends `cms.signals.demo_users_loaded`. Running the demo again adds nothing.
"""

from django.dispatch import receiver

from cms.signals import demo_users_loaded
from directory.fields import slots_to_mask
from directory.models import Outcome, PostcodeDistrict

from ..models import Need

DEMO_NEEDS = [
    (
        "holder",
        "BL3",
        ["get-out-and-about", "do-things-i-enjoy"],
        "Someone to go swimming with on a weekday morning. I am a slow swimmer and would like "
        "company in the water.",
        ["tue-morning", "thu-morning"],
        Need.Frequency.WEEKLY,
        1500,
        2500,
        True,
    ),
    (
        "holder",
        "BL1",
        ["eat-well"],
        "A lunch club or someone to cook a hot meal with me once or twice a week.",
        ["mon-afternoon", "wed-afternoon"],
        Need.Frequency.FEW_TIMES_A_WEEK,
        None,
        2000,
        True,
    ),
    (
        "professional",
        "BL4",
        ["see-friends-and-family", "get-out-and-about"],
        "A lift to a weekly coffee morning and someone to sit with for an hour.",
        ["fri-morning"],
        Need.Frequency.WEEKLY,
        None,
        None,
        False,
    ),
    (
        "professional",
        "BL9",
        ["a-break-for-my-carer"],
        "A few hours of company at home on a Saturday so the person caring can have a break.",
        ["sat-afternoon"],
        Need.Frequency.FORTNIGHTLY,
        1800,
        2400,
        False,
    ),
    (
        "holder",
        "BL2",
        ["work-learn-or-volunteer"],
        "Help to find and get to a volunteering role, ideally with animals or gardening.",
        [],
        Need.Frequency.WEEKLY,
        None,
        None,
        True,
    ),
]


@receiver(demo_users_loaded, dispatch_uid="signposting.needs.demo")
def load_demo_needs(sender, *, users, **kwargs):
    """Post the demo needs once (a need with the same words is not posted again)."""
    from .services import post_need

    for who, code, outcomes, words, slots, frequency, low, high, share in DEMO_NEEDS:
        user, district = users.get(who), PostcodeDistrict.objects.filter(code=code).first()
        if user is None or district is None or Need.objects.filter(posted_by=user, own_words=words).exists():
            continue
        post_need(
            by=user,
            outcomes=list(Outcome.objects.filter(slug__in=outcomes)),
            own_words=words,
            district=district,
            availability=slots_to_mask(slots),
            frequency=frequency,
            budget_min_pence=low,
            budget_max_pence=high,
            could_share=share,
            posted_for=Need.PostedFor.SELF if who == "holder" else Need.PostedFor.CLIENT,
        )


DEMO_GROUP = (
    "Swimming on Tuesday mornings near BL3: a small group of 4 to 8 people, with someone to "
    "help in the changing rooms."
)


@receiver(demo_users_loaded, dispatch_uid="signposting.needs.demo_group")
def load_demo_group(sender, *, users, **kwargs):
    """Propose the demo group once, and have the demo professional join it for two people."""
    from .groups import join_group, propose_group

    holder, professional = users.get("holder"), users.get("professional")
    district = PostcodeDistrict.objects.filter(code="BL3").first()
    if holder is None or district is None or Need.objects.filter(own_words=DEMO_GROUP).exists():
        return
    need = propose_group(
        by=holder,
        min_people=4,
        max_people=8,
        outcomes=list(Outcome.objects.filter(slug="get-out-and-about")),
        own_words=DEMO_GROUP,
        district=district,
        availability=slots_to_mask(["tue-morning"]),
    )
    if professional is not None:
        join_group(need=need, by=professional, places=2, consent=True)
