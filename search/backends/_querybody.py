"""The request bodies the search engines receive: one builder for Elasticsearch and OpenSearch.

Elasticsearch and OpenSearch (its open-source fork) accept the same index mapping, query DSL,
painless scripts and aggregations for everything this site asks, so the bodies are built once
here and only the transport differs (elasticsearch.py and opensearch.py each bring their own
client). elasticsearch-dsl is used as a pure body builder: nothing here talks to the network,
so the exact requests are golden-tested without a server (tests/search/golden).

- listings are `ListingDocument`s: English analysis with the care-domain synonyms applied at
  search time, a `geo_point`, keyword facets and the availability bitmask;
- a search is one request: `bool` filters for every filter, the place and the service area;
  text matched term by term across title and body (typos by fuzziness); `function_score`
  multiplies relevance by distance decay, freshness and fit; aggregations give the facets;
- ties are broken by `rotation_key`, reproduced in a painless sort script.
"""

import logging
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from elasticsearch_dsl import (
    SF,
    Boolean,
    Date,
    Document,
    GeoPoint,
    Integer,
    Keyword,
    Long,
    Q,
    Search,
    Text,
    analyzer,
    token_filter,
)

from directory import geo
from directory.fields import DAYS, PARTS, day_mask, part_mask
from directory.models import Outcome

from .. import text as analysis
from ..query import SearchQuery
from ..synonyms import SYNONYM_GROUPS
from .base import (
    DISTANCE_HALF_MILES,
    FACETS,
    ROTATION_MIX1,
    ROTATION_MIX2,
    STALE_AFTER_DAYS,
    STALE_FACTOR,
    SearchHit,
    SearchResults,
    day_seed,
    freshness_factor,
    shown_distance,
    shown_price_from,
)
from .database import BODY_WEIGHT, TITLE_WEIGHT, VOCABULARY_WEIGHT, DatabaseSearchBackend

REQUEST_TIMEOUT_SECONDS = 2
METRES_PER_MILE = 1609.344
# "All of one or two words, three quarters of more", rounded up like the database backend's
# required_matches(): Elasticsearch rounds a positive percentage *down* ("2<75%" lets 2 of 3
# through), but n - floor(n * 25%) == ceil(n * 75%) for every n.
MINIMUM_SHOULD_MATCH = "2<-25%"
# More distinct slugs than any vocabulary has, so no facet value is cut off.
FACET_SIZE = 200
# Vocabulary facets: name in results -> keyword field.
TERMS_FACETS = {
    "outcome": "outcomes",
    "category": "categories",
    "for": "audiences",
    "access": "access_features",
    "language": "languages",
    "runner": "runner",
}
# What a hit needs from _source (the analysed text stays on the server).
SOURCE_FIELDS = [
    "listing_id",
    "public_id",
    "title",
    "url",
    "summary",
    "provider_name",
    "location",
    "outcomes",
    "price_per_hour_pence",
    "price_pence",
    "price_unit",
    "price_unit_minutes",
    "price_count",
    "intake",
    "verified_until",
    "last_confirmed_at",
    "anywhere",
]
# --- rotation -----------------------------------------------------------------------------


ROTATION_SCRIPT = (
    "long h = (doc['listing_id'].value ^ ((Number) params.seed).longValue()) & 4294967295L;"
    " h ^= h >> 16;"
    f" h = (h * {ROTATION_MIX1}L) & 4294967295L;"
    " h ^= h >> 13;"
    f" h = (h * {ROTATION_MIX2}L) & 4294967295L;"
    " h ^= h >> 16;"
    " return h;"
)
# Any requested slot (day and/or part of day) set in the listing's availability bitmask.
AVAILABILITY_SCRIPT = "doc['availability'].size() != 0 && (doc['availability'].value & params.mask) != 0"
# The searcher must be inside the area a travelling provider covers (0 miles: people come to them).
SERVICE_AREA_SCRIPT = (
    "if (doc['radius_miles'].size() == 0 || doc['radius_miles'].value <= 0) { return true; }"
    " if (doc['location'].size() == 0) { return false; }"
    " return doc['location'].arcDistance(params.lat, params.lon)"
    " <= doc['radius_miles'].value * params.metres_per_mile;"
)
# Fit: 0.5 + 0.5 x the share of the requested outcomes the listing offers.
FIT_SCRIPT = (
    "int matched = 0;"
    " for (def slug : params.outcomes) { if (doc['outcomes'].contains(slug)) { matched++; } }"
    " return 0.5 + 0.5 * matched / params.outcomes.size();"
)

# --- analysis and mapping -----------------------------------------------------------------


def synonym_rules() -> list[str]:
    """One "a, b, c" line per group of search.synonyms.SYNONYM_GROUPS."""
    return [", ".join(group) for group in SYNONYM_GROUPS]


english_possessive_stemmer = token_filter(
    "english_possessive_stemmer", type="stemmer", language="possessive_english"
)
english_stemmer = token_filter("english_stemmer", type="stemmer", language="english")
# synonym_graph (not synonym) so "short break" is matched as a phrase; graphs only work at
# search time, so documents are indexed without it and queries are expanded instead.
care_synonyms = token_filter("care_synonyms", type="synonym_graph", synonyms=synonym_rules())
# No stop filter: stop words are dropped from the query before it is sent (es_query_text), with
# the database backend's list. A stop filter after synonym_graph breaks graphs of phrases that
# contain stop words ("break for my carer"), and before it makes those rules unparseable.
care_english = analyzer(
    "care_english",
    tokenizer="standard",
    filter=["lowercase", english_possessive_stemmer, english_stemmer],
)
care_english_search = analyzer(
    "care_english_search",
    tokenizer="standard",
    filter=["lowercase", english_possessive_stemmer, care_synonyms, english_stemmer],
)


def _analysed_text(**kwargs) -> Text:
    # norms off: BM25 would otherwise score a word in a short field above the same word in a
    # long one, and body_text ends with the provider's name, so a provider with a shorter name
    # (or a shorter description) would outrank its twin. The database backend scores a word's
    # presence per field; found on a real node, where twins' scores differed by 1%.
    return Text(analyzer=care_english, search_analyzer=care_english_search, norms=False, **kwargs)


class ListingDocument(Document):
    """One live listing as Elasticsearch indexes it (built from search.documents.build_document)."""

    listing_id = Long()
    public_id = Keyword()
    title = _analysed_text()
    # Scored separately (title x3), matched together: all_text lets "every word somewhere in
    # the listing" be one query, as the database backend counts matches.
    title_text = _analysed_text(copy_to="all_text")
    vocabulary_text = _analysed_text(copy_to="all_text")
    body_text = _analysed_text(copy_to="all_text")
    all_text = _analysed_text()
    url = Keyword(index=False, doc_values=False)
    summary = Keyword(index=False, doc_values=False)
    provider_name = Keyword(index=False, doc_values=False)
    location = GeoPoint()
    radius_miles = Integer()
    districts = Keyword()
    outcomes = Keyword()
    categories = Keyword()
    audiences = Keyword()
    languages = Keyword()
    access_features = Keyword()
    district = Keyword()
    anywhere = Boolean()
    runner = Keyword()
    min_age = Integer()
    max_age = Integer()
    meet_first = Boolean()
    trial_session = Boolean()
    availability = Integer()
    price_per_hour_pence = Integer()
    # The price as shown ("£6 a meal"): returned with hits, never searched, filtered or scored.
    price_pence = Integer(index=False, doc_values=False)
    price_unit = Keyword(index=False, doc_values=False)
    price_unit_minutes = Integer(index=False, doc_values=False)
    price_count = Integer(index=False, doc_values=False)
    intake = Keyword()
    verified_until = Date()
    last_confirmed_at = Date()

    class Index:
        # The real name comes from settings.ELASTICSEARCH_INDEX (see _index()). One shard: the
        # directory is small, and one shard keeps term statistics, so relevance, exact.
        name = "listings"
        settings = {"number_of_shards": 1}

    @classmethod
    def from_document(cls, doc: dict) -> "ListingDocument":
        """The Elasticsearch document for one build_document() dict."""
        has_location = doc["latitude"] is not None and doc["longitude"] is not None
        return cls(
            meta={"id": doc["id"]},
            listing_id=doc["id"],
            public_id=doc["public_id"],
            title=doc["title"],
            url=doc["url"],
            summary=doc["summary"],
            provider_name=doc["provider_name"],
            location={"lat": doc["latitude"], "lon": doc["longitude"]} if has_location else None,
            radius_miles=doc["radius_miles"],
            districts=doc["districts"],
            title_text=doc["title_text"],
            vocabulary_text=doc["vocabulary_text"],
            body_text=doc["body_text"],
            outcomes=doc["outcomes"],
            categories=doc["categories"],
            audiences=doc["audiences"],
            languages=doc["languages"],
            access_features=doc["access_features"],
            district=doc["district"] or None,
            anywhere=doc["anywhere"],
            runner=doc["runner"],
            min_age=doc["min_age"],
            max_age=doc["max_age"],
            meet_first=doc.get("meet_first", False),
            trial_session=doc.get("trial_session", False),
            availability=doc["availability"],
            price_per_hour_pence=doc["price_per_hour_pence"],
            price_pence=doc.get("price_pence"),
            price_unit=doc.get("price_unit") or None,
            price_unit_minutes=doc.get("price_unit_minutes"),
            price_count=doc.get("price_count", 0),
            intake=doc["intake"],
            verified_until=doc["verified_until"],
            last_confirmed_at=doc["last_confirmed_at"],
        )


def es_query_text(text: str) -> str:
    """The query text Elasticsearch analyses: the database backend's stop words removed, except
    inside a synonym phrase the person typed ("a break for my carer" -> "break for my carer")."""
    words = analysis.words(text)
    keep = [word not in analysis.STOP_WORDS for word in words]
    for group in SYNONYM_GROUPS:
        for phrase in group:
            target = analysis.words(phrase)
            for start in range(len(words) - len(target) + 1):
                if words[start : start + len(target)] == target:
                    keep[start : start + len(target)] = [True] * len(target)
    return " ".join(word for word, kept in zip(words, keep, strict=True) if kept)


def _miles(value: float) -> str:
    return f"{value:g}mi"


def _script(source: str, **params) -> dict:
    return {"source": source, "params": params} if params else {"source": source}


class EngineQueryBodies:
    """Builds the engine's requests and reads its responses, and searches with the database
    backend as the fallback; a backend adds `index_name`, `name`, `url_setting`, the errors
    that mean "cannot answer now" (`unavailable`) and a transport (`_execute`)."""

    name = "engine"
    index_name = "listings"
    engine_name = "The search engine"  # as people name it, for logs
    url_setting = ""
    unavailable: tuple[type[BaseException], ...] = ()
    supports_area_districts = True

    # --- searching, with the database backend when the engine cannot answer --------------

    def _execute(self, query: SearchQuery, **kwargs) -> dict:
        """Send the search for `query` (kwargs go to build_search) and return the response body."""
        raise NotImplementedError

    def search(self, query: SearchQuery) -> SearchResults:
        """Run the query on the engine, or on the database backend when the engine fails."""
        try:
            response = self._execute(query)
            relaxed = False
            words = es_query_text(query.text).split()
            if response["hits"]["total"]["value"] == 0 and words:
                # No listing says the words in its own title or description: those that have
                # them only in the labels of their vocabulary terms are better than nothing.
                response = self._execute(query, own_words=False)
            if response["hits"]["total"]["value"] == 0 and len(words) > 1:
                # As the database backend: no listing has enough of the words, so show those
                # with some of them rather than an empty page.
                response = self._execute(query, minimum_should_match="1", own_words=False)
                relaxed = response["hits"]["total"]["value"] > 0
        except self.unavailable as exc:
            # Logged under the backend's own module, so each engine's fallbacks can be told apart.
            logging.getLogger(type(self).__module__).warning(
                "%s at %s could not search (%s); using the database backend instead.",
                self.engine_name,
                self._safe_url(),
                exc,
            )
            results = DatabaseSearchBackend().search(query)
            results.fallback_from = self.name
            return results
        results = self.results_from_response(query, response)
        results.relaxed = relaxed
        return results

    def _safe_url(self) -> str:
        """The engine's URL setting without any user name or password, for logs."""
        url = getattr(settings, self.url_setting, "") or f"({self.url_setting} not set)"
        parts = urlsplit(url)
        if parts.username or parts.password:
            host = parts.hostname or ""
            netloc = f"{host}:{parts.port}" if parts.port else host
            return urlunsplit(parts._replace(netloc=netloc))
        return url

    # --- requests (pure: no network) -----------------------------------------------------

    @staticmethod
    def index_body() -> dict:
        """The settings (analysis) and mappings the index is created with."""
        return ListingDocument._index.to_dict()

    def build_search(
        self, query: SearchQuery, *, minimum_should_match: str = MINIMUM_SHOULD_MATCH, own_words: bool = True
    ) -> Search:
        """The search request for `query`; `.to_dict()` is the body sent to Elasticsearch.

        `own_words`: a listing must have a query word in its own title or description, not only
        in its vocabulary terms' labels (the database backend's weak matches, issue 15).
        """
        search = Search(index=self.index_name).query(
            self._function_score(query, minimum_should_match, own_words)
        )
        search = search.sort(*self._sort(query)).source(SOURCE_FIELDS)
        # Exact totals for the pager; scores even when sorting by distance (hits show them).
        search = search.extra(track_total_hits=True, track_scores=True)
        start = (query.page - 1) * query.per_page
        search = search[start : start + query.per_page]
        self._add_facets(search, query)
        return search

    def _filters(self, query: SearchQuery) -> list:
        filters = []
        for field, values in (
            ("outcomes", query.outcomes),
            ("categories", query.categories),
            ("audiences", query.audiences),
            ("languages", query.languages),
        ):
            if values:
                filters.append(Q("terms", **{field: list(values)}))  # any of them
        for feature in query.access_features:
            filters.append(Q("term", access_features=feature))  # every one of them
        if query.meet_first:
            filters.append(Q("term", meet_first=True))
        if query.trial_session:
            filters.append(Q("term", trial_session=True))
        if query.age is not None:
            # A missing bound is no limit on that side.
            for field, bound in (("min_age", "lte"), ("max_age", "gte")):
                filters.append(
                    Q(
                        "bool",
                        should=[
                            Q("bool", must_not=[Q("exists", field=field)]),
                            Q("range", **{field: {bound: query.age}}),
                        ],
                        minimum_should_match=1,
                    )
                )
        mask = DatabaseSearchBackend.slot_mask(query)
        if mask:
            filters.append(Q("script", script=_script(AVAILABILITY_SCRIPT, mask=mask)))
        if query.max_price_pence is not None:
            filters.append(Q("range", price_per_hour_pence={"lte": query.max_price_pence}))
        if query.taking_new:
            filters.append(Q("term", intake="taking"))
        if query.verified:
            filters.append(Q("range", verified_until={"gte": query.today.isoformat()}))
        if query.runners:
            filters.append(Q("terms", runner=list(query.runners)))
        if query.area_districts:
            # In the council area: based in one of its districts, serving one, or available anywhere.
            codes = list(query.area_districts)
            filters.append(
                Q(
                    "bool",
                    should=[
                        Q("terms", district=codes),
                        Q("terms", districts=codes),
                        Q("term", anywhere=True),
                    ],
                    minimum_should_match=1,
                )
            )
        location = query.location
        if location is not None:
            point = {"lat": location.latitude, "lon": location.longitude}
            near = Q(
                "bool",
                filter=[
                    Q("geo_distance", distance=_miles(query.radius_miles), location=point),
                    Q(
                        "script",
                        script=_script(
                            SERVICE_AREA_SCRIPT,
                            lat=location.latitude,
                            lon=location.longitude,
                            metres_per_mile=METRES_PER_MILE,
                        ),
                    ),
                ],
            )
            if location.district_code:
                # Naming the searcher's postcode district as served overrides distance and radius.
                near = Q(
                    "bool",
                    should=[Q("term", districts=location.district_code), near],
                    minimum_should_match=1,
                )
            # Available anywhere: no place of its own, so found from every place.
            filters.append(Q("bool", should=[near, Q("term", anywhere=True)], minimum_should_match=1))
        return filters

    def _base_query(
        self, query: SearchQuery, minimum_should_match: str = MINIMUM_SHOULD_MATCH, own_words: bool = True
    ):
        filters = self._filters(query)
        text = es_query_text(query.text)
        if not text:
            # No words to match: every result starts from the same score.
            return Q("bool", must=[Q("match_all")], filter=filters)
        # Which listings match: enough of the words anywhere in title or body (term-centric,
        # like the database backend; multi_match would want them all in one field).
        matches = Q(
            "match",
            all_text={
                "query": text,
                "fuzziness": "AUTO",
                "operator": "or",
                "minimum_should_match": minimum_should_match,
            },
        )
        # How well they match: every field that has the words adds up, weighted as the database
        # backend weighs them (the listing's title, then its description, then its vocabulary).
        relevance = Q(
            "multi_match",
            query=text,
            fields=[
                f"title_text^{TITLE_WEIGHT:g}",
                f"body_text^{BODY_WEIGHT:g}",
                f"vocabulary_text^{VOCABULARY_WEIGHT:g}",
            ],
            type="most_fields",
            fuzziness="AUTO",
            operator="or",
        )
        if own_words:
            said = [
                Q("match", **{field: {"query": text, "fuzziness": "AUTO"}})
                for field in ("title_text", "body_text")
            ]
            matches = Q("bool", filter=[matches], should=said, minimum_should_match=1)
        return Q("bool", must=[relevance], filter=[*filters, matches])

    def _function_score(
        self, query: SearchQuery, minimum_should_match: str = MINIMUM_SHOULD_MATCH, own_words: bool = True
    ):
        functions = []
        location = query.location
        if location is not None:
            functions.append(
                SF(
                    "exp",
                    location={
                        "origin": {"lat": location.latitude, "lon": location.longitude},
                        "scale": _miles(DISTANCE_HALF_MILES),
                        "decay": 0.5,
                    },
                )
            )
        stale_before = query.today - timedelta(days=STALE_AFTER_DAYS)
        functions.append(
            SF(
                {
                    "filter": Q("range", last_confirmed_at={"lt": stale_before.isoformat()}),
                    "weight": STALE_FACTOR,
                }
            )
        )
        if query.outcomes:
            functions.append(SF("script_score", script=_script(FIT_SCRIPT, outcomes=list(query.outcomes))))
        return Q(
            "function_score",
            query=self._base_query(query, minimum_should_match, own_words),
            functions=functions,
            score_mode="multiply",
            boost_mode="multiply",
        )

    def _sort(self, query: SearchQuery) -> list:
        rotation = {
            "_script": {
                "type": "number",
                "script": _script(ROTATION_SCRIPT, seed=day_seed(query.today)),
                "order": "asc",
            }
        }
        # The id settles the (astronomically rare) equal rotation keys, so pages never overlap.
        last = {"listing_id": {"order": "asc"}}
        location = query.location
        if query.sort == "distance" and location is not None:
            distance = {
                "_geo_distance": {
                    "location": {"lat": location.latitude, "lon": location.longitude},
                    "order": "asc",
                    "unit": "mi",
                    "distance_type": "arc",
                }
            }
            return [distance, rotation, last]
        return [{"_score": {"order": "desc"}}, rotation, last]

    @staticmethod
    def _add_facets(search: Search, query: SearchQuery) -> None:
        for name, field in TERMS_FACETS.items():
            search.aggs.bucket(name, "terms", field=field, size=FACET_SIZE)
        slots = {
            "day": {day: day_mask(day) for day, _ in DAYS},
            "time": {part: part_mask(part) for part, _ in PARTS},
        }
        for name, masks in slots.items():
            search.aggs.bucket(
                name,
                "filters",
                filters={
                    key: Q("script", script=_script(AVAILABILITY_SCRIPT, mask=mask))
                    for key, mask in masks.items()
                },
            )
        search.aggs.bucket("taking_new", "filters", filters={"true": Q("term", intake="taking")})
        search.aggs.bucket(
            "verified",
            "filters",
            filters={"true": Q("range", verified_until={"gte": query.today.isoformat()})},
        )

    def results_from_response(self, query: SearchQuery, body: dict) -> SearchResults:
        """SearchResults from a raw search response body."""
        labels = dict(Outcome.objects.values_list("slug", "label"))
        hits = [self._hit(raw, query, labels) for raw in body["hits"]["hits"]]
        return SearchResults(
            query=query,
            count=body["hits"]["total"]["value"],
            hits=hits,
            facets=self._facets(body.get("aggregations", {})),
            backend=self.name,
        )

    @staticmethod
    def _facets(aggregations: dict) -> dict[str, dict[str, int]]:
        facets = {name: {} for name in FACETS}
        for name in TERMS_FACETS:
            for bucket in aggregations.get(name, {}).get("buckets", []):
                if bucket["doc_count"]:
                    facets[name][bucket["key"]] = bucket["doc_count"]
        for name in ("day", "time", "taking_new", "verified"):
            for key, bucket in aggregations.get(name, {}).get("buckets", {}).items():
                if bucket["doc_count"]:
                    facets[name][key] = bucket["doc_count"]
        return facets

    @staticmethod
    def _hit(raw: dict, query: SearchQuery, labels: dict) -> SearchHit:
        source = raw["_source"]
        point = source.get("location") or {}
        lat, lon = point.get("lat"), point.get("lon")
        distance = None
        if query.location is not None and lat is not None:
            distance = geo.distance_miles(query.location.latitude, query.location.longitude, lat, lon)
        verified_until = source.get("verified_until")
        # Stored with its offset; the database backend compares the UTC date, so do the same.
        confirmed = datetime.fromisoformat(source["last_confirmed_at"]).astimezone(UTC).date()
        outcome_slugs = source.get("outcomes", [])
        return SearchHit(
            listing_id=source["listing_id"],
            public_id=source["public_id"],
            title=source["title"],
            url=source.get("url", ""),
            summary=source.get("summary", ""),
            provider_name=source.get("provider_name", ""),
            outcomes=[(slug, labels.get(slug, slug)) for slug in outcome_slugs],
            price_per_hour_pence=source.get("price_per_hour_pence"),
            intake=source["intake"],
            verified=verified_until is not None and date.fromisoformat(verified_until[:10]) >= query.today,
            stale=freshness_factor((query.today - confirmed).days) < 1,
            latitude=lat,
            longitude=lon,
            distance_miles=shown_distance(distance),
            score=raw.get("_score") or 0.0,
            matched_outcomes=[slug for slug in outcome_slugs if slug in query.outcomes],
            anywhere=bool(source.get("anywhere")),
            price=shown_price_from(source),
        )


def document_source(listing) -> dict:
    """The engine's document (_source) for one live listing, as bulk and index requests send it."""
    from ..documents import build_document

    return ListingDocument.from_document(build_document(listing)).to_dict()
