"""Synthetic listings for the search benchmark: pessimistic for text search, clustered by town.

Everything here is pure and deterministic (no database, no network): `generate(size, seed,
vocab)` yields the same listings for the same arguments on any machine.

- Listings sit around real English towns, 500 per town at every size, so a 10k data set is
  20 towns and a 100k one is 200 towns: the density a searcher sees near a town is the same,
  only the country gets bigger. The 10k towns are the first 20 of the 200, and each town's
  listings come from their own seeded random stream, so the 10k listings are exactly the
  first 10k of the 100k.
- Descriptions are 100-200 words. "support", "care", "help", "local" and "people" appear in
  most of them (the words a text index likes least), and the service words ("swimming",
  "gardening", "dementia", "lunch club", ...) follow a Zipf-like distribution, so popular
  query words match a large share of the country.
- `document(listing, vocab)` runs `search.documents.build_document` itself on a stand-in for
  the page, so the backend indexes each listing exactly as it would index a real page.
- `queries(...)` gives the timed query mix: text + a place near one of the towns + a radius +
  two filters.
"""

import math
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from html import escape
from types import SimpleNamespace
from urllib.parse import urlencode

from directory.fields import DAYS, PARTS, slots_to_mask
from directory.prices import ShownPrice
from search.query import Location, SearchQuery

LISTINGS_PER_TOWN = 500
# How far from the town centre a listing's base can be, and a searcher's place.
SCATTER_MILES = 6.0
SEARCHER_SCATTER_MILES = 2.0
MILES_PER_DEGREE_LAT = 69.0
# Bump when the generator changes, so a stored benchmark database is rebuilt.
GENERATOR_VERSION = 3

# (name, latitude, longitude): real English towns, positions to about 0.02 degrees. The first
# 20 are spread across the country and form the 10k data set; the rest fill in the map,
# conurbations included (Greater Manchester, West Yorkshire, the West Midlands, Tyneside), so
# the 100k set has the clusters of towns real searches land in.
TOWNS: list[tuple[str, float, float]] = [
    ("Bolton", 53.578, -2.429),
    ("Norwich", 52.630, 1.297),
    ("Exeter", 50.718, -3.534),
    ("Newcastle upon Tyne", 54.978, -1.618),
    ("Leicester", 52.637, -1.135),
    ("Bristol", 51.455, -2.588),
    ("York", 53.960, -1.082),
    ("Cambridge", 52.205, 0.122),
    ("Plymouth", 50.376, -4.143),
    ("Carlisle", 54.892, -2.932),
    ("Southampton", 50.910, -1.404),
    ("Lincoln", 53.231, -0.541),
    ("Hereford", 52.056, -2.716),
    ("Canterbury", 51.280, 1.079),
    ("Shrewsbury", 52.708, -2.754),
    ("Hull", 53.745, -0.336),
    ("Oxford", 51.752, -1.258),
    ("Lancaster", 54.047, -2.801),
    ("Ipswich", 52.057, 1.148),
    ("Stoke-on-Trent", 53.003, -2.179),
    # --- the rest of the 200 ---
    ("London", 51.507, -0.128),
    ("Manchester", 53.480, -2.242),
    ("Liverpool", 53.408, -2.992),
    ("Leeds", 53.800, -1.549),
    ("Sheffield", 53.381, -1.470),
    ("Birmingham", 52.486, -1.890),
    ("Nottingham", 52.954, -1.158),
    ("Derby", 52.922, -1.476),
    ("Coventry", 52.407, -1.510),
    ("Bradford", 53.796, -1.759),
    ("Wakefield", 53.683, -1.499),
    ("Huddersfield", 53.645, -1.785),
    ("Halifax", 53.721, -1.861),
    ("Bury", 53.593, -2.298),
    ("Rochdale", 53.616, -2.155),
    ("Oldham", 53.541, -2.118),
    ("Stockport", 53.409, -2.157),
    ("Wigan", 53.545, -2.632),
    ("Warrington", 53.390, -2.597),
    ("St Helens", 53.454, -2.737),
    ("Preston", 53.763, -2.703),
    ("Blackburn", 53.748, -2.482),
    ("Burnley", 53.789, -2.248),
    ("Blackpool", 53.817, -3.036),
    ("Southport", 53.645, -3.010),
    ("Chester", 53.193, -2.893),
    ("Crewe", 53.099, -2.440),
    ("Macclesfield", 53.259, -2.127),
    ("Wolverhampton", 52.587, -2.129),
    ("Walsall", 52.586, -1.982),
    ("Dudley", 52.512, -2.081),
    ("Worcester", 52.192, -2.220),
    ("Kidderminster", 52.388, -2.250),
    ("Telford", 52.677, -2.449),
    ("Stafford", 52.806, -2.117),
    ("Lichfield", 52.683, -1.826),
    ("Tamworth", 52.634, -1.695),
    ("Nuneaton", 52.523, -1.468),
    ("Rugby", 52.371, -1.262),
    ("Northampton", 52.240, -0.902),
    ("Kettering", 52.398, -0.726),
    ("Corby", 52.488, -0.701),
    ("Peterborough", 52.573, -0.241),
    ("Bedford", 52.136, -0.467),
    ("Luton", 51.879, -0.417),
    ("Milton Keynes", 52.041, -0.760),
    ("Aylesbury", 51.816, -0.812),
    ("High Wycombe", 51.629, -0.749),
    ("Reading", 51.454, -0.973),
    ("Slough", 51.511, -0.595),
    ("Swindon", 51.558, -1.782),
    ("Bath", 51.381, -2.359),
    ("Gloucester", 51.864, -2.244),
    ("Cheltenham", 51.899, -2.078),
    ("Salisbury", 51.069, -1.795),
    ("Bournemouth", 50.720, -1.880),
    ("Dorchester", 50.716, -2.437),
    ("Weymouth", 50.614, -2.457),
    ("Yeovil", 50.942, -2.633),
    ("Taunton", 51.015, -3.103),
    ("Bridgwater", 51.128, -3.003),
    ("Weston-super-Mare", 51.346, -2.977),
    ("Torquay", 50.462, -3.525),
    ("Barnstaple", 51.080, -4.058),
    ("Truro", 50.263, -5.051),
    ("Penzance", 50.119, -5.537),
    ("Bodmin", 50.471, -4.718),
    ("Winchester", 51.063, -1.308),
    ("Portsmouth", 50.805, -1.087),
    ("Chichester", 50.837, -0.779),
    ("Worthing", 50.818, -0.372),
    ("Brighton", 50.823, -0.137),
    ("Eastbourne", 50.768, 0.290),
    ("Hastings", 50.856, 0.573),
    ("Crawley", 51.109, -0.187),
    ("Guildford", 51.236, -0.570),
    ("Woking", 51.319, -0.558),
    ("Basingstoke", 51.266, -1.087),
    ("Newbury", 51.401, -1.323),
    ("Maidstone", 51.272, 0.529),
    ("Tunbridge Wells", 51.132, 0.263),
    ("Ashford", 51.146, 0.875),
    ("Folkestone", 51.081, 1.166),
    ("Dover", 51.126, 1.313),
    ("Margate", 51.386, 1.386),
    ("Chatham", 51.378, 0.527),
    ("Dartford", 51.446, 0.218),
    ("Southend-on-Sea", 51.538, 0.714),
    ("Chelmsford", 51.736, 0.469),
    ("Colchester", 51.890, 0.903),
    ("Harlow", 51.773, 0.102),
    ("Basildon", 51.576, 0.488),
    ("Stevenage", 51.902, -0.202),
    ("St Albans", 51.752, -0.336),
    ("Watford", 51.656, -0.390),
    ("Bury St Edmunds", 52.246, 0.712),
    ("Lowestoft", 52.475, 1.751),
    ("Great Yarmouth", 52.608, 1.729),
    ("King's Lynn", 52.754, 0.398),
    ("Thetford", 52.413, 0.750),
    ("Ely", 52.399, 0.262),
    ("Huntingdon", 52.331, -0.182),
    ("Stamford", 52.652, -0.480),
    ("Grantham", 52.912, -0.642),
    ("Boston", 52.977, -0.026),
    ("Skegness", 53.144, 0.336),
    ("Louth", 53.367, -0.006),
    ("Grimsby", 53.567, -0.080),
    ("Scunthorpe", 53.588, -0.654),
    ("Doncaster", 53.523, -1.128),
    ("Rotherham", 53.430, -1.357),
    ("Barnsley", 53.553, -1.482),
    ("Chesterfield", 53.236, -1.421),
    ("Mansfield", 53.143, -1.198),
    ("Newark-on-Trent", 53.076, -0.809),
    ("Worksop", 53.302, -1.124),
    ("Loughborough", 52.772, -1.206),
    ("Burton upon Trent", 52.806, -1.643),
    ("Buxton", 53.258, -1.911),
    ("Matlock", 53.138, -1.559),
    ("Harrogate", 53.992, -1.541),
    ("Ripon", 54.138, -1.524),
    ("Scarborough", 54.283, -0.400),
    ("Whitby", 54.486, -0.615),
    ("Bridlington", 54.083, -0.192),
    ("Beverley", 53.842, -0.435),
    ("Selby", 53.784, -1.067),
    ("Goole", 53.704, -0.873),
    ("Skipton", 53.962, -2.017),
    ("Northallerton", 54.339, -1.434),
    ("Darlington", 54.524, -1.552),
    ("Middlesbrough", 54.576, -1.235),
    ("Hartlepool", 54.692, -1.212),
    ("Durham", 54.776, -1.575),
    ("Sunderland", 54.906, -1.381),
    ("Hexham", 54.971, -2.101),
    ("Morpeth", 55.168, -1.688),
    ("Berwick-upon-Tweed", 55.771, -2.007),
    ("Alnwick", 55.413, -1.706),
    ("Kendal", 54.328, -2.746),
    ("Penrith", 54.664, -2.752),
    ("Workington", 54.642, -3.545),
    ("Whitehaven", 54.549, -3.586),
    ("Barrow-in-Furness", 54.111, -3.227),
    ("Keswick", 54.601, -3.134),
    ("Ormskirk", 53.567, -2.885),
    ("Ilkley", 53.925, -1.822),
    ("Thirsk", 54.233, -1.341),
    ("Malton", 54.136, -0.797),
    ("Driffield", 54.005, -0.443),
    ("Gainsborough", 53.399, -0.775),
    ("Sleaford", 52.999, -0.410),
    ("Spalding", 52.787, -0.152),
    ("Wisbech", 52.666, 0.159),
    ("St Neots", 52.228, -0.271),
    ("Hitchin", 51.948, -0.283),
    ("Bishop's Stortford", 51.872, 0.159),
    ("Braintree", 51.878, 0.553),
    ("Clacton-on-Sea", 51.789, 1.156),
    ("Sudbury", 52.038, 0.731),
    ("Dereham", 52.681, 0.939),
    ("Newmarket", 52.245, 0.408),
    ("Banbury", 52.062, -1.339),
    ("Witney", 51.785, -1.485),
    ("Maidenhead", 51.522, -0.719),
    ("Andover", 51.211, -1.492),
    ("Horsham", 51.063, -0.325),
    ("Bridport", 50.734, -2.758),
    ("Tiverton", 50.903, -3.488),
    ("Newton Abbot", 50.529, -3.611),
    ("Tavistock", 50.549, -4.144),
    ("Frome", 51.228, -2.320),
    ("Chippenham", 51.458, -2.117),
    ("Cirencester", 51.718, -1.968),
    ("Stratford-upon-Avon", 52.192, -1.707),
    ("Ludlow", 52.367, -2.718),
    ("Leek", 53.105, -2.023),
    ("Melton Mowbray", 52.766, -0.887),
    ("Market Harborough", 52.478, -0.921),
    ("Clitheroe", 53.871, -2.393),
]
assert len(TOWNS) == 200, len(TOWNS)

# --- Words ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Service:
    """One kind of service: its words, where it sits in the vocabularies, and title nouns."""

    key: str
    category: str
    outcomes: tuple[str, ...]
    words: tuple[str, ...]  # phrases its descriptions use
    titles: tuple[str, ...]
    audience: str = ""


# In order of popularity: a listing's main service is drawn with weight 1/rank (Zipf), so the
# first few ("companionship", "shopping", "gardening", "swimming") cover a large share of the
# country, which is what makes the common query words expensive for a text index.
SERVICES: list[Service] = [
    Service(
        "companionship",
        "companionship-and-sitting",
        ("see-friends-and-family", "wellbeing-feel-connected-and-secure"),
        ("companionship", "a friendly chat", "befriending", "company", "home visits", "a cup of tea"),
        ("Companionship visits", "Friendly companion", "Befriending service", "Good company"),
    ),
    Service(
        "shopping",
        "shopping-and-errands",
        ("eat-well", "carer-use-local-services-while-i-care"),
        ("shopping", "the weekly shop", "errands", "prescriptions", "the post office", "groceries"),
        ("Shopping help", "Errands and shopping", "Shopping trips", "Shopping buddy"),
    ),
    Service(
        "gardening",
        "gardening-and-home-help",
        ("keep-my-home",),
        ("gardening", "garden", "lawn mowing", "hedges", "weeding", "an experienced gardener"),
        ("Gardening help", "Garden tidy-ups", "Gardener", "Green Fingers"),
    ),
    Service(
        "swimming",
        "exercise-sport-and-swimming",
        ("get-out-and-about", "wellbeing-stay-well-in-body-and-mind"),
        ("swimming", "the swimming pool", "the leisure centre", "a swim", "changing rooms", "lengths"),
        ("Swimming buddy", "Swimming sessions", "Swim and social", "Pool trips"),
    ),
    Service(
        "cooking",
        "meals-and-cooking",
        ("eat-well",),
        ("cooking", "home cooked meals", "batch cooking", "healthy food", "recipes", "the kitchen"),
        ("Home cooking", "Cooking together", "Meals made at home", "Kitchen help"),
    ),
    Service(
        "walking",
        "exercise-sport-and-swimming",
        ("get-out-and-about", "wellbeing-stay-well-in-body-and-mind"),
        ("walking", "gentle walks", "the park", "a walking group", "fresh air", "nature trails"),
        ("Walking group", "Walks and talks", "Park walks", "Walking buddy"),
    ),
    Service(
        "personal assistant",
        "personal-assistants",
        ("wellbeing-be-in-control-of-my-day", "get-out-and-about"),
        ("a personal assistant", "a support worker", "appointments", "daily routines", "independence"),
        ("Personal assistant", "PA support", "Your own PA", "Support worker"),
    ),
    Service(
        "dementia",
        "companionship-and-sitting",
        ("wellbeing-feel-connected-and-secure", "see-friends-and-family"),
        ("dementia", "memory loss", "a dementia friendly cafe", "reminiscence", "memory games"),
        ("Memory cafe", "Dementia friendly visits", "Dementia companion", "Remember when club"),
        audience="people-living-with-dementia",
    ),
    Service(
        "lunch club",
        "clubs-and-day-activities",
        ("eat-well", "see-friends-and-family"),
        ("a lunch club", "a hot lunch", "the community centre", "bingo", "a two course meal"),
        ("Lunch club", "Community lunch club", "Friday lunch club", "Dinner club"),
        audience="older-people",
    ),
    Service(
        "respite",
        "short-breaks-for-carers",
        ("carer-a-break-for-my-carer",),
        ("respite", "a short break", "sitting service", "carers", "time off", "overnight stays"),
        ("Respite sitting", "Carer break", "Short breaks", "Time for you"),
        audience="carers",
    ),
    Service(
        "cleaning",
        "gardening-and-home-help",
        ("keep-my-home",),
        ("cleaning", "housework", "hoovering", "a tidy home", "ironing", "a reliable cleaner"),
        ("Home cleaning", "Cleaner", "Spick and span", "Housework help"),
    ),
    Service(
        "dog walking",
        "pets-and-animals",
        ("keep-my-home", "wellbeing-do-things-i-enjoy"),
        ("dog walking", "pet care", "your dog", "cat feeding", "a dog walker"),
        ("Dog walking", "Pet care", "Paws for thought", "Dog walker"),
    ),
    Service(
        "arts and crafts",
        "arts-crafts-and-music",
        ("wellbeing-do-things-i-enjoy",),
        ("arts and crafts", "painting", "knitting", "card making", "pottery"),
        ("Craft club", "Art afternoons", "Knit and natter", "Creative sessions"),
    ),
    Service(
        "music",
        "arts-crafts-and-music",
        ("wellbeing-do-things-i-enjoy", "see-friends-and-family"),
        ("music", "singing", "a choir", "sing along sessions", "old songs"),
        ("Singing for the brain", "Music sessions", "Community choir", "Sing along"),
    ),
    Service(
        "day trips",
        "trips-and-days-out",
        ("get-out-and-about",),
        ("day trips", "outings", "the seaside", "garden centres", "a driver", "accessible transport"),
        ("Days out", "Trips and outings", "Seaside trips", "Out and about"),
    ),
    Service(
        "personal care",
        "personal-care",
        ("keep-clean-and-fresh", "get-dressed"),
        ("personal care", "washing", "getting dressed", "bathing", "a shower"),
        ("Personal care at home", "Morning routine help", "Home care", "Washing and dressing"),
    ),
    Service(
        "exercise",
        "exercise-sport-and-swimming",
        ("wellbeing-stay-well-in-body-and-mind",),
        ("exercise", "chair exercise", "yoga", "keep fit", "balance classes", "falls prevention"),
        ("Chair exercise", "Gentle yoga", "Keep fit", "Move more"),
    ),
    Service(
        "volunteering",
        "learning-work-and-volunteering",
        ("work-learn-or-volunteer", "wellbeing-give-something-back"),
        ("volunteering", "work experience", "a college course", "new skills", "a job coach"),
        ("Volunteering support", "Job coach", "Skills for work", "Learning together"),
        audience="people-with-a-learning-disability",
    ),
    Service(
        "relaxation",
        "wellbeing-and-relaxation",
        ("wellbeing-stay-well-in-body-and-mind",),
        ("relaxation", "massage", "mindfulness", "a calm space", "talking therapy"),
        ("Relax and unwind", "Mindful moments", "Wellbeing sessions", "Hand massage"),
        audience="people-with-mental-health-needs",
    ),
    Service(
        "handyman",
        "gardening-and-home-help",
        ("be-safe-at-home", "keep-my-home"),
        ("odd jobs", "a handyman", "grab rails", "small repairs", "changing light bulbs"),
        ("Handyman", "Odd jobs", "Home repairs", "Safe at home"),
    ),
    Service(
        "autism",
        "clubs-and-day-activities",
        ("wellbeing-do-things-i-enjoy", "see-friends-and-family"),
        ("autism", "a quiet space", "sensory activities", "routine", "social skills"),
        ("Autism friendly club", "Quiet time group", "Sensory sessions", "Social club"),
        audience="autistic-people",
    ),
    Service(
        "laundry",
        "gardening-and-home-help",
        ("get-dressed", "keep-my-home"),
        ("laundry", "washing clothes", "ironing", "bedding", "collection and delivery"),
        ("Laundry help", "Wash and iron", "Fresh laundry", "Clean clothes"),
    ),
    Service(
        "computers",
        "learning-work-and-volunteering",
        ("work-learn-or-volunteer", "wellbeing-feel-connected-and-secure"),
        ("computers", "tablets", "video calls", "online shopping", "email"),
        ("Computer help", "Tablet lessons", "Get online", "Tech buddy"),
    ),
    Service(
        "hairdressing",
        "personal-care",
        ("keep-clean-and-fresh", "wellbeing-be-treated-with-dignity"),
        ("hairdressing", "a haircut", "nails", "a home visit", "pampering"),
        ("Mobile hairdresser", "Hair at home", "Pamper sessions", "Looking good"),
    ),
]

COMMON = ("support", "care", "help", "local", "people")
# Sentences every kind of listing uses. {s}/{t} are service phrases (mostly the listing's own),
# {town} the town, {who} a group of people. Most mention the common words on purpose.
SENTENCES = (
    "We offer friendly local support and care for people in {town} and nearby.",
    "Our small team can help with {s} and {t}.",
    "We help people stay independent at home with {s}.",
    "Support is flexible and we can help with {s} on weekdays or at the weekend.",
    "Many of the people we support enjoy {s} and {t}.",
    "We care about the people we help and we take time to get to know you.",
    "Local people tell us the best part is {s}.",
    "We have supported {who} in {town} for many years.",
    "Care and support are given at a pace that suits you.",
    "You can ask a family member or carer to get in touch for you.",
    "We can also help with {t} if you need it.",
    "Every visit is planned with you, so the support fits your week.",
    "All our staff are trained, insured and checked, and they care about doing it well.",
    "We help with {s}, {t} and anything else that makes the day easier.",
    "People often start with {s} and then try {t}.",
    "Our local helpers know {town} well and can help you find {t}.",
    "The support is friendly, reliable and local.",
    "We work with {who} and their families.",
    "We are happy to help people with {s} whatever their age.",
    "There is free parking and step free access, and we can help with transport.",
    "If you are not sure whether we can help, please ask and we will talk it through.",
    "Prices are clear, and we can send an invoice for a direct payment or personal budget.",
    "We believe good care starts with listening to people.",
    "We can bring {s} to your home or meet you somewhere local.",
    "Some people come for {s}; others just want company and a chat.",
    "Our volunteers and staff support people to do more of what they enjoy, like {s}.",
)
WHO = (
    "older people",
    "people living with dementia",
    "autistic adults",
    "people with a learning disability",
    "carers",
    "young adults",
    "people with sight loss",
    "people recovering from a stay in hospital",
    "people who feel lonely",
    "wheelchair users",
)
# Space- or comma-separated for compactness; the lists are data, not code.
FIRST_NAMES = (  # noqa: SIM905
    "Sue Jo Sam Alex Pat Chris Mo Priya Aisha Tom Kate Liam Grace Ravi Nadia Ben Lucy Jack Amir "
    "Ellie Dan Fatima Owen Rosa Tariq Holly Gareth Mei Zara Leon Ruth Imran Beth Kieran Sian"
).split()
SURNAMES = (  # noqa: SIM905
    "Smith Jones Patel Khan Taylor Brown Wilson Evans Thomas Roberts Walker Wright Hughes Green "
    "Hall Wood Clarke Lewis Ahmed Begum Shaw Turner Hill Moore Baker Cooper Ward Morris King Hussain"
).split()
BUSINESS_WORDS = (  # noqa: SIM905
    "Helping Hands,Kind Hearts,Good Neighbours,Bright Days,Open Door,Sunrise,Village Friends,"
    "Together,Happy Days,Corner Stone,Little Acorns,Evergreen,Willow,Rainbow,Harbour"
).split(",")
BUSINESS_SUFFIXES = ("CIC", "Ltd", "Community Group", "Services", "Co-op", "")
PLACES = ("community centre", "church hall", "library", "leisure centre", "high street", "village hall")


# --- Vocabularies ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """A vocabulary term as build_document reads it: slug, label and synonyms."""

    slug: str
    label: str
    synonyms: str = ""


@dataclass(frozen=True)
class Vocabularies:
    """The seeded outcomes, categories, audiences and language codes, in the models' order."""

    outcomes: tuple[Term, ...]
    categories: tuple[Term, ...]
    audiences: tuple[Term, ...]
    languages: tuple[str, ...]

    def terms(self, kind: str, slugs) -> list[Term]:
        """The terms with these slugs, in the model's default order (as build_document sees them)."""
        wanted = set(slugs)
        return [t for t in getattr(self, kind) if t.slug in wanted]


def load_vocabularies() -> Vocabularies:
    """Read the vocabularies seeded by the directory migration (needs Django set up)."""
    from directory.models import Audience, Category, Language, Outcome

    def terms(model):
        return tuple(Term(t.slug, t.label, t.synonyms) for t in model.objects.all())

    return Vocabularies(
        outcomes=terms(Outcome),
        categories=terms(Category),
        audiences=terms(Audience),
        languages=tuple(Language.objects.values_list("code", flat=True)),
    )


# --- Listings -------------------------------------------------------------------------------


@dataclass
class Listing:
    """One synthetic listing, with the fields a ListingPage (and its provider) would have."""

    id: int
    town: int
    public_id: str
    title: str
    slug: str
    summary: str
    paragraphs: list[str]
    provider_name: str
    latitude: float
    longitude: float
    radius_miles: int
    districts: list[str]
    outcomes: list[str]
    categories: list[str]
    audiences: list[str]
    languages: list[str]
    availability: int
    price_per_hour_pence: int | None
    intake: str
    # The provider's check: None, or (expires_on or None for "never", verified).
    check_expires: date | None = None
    has_check: bool = False
    last_confirmed_at: datetime = field(default_factory=lambda: datetime(2026, 1, 1, tzinfo=UTC))

    @property
    def html(self) -> str:
        """The description as rich text, one paragraph element per paragraph."""
        return "\n".join(f"<p>{escape(p, quote=False)}</p>" for p in self.paragraphs)


def district_codes(town: int) -> list[str]:
    """Made-up postcode districts for a town ("Z5J1"..."Z5J6"): 4 characters, like real ones."""
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    stem = digits[town // 36] + digits[town % 36]
    return [f"Z{stem}{n}" for n in range(1, 7)]


def _zipf_weights(n: int, exponent: float = 1.0) -> list[float]:
    return [1 / (rank**exponent) for rank in range(1, n + 1)]


SERVICE_WEIGHTS = _zipf_weights(len(SERVICES))


def _offset(rng: random.Random, lat: float, lon: float, miles: float) -> tuple[float, float]:
    """A point uniformly inside a circle of `miles` around (lat, lon)."""
    distance = miles * math.sqrt(rng.random())
    bearing = rng.uniform(0, 2 * math.pi)
    dlat = distance * math.cos(bearing) / MILES_PER_DEGREE_LAT
    dlon = distance * math.sin(bearing) / (MILES_PER_DEGREE_LAT * math.cos(math.radians(lat)))
    return round(lat + dlat, 6), round(lon + dlon, 6)


def _phrase(rng: random.Random, main: Service, others: list[Service]) -> str:
    # Mostly the listing's own service, sometimes a secondary one: real listings wander.
    service = main if rng.random() < 0.6 or not others else rng.choice(others)
    return rng.choice(service.words)


def _description(rng: random.Random, main: Service, others: list[Service], town: str) -> list[str]:
    target = rng.randint(100, 200)
    sentences, count = [], 0
    opening = f"{main.titles[0]} in {town}: {rng.choice(main.words)} with {rng.choice(main.words)}."
    sentences.append(opening)
    count += len(opening.split())
    while count < target:
        template = rng.choice(SENTENCES)
        sentence = template.format(
            s=_phrase(rng, main, others),
            t=_phrase(rng, main, others),
            town=town,
            who=rng.choice(WHO),
        )
        if rng.random() < 0.15:
            # A place name with a surname in it: the long tail a real dictionary of words has.
            sentence += f" We meet at the {rng.choice(PLACES)} on {rng.choice(SURNAMES)} Road."
        sentences.append(sentence)
        count += len(sentence.split())
    # Trim to at most 200 words without cutting into the middle of the opening.
    words = " ".join(sentences).split()[:200]
    text = " ".join(words)
    # Three or four paragraphs, split at sentence ends.
    parts = [p.strip() + "." for p in text.split(". ") if p.strip()]
    parts[-1] = parts[-1].rstrip(".") + "."
    size = max(1, math.ceil(len(parts) / rng.randint(3, 4)))
    return [" ".join(parts[i : i + size]) for i in range(0, len(parts), size)]


def _availability(rng: random.Random) -> int:
    days = rng.sample([d for d, _ in DAYS], rng.randint(1, 6))
    parts = rng.sample([p for p, _ in PARTS[:3]], rng.randint(1, 3))
    if rng.random() < 0.05:
        parts.append("overnight")
    return slots_to_mask(f"{d}-{p}" for d in days for p in parts)


def _town_listings(town: int, seed: int, vocab: Vocabularies, today: date):
    name, lat, lon = TOWNS[town]
    # Each town has its own stream, so a town's listings are the same at every size.
    rng = random.Random(f"{seed}:{town}")
    codes = district_codes(town)
    outcome_slugs = [t.slug for t in vocab.outcomes]
    category_slugs = {t.slug for t in vocab.categories}
    audience_slugs = [t.slug for t in vocab.audiences]
    other_languages = [c for c in vocab.languages if c != "en"]
    now = datetime.combine(today, time(12), tzinfo=UTC)
    for n in range(LISTINGS_PER_TOWN):
        listing_id = town * LISTINGS_PER_TOWN + n + 1
        main = rng.choices(SERVICES, weights=SERVICE_WEIGHTS)[0]
        others = [s for s in rng.choices(SERVICES, weights=SERVICE_WEIGHTS, k=rng.randint(1, 3)) if s != main]
        person = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"
        if rng.random() < 0.5:
            provider = person
        else:
            provider = f"{rng.choice(BUSINESS_WORDS)} {rng.choice(BUSINESS_SUFFIXES)}".strip()
        title_noun = rng.choice(main.titles)
        title = rng.choice(
            (
                f"{title_noun} in {name}",
                f"{person.split()[0]}'s {title_noun.lower()}",
                f"{provider}: {title_noun.lower()}",
                title_noun,
            )
        )
        wanted = rng.randint(1, 3)
        outcomes = {o for o in main.outcomes[:wanted] if o in outcome_slugs}
        while len(outcomes) < wanted:
            outcomes.add(rng.choice(outcome_slugs))
        categories = {main.category} | {s.category for s in others[:1] if rng.random() < 0.3}
        audiences = set()
        if main.audience:
            audiences.add(main.audience)
        if rng.random() < 0.4:
            audiences.add(rng.choice(audience_slugs))
        languages = ["en"] + ([rng.choice(other_languages)] if rng.random() < 0.2 else [])
        latitude, longitude = _offset(rng, lat, lon, SCATTER_MILES)
        roll = rng.random()
        has_check, expires = False, None
        if roll < 0.07:
            has_check, expires = True, None  # a check that never expires
        elif roll < 0.35:
            has_check, expires = True, today + timedelta(days=rng.randint(20, 700))
        elif roll < 0.45:
            has_check, expires = True, today - timedelta(days=rng.randint(1, 300))  # expired
        stale = rng.random() < 0.1
        confirmed_days = rng.randint(370, 900) if stale else rng.randint(0, 330)
        yield Listing(
            id=listing_id,
            town=town,
            public_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            title=title,
            slug=f"listing-{listing_id}",
            summary=f"{title_noun} for {rng.choice(WHO)} in and around {name}.",
            paragraphs=_description(rng, main, others, name),
            provider_name=provider,
            latitude=latitude,
            longitude=longitude,
            radius_miles=rng.randint(0, 10),
            districts=rng.sample(codes, rng.randint(1, 3)) if rng.random() < 0.15 else [],
            outcomes=sorted(outcomes),
            categories=sorted(c for c in categories if c in category_slugs),
            audiences=sorted(audiences),
            languages=languages,
            availability=_availability(rng),
            price_per_hour_pence=None if rng.random() < 0.05 else rng.randrange(800, 3001, 50),
            intake=rng.choices(("taking", "waiting_list", "full"), weights=(80, 12, 8))[0],
            check_expires=expires,
            has_check=has_check,
            last_confirmed_at=now - timedelta(days=confirmed_days, minutes=rng.randint(0, 600)),
        )


def town_count(size: int) -> int:
    """How many towns a data set of `size` listings covers (500 listings each)."""
    towns = math.ceil(size / LISTINGS_PER_TOWN)
    if towns > len(TOWNS):
        raise ValueError(f"At most {len(TOWNS) * LISTINGS_PER_TOWN} listings ({len(TOWNS)} towns).")
    return towns


def generate(size: int, seed: int, vocab: Vocabularies, today: date):
    """Yield `size` listings, town by town, 500 per town (the last town may have fewer)."""
    produced = 0
    for town in range(town_count(size)):
        for listing in _town_listings(town, seed, vocab, today):
            if produced == size:
                return
            produced += 1
            yield listing


class _Related(list):
    """A list that answers `.all()`, standing in for a related manager."""

    def all(self):
        return self


def page_like(listing: Listing, vocab: Vocabularies) -> SimpleNamespace:
    """An object with every attribute search.documents.build_document reads from a ListingPage.

    Building documents through build_document itself (rather than copying its dict here)
    keeps the benchmark indexing exactly what production indexes, even as that changes.
    """
    checks = []
    if listing.has_check:
        verified_at = listing.last_confirmed_at
        checks.append(SimpleNamespace(verified_at=verified_at, expires_on=listing.check_expires))
    return SimpleNamespace(
        pk=listing.id,
        public_id=listing.public_id,
        title=listing.title,
        url=f"/directory/{listing.slug}/",
        summary=listing.summary,
        description=listing.html,
        # Sole traders who have not said who runs them ("not stated"), as bench.pages writes them.
        provider=SimpleNamespace(name=listing.provider_name, checks=_Related(checks), runner=""),
        latitude=listing.latitude,
        longitude=listing.longitude,
        # build_document indexes the public point (district centre or venue); the stand-in's
        # point is already the one it would publish.
        public_location=lambda: SimpleNamespace(latitude=listing.latitude, longitude=listing.longitude),
        service_radius_miles=listing.radius_miles,
        # The town's first made-up district: bench.pages' base postcode for the listing.
        outward_code=district_codes(listing.town)[0],
        available_anywhere=False,
        meet_first=False,
        trial_session=False,
        served_districts=_Related(SimpleNamespace(code=code) for code in listing.districts),
        # In each model's default order, as the page's related managers return them.
        outcomes=_Related(vocab.terms("outcomes", listing.outcomes)),
        categories=_Related(vocab.terms("categories", listing.categories)),
        audiences=_Related(vocab.terms("audiences", listing.audiences)),
        languages=_Related(
            SimpleNamespace(code=code) for code in vocab.languages if code in listing.languages
        ),
        # The benchmark's listings have no access features or age limits (filters only).
        access_features=_Related([]),
        min_age=None,
        max_age=None,
        availability=listing.availability,
        hourly_price_pence=listing.price_per_hour_pence,
        # One hourly price, as bench.pages writes it (directory.prices.ShownPrice).
        shown_price=(
            None
            if listing.price_per_hour_pence is None
            else ShownPrice(pence=listing.price_per_hour_pence, unit="hour")
        ),
        intake=listing.intake,
        last_confirmed_at=listing.last_confirmed_at,
    )


def document(listing: Listing, vocab: Vocabularies) -> dict:
    """The dict search.documents.build_document returns for this listing (needs Django set up)."""
    from search.documents import build_document

    return build_document(page_like(listing, vocab))


# --- Queries --------------------------------------------------------------------------------

# (what people type, the service it is about). Includes stop-word-heavy phrasing and typos.
QUERY_TEXTS: list[tuple[str, str]] = [
    ("swimming", "swimming"),
    ("help with shopping", "shopping"),
    ("dementia friendly lunch club", "lunch club"),
    ("gardener", "gardening"),
    ("someone to take mum swimming", "swimming"),
    ("respite", "respite"),
    ("companionship", "companionship"),
    ("gardner", "gardening"),
    ("cooking meals", "cooking"),
    ("walks", "walking"),
    ("personal assistant", "personal assistant"),
    ("dog walker", "dog walking"),
    ("cleaner", "cleaning"),
    ("befriending for dad", "companionship"),
    ("day trips", "day trips"),
    ("chair exercise", "exercise"),
]
RADII = (5, 8, 10)


@dataclass(frozen=True)
class BenchQuery:
    """A timed query: the SearchQuery, the town it is near and the filter pair used."""

    query: SearchQuery
    town: int
    filters: str


def queries(size: int, count: int, seed: int, today: date) -> list[BenchQuery]:
    """`count` queries: text x place near a town of this data set x radius x two filters.

    Only the town depends on `size` (a town of this data set, uniformly), so the mix of texts,
    radii and filters is the same at every size.
    """
    rng = random.Random(f"{seed}:queries")
    towns = town_count(size)
    by_key = {s.key: s for s in SERVICES}
    result = []
    for i in range(count):
        text, key = rng.choice(QUERY_TEXTS)
        service = by_key[key]
        town = int(rng.random() * towns)
        name, lat, lon = TOWNS[town]
        lat, lon = _offset(rng, lat, lon, SEARCHER_SCATTER_MILES)
        district = rng.choice(district_codes(town)) if rng.random() < 0.3 else ""
        radius = rng.choice(RADII)
        day = rng.choice(DAYS)[0]
        kind = i % 3
        if kind == 0:
            filters = {"outcomes": (service.outcomes[0],), "taking_new": True}
            label = "outcome+taking_new"
        elif kind == 1:
            filters = {"categories": (service.category,), "max_price_pence": 2000}
            label = "category+max_price"
        else:
            filters = {"days": (day,), "verified": True}
            label = "day+verified"
        query = SearchQuery(
            text=text,
            near=name,
            location=Location(lat, lon, name, district),
            radius_miles=radius,
            today=today,
            **filters,
        )
        result.append(BenchQuery(query=query, town=town, filters=label))
    return result


# --- Shapes: every kind of search issue 20 names --------------------------------------------

# The data's most common words are "support", "care", "help", "local" and "people" (89-100% of
# listings), but the first four are query stop words (search.text.STOP_WORDS): a search never
# asks the index for them. "people" is not one, so it is the "one very common word" shape: in
# nearly every listing, the most expensive single word there is. "companionship" is the most
# common service word (~34% of listings; with its synonym group, more), and "compnaionship"
# its typo (two letters swapped: the typo path looks up every word one edit away). The data
# is pessimistic because 30 services share all of the text: a real directory's words spread
# over far more services, so each word matches a smaller share of it.
COMMON_WORD = "people"
COMMON_SERVICE_WORD = "companionship"
TYPO = "compnaionship"
# (label, text, place?, radius, filters): the shapes bench.search and bench.pages time.
SHAPES: list[tuple[str, str, bool, int, dict]] = [
    ("text+place r10", "", True, 10, {}),  # text filled from QUERY_TEXTS, with two filters
    ("no text r20", "", True, 20, {}),
    ("no text r50", "", True, 50, {}),
    ("no text r100", "", True, 100, {}),
    ("no place", COMMON_SERVICE_WORD, False, 0, {}),
    ("filter only", "", False, 0, {"outcomes": ("eat-well",)}),
    ("common word", COMMON_WORD, False, 0, {}),
    ("typo", TYPO, False, 0, {}),
    ("common word r100", COMMON_WORD, True, 100, {}),
]


def place_name(town: int) -> str:
    """The Place each town is saved as (bench_places), so `near=` geocodes as a person's would."""
    return f"Benchtown {TOWNS[town][0]}"


def shape_queries(size: int, count: int, seed: int, today: date) -> list[tuple[str, SearchQuery, str]]:
    """(shape, SearchQuery, the API URL a person's browser would ask) for every shape, `count`
    each, rotating over the data set's towns. The place is the town's own point (as its Place
    geocodes), so the engine call and the request search the same circle."""
    rng = random.Random(f"{seed}:shapes")
    towns = town_count(size)
    by_key = {s.key: s for s in SERVICES}
    out = []
    for label, text, with_place, radius, filters in SHAPES:
        for i in range(count):
            town = int(rng.random() * towns)
            _name, lat, lon = TOWNS[town]
            params = {}
            shaped = dict(filters)
            words = text
            if label.startswith("text+place"):
                words, key = rng.choice(QUERY_TEXTS)
                service = by_key[key]
                if i % 2:
                    shaped = {"outcomes": (service.outcomes[0],), "taking_new": True}
                else:
                    shaped = {"categories": (service.category,), "max_price_pence": 2000}
            location = Location(lat, lon, place_name(town), "") if with_place else None
            query = SearchQuery(
                text=words,
                near=place_name(town) if with_place else "",
                location=location,
                radius_miles=radius or 10,
                today=today,
                **shaped,
            )
            if words:
                params["q"] = words
            if with_place:
                params["near"] = place_name(town)
                params["radius"] = str(radius)
            for slug in shaped.get("outcomes", ()):
                params.setdefault("outcome", slug)
            for slug in shaped.get("categories", ()):
                params.setdefault("category", slug)
            if shaped.get("taking_new"):
                params["taking_new"] = "1"
            if shaped.get("max_price_pence"):
                params["max_price"] = str(shaped["max_price_pence"])
            out.append((label, query, "/api/search?" + urlencode(params)))
    return out
