"""Demo content: a believable Bolton and Bury directory to click around, test and show people.

Two halves:
- `generate()` turns hand-written service templates, places and names into about 150
  provider and listing specifications. It is pure (no database, no network) and seeded with
  `random.Random(2026)`, so every run produces exactly the same providers and listings.
- `load_demo()` writes them, and the site's pages, settings and demo accounts, to the
  database. It updates rows in place (keyed by slug, email or name), so running it twice
  gives the same site.

Everything here is fictional. Phone numbers are in Ofcom's range reserved for drama
(07700 900000 to 900999); email addresses and websites use example.org, which is reserved
for examples. Nothing here promotes a provider: the order things are created in has no
effect on where they appear.
"""

import random
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from django.utils.html import escape
from django.utils.text import slugify
from wagtail.blocks import StreamValue
from wagtail.models import Page, Site

from cms.models import GuideIndexPage, GuidePage, HomePage, Role, SiteSettings
from cms.roles import ensure_role_groups
from cms.security import set_up_totp, two_factor_required
from cms.signals import demo_users_loaded

from .fields import slots_to_mask
from .models import (
    AccessFeature,
    Audience,
    Category,
    Check,
    DirectoryIndexPage,
    Language,
    ListingPage,
    Outcome,
    Place,
    PostcodeDistrict,
    Provider,
)
from .seed import seed_access_features, seed_ascot_domains, seed_places, seed_vocabularies
from .writer import listing_slug, update_listing, write_listing

DEMO_PASSWORD = "LocalSupport-demo-2026"  # noqa: S105 - documented in the README; demo only
# Coordinators, professionals and superusers must sign in with an authenticator app code. The
# demo ones share this published secret (add it to any authenticator app; see the README), so
# anyone can try them. Demo only: a real account's secret is made when its owner sets it up.
DEMO_TOTP_SECRET = "LOCALSUPPORTDEMOTOTPSECRET234567"  # noqa: S105
SEED = 2026
TARGET_LISTINGS = 150
# A listing's pin is moved up to this many degrees from its district's centre; see _place_pin.
JITTER_DEGREES = 0.02

# --- Site pages ---------------------------------------------------------------------------

SITE_NAME = "Local Support Marketplace"
HOME_TITLE = "Find local care and support in Bolton and Bury"
HOME_INTRODUCTION = (
    "Find small, local services that help with what matters to you: eating well, getting out "
    "and about, seeing friends, or a break for your carer. Search by what you need, where you "
    "live, when you need help and how much it costs."
)
HOME_BODY = [
    {
        "type": "callout",
        "value": {
            "text": (
                "<p>Nobody pays to be listed here or to appear higher up. Every service that passes "
                "our checks is shown on equal terms. <b>You choose</b> who supports you.</p>"
            )
        },
    },
]
DIRECTORY_TITLE = "Find support"
DIRECTORY_INTRODUCTION = (
    "Local people and small groups who offer care and support in Bolton, Bury and nearby. "
    "Start with what matters to you, or browse by the kind of support."
)
GUIDES_TITLE = "Guides"
GUIDES_INTRODUCTION = (
    "Short, plain-English guides to direct payments, small local services and choosing the right support."
)
ORGANISATION_NAME = "Bolton and Bury Community Support Network (demo)"
CONTACT_EMAIL = "hello@example.org"


def _heading(text):
    return {"type": "heading", "value": text}


def _para(html):
    return {"type": "paragraph", "value": html}


def _callout(html):
    return {"type": "callout", "value": {"text": html}}


# Each guide: (slug, title, summary, body as Wagtail's raw StreamField JSON).
GUIDES = [
    (
        "what-is-a-direct-payment",
        "What is a direct payment?",
        "Money from the council that you spend on your own care and support, so you choose "
        "who helps you, and when.",
        [
            _heading("Money to buy your own support"),
            _para(
                "<p>If the council agrees that you need care and support, it works out how much it "
                "would cost. This amount is your <b>personal budget</b>.</p>"
                "<p>You can ask for some or all of it as a <b>direct payment</b>. The council pays "
                "the money to you, and you buy your support yourself. You decide who helps you, "
                "what they do and when they come.</p>"
            ),
            _para(
                "<p>The law about this is the Care Act 2014. If you ask for a direct payment, the "
                "council should agree if you can manage it, on your own or with help, and it is a "
                "good way to meet your needs.</p>"
                "<p>If you cannot manage the money yourself, someone else can do it for you, such "
                "as a family member. Carers can get direct payments too, for support that helps "
                "them.</p>"
            ),
            _heading("What you can spend it on"),
            _para(
                "<p>You spend it on things that meet the <b>outcomes</b> in your care and support "
                "plan. An outcome is something that matters to you, like eating well, getting out "
                "and about, or seeing friends and family.</p>"
                "<p>You do not have to use a big agency or one on a council list. You can pay a "
                "local person or a small group, if they help you meet your outcomes.</p>"
            ),
            _para(
                "<p>You usually cannot spend it on:</p>"
                "<ul><li>things that do not meet the outcomes in your plan</li>"
                "<li>everyday bills, like food, rent or gas</li>"
                "<li>anything against the law</li>"
                "<li>paying a close relative who lives with you, unless the council agrees it is "
                "needed</li></ul>"
            ),
            _heading("Keep a record"),
            _para(
                "<p>Keep receipts and a note of what you bought. The council checks, usually every "
                "few months, that the money was spent on your outcomes.</p>"
                "<p>On this site, every time you buy support you say which outcome it meets. You "
                "can then download a statement to send to the council.</p>"
                "<p>If you employ someone yourself, like a personal assistant, you become an "
                "employer. That means wages, tax, pensions and insurance. Ask the council about a "
                "service that can help with this.</p>"
            ),
            _callout(
                "<p>If money builds up that you do not use, the council may take some back. "
                "Tell them if your needs change.</p>"
            ),
            _heading("How to ask for one"),
            _para(
                "<p>Ask your social worker, or contact the council's adult social care team. If "
                "you have not had an assessment of your needs yet, ask for one. It is free. Carers "
                "can ask for a carer's assessment, which is free too.</p>"
            ),
        ],
    ),
    (
        "what-is-a-micro-enterprise",
        "What is a micro-enterprise?",
        "A very small, local service with eight or fewer workers. It might be one person who "
        "takes people swimming, or a small group that runs a lunch club.",
        [
            _heading("Small, local and independent"),
            _para(
                "<p>A care and support micro-enterprise is a very small business or group. It has "
                "<b>eight or fewer</b> workers, paid or unpaid. It is <b>independent</b>: it is not "
                "part of a bigger company or charity.</p>"
                "<p>It might be one person who takes people swimming, a cook who brings home-made "
                "meals, or a small group that runs a lunch club. Some are sole traders. Some are "
                "small companies, community interest companies or community groups.</p>"
            ),
            _heading("Why people choose them"),
            _para(
                "<p>Because they are small, they can fit support around you. You often see the "
                "same person each time, and they get to know what you like.</p>"
                "<p>Research by the University of Birmingham in 2015 found that micro-enterprises "
                "gave more personal support than bigger services, with good results for people, "
                "and often cost less per hour.</p>"
            ),
            _heading("Do they need to be registered?"),
            _para(
                "<p>Only if they give <b>personal care</b>, like help with washing, dressing or "
                "using the toilet. Then they must be registered with the Care Quality Commission "
                "(CQC).</p>"
                "<p>Most micro-enterprises do other things, like company, cooking, trips out or "
                "gardening. They do not need to register with the CQC. A personal assistant you "
                "employ yourself, who works under your direction, does not need to register "
                "either.</p>"
            ),
            _callout(
                "<p>We check the insurance and DBS certificates of services on this site, and show "
                "what we have checked and when. We do not recommend any of them. You choose.</p>"
            ),
        ],
    ),
    (
        "how-to-choose-support",
        "How to choose support",
        "What to check, what to ask and how to try a service out before you agree to pay.",
        [
            _heading("Start with what matters to you"),
            _para(
                "<p>Think about what you want to be different. Maybe you want to get out more, eat "
                "better, or give your carer a break. Search for support by what matters to you, "
                "where you live and when you need help.</p>"
            ),
            _heading("Things to check"),
            _para(
                "<ul>"
                "<li><b>Insurance.</b> Ask if they have public liability insurance. If they will "
                "drive you, ask if their car insurance covers business use.</li>"
                "<li><b>DBS check.</b> This is a criminal record check. People who help adults "
                "with care should have an enhanced DBS check.</li>"
                "<li><b>CQC registration.</b> If they help with personal care, like washing or "
                "dressing, they must be registered with the Care Quality Commission (CQC). Ask "
                "for their registration number. You can look it up on the "
                '<a href="https://www.cqc.org.uk/">CQC website</a>.</li>'
                "<li><b>Training.</b> For example first aid, safeguarding or dementia "
                "awareness.</li>"
                "</ul>"
                "<p>On each listing we show the checks we have seen, and when we saw them.</p>"
            ),
            _heading("Questions to ask"),
            _para(
                "<ul>"
                "<li>What will you do, and what will you not do?</li>"
                "<li>How much does it cost? Is it more in the evening or at the weekend?</li>"
                "<li>What happens if you are ill or on holiday?</li>"
                "<li>How do I stop, and how much notice do I need to give?</li>"
                "<li>Can we meet before I decide?</li>"
                "<li>Will we write down what we agree?</li>"
                "</ul>"
            ),
            _heading("Try it out"),
            _para(
                "<p>Start with one or two sessions. Write down how it went. If it is not right for "
                "you, you can change. It is your choice.</p>"
            ),
            _heading("If something is wrong"),
            _para(
                "<p>If you are worried that someone is being hurt or neglected, tell the council's "
                "adult social care team. In an emergency, call 999.</p>"
            ),
            _callout(
                "<p>This site does not recommend or endorse anyone. Every service that passes our "
                "checks is shown on equal terms. <b>You choose</b> who supports you.</p>"
            ),
        ],
    ),
]

# --- Demo accounts ------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoUser:
    """One demo login. `role` is a cms.models.Role value (a group name), or "" for none."""

    key: str
    email: str
    first_name: str
    last_name: str
    role: str = ""
    is_staff: bool = False
    is_superuser: bool = False


DEMO_USERS = [
    DemoUser(
        "coordinator", "coordinator@example.org", "Chris", "Ashworth", Role.COORDINATOR.value, is_staff=True
    ),
    # For developers only: coordinators are deliberately not superusers.
    DemoUser("admin", "admin@example.org", "Site", "Admin", is_staff=True, is_superuser=True),
    DemoUser("provider", "provider@example.org", "Shazia", "Patel", Role.PROVIDER.value),
    DemoUser("holder", "holder@example.org", "Margaret", "Hughes", Role.BUDGET_HOLDER.value),
    DemoUser("delegate", "delegate@example.org", "Paul", "Hughes", Role.DELEGATE.value),
    DemoUser("professional", "professional@example.org", "Aisha", "Rahman", Role.PROFESSIONAL.value),
]
# provider@example.org manages this demo provider's listings.
DEMO_PROVIDER_NAME = "Shazia's Kitchen"

# --- Places and people --------------------------------------------------------------------

# Neighbourhoods in each geographic BL district (BL11 and BL78 are PO boxes: nobody lives there).
DISTRICT_PLACES = {
    "BL0": ("Ramsbottom", "Holcombe", "Edenfield"),
    "BL1": ("Bolton", "Astley Bridge", "Halliwell", "Heaton", "Smithills"),
    "BL2": ("Breightmet", "Tonge Moor", "Harwood", "Bradshaw"),
    "BL3": ("Daubhill", "Deane", "Great Lever", "Morris Green", "Little Lever"),
    "BL4": ("Farnworth", "Kearsley", "Moses Gate"),
    "BL5": ("Westhoughton", "Over Hulton", "Wingates"),
    "BL6": ("Horwich", "Blackrod", "Lostock"),
    "BL7": ("Bromley Cross", "Egerton", "Edgworth", "Turton"),
    "BL8": ("Tottington", "Walshaw", "Greenmount", "Brandlesholme"),
    "BL9": ("Bury", "Elton", "Fishpool", "Walmersley"),
}
# Roughly by population: most people (and so most services) are in central Bolton and Bury.
DISTRICT_WEIGHTS = {
    "BL0": 4,
    "BL1": 18,
    "BL2": 12,
    "BL3": 18,
    "BL4": 10,
    "BL5": 8,
    "BL6": 8,
    "BL7": 6,
    "BL8": 6,
    "BL9": 10,
}
NEIGHBOURS = {
    "BL0": ("BL8", "BL9"),
    "BL1": ("BL2", "BL3", "BL6", "BL7"),
    "BL2": ("BL1", "BL3", "BL8", "BL9"),
    "BL3": ("BL1", "BL2", "BL4", "BL5"),
    "BL4": ("BL2", "BL3"),
    "BL5": ("BL3", "BL6"),
    "BL6": ("BL1", "BL5"),
    "BL7": ("BL1", "BL2", "BL8"),
    "BL8": ("BL0", "BL2", "BL7", "BL9"),
    "BL9": ("BL0", "BL2", "BL8"),
}


@dataclass(frozen=True)
class NamePool:
    """First names and surnames that go together, and languages people in it may speak."""

    weight: int
    first_names: tuple[str, ...]
    surnames: tuple[str, ...]
    languages: tuple[str, ...] = ()


def _pool(weight, first_names, surnames, languages=()):
    return NamePool(weight, tuple(first_names.split()), tuple(surnames.split()), languages)


# Bolton and Bury are diverse towns; the providers' names reflect who lives there.
NAME_POOLS = {
    "british": _pool(
        48,
        "Mike Sarah Karen Dave Julie Gary Lisa Paul Joanne Steve Helen Mark Tracey Andy Claire Jim "
        "Lesley Carl Donna Ian Bev Neil Sue Rob Emma Kev Jackie Phil Nicola Tony",
        "Taylor Hughes Whittle Crompton Hodgkinson Lomax Ashworth Hargreaves Entwistle Kershaw "
        "Partington Seddon Haslam Fletcher Greenhalgh Holt Rigby Openshaw Brown Smith Wood Barlow "
        "Horrocks Marsden Pilling Cooper Dawson",
    ),
    "south_asian_muslim": _pool(
        20,
        "Shazia Imran Yasmin Farida Tariq Nasreen Aisha Irfan Zubair Rukhsana Salma Asif Bilal Sabina "
        "Hanif Fatima Yusuf Amina Zahid Nadia",
        "Patel Khan Hussain Ahmed Mulla Bhana Iqbal Akhtar Mahmood Ismail Desai Vohra Rahman Ali Valli",
        ("ur", "gu", "pa"),
    ),
    "south_asian_hindu_sikh": _pool(
        7,
        "Priya Anil Meena Rajesh Nisha Hitesh Kiran Sunita Harjit Jaspreet Manisha Vijay Deepa Gurpreet",
        "Mistry Parmar Chauhan Solanki Sharma Gill Sandhu Lad Shah Dhillon",
        ("gu", "pa"),
    ),
    "polish": _pool(
        5,
        "Agnieszka Tomasz Kasia Piotr Marta Ewa Marek Joanna",
        "Nowak Kowalczyk Wójcik Mazur Krawczyk Zając",
        ("pl",),
    ),
    "romanian": _pool(2, "Andrei Ioana Elena Mihai", "Popescu Ionescu Dumitru Stan", ("ro",)),
    "african_caribbean": _pool(
        8,
        "Grace Blessing Tunde Chinedu Marcia Delroy Abena Kwame Faith Joseph Winston Precious",
        "Okafor Adeyemi Mensah Campbell Francis Boateng Johnson Williams Asante",
    ),
    "irish": _pool(5, "Siobhan Declan Niamh Sean Bernadette Liam", "Murphy O'Brien Kelly Doyle Byrne Quinn"),
    "arab": _pool(3, "Omar Rania Khaled Lina", "Haddad Saleh Nasser Darwish", ("ar",)),
    "bangladeshi": _pool(2, "Rahima Shafiq Nazmul Runa", "Miah Uddin Chowdhury", ("bn",)),
}

CONTACT_NOTES = (
    "Texts are best; I reply within a day.",
    "Ring between 9am and 5pm, Monday to Friday.",
    "Leave a message and I will ring you back.",
    "Email is best. A family member can get in touch for you.",
    "Happy to come and meet you first, free of charge.",
    "",
    "",
)

# --- Service templates --------------------------------------------------------------------


@dataclass(frozen=True)
class PriceTemplate:
    """A price row: the weekday price is drawn from low..high pence, rounded to `step`."""

    description: str
    unit: str  # a ListingPrice.Unit value
    low: int
    high: int
    minutes: int | None = None
    evening_chance: float = 0.0
    step: int = 50


@dataclass(frozen=True)
class ServiceTemplate:
    """One kind of service, from which several providers' listings are made.

    Text may use {first} (the owner's first name), {town} and {name} (the trading name).
    `voice` is "I" for a person working alone and "we" for a team or group; the business
    types and team sizes follow it.
    """

    key: str
    count: int
    titles: tuple[str, ...]
    names: tuple[str, ...]
    summary: str
    description: tuple[str, ...]
    easy_read: tuple[str, ...]
    outcomes: tuple[str, ...]
    categories: tuple[str, ...]
    prices: tuple[PriceTemplate, ...]
    days: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri")
    n_days: tuple[int, int] = (3, 5)
    parts: tuple[str, ...] = ("morning", "afternoon")
    n_parts: tuple[int, int] = (1, 2)
    radius: tuple[int, int] = (3, 8)
    voice: str = "I"
    team: tuple[int, int] = (1, 1)
    audiences: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    name_pools: tuple[str, ...] = ()
    first_names: tuple[str, ...] = ()  # only these first names (a women-only group, say)
    extra_checks: tuple[str, ...] = ()
    access: tuple[str, ...] = ()
    also: str = ""  # another template the same provider may also offer
    min_age: int | None = 18
    max_age: int | None = None


WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
VENUE_ACCESS = (
    "Step-free access and an accessible toilet at the venue.",
    "The hall has a hearing loop and a quiet room if it gets too busy.",
    "There is parking at the door and a ramp at the side entrance.",
    "Carers and support workers come free.",
)
HOME_ACCESS = (
    "I am used to working with guide dogs and assistance dogs.",
    "I can use simple Makaton signs.",
    "I can send information in large print or read it out over the phone.",
    "I can bring written information in Easy Read.",
)
CAR_ACCESS = (
    "My car has a swivel seat to make getting in easier. A folding wheelchair fits in the boot; "
    "a powered wheelchair does not.",
    "I drive a wheelchair-accessible vehicle with a ramp.",
)

SERVICES = (
    ServiceTemplate(
        key="swimming-buddy",
        count=6,
        titles=("Swimming buddy in {town}", "Swim with a buddy, {town}", "Swimming trips from {town}"),
        names=(
            "{first}'s Swim Buddies",
            "Splash Pals {town}",
            "{first} {last} Swim Support",
            "Make Waves {town}",
        ),
        summary="I go swimming with you at your local pool, help you get changed if needed and make "
        "sure you feel safe in the water.",
        description=(
            "Hello, I'm {first}. I take people swimming at pools in and around {town}, at a pace that "
            "suits you.",
            "I can meet you at the pool or pick you up. I help with lockers, getting in and out of the "
            "water, and a drink in the café after if you like.",
            "I have a pool lifeguard qualification and a first aid certificate. I do not give personal "
            "care such as help with washing.",
        ),
        easy_read=("I go swimming with you.", "I can meet you at the pool.", "We can have a drink after."),
        outcomes=("get-out-and-about", "wellbeing-stay-well-in-body-and-mind", "wellbeing-do-things-i-enjoy"),
        categories=("exercise-sport-and-swimming", "personal-assistants"),
        prices=(PriceTemplate("Swimming trip (pool entry not included)", "session", 3000, 4000, 120, 0.3),),
        days=WEEK,
        n_days=(3, 6),
        audiences=(
            "people-with-a-learning-disability",
            "autistic-people",
            "people-with-a-physical-disability",
            "young-adults",
        ),
        access=HOME_ACCESS,
        also="trips-out",
    ),
    ServiceTemplate(
        key="dementia-lunch-club",
        count=5,
        titles=(
            "Dementia-friendly lunch club, {town}",
            "{town} memory lunch club",
            "Friendship lunch club, {town}",
        ),
        names=("{town} Lunch Club", "Good Company {town}", "Table for Friends", "The Friendship Club {town}"),
        summary="A warm, dementia-friendly lunch club: a two-course meal, a chat, music and games. "
        "Carers can stay or have a few hours off.",
        description=(
            "We are a small team of trained volunteers and two paid cooks. Our lunch club meets in a "
            "community hall in {town}.",
            "Lunch is home-cooked, with vegetarian and halal choices. After lunch there is music, "
            "quizzes, armchair games or just a cup of tea and a natter.",
            "Everyone in our team has done dementia awareness training. We can collect you from home "
            "if you live within three miles.",
        ),
        easy_read=(
            "We meet for lunch.",
            "We eat, chat and listen to music.",
            "Your carer can stay or have a rest.",
        ),
        outcomes=(
            "eat-well",
            "see-friends-and-family",
            "carer-a-break-for-my-carer",
            "wellbeing-feel-connected-and-secure",
        ),
        categories=("clubs-and-day-activities", "meals-and-cooking"),
        prices=(
            PriceTemplate("Lunch club with a two-course meal", "session", 1000, 1500, 240, step=25),
            PriceTemplate("Lift there and back", "visit", 300, 500, step=50),
        ),
        days=WEEKDAYS,
        n_days=(1, 2),
        parts=("morning", "afternoon"),
        n_parts=(2, 2),
        radius=(2, 3),
        voice="we",
        team=(3, 7),
        audiences=("people-living-with-dementia", "older-people", "carers"),
        access=VENUE_ACCESS,
        also="memory-cafe-singing",
    ),
    ServiceTemplate(
        key="meals-delivered",
        count=5,
        titles=(
            "Home-cooked meals delivered in {town}",
            "Hot dinners to your door, {town}",
            "Home-made meals for {town}",
        ),
        names=("{first}'s Kitchen", "{town} Home Cooking", "Homemade by {first}", "{first}'s Pantry"),
        summary="Fresh, home-cooked meals brought to your door, hot for lunch or chilled for later. "
        "Halal, vegetarian and soft food choices.",
        description=(
            "I'm {first}, and I cook proper home-made food in my registered kitchen. I deliver around "
            "{town} every weekday.",
            "Each week you choose from a short menu. I can cook halal, vegetarian, diabetic-friendly "
            "and soft or mashed food. Tell me what you like and I will try to make it.",
            "My kitchen has a food hygiene rating of 5. When I drop your meal off I will say hello and "
            "check you are all right.",
        ),
        easy_read=("I cook meals.", "I bring them to your home.", "You choose what you want to eat."),
        outcomes=("eat-well", "carer-eat-well-while-i-care", "wellbeing-stay-well-in-body-and-mind"),
        categories=("meals-and-cooking",),
        prices=(
            PriceTemplate("Hot two-course meal, delivered", "meal", 600, 850, step=25),
            PriceTemplate("Chilled meal for later", "meal", 450, 650, step=25),
        ),
        n_days=(5, 5),
        parts=("morning", "afternoon"),
        n_parts=(1, 2),
        radius=(3, 6),
        audiences=("older-people", "people-with-a-physical-disability", "carers"),
        also="cooking-together",
    ),
    ServiceTemplate(
        key="gardener",
        count=5,
        titles=(
            "Gardening and garden tidy-ups, {town}",
            "Garden help in {town}",
            "Lawns, hedges and borders, {town}",
        ),
        names=(
            "Green Fingers {town}",
            "{first} {last} Garden Services",
            "{town} Garden Care",
            "{first}'s Gardening",
        ),
        summary="Regular garden care or a one-off tidy: mowing, hedges, weeding and clearing paths so "
        "your garden is safe and nice to sit in.",
        description=(
            "I'm {first}. I look after gardens around {town}, big and small.",
            "I can come every week or two, or just for a big tidy. I take the green waste away. I can "
            "also make paths safe, put in raised beds and help you keep growing things yourself.",
            "I have public liability insurance and bring all my own tools.",
        ),
        easy_read=("I look after gardens.", "I cut grass and hedges.", "I take the rubbish away."),
        outcomes=("keep-my-home", "be-safe-at-home", "wellbeing-live-in-a-home-that-suits-me"),
        categories=("gardening-and-home-help",),
        prices=(PriceTemplate("Gardening", "hour", 1800, 2500, evening_chance=0.1),),
        days=("mon", "tue", "wed", "thu", "fri", "sat"),
        n_days=(3, 6),
        radius=(4, 10),
        also="handyperson",
        access=HOME_ACCESS,
    ),
    ServiceTemplate(
        key="cleaner",
        count=6,
        titles=("Home cleaning in {town}", "Friendly cleaner, {town}", "Cleaning and tidying help, {town}"),
        names=("{first}'s Cleaning", "Sparkle {town}", "{first} {last} Home Help", "Spick and Span {town}"),
        summary="A regular clean of your home, done the way you like it: kitchen, bathroom, hoovering, "
        "bedding and bins.",
        description=(
            "I'm {first}. I clean homes in and around {town}. I come at the same time each week so you "
            "know when to expect me.",
            "Tell me what matters most to you. I can change beds, do the kitchen and bathroom, hoover, "
            "dust and put the bins out. I bring my own cleaning things, or use yours.",
            "I am happy to work around you if you are at home, and to have a cup of tea and a chat.",
        ),
        easy_read=("I clean homes.", "I come every week.", "You tell me what to clean."),
        outcomes=(
            "keep-my-home",
            "carer-keep-my-home-going-while-i-care",
            "wellbeing-live-in-a-home-that-suits-me",
        ),
        categories=("gardening-and-home-help",),
        prices=(PriceTemplate("Cleaning", "hour", 1500, 2000, evening_chance=0.1),),
        n_days=(3, 5),
        radius=(3, 7),
        access=HOME_ACCESS,
        also="laundry",
    ),
    ServiceTemplate(
        key="dog-walker",
        count=5,
        titles=("Dog walking and pet visits, {town}", "Dog walker in {town}", "Pet care for {town}"),
        names=(
            "{first}'s Dog Walking",
            "Waggy Tails {town}",
            "Paws and Play {town}",
            "{first} {last} Pet Care",
        ),
        summary="I walk your dog and look after your pets when you can't, so you can keep the animals "
        "you love at home.",
        description=(
            "I'm {first}. I walk dogs around {town} and visit cats, rabbits and birds to feed them and "
            "clean them out.",
            "If you cannot get out with your dog at the moment, I can walk them every day. I can also "
            "take your pet to the vet, or look after them while you are in hospital.",
            "I have pet first aid training and insurance for the animals in my care.",
        ),
        easy_read=("I walk your dog.", "I feed your pets.", "Your pets can stay at home with you."),
        outcomes=("keep-my-home", "wellbeing-be-in-control-of-my-day", "wellbeing-do-things-i-enjoy"),
        categories=("pets-and-animals",),
        prices=(
            PriceTemplate("Dog walk", "visit", 1200, 1500, 60, step=50),
            PriceTemplate("Pet visit and feed", "visit", 800, 1000, 30, step=50),
        ),
        days=WEEK,
        n_days=(5, 7),
        parts=("morning", "afternoon", "evening"),
        n_parts=(1, 3),
        radius=(2, 5),
    ),
    ServiceTemplate(
        key="sitting-service",
        count=5,
        titles=("Sitting service in {town}", "Evening sitting, {town}", "A carer's night out, {town}"),
        names=(
            "{first}'s Sitting Service",
            "Time Out {town}",
            "{first} {last} Companion Care",
            "Evenings Off {town}",
        ),
        summary="I sit with the person you care for, at home, so you can go out, rest or sleep. "
        "Daytime, evenings and weekends.",
        description=(
            "I'm {first}. I spend time with people at home in {town} while their carer has a break.",
            "We can chat, look at photos, play cards, watch the telly or listen to music. I know "
            "how to help someone living with dementia feel calm and safe.",
            "I do not give personal care such as washing or help with the toilet. If that is needed "
            "while you are out, please ask me about a CQC-registered service.",
        ),
        easy_read=(
            "I sit with the person you look after.",
            "You can go out or have a rest.",
            "We chat and do things they like.",
        ),
        outcomes=(
            "carer-a-break-for-my-carer",
            "carer-care-for-other-people-as-well",
            "carer-work-learn-or-volunteer-while-i-care",
            "be-safe-at-home",
        ),
        categories=("companionship-and-sitting", "short-breaks-for-carers"),
        prices=(PriceTemplate("Sitting", "hour", 1700, 2100, evening_chance=0.7),),
        days=WEEK,
        n_days=(3, 7),
        parts=("afternoon", "evening"),
        n_parts=(1, 2),
        radius=(3, 8),
        audiences=("people-living-with-dementia", "carers", "older-people"),
        access=HOME_ACCESS,
        also="befriending",
    ),
    ServiceTemplate(
        key="personal-assistant",
        count=7,
        titles=(
            "Personal assistant in {town}",
            "Self-employed PA, {town}",
            "PA support for everyday life, {town}",
        ),
        names=(
            "{first} {last} PA Services",
            "{first}'s PA Support",
            "Your PA {town}",
            "{first} {last} Support",
        ),
        summary="A self-employed personal assistant who helps with the things you want to do: "
        "appointments, shopping, cooking, hobbies and getting out.",
        description=(
            "I'm {first}, a self-employed personal assistant (PA) in {town}. You are the boss: you "
            "decide what we do and when.",
            "I help people get to appointments, go shopping, cook, do paperwork, go to the gym or "
            "college, and try new things. I can use your car or we can go by bus.",
            "I do not give personal care such as washing or dressing. I have an enhanced DBS check "
            "and I am happy to talk to your social worker or family.",
        ),
        easy_read=(
            "I am a personal assistant.",
            "I help you do the things you want.",
            "You decide what we do.",
        ),
        outcomes=(
            "wellbeing-be-in-control-of-my-day",
            "get-out-and-about",
            "work-learn-or-volunteer",
            "keep-my-home",
        ),
        categories=("personal-assistants",),
        prices=(PriceTemplate("PA support", "hour", 1500, 1900, evening_chance=0.5),),
        days=WEEK,
        n_days=(4, 6),
        parts=("morning", "afternoon", "evening"),
        n_parts=(2, 3),
        radius=(4, 10),
        audiences=(
            "people-with-a-learning-disability",
            "autistic-people",
            "people-with-a-physical-disability",
            "young-adults",
            "people-with-mental-health-needs",
        ),
        access=HOME_ACCESS,
        also="trips-out",
    ),
    ServiceTemplate(
        key="chair-exercise",
        count=5,
        titles=(
            "Chair exercise class, {town}",
            "Seated exercise for all, {town}",
            "Move More: chair fitness in {town}",
        ),
        names=("Move More {town}", "{first} {last} Fitness", "Sit Fit {town}", "{first}'s Gentle Exercise"),
        summary="A gentle, seated exercise class with music. Good for strength and balance, and a chance "
        "to meet people.",
        description=(
            "I'm {first}, a qualified exercise instructor. I run friendly chair-based classes in {town}.",
            "Everything can be done sitting down. We work on strength, balance and moving more easily, "
            "which helps to prevent falls. There is tea and biscuits after.",
            "If you cannot get to a class, I can come to your home for a one-to-one session.",
        ),
        easy_read=("We do exercise sitting on chairs.", "We listen to music.", "It helps you stay strong."),
        outcomes=("wellbeing-stay-well-in-body-and-mind", "be-safe-at-home", "see-friends-and-family"),
        categories=("exercise-sport-and-swimming", "clubs-and-day-activities"),
        prices=(
            PriceTemplate("Group class", "session", 400, 700, 60, step=50),
            PriceTemplate("One-to-one at home", "session", 2500, 3000, 60),
        ),
        days=WEEKDAYS,
        n_days=(1, 3),
        parts=("morning",),
        n_parts=(1, 1),
        radius=(2, 5),
        audiences=("older-people", "people-with-a-physical-disability", "people-living-with-dementia"),
        access=VENUE_ACCESS,
        also="walking-group",
    ),
    ServiceTemplate(
        key="art-group",
        count=5,
        titles=("Art group in {town}", "Paint and chat, {town}", "Creative art sessions, {town}"),
        names=("{town} Art Space", "Brushstrokes {town}", "{first}'s Art Club", "Open Studio {town}"),
        summary="A relaxed art group for adults: painting, drawing, collage and clay. No experience "
        "needed and all materials provided.",
        description=(
            "We are a small group of artists who run creative sessions in {town}.",
            "Each week there is something new to try, with help if you want it. People come to learn, "
            "to relax, or just for the company.",
            "Many of our members live with anxiety, depression or a learning disability. It is a "
            "calm, friendly space and you can take breaks whenever you need.",
        ),
        easy_read=("We paint and draw.", "We give you the paper and paints.", "You can make friends."),
        outcomes=(
            "wellbeing-do-things-i-enjoy",
            "see-friends-and-family",
            "wellbeing-stay-well-in-body-and-mind",
        ),
        categories=("arts-crafts-and-music", "clubs-and-day-activities"),
        prices=(PriceTemplate("Art session, materials included", "session", 600, 1000, 120),),
        days=WEEK,
        n_days=(1, 2),
        parts=("morning", "afternoon", "evening"),
        n_parts=(1, 1),
        radius=(0, 0),
        voice="we",
        team=(2, 5),
        audiences=("people-with-mental-health-needs", "people-with-a-learning-disability"),
        access=VENUE_ACCESS,
    ),
    ServiceTemplate(
        key="memory-cafe-singing",
        count=4,
        titles=(
            "Sing-along memory café, {town}",
            "Songs and memories, {town}",
            "Singing for wellbeing, {town}",
        ),
        names=("{town} Memory Café", "Sing Together {town}", "Songbirds {town}", "Remember When {town}"),
        summary="Singing old favourites together, with tea and cake. For people living with dementia "
        "and the people who care for them.",
        description=(
            "We meet every week in {town} to sing songs everyone knows, from the music hall to the "
            "sixties. Song sheets are in large print.",
            "Singing can lift your mood and bring back memories. It is a chance for carers to meet "
            "other carers, too.",
            "Carers come free. You do not need to be able to sing well. Just come along and join in.",
        ),
        easy_read=("We sing songs together.", "We have tea and cake.", "Carers come free."),
        outcomes=(
            "see-friends-and-family",
            "wellbeing-feel-connected-and-secure",
            "wellbeing-do-things-i-enjoy",
            "carer-keep-my-own-relationships-while-i-care",
        ),
        categories=("arts-crafts-and-music", "clubs-and-day-activities"),
        prices=(PriceTemplate("Singing session with refreshments", "session", 300, 500, 90),),
        days=WEEKDAYS,
        n_days=(1, 1),
        parts=("morning", "afternoon"),
        n_parts=(1, 1),
        radius=(0, 0),
        voice="we",
        team=(2, 6),
        audiences=("people-living-with-dementia", "carers", "older-people"),
        access=VENUE_ACCESS,
    ),
    ServiceTemplate(
        key="trips-out",
        count=5,
        titles=(
            "Trips out with a driver, {town}",
            "Days out and appointments, {town}",
            "Out and about, {town}",
        ),
        names=(
            "{first}'s Days Out",
            "Out and About {town}",
            "{first} {last} Trips",
            "Wheels and Walks {town}",
        ),
        summary="I drive you where you want to go and come with you: the seaside, garden centres, "
        "family visits, appointments or the shops.",
        description=(
            "I'm {first}. I take people out from {town} for trips, visits and days out.",
            "Tell me where you would like to go. Popular trips are Southport, the Trough of Bowland, "
            "garden centres, the cinema and visiting family. I stay with you the whole time.",
            "My car is insured for business use and I have an enhanced DBS check.",
        ),
        easy_read=("I drive you to places.", "I stay with you.", "You choose where to go."),
        outcomes=("get-out-and-about", "see-friends-and-family", "wellbeing-do-things-i-enjoy"),
        categories=("trips-and-days-out",),
        prices=(
            PriceTemplate("Trip out, including driving", "hour", 2000, 2600, evening_chance=0.3),
            PriceTemplate("Day out (mileage over 60 miles extra)", "day", 9000, 12000, 420, step=500),
        ),
        days=WEEK,
        n_days=(3, 6),
        radius=(8, 10),
        extra_checks=("motor_insurance",),
        access=CAR_ACCESS,
        audiences=("older-people", "people-with-a-physical-disability", "people-living-with-dementia"),
    ),
    ServiceTemplate(
        key="shopping-help",
        count=6,
        titles=(
            "Shopping help and errands, {town}",
            "Help with shopping, {town}",
            "Errands and shopping, {town}",
        ),
        names=(
            "{first}'s Errands",
            "Basket Case {town}",
            "{first} {last} Shopping Help",
            "Fetch and Carry {town}",
        ),
        summary="I go shopping with you, or for you: groceries, prescriptions, the post office and the bank.",
        description=(
            "I'm {first}. I help people around {town} with shopping and errands.",
            "We can go together, so you choose your own things, or you can give me a list. I can "
            "pick up prescriptions, post parcels and pay bills with you.",
            "I always give you the receipt and your change.",
        ),
        easy_read=("I help you with shopping.", "We can go together.", "Or I can shop for you."),
        outcomes=("get-out-and-about", "eat-well", "keep-my-home", "carer-use-local-services-while-i-care"),
        categories=("shopping-and-errands",),
        prices=(PriceTemplate("Shopping with you or for you", "hour", 1500, 1800),),
        n_days=(3, 5),
        radius=(3, 6),
        extra_checks=("motor_insurance",),
        access=HOME_ACCESS,
    ),
    ServiceTemplate(
        key="job-coach",
        count=4,
        titles=("Job coach, {town}", "Support into work, {town}", "Work and volunteering coach, {town}"),
        names=(
            "{first} {last} Job Coaching",
            "Next Step {town}",
            "WorkWise {town}",
            "{first}'s Work Support",
        ),
        summary="One-to-one help to find and keep a job or a volunteering role, from writing a CV to "
        "learning the route to work.",
        description=(
            "I'm {first}, a job coach. I help people in and around {town} get into work or volunteering.",
            "We start with what you are good at and what you enjoy. I can help with CVs, forms and "
            "interviews, travel training on the bus, and your first weeks in a new job.",
            "I work with employers too, so they understand the support you need.",
        ),
        easy_read=(
            "I help you find a job.",
            "I help you learn the way to work.",
            "I help in your first weeks.",
        ),
        outcomes=(
            "work-learn-or-volunteer",
            "wellbeing-give-something-back",
            "wellbeing-feel-connected-and-secure",
        ),
        categories=("learning-work-and-volunteering",),
        prices=(PriceTemplate("Job coaching", "hour", 2200, 2800),),
        n_days=(3, 5),
        radius=(5, 10),
        audiences=(
            "people-with-a-learning-disability",
            "autistic-people",
            "young-adults",
            "people-with-mental-health-needs",
        ),
        min_age=16,
    ),
    ServiceTemplate(
        key="urdu-companion",
        count=4,
        titles=(
            "Urdu-speaking companion, {town}",
            "Company in Urdu and Punjabi, {town}",
            "Apni zabaan: companion visits, {town}",
        ),
        names=(
            "{first}'s Companion Visits",
            "Saathi {town}",
            "{first} {last} Companionship",
            "Friendly Faces {town}",
        ),
        summary="Company and help in Urdu, Punjabi or English: visits at home, trips to the mosque, "
        "the market or the doctor's.",
        description=(
            "Assalamu alaikum, I'm {first}. I visit people in {town} who would like company in their "
            "own language.",
            "We can chat over chai, go to the market, visit friends or go to the mosque together. I can "
            "come with you to appointments and help explain things.",
            "I understand the importance of culture and faith, and I will always respect how you want "
            "things done.",
        ),
        easy_read=("I visit you at home.", "I speak Urdu, Punjabi and English.", "We can go out together."),
        outcomes=("see-friends-and-family", "get-out-and-about", "wellbeing-feel-connected-and-secure"),
        categories=("companionship-and-sitting",),
        prices=(PriceTemplate("Companion visit", "hour", 1500, 1800),),
        days=WEEK,
        n_days=(3, 6),
        radius=(3, 6),
        languages=("ur", "pa"),
        name_pools=("south_asian_muslim",),
        audiences=("older-people", "carers"),
    ),
    ServiceTemplate(
        key="overnight-breaks",
        count=4,
        titles=(
            "Overnight short breaks at home, {town}",
            "Sleep-in support for carers, {town}",
            "Night-time breaks for carers, {town}",
        ),
        names=(
            "{town} Homecare Breaks",
            "Night Owl Care {town}",
            "Restful Nights {town}",
            "{last} Family Care",
        ),
        summary="A trained carer stays overnight in your home so the family carer can have a night off "
        "or a weekend away. CQC registered.",
        description=(
            "We are a small, CQC-registered team based in {town}. We give family carers a proper break "
            "by staying overnight with the person they care for, in their own home.",
            "Because we are registered with the Care Quality Commission, we can help with personal "
            "care during the stay, such as getting ready for bed and using the toilet in the night.",
            "We meet you before the first stay, and the same small team comes each time.",
        ),
        easy_read=(
            "We stay at your home at night.",
            "Your carer can have a rest.",
            "We can help you get ready for bed.",
        ),
        outcomes=(
            "carer-a-break-for-my-carer",
            "carer-keep-my-own-relationships-while-i-care",
            "use-the-toilet",
            "be-safe-at-home",
        ),
        categories=("short-breaks-for-carers", "personal-care"),
        prices=(PriceTemplate("Overnight stay (9pm to 8am)", "night", 11000, 16000, step=500),),
        days=WEEK,
        n_days=(2, 7),
        parts=("evening", "overnight"),
        n_parts=(2, 2),
        radius=(5, 10),
        voice="we",
        team=(3, 8),
        extra_checks=("cqc",),
        audiences=("carers", "people-living-with-dementia", "people-with-a-learning-disability"),
    ),
    ServiceTemplate(
        key="personal-care",
        count=5,
        titles=(
            "Personal care at home, {town}",
            "Help with washing and dressing, {town}",
            "Home care in {town}",
        ),
        names=("{town} Home Care", "{last} and Co Care", "Caring Hands {town}", "Dignity at Home {town}"),
        summary="Help at home with washing, dressing, using the toilet and getting ready for the day, "
        "from a small CQC-registered team.",
        description=(
            "We are a small home care team in {town}, registered with the Care Quality Commission "
            "(CQC). You see the same few faces, not a different carer every day.",
            "We help with washing and showering, dressing, using the toilet, and getting up and ready "
            "for bed. We can also help with meals and medicines.",
            "Visits are at the times you choose, and we never rush. We are always happy to meet you "
            "and your family first.",
        ),
        easy_read=(
            "We help you wash and get dressed.",
            "We help you use the toilet.",
            "You see the same people.",
        ),
        outcomes=(
            "keep-clean-and-fresh",
            "get-dressed",
            "use-the-toilet",
            "wellbeing-be-treated-with-dignity",
        ),
        categories=("personal-care",),
        prices=(
            PriceTemplate("Home care", "hour", 2200, 2700, evening_chance=0.8),
            PriceTemplate("Half-hour visit", "visit", 1300, 1500, 30),
        ),
        days=WEEK,
        n_days=(7, 7),
        parts=("morning", "afternoon", "evening"),
        n_parts=(2, 3),
        radius=(4, 8),
        voice="we",
        team=(4, 8),
        extra_checks=("cqc", "safeguarding"),
        audiences=("older-people", "people-with-a-physical-disability", "people-living-with-dementia"),
    ),
    ServiceTemplate(
        key="knitting-circle",
        count=4,
        titles=("Knit and natter, {town}", "Knitting circle in {town}", "Knit, crochet and chat, {town}"),
        names=(
            "{town} Knit and Natter",
            "Purl Together {town}",
            "The Woolly Hats {town}",
            "Stitch and Chat {town}",
        ),
        summary="A friendly knitting and crochet group. Bring your own project or learn from scratch; "
        "we knit hats for the baby unit.",
        description=(
            "We are a small community group who meet in {town} to knit, crochet and chat.",
            "Beginners are very welcome, and we have needles and wool to lend. Some of us knit hats "
            "and blankets for the hospital baby unit.",
            "We are a volunteer group, so we keep the price low just to cover the room and the tea.",
        ),
        easy_read=("We knit together.", "We can teach you.", "We have tea and a chat."),
        outcomes=("see-friends-and-family", "wellbeing-do-things-i-enjoy", "wellbeing-give-something-back"),
        categories=("arts-crafts-and-music", "clubs-and-day-activities"),
        prices=(PriceTemplate("Group session", "session", 200, 400, 120, step=50),),
        n_days=(1, 1),
        parts=("morning", "afternoon"),
        n_parts=(1, 1),
        radius=(0, 0),
        voice="we",
        team=(2, 6),
        audiences=("older-people",),
        access=VENUE_ACCESS,
    ),
    ServiceTemplate(
        key="allotment-group",
        count=4,
        titles=(
            "Allotment and growing group, {town}",
            "Grow together, {town}",
            "Community garden sessions, {town}",
        ),
        names=("{town} Growing Together", "Seeds of Hope {town}", "The Veg Plot {town}", "Grow {town} CIC"),
        summary="Growing fruit and veg together on our allotment. Fresh air, gentle work and good "
        "company, with no gardening experience needed.",
        description=(
            "We run a community allotment in {town}. People come to grow food, learn new skills and "
            "feel better.",
            "There is always a job to suit you, from sowing seeds in the greenhouse to picking "
            "beans. We cook some of what we grow and share it out.",
            "Some people come as volunteers and some as part of their support. We can give a "
            "reference for volunteering.",
        ),
        easy_read=("We grow vegetables.", "We work outside together.", "You can learn new things."),
        outcomes=(
            "wellbeing-stay-well-in-body-and-mind",
            "work-learn-or-volunteer",
            "get-out-and-about",
            "wellbeing-give-something-back",
        ),
        categories=("gardening-and-home-help", "clubs-and-day-activities", "learning-work-and-volunteering"),
        prices=(PriceTemplate("Growing session", "session", 800, 1500, 180),),
        days=("mon", "tue", "wed", "thu", "fri", "sat"),
        n_days=(1, 3),
        parts=("morning", "afternoon"),
        n_parts=(1, 2),
        radius=(0, 0),
        voice="we",
        team=(2, 6),
        audiences=("people-with-mental-health-needs", "people-with-a-learning-disability", "young-adults"),
        access=(
            "The paths are firm and wide enough for a wheelchair, and there is a raised bed at "
            "sitting height.",
            "There is an accessible toilet in the clubhouse.",
        ),
    ),
    ServiceTemplate(
        key="tech-help",
        count=5,
        titles=(
            "Tech help at home, {town}",
            "Phones, tablets and video calls made easy, {town}",
            "Friendly computer help, {town}",
        ),
        names=(
            "{first}'s Tech Help",
            "Click Easy {town}",
            "{first} {last} Digital Help",
            "Tablet Buddy {town}",
        ),
        summary="Patient help with phones, tablets and computers at home: video calls with family, "
        "online shopping, repeat prescriptions and staying safe online.",
        description=(
            "I'm {first}. I help people in and around {town} get the most out of their phone, tablet or "
            "computer.",
            "I can set things up, show you how to video call your family, order repeat prescriptions "
            "and shop online, and help you spot scams. I go at your pace and write down the steps.",
            "I never ask for your passwords or bank details.",
        ),
        easy_read=("I help with phones and tablets.", "I can show you video calls.", "I go slowly."),
        outcomes=(
            "see-friends-and-family",
            "wellbeing-be-in-control-of-my-day",
            "wellbeing-be-safe-from-harm",
        ),
        categories=("learning-work-and-volunteering",),
        prices=(PriceTemplate("Home visit", "visit", 2500, 3500, 90),),
        days=("mon", "tue", "wed", "thu", "fri", "sat"),
        n_days=(2, 5),
        parts=("morning", "afternoon", "evening"),
        n_parts=(1, 3),
        radius=(4, 10),
        audiences=("older-people", "blind-and-partially-sighted-people"),
        access=HOME_ACCESS,
    ),
    ServiceTemplate(
        key="walking-group",
        count=5,
        titles=("Friendly walking group, {town}", "Short walks and a brew, {town}", "Walk and talk, {town}"),
        names=(
            "{town} Walk and Talk",
            "Steps Together {town}",
            "{town} Strollers",
            "Best Foot Forward {town}",
        ),
        summary="Short, flat walks at an easy pace, ending with a cup of tea. A good way to get active "
        "and meet people.",
        description=(
            "We lead short walks around {town} every week, mostly on flat paths and parks. Walks last "
            "about an hour and we always stop for a rest.",
            "Our walk leaders are trained in first aid. You are welcome to bring a friend, a carer or "
            "your dog.",
            "Afterwards we have a brew at a local café. Just come as you are.",
        ),
        easy_read=("We go for short walks.", "We walk slowly.", "We have a cup of tea after."),
        outcomes=("wellbeing-stay-well-in-body-and-mind", "get-out-and-about", "see-friends-and-family"),
        categories=("exercise-sport-and-swimming", "clubs-and-day-activities"),
        prices=(PriceTemplate("Walk and a brew", "session", 200, 300, 90),),
        days=WEEK,
        n_days=(1, 2),
        parts=("morning", "afternoon"),
        n_parts=(1, 1),
        radius=(0, 0),
        voice="we",
        team=(2, 5),
        audiences=("older-people", "people-with-mental-health-needs", "carers"),
    ),
    ServiceTemplate(
        key="cooking-together",
        count=3,
        titles=(
            "Learn to cook at home, {town}",
            "Cook together, {town}",
            "Cooking skills for independence, {town}",
        ),
        names=("{first}'s Cookery", "Kitchen Confidence {town}", "{first} {last} Cooking Skills"),
        summary="Learn to cook simple, healthy meals in your own kitchen, with help to plan, shop "
        "and cook on a budget.",
        description=(
            "I'm {first}. I teach cooking one-to-one in people's own kitchens around {town}.",
            "We plan a meal together, go shopping, then cook it. Over a few weeks you build up a set of "
            "meals you can make on your own.",
            "This is good for young people leaving home, people after a stroke, or anyone who wants "
            "more confidence in the kitchen.",
        ),
        easy_read=(
            "I teach you to cook.",
            "We cook in your kitchen.",
            "You learn to make meals on your own.",
        ),
        outcomes=("eat-well", "wellbeing-be-in-control-of-my-day", "work-learn-or-volunteer"),
        categories=("meals-and-cooking", "learning-work-and-volunteering"),
        prices=(PriceTemplate("Cooking session (food extra)", "session", 3500, 4500, 120),),
        n_days=(2, 4),
        parts=("morning", "afternoon", "evening"),
        n_parts=(1, 2),
        radius=(3, 8),
        audiences=("people-with-a-learning-disability", "autistic-people", "young-adults"),
        access=HOME_ACCESS,
    ),
    ServiceTemplate(
        key="befriending",
        count=6,
        titles=(
            "Friendly visits at home, {town}",
            "Companionship visits, {town}",
            "Company and a cuppa, {town}",
        ),
        names=(
            "{first}'s Friendly Visits",
            "Good Neighbours {town}",
            "{first} {last} Companionship",
            "Cuppa and Company {town}",
        ),
        summary="Regular visits for company and conversation, at home or out for a coffee. Someone to "
        "look forward to seeing.",
        description=(
            "I'm {first}. I visit people around {town} who would like more company.",
            "We can chat, do a crossword, play dominoes, go for a short walk or go out for a coffee. "
            "I can also help you write letters or make phone calls.",
            "I visit at the same time each week, so you know when I am coming.",
        ),
        easy_read=(
            "I come to see you.",
            "We chat and do things you like.",
            "I come at the same time each week.",
        ),
        outcomes=(
            "see-friends-and-family",
            "wellbeing-feel-connected-and-secure",
            "wellbeing-get-on-with-the-people-close-to-me",
        ),
        categories=("companionship-and-sitting",),
        prices=(PriceTemplate("Companion visit", "hour", 1500, 1800, evening_chance=0.2),),
        days=WEEK,
        n_days=(3, 6),
        radius=(3, 6),
        audiences=("older-people", "people-with-mental-health-needs", "blind-and-partially-sighted-people"),
        access=HOME_ACCESS,
    ),
    ServiceTemplate(
        key="handyperson",
        count=4,
        titles=(
            "Odd jobs and small repairs, {town}",
            "Handyperson in {town}",
            "Home safety and small jobs, {town}",
        ),
        names=(
            "{first} {last} Handyman Services",
            "Fix It {town}",
            "{first}'s Odd Jobs",
            "Safe at Home Repairs {town}",
        ),
        summary="Small jobs around the home: grab rails, key safes, curtain poles, dripping taps and "
        "flat-pack furniture.",
        description=(
            "I'm {first}. I do the small jobs around the house that make life easier and safer, in "
            "and around {town}.",
            "I fit grab rails, key safes, stair rails and brighter bulbs. I fix dripping taps, sticking "
            "doors and loose carpets, and I put up shelves and curtain poles.",
            "I give you a price before I start, and I tidy up after.",
        ),
        easy_read=("I do small jobs at home.", "I can fit a handrail.", "I tell you the price first."),
        outcomes=(
            "be-safe-at-home",
            "keep-my-home",
            "wellbeing-live-in-a-home-that-suits-me",
            "wellbeing-be-safe-from-harm",
        ),
        categories=("gardening-and-home-help",),
        prices=(PriceTemplate("Odd jobs (parts extra)", "hour", 2000, 2800),),
        days=("mon", "tue", "wed", "thu", "fri", "sat"),
        n_days=(3, 6),
        radius=(5, 10),
    ),
    ServiceTemplate(
        key="relaxation",
        count=3,
        titles=(
            "Relaxation and gentle massage at home, {town}",
            "Time to unwind, {town}",
            "Calm and relax, {town}",
        ),
        names=("{first}'s Holistic Therapies", "Calm Corner {town}", "{first} {last} Therapies"),
        summary="Gentle hand, foot and shoulder massage, and relaxation, at home. A calm hour just for "
        "you, whether you are a carer or cared for.",
        description=(
            "I'm {first}, a qualified holistic therapist. I visit people at home around {town}.",
            "I offer gentle massage, reflexology and simple breathing and relaxation. Many of the "
            "people I see are carers who need some time for themselves.",
            "I will ask about your health first, and I can adapt everything for people who use a "
            "wheelchair or stay in bed.",
        ),
        easy_read=("I give gentle massage.", "It helps you relax.", "I come to your home."),
        outcomes=("wellbeing-stay-well-in-body-and-mind", "carer-a-break-for-my-carer"),
        categories=("wellbeing-and-relaxation",),
        prices=(PriceTemplate("Relaxation session", "session", 3000, 4000, 60, evening_chance=0.3),),
        days=WEEK,
        n_days=(3, 5),
        parts=("morning", "afternoon", "evening"),
        n_parts=(1, 3),
        radius=(3, 8),
        audiences=("carers", "people-with-mental-health-needs"),
        access=HOME_ACCESS,
    ),
    ServiceTemplate(
        key="community-shed",
        count=3,
        titles=(
            "Community shed: woodwork and repairs, {town}",
            "The shed, {town}",
            "Make and mend workshop, {town}",
        ),
        names=("{town} Community Shed", "Make and Mend {town}", "The Workshop {town}"),
        summary="A workshop where people meet to make, mend and chat: woodwork, fixing bikes and "
        "small repairs for the community.",
        description=(
            "We are a community shed in {town}: a workshop where people come together to make things, "
            "share skills and have a brew.",
            "We make bird boxes and planters, fix bikes and repair things for local people. You do not "
            "need any skills to start, and we look after safety.",
            "Lots of our members came because they felt lonely after retiring or losing someone. It is "
            "a friendly place, and everyone is welcome.",
        ),
        easy_read=("We make and mend things.", "We work with wood.", "You can make friends."),
        outcomes=("see-friends-and-family", "wellbeing-give-something-back", "work-learn-or-volunteer"),
        categories=("clubs-and-day-activities", "learning-work-and-volunteering"),
        prices=(PriceTemplate("Shed session", "session", 300, 500, 180),),
        n_days=(2, 3),
        parts=("morning", "afternoon"),
        n_parts=(1, 2),
        radius=(0, 0),
        voice="we",
        team=(2, 6),
        audiences=("older-people", "people-with-mental-health-needs"),
        access=VENUE_ACCESS,
    ),
    ServiceTemplate(
        key="day-hub",
        count=4,
        titles=(
            "Day activities hub, {town}",
            "Community day opportunities, {town}",
            "Out and about day group, {town}",
        ),
        names=("{town} Community Hub CIC", "Bright Days {town}", "Our Place {town}", "Open Doors {town}"),
        summary="Small-group days out and activities in the community: cafés, bowling, volunteering, "
        "the library and the gym.",
        description=(
            "We are a small community interest company in {town}. We run day activities for adults, in "
            "groups of no more than four.",
            "Each person helps plan the week. We might go bowling, volunteer at the food bank, visit "
            "the library or the gym, or cook lunch together. We use buses and trains so people learn "
            "to travel more on their own.",
            "Families can call us any time to talk about how things are going.",
        ),
        easy_read=("We go out in small groups.", "You help plan what we do.", "We use the bus."),
        outcomes=(
            "get-out-and-about",
            "see-friends-and-family",
            "work-learn-or-volunteer",
            "wellbeing-do-things-i-enjoy",
        ),
        categories=("clubs-and-day-activities", "trips-and-days-out"),
        prices=(
            PriceTemplate("Full day (10am to 3pm)", "day", 5000, 7000, 300, step=250),
            PriceTemplate("Half day", "session", 2800, 3800, 150, step=250),
        ),
        n_days=(4, 5),
        parts=("morning", "afternoon"),
        n_parts=(2, 2),
        radius=(4, 8),
        voice="we",
        team=(4, 8),
        audiences=("people-with-a-learning-disability", "autistic-people", "young-adults"),
        min_age=18,
        max_age=65,
    ),
    ServiceTemplate(
        key="laundry",
        count=3,
        titles=(
            "Laundry and ironing service, {town}",
            "Washing and ironing help, {town}",
            "Clean clothes service, {town}",
        ),
        names=("{first}'s Laundry", "Fresh Press {town}", "{first} {last} Ironing"),
        summary="We collect your washing, wash, dry and iron it, and bring it back folded, or help "
        "with the laundry in your home.",
        description=(
            "I'm {first}. I help people around {town} keep on top of their washing and ironing.",
            "I can collect a bag of washing and bring it back the next day, clean and ironed. Or I can "
            "come to your home, put a wash on, hang it out and put your clothes away.",
            "I can also sort out your wardrobe so that clothes for the season are easy to reach.",
        ),
        easy_read=("I wash and iron clothes.", "I can collect them from you.", "I bring them back clean."),
        outcomes=("get-dressed", "keep-my-home", "carer-keep-my-home-going-while-i-care"),
        categories=("gardening-and-home-help",),
        prices=(
            PriceTemplate("Laundry and ironing at your home", "hour", 1400, 1700),
            PriceTemplate("Collect, wash, iron and return one bag", "visit", 1200, 1600),
        ),
        n_days=(2, 5),
        radius=(3, 6),
    ),
    ServiceTemplate(
        key="family-helper",
        count=3,
        titles=(
            "Family helper: school runs and tea time, {town}",
            "Help with the children, {town}",
            "Parent support at home, {town}",
        ),
        names=("{first}'s Family Help", "Helping Hands for Parents {town}", "{first} {last} Family Support"),
        summary="Practical help for disabled parents: the school run, tea time, homework and bath "
        "time, so you can keep doing the parenting you want to do.",
        description=(
            "I'm {first}. I help parents in {town} who have a disability or an illness, or who care for "
            "someone else, to look after their children.",
            "I can do the school run with you, help with tea time and homework, and take the children "
            "to clubs. You stay the parent; I do the parts that are hard for you right now.",
            "I have an enhanced DBS check for work with children and adults, and paediatric first aid.",
        ),
        easy_read=(
            "I help you look after your children.",
            "I can do the school run.",
            "You are still the parent.",
        ),
        outcomes=(
            "look-after-my-children",
            "carer-look-after-my-children-as-well",
            "wellbeing-get-on-with-the-people-close-to-me",
        ),
        categories=("personal-assistants",),
        prices=(PriceTemplate("Family help", "hour", 1600, 1900, evening_chance=0.3),),
        days=WEEKDAYS,
        n_days=(4, 5),
        parts=("morning", "afternoon", "evening"),
        n_parts=(2, 3),
        radius=(3, 6),
        audiences=("carers", "people-with-a-physical-disability", "people-with-mental-health-needs"),
        access=HOME_ACCESS,
    ),
    ServiceTemplate(
        key="care-farm",
        count=3,
        titles=("Care farm mornings, {town}", "Time with animals on the farm, {town}", "Farm days, {town}"),
        names=("{town} Care Farm", "Hillside Care Farm", "Meadow View Farm {town}"),
        summary="Mornings on a small farm: feeding the animals, collecting eggs, grooming the ponies "
        "and working outdoors together.",
        description=(
            "We are a small family farm near {town} that opens its gates to people who want to spend "
            "time with animals and outdoors.",
            "You can help feed the goats and hens, groom the ponies, collect eggs and look after the "
            "vegetable garden. There is a warm cabin for breaks.",
            "Groups are small and there are always two of us with you.",
        ),
        easy_read=("You come to our farm.", "You feed the animals.", "You work outside with us."),
        outcomes=(
            "wellbeing-stay-well-in-body-and-mind",
            "wellbeing-do-things-i-enjoy",
            "work-learn-or-volunteer",
            "get-out-and-about",
        ),
        categories=("pets-and-animals", "clubs-and-day-activities"),
        prices=(PriceTemplate("Farm morning", "session", 2500, 4000, 180, step=250),),
        days=("mon", "tue", "wed", "thu", "fri", "sat"),
        n_days=(2, 4),
        parts=("morning",),
        n_parts=(1, 1),
        radius=(0, 0),
        voice="we",
        team=(2, 5),
        audiences=(
            "people-with-a-learning-disability",
            "autistic-people",
            "people-with-mental-health-needs",
            "young-adults",
        ),
        access=("Most of the farm has firm paths; the paddocks can be muddy, so bring wellies.",),
    ),
    ServiceTemplate(
        key="bsl-social",
        count=2,
        titles=("Deaf social club and BSL support, {town}", "BSL-friendly support and meet-ups, {town}"),
        names=("Signing Together {town}", "{town} Deaf Social"),
        summary="A social club run in British Sign Language, and one-to-one support from signers for "
        "appointments and everyday tasks.",
        description=(
            "We are a small Deaf-led group in {town}. Our club meets every week for a chat, a game of "
            "pool and news, all in British Sign Language (BSL).",
            "We also offer one-to-one support from a fluent signer, for example to go to the bank, "
            "make phone calls or sort out letters. This is support, not a registered interpreter.",
            "Hearing family and friends are welcome. Contact us by text or email.",
        ),
        easy_read=(
            "We are a club for Deaf people.",
            "We use sign language.",
            "We can help you with letters and calls.",
        ),
        outcomes=("see-friends-and-family", "wellbeing-feel-connected-and-secure", "get-out-and-about"),
        categories=("clubs-and-day-activities", "companionship-and-sitting"),
        prices=(
            PriceTemplate("Social club", "session", 300, 600, 120),
            PriceTemplate("One-to-one support in BSL", "hour", 2000, 2400),
        ),
        n_days=(1, 3),
        parts=("afternoon", "evening"),
        n_parts=(1, 2),
        radius=(0, 6),
        voice="we",
        team=(2, 4),
        languages=("bfi",),
        audiences=("deaf-and-hard-of-hearing-people",),
        access=(
            "The club room has good lighting and a hearing loop. Contact us by text, email or video call.",
        ),
    ),
    ServiceTemplate(
        key="polish-support",
        count=2,
        titles=("Polish-speaking home help and company, {town}", "Pomoc po polsku: help at home, {town}"),
        names=("{first}'s Home Help", "Pomocna Dłoń {town}"),
        summary="Help at home and company in Polish or English: shopping, cleaning, cooking and "
        "going out together.",
        description=(
            "I'm {first}. I help Polish-speaking people around {town} who would like support in their "
            "own language.",
            "I can help with shopping, light cleaning and cooking, and come with you to appointments "
            "to help with English. Or we can simply talk over a coffee.",
            "I do not give personal care such as washing.",
        ),
        easy_read=("I speak Polish and English.", "I help at home.", "We can go out together."),
        outcomes=("see-friends-and-family", "keep-my-home", "get-out-and-about"),
        categories=("companionship-and-sitting", "shopping-and-errands"),
        prices=(PriceTemplate("Help at home", "hour", 1500, 1800),),
        days=WEEK,
        n_days=(3, 5),
        radius=(3, 8),
        languages=("pl",),
        name_pools=("polish",),
        audiences=("older-people",),
    ),
    ServiceTemplate(
        key="gujarati-day-group",
        count=2,
        titles=(
            "Gujarati-speaking day group for older women, {town}",
            "Ladies' day club (Gujarati and Urdu), {town}",
        ),
        names=("Sakhi Ladies' Group {town}", "{town} Ladies' Day Club"),
        summary="A weekly day group for older women, in Gujarati, Urdu and English: lunch, gentle "
        "exercise, crafts and health talks.",
        description=(
            "We are a women-only group in {town} for older ladies who would like to meet others and "
            "stay active.",
            "Each week there is gentle exercise, a hot vegetarian or halal lunch, crafts and talks "
            "from local health workers, all in Gujarati, Urdu and English.",
            "We can help arrange transport for women who find it hard to get out.",
        ),
        easy_read=(
            "This is a group for older women.",
            "We speak Gujarati, Urdu and English.",
            "We eat lunch together.",
        ),
        outcomes=(
            "see-friends-and-family",
            "eat-well",
            "wellbeing-feel-connected-and-secure",
            "wellbeing-stay-well-in-body-and-mind",
        ),
        categories=("clubs-and-day-activities", "exercise-sport-and-swimming"),
        prices=(PriceTemplate("Day group with lunch", "session", 800, 1200, 300),),
        n_days=(1, 2),
        parts=("morning", "afternoon"),
        n_parts=(2, 2),
        radius=(0, 4),
        voice="we",
        team=(3, 6),
        languages=("gu", "ur"),
        name_pools=("south_asian_muslim",),
        first_names=("Farida", "Nasreen", "Rukhsana", "Salma", "Yasmin", "Fatima", "Amina", "Sabina"),
        audiences=("older-people",),
        access=VENUE_ACCESS,
    ),
)
SERVICES_BY_KEY = {s.key: s for s in SERVICES}

# A few providers are written by hand: (service, trading name, first name, surname, district, town).
ANCHORS = (
    ("meals-delivered", DEMO_PROVIDER_NAME, "Shazia", "Patel", "BL3", "Daubhill"),
    ("gardener", "Green Fingers Bolton", "Dave", "Crompton", "BL1", "Halliwell"),
    ("gardener", "Mike Taylor Garden Services", "Mike", "Taylor", "BL5", "Westhoughton"),
)

# --- Generated specifications -------------------------------------------------------------


@dataclass
class PriceSpec:
    """One ListingPrice row, in pence."""

    description: str
    unit: str
    unit_minutes: int | None
    weekday_pence: int
    evening_weekend_pence: int | None


@dataclass
class CheckSpec:
    """One Check, with dates as day offsets so they stay relative to the day of loading."""

    kind: str
    reference: str
    issued_days_ago: int
    valid_days: int | None  # None: does not expire
    verified_after_days: int | None  # None: not verified yet


# Access features the demo's free-text access notes describe (lower case), so the two agree.
ACCESS_IN_NOTES = {
    "step-free": ("step-free",),
    "ramp": ("step-free",),
    "wide enough for a wheelchair": ("step-free",),
    "accessible toilet": ("accessible-toilet",),
    "hearing loop": ("hearing-loop",),
    "quiet room": ("quiet-space",),
    "parking": ("parking",),
    "large print": ("large-print-easy-read",),
    "easy read": ("large-print-easy-read",),
}


def demo_access_and_ages(service, slug, accessibility, audiences):
    """(access feature slugs, min_age, max_age) for one demo listing.

    Drawn from a generator of its own, seeded by the listing's slug, so adding this left every
    other generated value (titles, prices, places) as it was, and a re-run gives the same.
    """
    rng = random.Random(f"access:{slug}")  # noqa: S311 (demo data, not secrets)
    notes = accessibility.lower()
    features = {f for phrase, found in ACCESS_IN_NOTES.items() if phrase in notes for f in found}
    if "bsl" in service.key:
        features |= {"bsl", "hearing-loop"}
    if service.access is HOME_ACCESS:
        features.add("home-visits")  # they come to the person's home
    if service.access is VENUE_ACCESS:
        # Most halls are step-free now; fewer have a loop or a quiet room.
        for feature, chance in (
            ("step-free", 0.7),
            ("accessible-toilet", 0.5),
            ("parking", 0.4),
            ("hearing-loop", 0.15),
            ("quiet-space", 0.15),
        ):
            if rng.random() < chance:
                features.add(feature)
    if rng.random() < 0.1:
        features.add("large-print-easy-read")
    if rng.random() < 0.02:
        features.add("bsl")  # rare, as BSL users find
    min_age, max_age = service.min_age, service.max_age
    if "older-people" in audiences and min_age == 18 and rng.random() < 0.3:
        older = rng.choice((50, 55, 60, 65))
        min_age = older if max_age is None or older <= max_age else min_age
    if "young-adults" in audiences and max_age is None and rng.random() < 0.5:
        max_age = 25
    return sorted(features), min_age, max_age


# Services where meeting first matters most (someone in your home, or one to one for hours).
ONE_TO_ONE_ACCESS = (HOME_ACCESS, CAR_ACCESS)


def demo_meet_first_and_trial(service, slug, prices):
    """(meet_first, its price, trial_session, its price) for one demo listing.

    From a generator of its own, seeded by the slug (as `demo_access_and_ages`), so no other
    demo value changes. Most one-to-one services like to meet first, free; some group ones offer
    a trial session at a reduced price.
    """
    rng = random.Random(f"meet:{slug}")  # noqa: S311 (demo data, not secrets)
    one_to_one = service.access in ONE_TO_ONE_ACCESS or service.voice == "I"
    meet_first = rng.random() < (0.6 if one_to_one else 0.2)
    meet_price = 1000 if meet_first and rng.random() < 0.1 else 0
    trial = rng.random() < (0.15 if one_to_one else 0.4)
    trial_price = None
    if trial:
        first = prices[0].weekday_pence if prices else 0
        trial_price = 0 if rng.random() < 0.4 else (first // 2 // 50) * 50
    return meet_first, meet_price, trial, trial_price


@dataclass
class ListingSpec:
    """Everything one ListingPage needs, as plain data."""

    slug: str
    title: str
    service: str
    summary: str
    description: str
    outcomes: list[str]
    categories: list[str]
    audiences: list[str]
    languages: list[str]
    prices: list[PriceSpec]
    slots: list[str]
    intake: str
    district: str
    radius: int
    served_districts: list[str]
    contact_name: str
    contact_phone: str
    contact_email: str
    website: str
    contact_notes: str
    accessibility: str
    easy_read: str
    confirmed_days_ago: int
    jitter: tuple[float, float]
    min_age: int | None
    max_age: int | None
    access_features: list[str] = field(default_factory=list)
    meet_first: bool = False
    meet_first_price_pence: int = 0
    trial_session: bool = False
    trial_price_pence: int | None = None


@dataclass
class ProviderSpec:
    """A provider, its checks and its listings."""

    name: str
    legal_name: str
    business_type: str
    company_number: str
    team_size: int
    email: str
    phone: str
    checks: list[CheckSpec] = field(default_factory=list)
    listings: list[ListingSpec] = field(default_factory=list)


@dataclass
class _Person:
    first: str
    last: str
    pool: str
    district: str
    town: str


class _Generator:
    """Builds the specs; one instance, one random stream, so the output never varies."""

    def __init__(self, seed=SEED):
        # Demo data, not security: a seeded generator is what makes the output repeatable.
        self.rng = random.Random(seed)  # noqa: S311
        self.names: set[str] = set()
        self.slugs: set[str] = set()
        self.patterns: set[tuple[str, str]] = set()
        self.people: set[tuple[str, str]] = set()
        self.districts: list[str] = []
        # Unique numbers from Ofcom's drama range, so no real phone ever rings.
        self.phones = iter(self.rng.sample(range(1000), 1000))

    def phone(self):
        return f"07700 900{next(self.phones):03d}"

    def person(self, pools=(), district=None, first_names=()):
        """Someone new: no two demo people share a name, which would look like one person."""
        rng = self.rng
        pools = pools or tuple(NAME_POOLS)
        district = district or self.districts.pop()
        for _ in range(50):
            pool_key = rng.choices(pools, weights=[NAME_POOLS[p].weight for p in pools])[0]
            pool = NAME_POOLS[pool_key]
            first = rng.choice(first_names or pool.first_names)
            last = rng.choice(pool.surnames)
            if (first, last) not in self.people:
                break
        self.people.add((first, last))
        return _Person(first, last, pool_key, district, rng.choice(DISTRICT_PLACES[district]))

    def trading_name(self, service, person):
        # Prefer a pattern this kind of service has not used yet, so two unrelated providers do
        # not look like branches of one chain ("Make Waves Bolton", "Make Waves Bury").
        unused = [n for n in service.names if (service.key, n) not in self.patterns]
        for _ in range(30):
            pattern = self.rng.choice(unused or service.names)
            name = pattern.format(first=person.first, last=person.last, town=person.town)
            if name not in self.names:
                self.patterns.add((service.key, pattern))
                return name
        return f"{person.first} {person.last} ({person.town})"

    def business(self, service, person, name):
        """Business type, legal name, company number and team size, matched to the voice."""
        rng = self.rng
        if service.voice == "I":
            business_type = rng.choices(["sole_trader", "limited_company"], weights=[8, 2])[0]
            team = 1
        elif service.team[0] >= 4 or "cqc" in service.extra_checks:
            # Bigger teams and CQC-registered services are set up as businesses.
            business_type = rng.choice(["limited_company", "cic", "partnership"])
            team = rng.randint(*service.team)
        else:
            business_type = rng.choice(["charity", "cic", "partnership", "charity"])
            team = rng.randint(*service.team)
        if name.endswith(" CIC"):
            business_type = "cic"
        company_number = ""
        if business_type == "sole_trader":
            legal_name = f"{person.first} {person.last}"
        elif business_type == "partnership":
            partner = self.person((person.pool,), person.district, service.first_names)
            legal_name = f"{person.first} {person.last} and {partner.first} {partner.last}"
            team = max(team, 2)
        else:
            suffix = {"limited_company": "Ltd", "cic": "CIC", "charity": ""}[business_type]
            legal_name = name if not suffix or name.endswith(suffix) else f"{name} {suffix}"
            if business_type != "charity":
                # Companies House numbers are issued in sequence and are nowhere near 99000000 yet,
                # so these cannot belong to a real company.
                company_number = f"99{rng.randint(0, 999999):06d}"
        return business_type, legal_name, company_number, team

    def checks(self, service):
        """Public liability and DBS for nearly everyone, in a realistic mix of states."""
        rng = self.rng
        roll = rng.random()
        state = "current"
        if roll < 0.04:
            state = "none"  # new provider: nothing sent in yet
        elif roll < 0.12:
            state = "unverified"
        elif roll < 0.18:
            state = "expired"
        elif roll < 0.27:
            state = "expiring"
        verified = None if state == "unverified" else rng.randint(2, 14)
        if state == "expired":
            insurance_age = 365 + rng.randint(10, 120)
        elif state == "expiring":
            insurance_age = 365 - rng.randint(3, 28)
        else:
            insurance_age = rng.randint(20, 320)
        specs = []
        if state != "none":
            specs += [
                CheckSpec(
                    "public_liability", f"PL-{rng.randint(1000000, 9999999)}", insurance_age, 365, verified
                ),
                CheckSpec(
                    "dbs", f"00{rng.randint(10**9, 10**10 - 1)}", rng.randint(30, 1000), None, verified
                ),
            ]
        if state != "none" and ("safeguarding" in service.extra_checks or rng.random() < 0.35):
            specs.append(CheckSpec("safeguarding", "", rng.randint(30, 900), 3 * 365, verified))
        if state != "none" and "motor_insurance" in service.extra_checks:
            specs.append(
                CheckSpec(
                    "motor_insurance",
                    f"MB-{rng.randint(100000, 999999)}",
                    rng.randint(20, 330),
                    365,
                    verified,
                )
            )
        if "cqc" in service.extra_checks:
            # Personal care is only legal with CQC registration, so every such provider has it,
            # checked by the coordinator on CQC's public register. It has no end date; CQC
            # provider IDs look like 1-123456789.
            specs.append(
                CheckSpec(
                    "cqc",
                    f"1-{rng.randint(10**8, 10**9 - 1)}",
                    rng.randint(365, 6 * 365),
                    None,
                    rng.randint(2, 14),
                )
            )
        return specs

    def slots(self, service):
        rng = self.rng
        days = rng.sample(service.days, min(rng.randint(*service.n_days), len(service.days)))
        parts = rng.sample(service.parts, min(rng.randint(*service.n_parts), len(service.parts)))
        order = {d: i for i, d in enumerate(WEEK)}
        return [f"{d}-{p}" for d in sorted(days, key=order.get) for p in parts]

    def price(self, template):
        rng = self.rng
        step = template.step
        weekday = round(rng.randint(template.low, template.high) / step) * step
        evening = None
        if rng.random() < template.evening_chance:
            evening = round(weekday * (1 + rng.randint(10, 30) / 100) / step) * step
        return PriceSpec(template.description, template.unit, template.minutes, weekday, evening)

    def title(self, service, person, name):
        for _ in range(30):
            title = self.rng.choice(service.titles).format(town=person.town)
            if listing_slug(title) not in self.slugs:
                break
        else:
            title = f"{title} ({name})"
        self.slugs.add(listing_slug(title))
        return title

    def listing(self, service, person, provider):
        rng = self.rng
        name = provider.name
        title = self.title(service, person, name)
        values = {"first": person.first, "town": person.town, "name": name}
        description = "".join(f"<p>{escape(p.format(**values))}</p>" for p in service.description)
        languages = ["en", *service.languages]
        pool_languages = NAME_POOLS[person.pool].languages
        if pool_languages and not service.languages and rng.random() < 0.6:
            languages.append(rng.choice(pool_languages))
        audiences = list(service.audiences)
        if len(audiences) > 2:
            audiences = rng.sample(audiences, rng.randint(2, len(audiences)))
        radius = rng.randint(*service.radius)
        served = []
        if radius and rng.random() < 0.25:
            served = sorted(rng.sample(NEIGHBOURS[person.district], rng.randint(1, 2)))
        stale = rng.random() < 0.1
        easy_read = ""
        if rng.random() < 0.35:
            easy_read = "\n".join([*service.easy_read, f"Phone {person.first} on {provider.phone}."])
        spec = ListingSpec(
            slug=listing_slug(title),
            title=title,
            service=service.key,
            summary=service.summary,
            description=description,
            outcomes=list(service.outcomes),
            categories=list(service.categories),
            audiences=audiences,
            languages=languages,
            prices=[self.price(p) for p in service.prices],
            slots=self.slots(service),
            intake=rng.choices(["taking", "waiting_list", "full"], weights=[75, 15, 10])[0],
            district=person.district,
            radius=radius,
            served_districts=served,
            contact_name=f"{person.first} {person.last}",
            contact_phone=provider.phone,
            contact_email=provider.email if rng.random() < 0.7 else "",
            website=f"https://www.example.org/{slugify(name)}" if rng.random() < 0.2 else "",
            contact_notes=rng.choice(CONTACT_NOTES),
            accessibility=rng.choice(service.access) if service.access and rng.random() < 0.6 else "",
            easy_read=easy_read,
            # Most confirmed within 11 months; about one in ten over 13 months ago (stale).
            confirmed_days_ago=rng.randint(400, 720) if stale else rng.randint(0, 330),
            jitter=(
                round(rng.uniform(-1, 1) * JITTER_DEGREES, 5),
                round(rng.uniform(-1, 1) * JITTER_DEGREES, 5),
            ),
            min_age=service.min_age,
            max_age=service.max_age,
        )
        # After everything else is drawn, from a generator of its own: see demo_access_and_ages.
        spec.access_features, spec.min_age, spec.max_age = demo_access_and_ages(
            service, spec.slug, spec.accessibility, audiences
        )
        spec.meet_first, spec.meet_first_price_pence, spec.trial_session, spec.trial_price_pence = (
            demo_meet_first_and_trial(service, spec.slug, spec.prices)
        )
        return spec

    def provider(self, service, person, name=None):
        name = name or self.trading_name(service, person)
        self.names.add(name)
        business_type, legal_name, company_number, team = self.business(service, person, name)
        provider = ProviderSpec(
            name=name,
            legal_name=legal_name,
            business_type=business_type,
            company_number=company_number,
            team_size=team,
            email=f"{slugify(name)}@example.org",
            phone=self.phone(),
            checks=self.checks(service),
        )
        provider.listings.append(self.listing(service, person, provider))
        return provider, person

    def share_out_districts(self, count):
        """`count` districts in proportion to DISTRICT_WEIGHTS, shuffled (largest remainder).

        Drawing each district at random gives lopsided results with only ~150 draws.
        """
        total = sum(DISTRICT_WEIGHTS.values())
        exact = {code: count * weight / total for code, weight in DISTRICT_WEIGHTS.items()}
        shares = {code: int(value) for code, value in exact.items()}
        by_remainder = sorted(exact, key=lambda code: exact[code] - shares[code], reverse=True)
        for code in by_remainder[: count - sum(shares.values())]:
            shares[code] += 1
        districts = [code for code, n in shares.items() for _ in range(n)]
        self.rng.shuffle(districts)
        return districts

    def generate(self):
        made = []  # (provider, person, service)
        self.districts = self.share_out_districts(sum(s.count for s in SERVICES) - len(ANCHORS))
        anchors_by_service = {}
        for service_key, name, first, last, district, town in ANCHORS:
            anchors_by_service[service_key] = anchors_by_service.get(service_key, 0) + 1
            service = SERVICES_BY_KEY[service_key]
            pool = next(k for k, p in NAME_POOLS.items() if last in p.surnames)
            self.people.add((first, last))
            provider, person = self.provider(service, _Person(first, last, pool, district, town), name)
            made.append((provider, person, service))
        for service in SERVICES:
            for _ in range(service.count - anchors_by_service.get(service.key, 0)):
                person = self.person(service.name_pools, first_names=service.first_names)
                made.append((*self.provider(service, person), service))
        # Some providers offer a second, related service, to reach the target number of listings.
        candidates = [m for m in made if m[2].also]
        extra = max(0, TARGET_LISTINGS - len(made))
        for provider, person, service in self.rng.sample(candidates, min(extra, len(candidates))):
            second = SERVICES_BY_KEY[service.also]
            provider.listings.append(self.listing(second, person, provider))
            kinds = {c.kind for c in provider.checks}
            if (
                "motor_insurance" in second.extra_checks
                and "public_liability" in kinds
                and "motor_insurance" not in kinds
            ):
                # Driving people needs business car insurance, checked like the rest.
                verified = next(
                    c.verified_after_days for c in provider.checks if c.kind == "public_liability"
                )
                provider.checks.append(
                    CheckSpec(
                        "motor_insurance",
                        f"MB-{self.rng.randint(100000, 999999)}",
                        self.rng.randint(20, 330),
                        365,
                        verified,
                    )
                )
        return [m[0] for m in made]


def generate() -> list[ProviderSpec]:
    """The demo providers and their listings, the same every time."""
    return [*_Generator().generate(), *broker_and_advocate_specs()]


def broker_and_advocate_specs() -> list[ProviderSpec]:
    """Two hand-written listings for support people search for by kind: an independent support
    broker and a community advocate ("Brokers and advocates"). A holder can invite either of
    them as a helper from the listing (docs/meet-first.md)."""
    common = {
        "categories": ["brokers-and-advocates"],
        "audiences": [],
        "languages": [],
        "intake": "taking",
        "served_districts": [],
        "website": "",
        "accessibility": "",
        "confirmed_days_ago": 20,
        "jitter": (0.004, -0.006),
        "min_age": 18,
        "max_age": None,
        "access_features": ["home-visits"],
        "meet_first": True,
    }
    broker = ListingSpec(
        slug="independent-support-broker-bolton",
        title="Independent support broker, Bolton",
        service="support-broker",
        summary="I help you plan how to use your direct payment, find the right support and deal "
        "with the council's paperwork.",
        description="<p>Hello, I'm Bea. I am an independent support broker: I do not work for the "
        "council or for any provider.</p><p>I help you write your support plan in your own words, "
        "find people and groups near you, and keep your budget records straight. With your "
        "permission I can ask providers for support for you.</p>",
        outcomes=["wellbeing-be-in-control-of-my-day", "get-out-and-about"],
        prices=[PriceSpec("Support planning", "hour", None, 2800, None)],
        slots=["mon-morning", "tue-morning", "wed-afternoon", "thu-morning", "fri-afternoon"],
        district="BL1",
        radius=8,
        contact_name="Bea Broker",
        contact_phone="07700 900998",
        contact_email="bea.broker@example.org",
        contact_notes="Email is best; I reply within two working days.",
        easy_read="I help you plan your support.\nI help you find people to help you.\n"
        "I can help with forms.",
        **common,
    )
    advocate = ListingSpec(
        slug="community-advocate-bury",
        title="Community advocate, Bury",
        service="advocate",
        summary="An independent advocate who helps you say what you want, and makes sure you are "
        "heard at reviews and meetings.",
        description="<p>We are a small advocacy group in Bury. We help people speak up at care "
        "reviews, with housing and with the council.</p><p>We listen first, and we only do what "
        "you ask us to.</p>",
        outcomes=["wellbeing-be-in-control-of-my-day", "wellbeing-be-treated-with-dignity"],
        prices=[PriceSpec("Advocacy session", "session", 90, 2500, None)],
        slots=["mon-afternoon", "wed-morning", "thu-afternoon"],
        district="BL9",
        radius=6,
        contact_name="Ade Advocate",
        contact_phone="07700 900997",
        contact_email="speak-up-bury@example.org",
        contact_notes="Ring or email; we can meet you at home.",
        easy_read="We help you speak up.\nWe come to meetings with you.",
        **common,
    )
    return [
        ProviderSpec(
            name="Bea Broker Support Planning",
            legal_name="Beatrice Broker",
            business_type="sole_trader",
            company_number="",
            team_size=1,
            email="bea.broker@example.org",
            phone="07700 900998",
            checks=[CheckSpec("public_liability", "PL-448812", 60, 365, 3)],
            listings=[broker],
        ),
        ProviderSpec(
            name="Speak Up Bury (demo)",
            legal_name="Speak Up Bury CIC",
            business_type="cic",
            company_number="12945678",
            team_size=3,
            email="speak-up-bury@example.org",
            phone="07700 900997",
            checks=[CheckSpec("dbs", "001299887766", 200, None, 5)],
            listings=[advocate],
        ),
    ]


# --- Loading into the database ------------------------------------------------------------


def _aware(day, hour=10, minute=30):
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _comparable(value):
    """A StreamField value (or its raw JSON) as (type, value) pairs; anything else as it is."""
    if isinstance(value, StreamValue):
        value = list(value.raw_data)
    if isinstance(value, list) and all(isinstance(b, dict) and "type" in b for b in value):
        return [(b["type"], b["value"]) for b in value]
    return value


def _update_page(page, user, *, created=False, **fields):
    """Set `fields` on `page`, then save a revision and publish it as an editor would.

    A page that is already live with exactly these values is left alone, so running the
    loader again adds no revisions and sets off no reindexing.
    """
    unchanged = (
        not created
        and page.live
        and not page.has_unpublished_changes
        and all(_comparable(getattr(page, k)) == _comparable(v) for k, v in fields.items())
    )
    if unchanged:
        return False
    for name, value in fields.items():
        setattr(page, name, value)
    _publish(page, user)
    return True


def _publish(page, user):
    """Save a revision of `page` and publish it, as an editor in the admin would."""
    page.save_revision(user=user).publish(user=user)
    # Publishing saves a copy rebuilt from the revision; reload so this object has what was
    # saved (a renamed page's new url_path, which its new children are built from).
    page.refresh_from_db()


def _upsert(model, lookup, values):
    """update_or_create that writes only what differs, so a re-run fires no save signals."""
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        return model.objects.create(**lookup, **values)
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if changed:
        for name in changed:
            setattr(obj, name, values[name])
        obj.save(update_fields=changed)
    return obj


def load_users():
    """Create or update the demo accounts, each with a verified primary email address."""
    user_model = get_user_model()
    users = {}
    for spec in DEMO_USERS:
        user, _ = user_model.objects.update_or_create(
            email=spec.email,
            defaults={
                "first_name": spec.first_name,
                "last_name": spec.last_name,
                "is_staff": spec.is_staff,
                "is_superuser": spec.is_superuser,
                "is_active": True,
            },
        )
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
        if spec.role:
            user.groups.add(Group.objects.get(name=spec.role))
        if two_factor_required(user):
            set_up_totp(user, DEMO_TOTP_SECRET)
        EmailAddress.objects.update_or_create(
            user=user, email=spec.email, defaults={"verified": True, "primary": True}
        )
        users[spec.key] = user
    return users


def load_pages(user):
    """The home page (as the default site's root), the guides and the directory index."""
    root = Page.get_first_root_node()
    home, home_created = HomePage.objects.first(), False
    if home is None:
        # Wagtail's "Welcome" page already uses the slug "home"; take it once that page is gone.
        taken = root.get_children().filter(slug="home").exists()
        home = root.add_child(instance=HomePage(title=HOME_TITLE, slug="home-new" if taken else "home"))
        home_created = True

    site = Site.objects.filter(is_default_site=True).first() or Site(is_default_site=True)
    site.hostname, site.port, site.site_name = "localhost", 80, SITE_NAME
    site.root_page = home
    site.save()

    # Wagtail's placeholder page: a plain Page at the top level that no site uses any more.
    in_use = Site.objects.values_list("root_page_id", flat=True)
    for page in root.get_children().exclude(pk=home.pk).exclude(pk__in=in_use):
        if page.specific_class is Page:
            page.delete()

    _update_page(
        home,
        user,
        created=home_created,
        title=HOME_TITLE,
        slug="home",
        introduction=HOME_INTRODUCTION,
        body=HOME_BODY,
    )

    guides, created = GuideIndexPage.objects.first(), False
    if guides is None:
        guides, created = home.add_child(instance=GuideIndexPage(title=GUIDES_TITLE, slug="guides")), True
    _update_page(
        guides, user, created=created, title=GUIDES_TITLE, slug="guides", introduction=GUIDES_INTRODUCTION
    )

    existing = {g.slug: g for g in GuidePage.objects.child_of(guides)}
    for slug, title, summary, body in GUIDES:
        guide, created = existing.get(slug), False
        if guide is None:
            guide = guides.add_child(instance=GuidePage(title=title, slug=slug, summary=summary, body=body))
            created = True
        _update_page(guide, user, created=created, title=title, summary=summary, body=body)

    directory, created = DirectoryIndexPage.objects.first(), False
    if directory is None:
        directory = home.add_child(instance=DirectoryIndexPage(title=DIRECTORY_TITLE, slug="directory"))
        created = True
    _update_page(
        directory,
        user,
        created=created,
        title=DIRECTORY_TITLE,
        slug="directory",
        introduction=DIRECTORY_INTRODUCTION,
    )
    return site, home, guides, directory


def load_site_settings(site):
    """Who runs the demo site, shown in the footer."""
    SiteSettings.objects.update_or_create(
        site=site, defaults={"organisation_name": ORGANISATION_NAME, "contact_email": CONTACT_EMAIL}
    )


def load_providers(directory, coordinator, specs=None):
    """Create or update every demo provider, its checks and its published listings."""
    specs = specs if specs is not None else generate()
    today = timezone.localdate()
    vocabularies = {
        "outcomes": {o.slug: o for o in Outcome.objects.all()},
        "categories": {c.slug: c for c in Category.objects.all()},
        "audiences": {a.slug: a for a in Audience.objects.all()},
        "languages": {lang.code: lang for lang in Language.objects.all()},
        "access_features": {f.slug: f for f in AccessFeature.objects.all()},
        "served_districts": {d.code: d for d in PostcodeDistrict.objects.all()},
    }
    districts = vocabularies["served_districts"]
    listings = {p.slug: p for p in ListingPage.objects.child_of(directory)}

    for spec in specs:
        provider = _upsert(
            Provider,
            {"name": spec.name},
            {
                "legal_name": spec.legal_name,
                "business_type": spec.business_type,
                "company_number": spec.company_number,
                "team_size": spec.team_size,
                # The demo's providers stand for ones who signed up and said their size.
                "size_confirmed_by": Provider.SizeConfirmedBy.PROVIDER,
                "email": spec.email,
                "phone": spec.phone,
            },
        )
        for check in spec.checks:
            issued_on = today - timedelta(days=check.issued_days_ago)
            verified_at = None
            if check.verified_after_days is not None:
                verified_at = _aware(min(issued_on + timedelta(days=check.verified_after_days), today))
            _upsert(
                Check,
                {"provider": provider, "kind": check.kind},
                {
                    "reference": check.reference,
                    "issued_on": issued_on,
                    "expires_on": issued_on + timedelta(days=check.valid_days) if check.valid_days else None,
                    "verified_at": verified_at,
                    "verified_by_id": coordinator.pk if verified_at else None,
                },
            )

        for item in spec.listings:
            fields = {
                "title": item.title,
                "provider_id": provider.pk,
                "summary": item.summary,
                "description": item.description,
                "base_postcode": item.district,
                "service_radius_miles": item.radius,
                "availability": slots_to_mask(item.slots),
                "intake": item.intake,
                "contact_name": item.contact_name,
                "contact_phone": item.contact_phone,
                "contact_email": item.contact_email,
                "website": item.website,
                "contact_notes": item.contact_notes,
                "accessibility": item.accessibility,
                "easy_read": item.easy_read,
                "min_age": item.min_age,
                "max_age": item.max_age,
                "meet_first": item.meet_first,
                "meet_first_price_pence": item.meet_first_price_pence,
                "trial_session": item.trial_session,
                "trial_price_pence": item.trial_price_pence,
                "last_confirmed_at": _aware(today - timedelta(days=item.confirmed_days_ago), 9, 0),
            }
            related = {
                "outcomes": item.outcomes,
                "categories": item.categories,
                "audiences": item.audiences,
                "languages": item.languages,
                "access_features": item.access_features,
                "served_districts": item.served_districts,
            }
            prices = [
                (p.description, p.unit, p.unit_minutes, p.weekday_pence, p.evening_weekend_pence)
                for p in item.prices
            ]
            # Demo sites loaded before the one slug rule kept Unicode had ASCII slugs ("cafe").
            listing = listings.get(item.slug) or listings.get(slugify(item.title))
            if listing is None or not _listing_matches(listing, fields, related, prices):
                values = {k: v for k, v in fields.items() if k != "provider_id"}
                values.update(
                    {name: [vocabularies[name][key] for key in keys] for name, keys in related.items()}
                )
                price_rows = [
                    {
                        "description": d,
                        "unit": u,
                        "unit_minutes": m,
                        "weekday_pence": w,
                        "evening_weekend_pence": e,
                    }
                    for d, u, m, w, e in prices
                ]
                if listing is None:
                    listing = write_listing(
                        parent=directory,
                        provider=provider,
                        slug=item.slug,
                        prices=price_rows,
                        publish=True,
                        user=coordinator,
                        **values,
                    )
                    listings[item.slug] = listing
                else:
                    update_listing(
                        listing,
                        provider=provider,
                        prices=price_rows,
                        publish=True,
                        user=coordinator,
                        **values,
                    )
                # Publishing saves a copy rebuilt from the revision; reload so this object has it.
                listing.refresh_from_db()
            _place_pin(listing, districts[item.district], item.jitter)
    return specs


def _listing_matches(listing, fields, related, prices):
    """True when a live listing already has exactly these values (so needs no new revision)."""
    if not listing.live or listing.has_unpublished_changes:
        return False
    if any(getattr(listing, name) != value for name, value in fields.items()):
        return False
    keys = {"languages": "code", "served_districts": "code"}
    for name, wanted in related.items():
        have = getattr(listing, name).values_list(keys.get(name, "slug"), flat=True)
        if sorted(have) != sorted(wanted):
            return False
    have_prices = listing.prices.order_by("sort_order").values_list(
        "description", "unit", "unit_minutes", "weekday_pence", "evening_weekend_pence"
    )
    return list(have_prices) == prices


def _place_pin(listing, district, jitter):
    # Demo listings have only an outward code, so ListingPage.save puts every pin in a district
    # on its centre and the map shows a few stacks. Nudge each pin (deterministically) so they
    # spread out. Real listings get coordinates from a full postcode instead. A queryset update
    # skips save(), which would put the centroid back.
    ListingPage.objects.filter(pk=listing.pk).update(
        latitude=round(district.latitude + jitter[0], 6), longitude=round(district.longitude + jitter[1], 6)
    )


def load_demo() -> dict[str, int]:
    """Load the whole demo site; safe to run again. Returns counts of what is there."""
    with transaction.atomic():
        seed_vocabularies(Outcome=Outcome, Category=Category, Audience=Audience, Language=Language)
        seed_access_features(AccessFeature=AccessFeature)
        seed_ascot_domains(Outcome=Outcome)
        seed_places(PostcodeDistrict=PostcodeDistrict, Place=Place)
        # The groups (and Coordinators' admin permissions) normally come from post_migrate;
        # repeating it here makes sure they are complete before the demo accounts join them.
        ensure_role_groups()
        users = load_users()
        site, _home, _guides, directory = load_pages(users["coordinator"])
        load_site_settings(site)
        specs = load_providers(directory, users["coordinator"])
        Provider.objects.get(name=DEMO_PROVIDER_NAME).members.add(users["provider"])
        # Apps above the directory set up their part of the demo accounts (search verifies the
        # demo professional, so they can make shortlists straight away).
        demo_users_loaded.send(sender=load_demo, users=users)

    demo_emails = [u.email for u in DEMO_USERS]
    provider_names = [s.name for s in specs]
    return {
        "providers": Provider.objects.filter(name__in=provider_names).count(),
        "listings": ListingPage.objects.child_of(directory).live().count(),
        "checks": Check.objects.filter(provider__name__in=provider_names).count(),
        "users": get_user_model().objects.filter(email__in=demo_emails).count(),
        "guides": GuidePage.objects.live().count(),
        "pages": Page.objects.live().count(),
    }
