"""A second relevance set, written from the listings' side: the demo's listings and what a person
would type to find each of them.

bench/relevance_set.py grew alongside the tuning it measures (its recall is a training figure),
so it stays as a regression guard. This set was written differently: for a sample of the demo's
services (directory/demo.py, one listing each: the first the demo generates for that service),
the queries were written from that listing's title, summary and description, as the person it is
for would put it (their words, not the listing's: "gardner", "someone to walk my dog", "a night
off"), before any search was run. Each query names which of the demo's services answer it
(`relevant`: service keys of directory/demo.py's SERVICES); nothing was changed after looking at
results.

Each query is run from the sampled listing's own postcode district, along the same path as the
search page (parse_query -> locate -> backend.search), on the whole demo (about 150 listings
around Bolton and Bury, loaded by `load_demo`), so every other demo listing is a distractor.

Figures, for each query (top5: the first five results of the main list):
- precision@5 = |relevant ∩ top5| / |top5|;
- recall@5    = |relevant ∩ top5| / min(5, |relevant listings that search could reach|), where
  "could reach" is every listing of a relevant service that the same place and radius return
  with no words at all (service areas applied), so a relevant listing too far away to be shown
  is not counted against the text matching.
Both are averaged over queries. `evaluate()` needs Django set up and an empty, migrated database.
"""

TOP_N = 5

# service key -> the queries a person would type for that service's sampled listing, and the
# services that answer them (the listing's own service unless said otherwise).
SAMPLE = {
    "swimming-buddy": [
        ("swimming", ["swimming-buddy"]),
        ("someone to go swimming with", ["swimming-buddy"]),
        ("swiming", ["swimming-buddy"]),
        ("swimming", ["swimming-buddy"], {"sort": "distance"}),
    ],
    "dementia-lunch-club": [
        ("dementia lunch club", ["dementia-lunch-club"]),
        ("lunch club", ["dementia-lunch-club"]),
    ],
    "meals-delivered": [
        ("meals delivered", ["meals-delivered"]),
        ("hot dinners brought to my door", ["meals-delivered"]),
    ],
    "gardener": [
        ("gardener", ["gardener"]),
        ("gardner", ["gardener"]),
        ("gardner", ["gardener"], {"sort": "distance"}),
        ("hedge cutting", ["gardener"]),
    ],
    "cleaner": [
        ("cleaner", ["cleaner"]),
        ("someone to clean my house", ["cleaner"]),
    ],
    "dog-walker": [
        ("dog walker", ["dog-walker"]),
        ("someone to walk my dog", ["dog-walker"]),
    ],
    "sitting-service": [
        ("sitting service", ["sitting-service"]),
        ("someone to sit with my husband so I can go out", ["sitting-service"]),
    ],
    "personal-assistant": [
        ("personal assistant", ["personal-assistant"]),
        ("PA", ["personal-assistant"]),
    ],
    "chair-exercise": [
        ("chair exercise", ["chair-exercise"]),
        ("exercise class sitting down", ["chair-exercise"]),
    ],
    "art-group": [
        ("art group", ["art-group"]),
        ("painting class", ["art-group"]),
    ],
    "memory-cafe-singing": [
        ("singing", ["memory-cafe-singing"]),
        ("memory cafe", ["memory-cafe-singing"]),
    ],
    "shopping-help": [
        ("help with shopping", ["shopping-help", "polish-support"]),
        ("collect my prescriptions", ["shopping-help"]),
    ],
    "job-coach": [
        ("job coach", ["job-coach"]),
        ("help getting a job", ["job-coach"]),
    ],
    "urdu-companion": [
        ("Urdu", ["urdu-companion", "gujarati-day-group"]),
        ("company in Punjabi", ["urdu-companion"]),
    ],
    "overnight-breaks": [
        ("overnight care", ["overnight-breaks"]),
        ("a night off from caring", ["overnight-breaks"]),
    ],
    "personal-care": [
        ("help with washing and dressing", ["personal-care"]),
        ("home care", ["personal-care"]),
    ],
    "knitting-circle": [
        ("knitting", ["knitting-circle"]),
        ("crochet", ["knitting-circle"]),
        ("knitting", ["knitting-circle"], {"sort": "distance"}),
    ],
    "allotment-group": [
        ("allotment", ["allotment-group"]),
        ("grow vegetables", ["allotment-group"]),
    ],
    "tech-help": [
        ("help with my tablet", ["tech-help"]),
        ("video call my family", ["tech-help"]),
    ],
    "walking-group": [
        ("walking group", ["walking-group"]),
    ],
    "befriending": [
        ("befriending", ["befriending"]),
        ("someone to visit my mum for a chat", ["befriending"]),
    ],
    "handyperson": [
        ("handyman", ["handyperson"]),
        ("grab rails fitted", ["handyperson"]),
    ],
    "laundry": [
        ("ironing", ["laundry"]),
    ],
    "family-helper": [
        ("school run", ["family-helper"]),
    ],
    "care-farm": [
        ("farm animals", ["care-farm"]),
    ],
    "bsl-social": [
        ("sign language", ["bsl-social"]),
    ],
    "trips-out": [
        ("days out", ["trips-out", "day-hub"]),
        ("driver to take me to the seaside", ["trips-out"]),
    ],
}


def sampled_listings() -> dict[str, tuple[str, str]]:
    """{service key: (slug, postcode district)} of the first demo listing of each sampled service."""
    from directory.demo import generate

    sampled = {}
    for provider in generate():
        for listing in provider.listings:
            if listing.service in SAMPLE and listing.service not in sampled:
                sampled[listing.service] = (listing.slug, listing.district)
    return sampled


def queries() -> list[dict]:
    """Every query of the set, as relevance_set.run_query items, with its service and place."""
    items = []
    for service, (slug, district) in sampled_listings().items():
        for entry in SAMPLE[service]:
            text, relevant, *rest = entry
            items.append(
                {
                    "q": text,
                    "near": district,
                    "filters": rest[0] if rest else {},
                    "relevant": relevant,
                    "listing": slug,
                }
            )
    return items


def label(item: dict) -> str:
    """'gardner near BL4 [sort=distance]'."""
    text = f"{item['q']} near {item['near']}"
    if item["filters"]:
        text += " [" + "&".join(f"{k}={v}" for k, v in item["filters"].items()) + "]"
    return text


def evaluate(backend_name: str = "database", *, today=None) -> dict:
    """Load the demo, index it with `backend_name`, run every query; return the figures.

    Same shape as bench.relevance_set.evaluate: {"queries", "listings", "precision_at_5",
    "recall_at_5", "failures": [(label, missing services, top5), ...], "details": [...]}.
    """
    from directory.demo import generate, load_demo
    from directory.models import ListingPage
    from search.backends import get_search_backend
    from search.services import vocabularies

    from .relevance_set import run_query

    load_demo()
    backend = get_search_backend(backend_name)
    backend.rebuild(ListingPage.objects.live())
    service_of_slug = {
        listing.slug: listing.service for provider in generate() for listing in provider.listings
    }
    service_of_id = {
        pk: service_of_slug.get(slug) for pk, slug in ListingPage.objects.values_list("pk", "slug")
    }
    vocab = vocabularies()

    details, failures = [], []
    for item in queries():
        results = run_query(backend, item, vocabularies=vocab, today=today)
        top = [service_of_id.get(hit.listing_id) for hit in results.hits[:TOP_N]]
        reach = run_query(backend, {"q": "", "near": item["near"]}, vocabularies=vocab, today=today)
        reachable = _all_ids(backend, reach)
        relevant_reachable = [pk for pk in reachable if service_of_id.get(pk) in item["relevant"]]
        found = sum(1 for service in top if service in item["relevant"])
        precision = found / len(top) if top else 0.0
        wanted = min(TOP_N, len(relevant_reachable))
        recall = min(1.0, found / wanted) if wanted else 1.0
        detail = {
            "label": label(item),
            "relevant": item["relevant"],
            "top5": top,
            "count": results.count,
            "reachable_relevant": len(relevant_reachable),
            "precision": precision,
            "recall": recall,
        }
        details.append(detail)
        if recall < 1.0:
            failures.append((detail["label"], f"{found} of {wanted}", top))
    n = len(details)
    return {
        "queries": n,
        "listings": len(service_of_id),
        "precision_at_5": sum(d["precision"] for d in details) / n,
        "recall_at_5": sum(d["recall"] for d in details) / n,
        "failures": failures,
        "details": details,
    }


def _all_ids(backend, results) -> list[int]:
    """Every listing id of a search, all pages."""
    from dataclasses import replace

    ids = [hit.listing_id for hit in results.hits]
    page = 1
    while page < results.num_pages:
        page += 1
        ids += [hit.listing_id for hit in backend.search(replace(results.query, page=page)).hits]
    return ids


def main() -> int:
    """`python -m bench.relevance_listings [--backend database] [--verbose]`: the figures on a
    freshly migrated SQLite database of its own ($BENCH_DIR or /tmp)."""
    import argparse
    import os
    import tempfile
    from pathlib import Path

    from . import _django

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--backend", default="database")
    parser.add_argument("--verbose", action="store_true", help="every query's top five")
    args = parser.parse_args()
    path = Path(os.environ.get("BENCH_DIR") or tempfile.gettempdir()) / "lsm-bench-relevance-listings.sqlite3"
    _django.setup(path)
    _django.reset_database(path)
    figures = evaluate(args.backend)
    if args.verbose:
        for d in figures["details"]:
            print(f"{d['label']}: p={d['precision']:.2f} r={d['recall']:.2f} count={d['count']}", d["top5"])
    print(
        f"relevance set=listings backend={args.backend} precision_at_5={figures['precision_at_5']:.3f} "
        f"recall_at_5={figures['recall_at_5']:.3f} queries={figures['queries']} "
        f"listings={figures['listings']} failures={len(figures['failures'])}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
