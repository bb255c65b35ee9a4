"""Care-domain synonyms: words people use for the same kind of support.

Each group is a set of phrases that mean the same thing to a searcher. The database backend
adds a group marker to every listing whose text contains any phrase of the group, and to
every query that does; the Elasticsearch backend turns the same groups into a synonym filter.
Outcome and category synonyms (edited in the CMS) are added to each listing's own text.
"""

SYNONYM_GROUPS: list[tuple[str, ...]] = [
    ("pa", "personal assistant", "support worker", "enabler"),
    ("respite", "short break", "break for my carer", "carer break", "replacement care", "time off"),
    ("sitting service", "sitter", "companionship", "companion", "befriending", "befriender"),
    ("meals on wheels", "meal delivery", "meals delivered", "hot meals", "cooked meals"),
    ("day centre", "day service", "day activities", "day opportunities"),
    ("dementia", "alzheimers", "alzheimer's", "memory loss"),
    ("autism", "autistic", "asd", "asperger's", "aspergers"),
    ("gardening", "gardener", "garden maintenance", "lawn mowing", "grass cutting", "mowing", "lawns"),
    ("cleaning", "cleaner", "housework", "domestic help"),
    ("handyman", "odd jobs", "diy"),
    ("dog walking", "dog walker", "pet care"),
    ("swimming", "swim", "swimming pool"),
    ("exercise", "fitness", "keep fit"),
    ("learning disability", "learning disabilities"),
    ("lunch club", "luncheon club"),
]
