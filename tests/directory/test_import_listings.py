"""Importing listings from a spreadsheet: what a coordinator sees in the report and on the site."""

import csv
import io

import pytest
from django.core.management import CommandError, call_command

from directory.fields import mask_to_slots
from directory.importers.listings import ImportFailed, import_listings_csv, parse_pence
from directory.models import DirectoryIndexPage, ListingPage, Provider
from directory.writer import text_to_html
from tests.factories import ProviderFactory, UserFactory, make_listing

HEADER = [
    "title",
    "provider_name",
    "provider_email",
    "summary",
    "description",
    "outcomes",
    "categories",
    "audiences",
    "languages",
    "base_postcode",
    "service_radius_miles",
    "price_unit",
    "price_pence",
    "evening_weekend_price_pence",
    "availability",
    "intake",
    "contact_phone",
    "website",
    "min_age",
    "max_age",
]


def row(**overrides) -> dict:
    """A good row; override any column."""
    values = {
        "title": "Swimming buddy",
        "provider_name": "Aqua Pals",
        "provider_email": "hello@aquapals.example",
        "summary": "Someone to go swimming with at Bolton One.",
        "description": "I am a qualified lifeguard & I can meet you at the pool.",
        "outcomes": "get-out-and-about; Stay well in body and mind",
        "categories": "Exercise, sport and swimming",
        "audiences": "older-people",
        "languages": "en; Urdu",
        "base_postcode": "bl3 5aa",
        "service_radius_miles": "3",
        "price_unit": "hour",
        "price_pence": "1800",
        "evening_weekend_price_pence": "£21.50",
        "availability": "mon-morning; sat-afternoon",
        "intake": "taking",
        "contact_phone": "+44 1204 555000",
        "website": "www.aquapals.example",
        "min_age": "18",
        "max_age": "",
    }
    values.update(overrides)
    return values


def csv_text(rows, header=HEADER) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def run(rows, header=HEADER, **kwargs):
    return import_listings_csv(file=io.StringIO(csv_text(rows, header)), **kwargs)


def messages(report):
    return [str(error) for error in report.errors]


@pytest.mark.django_db
def test_good_file_creates_listings_with_everything_from_the_row(directory):
    report = run(
        [
            row(description="I am a qualified lifeguard.\n\nI can meet you at the pool."),
            row(title="Gentle walks", outcomes="see-friends-and-family", price_pence="£9"),
        ],
        publish=True,
    )

    assert report.errors == []
    assert (report.created, report.updated, report.providers_created) == (2, 0, 1)
    assert str(report).startswith("2 rows read: 2 created, 0 updated (published).")

    swim = ListingPage.objects.get(title="Swimming buddy")
    assert swim.live and swim.get_parent().specific == directory
    assert swim.provider.name == "Aqua Pals"
    assert swim.provider.email == "hello@aquapals.example"
    assert not swim.provider.is_claimed
    assert swim.summary == "Someone to go swimming with at Bolton One."
    assert swim.description == "<p>I am a qualified lifeguard.</p><p>I can meet you at the pool.</p>"
    assert sorted(o.slug for o in swim.outcomes.all()) == [
        "get-out-and-about",
        "wellbeing-stay-well-in-body-and-mind",
    ]
    assert [c.slug for c in swim.categories.all()] == ["exercise-sport-and-swimming"]
    assert [a.slug for a in swim.audiences.all()] == ["older-people"]
    assert sorted(language.code for language in swim.languages.all()) == ["en", "ur"]
    assert swim.base_postcode == "BL3 5AA"
    assert swim.latitude == pytest.approx(53.5662)  # the BL3 district centre
    assert swim.service_radius_miles == 3
    price = swim.prices.get()
    assert (price.weekday_pence, price.evening_weekend_pence, price.unit) == (1800, 2150, "hour")
    assert price.description == "Swimming buddy"  # no price_description column: the title
    assert mask_to_slots(swim.availability) == ["mon-morning", "sat-afternoon"]
    assert swim.intake == "taking"
    assert swim.contact_phone == "+44 1204 555000"
    assert swim.website == "https://www.aquapals.example"
    assert (swim.min_age, swim.max_age) == (18, None)
    walks = ListingPage.objects.get(title="Gentle walks")
    assert walks.provider == swim.provider
    assert walks.prices.get().weekday_pence == 900
    assert set(directory.listings()) == {swim, walks}


@pytest.mark.django_db
def test_bad_file_reports_every_row_with_line_and_reason_and_saves_nothing(directory):
    report = run(
        [
            row(outcomes="Flying lessons"),
            row(title="Walks", base_postcode="hello"),
            row(title="Cooking", price_pence="-5"),
        ]
    )

    assert (report.created, report.updated) == (0, 0)
    assert messages(report) == [
        'line 2: outcomes "Flying lessons" is not one we know. '
        'Use a slug like "get-out-and-about" or a label like "Get out and about".',
        'line 3: base_postcode "hello" is not right: “hello” is not a UK postcode. '
        "Enter a postcode like BL1 1RU, or the first half, like BL1.",
        'line 4: price_pence "-5" must be a whole number of pence, 0 or more (like 1250), '
        "or pounds and pence (like £12.50)",
    ]
    assert "3 rows had problems and were skipped." in str(report)
    assert not ListingPage.objects.exists()
    assert not Provider.objects.exists()


@pytest.mark.django_db
def test_mixed_file_imports_good_rows_and_reports_bad_ones(directory):
    report = run(
        [
            row(title="Swimming buddy"),
            row(title="Gardening", outcomes="keep-my-home", provider_name="Green Thumbs", provider_email=""),
            row(title="Dog walking", outcomes="do things I ENJOY", provider_name="Paws"),
            row(title="Lunch club", outcomes="eat-well", price_pence="12.505", availability="funday-morning"),
            row(title="Sitting service", outcomes="carer-a-break-for-my-carer", provider_name="Paws"),
        ]
    )

    assert (report.created, report.updated, report.providers_created) == (3, 0, 2)
    assert report.rows_with_errors == 2
    errors = messages(report)
    assert errors[0] == 'line 3: provider_email is required because "Green Thumbs" is a new provider'
    assert errors[1].startswith('line 5: price_pence "12.505" has a fraction of a penny')
    assert errors[2].startswith('line 5: availability "funday-morning" is not a time we know')
    assert len(errors) == 3
    titles = sorted(ListingPage.objects.values_list("title", flat=True))
    assert titles == ["Dog walking", "Sitting service", "Swimming buddy"]
    # Both "Paws" rows share one provider: the second row found the one the first created.
    assert Provider.objects.filter(name="Paws").count() == 1
    assert [o.slug for o in ListingPage.objects.get(title="Dog walking").outcomes.all()] == [
        "wellbeing-do-things-i-enjoy"
    ]


@pytest.mark.django_db
def test_dry_run_reports_what_would_happen_and_writes_nothing(home):
    make_listing(title="Swimming buddy", provider=ProviderFactory(name="Aqua Pals"), price_pence=1500)
    DirectoryIndexPage.objects.all().delete()  # the dry run must not create the directory page either
    assert not ListingPage.objects.exists()

    report = run([row(), row(title="Walks", price_pence="lots")], dry_run=True)

    assert report.created == 1
    assert messages(report) == [
        'line 3: price_pence "lots" must be a whole number of pence, 0 or more (like 1250), '
        "or pounds and pence (like £12.50)"
    ]
    assert report.directory_created
    assert str(report) == (
        "Dry run: nothing was saved. 2 rows read: 1 would be created, 0 would be updated (saved as drafts "
        'for a coordinator to approve). The "Find support" directory page would be created. 1 row had '
        "problems and would be skipped."
    )
    assert not ListingPage.objects.exists()
    assert not DirectoryIndexPage.objects.exists()
    assert list(Provider.objects.values_list("name", flat=True)) == ["Aqua Pals"]


@pytest.mark.django_db
def test_dry_run_of_an_update_leaves_the_live_listing_alone(directory):
    run([row()], publish=True)
    report = run([row(price_pence="2500")], dry_run=True, publish=True)
    assert (report.created, report.updated) == (0, 1)
    assert ListingPage.objects.get().prices.get().weekday_pence == 1800


@pytest.mark.django_db
def test_reimporting_the_same_file_updates_instead_of_duplicating(directory):
    rows = [row(), row(title="Gentle walks", outcomes="see-friends-and-family")]
    first = run(rows, publish=True)
    assert (first.created, first.updated) == (2, 0)

    rows[0] = row(
        title="SWIMMING BUDDY",  # case differs; still the same listing
        price_pence="£19.00",
        availability="sun-evening",
        summary="Now on Sundays too.",
    )
    second = run(rows, publish=True)

    assert (second.created, second.updated, second.providers_created) == (0, 2, 0)
    assert second.errors == []
    assert ListingPage.objects.count() == 2
    assert Provider.objects.count() == 1
    swim = ListingPage.objects.get(slug="swimming-buddy")
    assert swim.title == "SWIMMING BUDDY"
    assert swim.summary == "Now on Sundays too."
    assert swim.prices.get().weekday_pence == 1900
    assert mask_to_slots(swim.availability) == ["sun-evening"]


@pytest.mark.django_db
def test_same_title_from_another_provider_is_a_separate_listing(directory):
    run([row(title="Gardening help", outcomes="keep-my-home")], publish=True)
    report = run(
        [
            row(
                title="Gardening help",
                outcomes="keep-my-home",
                provider_name="Green Thumbs",
                provider_email="g@example.org",
            )
        ],
        publish=True,
    )
    assert report.created == 1
    slugs = sorted(ListingPage.objects.values_list("slug", flat=True))
    assert slugs == ["gardening-help", "gardening-help-green-thumbs"]


@pytest.mark.django_db
def test_a_column_left_out_of_the_file_keeps_the_listing_value(directory):
    run([row(contact_phone="01204 111111")], publish=True)
    header = [c for c in HEADER if c != "contact_phone"]
    small = {k: v for k, v in row(price_pence="2000").items() if k in header}
    report = run([small], header=header, publish=True)
    assert report.updated == 1
    listing = ListingPage.objects.get()
    assert listing.contact_phone == "01204 111111"
    assert listing.prices.get().weekday_pence == 2000


@pytest.mark.parametrize(
    ("typed", "pence"),
    [
        ("1250", 1250),
        ("0", 0),
        ("1250p", 1250),
        ("1,250", 1250),
        ("£12.50", 1250),
        ("£ 12.50", 1250),
        ("12.50", 1250),
        ("12.5", 1250),
        ("£12", 1200),
        ("£0.01", 1),
        ("£1,000.00", 100000),
        ("0.10", 10),
        ("19.99", 1999),  # float arithmetic would give 1998.9999…
        ("  £7.05 ", 705),
    ],
)
def test_prices_in_pence_or_pounds_become_exact_pence(typed, pence):
    assert parse_pence(typed) == pence


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("-5", "must be a whole number of pence, 0 or more"),
        ("£-5", "must be a whole number of pence, 0 or more"),
        ("12.505", "fraction of a penny"),
        ("£0.001", "fraction of a penny"),
        ("12,50", "must be a whole number of pence"),
        ("1e3", "must be a whole number of pence"),
        ("NaN", "must be a whole number of pence"),
        ("£12.50p", "must be a whole number of pence"),
        ("twelve", "must be a whole number of pence"),
        ("", "must be a whole number of pence"),
        ("£10,000.01", "more than £10,000"),
    ],
)
def test_prices_that_are_not_whole_pence_are_refused(typed, reason):
    with pytest.raises(ValueError, match=reason):
        parse_pence(typed)


@pytest.mark.django_db
def test_pounds_column_value_lands_on_the_listing_exactly(directory):
    report = run([row(price_pence="£19.99", evening_weekend_price_pence="")], publish=True)
    assert report.errors == []
    price = ListingPage.objects.get().prices.get()
    assert (price.weekday_pence, price.evening_weekend_pence) == (1999, None)


@pytest.mark.django_db
def test_without_publish_listings_are_drafts_awaiting_approval(directory):
    report = run([row()])

    assert report.created == 1
    assert "saved as drafts for a coordinator to approve" in str(report)
    listing = ListingPage.objects.get()
    assert not listing.live
    assert listing.has_unpublished_changes
    assert listing.latest_revision is not None
    assert listing.latest_revision.as_object().summary == "Someone to go swimming with at Bolton One."
    assert list(directory.listings()) == []


@pytest.mark.django_db
def test_draft_update_of_a_live_listing_waits_for_approval(directory):
    run([row()], publish=True)
    report = run([row(price_pence="2500", summary="New summary.")])

    assert report.updated == 1
    listing = ListingPage.objects.get()
    # The public still sees the approved version…
    assert listing.live
    assert listing.summary == "Someone to go swimming with at Bolton One."
    assert listing.prices.get().weekday_pence == 1800
    # …and the change waits as a draft revision.
    assert listing.has_unpublished_changes
    draft = listing.get_latest_revision_as_object()
    assert draft.summary == "New summary."
    assert [p.weekday_pence for p in draft.prices.all()] == [2500]

    listing.get_latest_revision().publish()
    listing.refresh_from_db()
    assert listing.summary == "New summary."
    assert listing.prices.get().weekday_pence == 2500


@pytest.mark.django_db
def test_fresh_site_gets_a_directory_page_created(db):
    assert not DirectoryIndexPage.objects.exists()

    report = run([row()], publish=True)

    assert report.created == 1
    assert report.directory_created
    assert 'The "Find support" directory page was created.' in str(report)
    directory = DirectoryIndexPage.objects.get()
    assert (directory.title, directory.slug, directory.live) == ("Find support", "directory", True)
    from wagtail.models import Site

    assert directory.get_parent().pk == Site.objects.get(is_default_site=True).root_page_id
    assert [listing.title for listing in directory.listings()] == ["Swimming buddy"]


@pytest.mark.django_db
def test_unknown_outcome_suggests_the_close_one(directory):
    report = run(
        [row(outcomes="get-out-and-abuot"), row(title="Lunch", outcomes="eat well, get out and about")]
    )
    errors = messages(report)
    assert errors[0].startswith('line 2: outcomes "get-out-and-abuot" is not one we know. Did you mean')
    assert '"get-out-and-about"' in errors[0]
    assert "Separate several with semicolons (;), not commas." in errors[1]
    assert not ListingPage.objects.exists()


@pytest.mark.django_db
def test_postcodes_are_checked_and_unknown_areas_warned_about(directory):
    report = run(
        [
            row(title="A", base_postcode="BL"),
            row(title="B", base_postcode=""),
            row(title="C", base_postcode="zz99zz"),
        ],
        publish=True,
    )
    errors = messages(report)
    assert errors[0].startswith('line 2: base_postcode "BL" is not right: “BL” is not a UK postcode.')
    assert errors[1] == "line 3: base_postcode is required"
    assert report.created == 1
    assert ListingPage.objects.get().base_postcode == "ZZ9 9ZZ"
    assert [str(w) for w in report.warnings] == [
        'line 4: base_postcode "ZZ9 9ZZ" is not in our postcode list, so this listing cannot be found '
        "by distance until postcodes for that area are imported (manage.py import_postcodes)"
    ]


@pytest.mark.django_db
def test_every_problem_in_a_row_is_listed(directory):
    report = run(
        [
            row(
                title="",
                summary="x" * 301,
                price_pence="-5",
                intake="maybe",
                service_radius_miles="500",
                min_age="65",
                max_age="18",
                contact_phone="0" * 41,
                website="not a website",
                languages="Klingon",
            )
        ]
    )
    errors = messages(report)
    assert errors == [
        "line 2: title is required",
        "line 2: summary is 301 characters long; it must be 300 or fewer",
        'line 2: languages "Klingon" is not one we know. Use a code like "ur" or a name like "Urdu".',
        'line 2: max_age "18" is younger than min_age "65"',
        'line 2: service_radius_miles "500" must be a whole number from 0 to 100',
        'line 2: price_pence "-5" must be a whole number of pence, 0 or more (like 1250), '
        "or pounds and pence (like £12.50)",
        'line 2: intake "maybe" must be one of: full, taking, waiting_list',
        "line 2: contact_phone is 41 characters long; it must be 40 or fewer",
        'line 2: website "not a website" is not a web address',
    ]
    assert report.rows_with_errors == 1


@pytest.mark.django_db
def test_line_numbers_count_lines_in_the_file_even_with_multi_line_cells(directory):
    text = csv_text(
        [
            row(title="One", description="First paragraph.\n\nSecond paragraph.\nSame paragraph."),
            row(title="Two", price_pence="-1"),
        ]
    )
    report = import_listings_csv(file=io.StringIO(text))
    # The description takes lines 2-5, so the second listing starts on line 6, which a
    # spreadsheet shows as row 3: the printed report gives both.
    assert report.errors[0].line == 6
    assert report.describe(report.errors[0]).startswith('line 6 (row 3 in a spreadsheet): price_pence "-1"')
    assert ListingPage.objects.get().latest_revision.as_object().description == (
        "<p>First paragraph.</p><p>Second paragraph.<br/>Same paragraph.</p>"
    )


@pytest.mark.django_db
def test_a_listing_twice_in_one_file_is_reported(directory):
    report = run([row(), row(title="swimming  Buddy")])
    assert report.created == 1
    assert messages(report) == [
        'line 3: this listing (provider "Aqua Pals", title "swimming Buddy") is already on line 2; '
        "put each listing in the file once"
    ]


def test_description_is_escaped_not_trusted():
    html = text_to_html('<script>alert("x")</script> & more\r\n\r\nBye')
    assert html == "<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more</p><p>Bye</p>"


@pytest.mark.django_db
def test_formula_looking_cells_are_kept_as_plain_text(directory):
    report = run(
        [
            row(
                title='=HYPERLINK("http://evil.example")',
                summary="+1 and -1 =SUM(A1:A9)",
                contact_phone="+44 1204",
            )
        ],
        publish=True,
    )
    assert report.errors == []
    listing = ListingPage.objects.get()
    assert listing.title == '=HYPERLINK("http://evil.example")'
    assert listing.summary == "+1 and -1 =SUM(A1:A9)"
    assert listing.contact_phone == "+44 1204"


@pytest.mark.django_db
def test_a_nul_character_is_reported_by_column_and_nothing_is_written(directory):
    rows = [row(title="Swim\x00buddy", contact_phone="0\x00"), row(title="Walking group")]
    report = run(rows, publish=True)
    assert [(e.line, e.message) for e in report.errors] == [
        (2, "title contains a NUL character (an invisible byte from a damaged export); remove it"),
        (2, "contact_phone contains a NUL character (an invisible byte from a damaged export); remove it"),
    ]
    assert list(ListingPage.objects.values_list("title", flat=True)) == ["Walking group"]


@pytest.mark.django_db
def test_claimed_providers_listings_are_left_for_them_to_manage(directory):
    provider = ProviderFactory(name="Aqua Pals")
    provider.members.add(UserFactory())
    listing = make_listing(title="Swimming buddy", provider=provider, price_pence=1500)

    report = run([row(price_pence="9999")], publish=True)

    assert messages(report) == [
        'line 2: provider_name "Aqua Pals" has claimed their listings and manages them themselves, '
        "so the import does not change them"
    ]
    listing.refresh_from_db()
    assert listing.prices.get().weekday_pence == 1500


@pytest.mark.django_db
def test_existing_unclaimed_provider_is_reused_without_an_email(directory):
    provider = ProviderFactory(name="Aqua Pals", email="old@example.org")
    report = run([row(provider_name="aqua pals", provider_email="")], publish=True)
    assert report.errors == []
    assert report.providers_created == 0
    assert ListingPage.objects.get().provider == provider
    provider.refresh_from_db()
    assert provider.email == "old@example.org"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            [*HEADER, "prise_pence"],
            '"prise_pence" is not a column we know (did you mean "price_pence"?)',
        ),
        (
            [c for c in HEADER if c not in ("outcomes", "price_pence")],
            "these required columns are missing: outcomes, price_pence",
        ),
        ([*HEADER, "title"], "these columns appear more than once: title"),
        ([*HEADER, ""], f"column {len(HEADER) + 1} has no name"),
    ],
)
@pytest.mark.django_db
def test_bad_header_stops_the_import_with_the_reason(directory, header, expected):
    text = ",".join(header) + "\n" + ",".join("x" for _ in header) + "\n"
    with pytest.raises(ImportFailed) as error:
        import_listings_csv(file=io.StringIO(text))
    assert str(error.value).startswith("line 1: the header row is not right:")
    assert expected in str(error.value)
    assert not ListingPage.objects.exists()


@pytest.mark.django_db
def test_a_file_that_starts_with_data_is_a_bad_header(directory):
    text = csv_text([row()]).split("\n", 1)[1]  # the header line removed
    with pytest.raises(ImportFailed, match="the header row is not right"):
        import_listings_csv(file=io.StringIO(text))


@pytest.mark.django_db
def test_semicolon_separated_file_gets_a_clear_message(directory):
    text = ";".join(HEADER) + "\n"
    with pytest.raises(ImportFailed, match="separated by semicolons; the file must use commas"):
        import_listings_csv(file=io.StringIO(text))


@pytest.mark.django_db
def test_service_reports_a_file_object_that_is_not_utf8(directory):
    raw = csv_text([row(price_pence="£12")]).encode("cp1252")
    with pytest.raises(ImportFailed, match="The file is not UTF-8 text"):
        import_listings_csv(file=io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8", newline=""))
    assert not ListingPage.objects.exists()


@pytest.mark.parametrize("text", ["", "\n\n  \n"])
@pytest.mark.django_db
def test_empty_file_is_reported(directory, text):
    with pytest.raises(ImportFailed, match="The file is empty"):
        import_listings_csv(file=io.StringIO(text))


@pytest.mark.django_db
def test_header_only_file_imports_nothing_without_fuss(directory):
    report = run([])
    assert (report.rows, report.created, report.errors) == (0, 0, [])
    assert str(report).startswith("0 rows read: 0 created, 0 updated")


# --- through the management command ------------------------------------------------------


@pytest.mark.django_db
def test_command_prints_each_error_and_a_summary_and_succeeds(directory, tmp_path):
    path = tmp_path / "listings.csv"
    path.write_text(csv_text([row(), row(title="Walks", price_pence="-5")]), encoding="utf-8")
    out = io.StringIO()

    call_command("import_listings", str(path), "--publish", stdout=out)

    output = out.getvalue()
    assert 'line 3: price_pence "-5" must be a whole number of pence, 0 or more' in output
    assert (
        "2 rows read: 1 created, 0 updated (published). 1 new provider. 1 row had problems and was skipped."
        in output
    )
    assert ListingPage.objects.live().count() == 1


@pytest.mark.django_db
def test_command_dry_run_lists_what_would_change(directory, tmp_path):
    path = tmp_path / "listings.csv"
    path.write_text(csv_text([row()]), encoding="utf-8")
    out = io.StringIO()
    call_command("import_listings", str(path), "--dry-run", stdout=out)
    assert 'line 2: would be created "Swimming buddy" (Aqua Pals)' in out.getvalue()
    assert "Dry run: nothing was saved." in out.getvalue()
    assert not ListingPage.objects.exists()


@pytest.mark.django_db
def test_command_accepts_excel_utf8_with_byte_order_mark(directory, tmp_path):
    path = tmp_path / "listings.csv"
    text = csv_text([row(title="Café club", price_pence="£12.50")]).replace("\n", "\r\n")
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    call_command("import_listings", str(path), stdout=io.StringIO())
    listing = ListingPage.objects.get()
    assert listing.title == "Café club"
    assert listing.prices.get().weekday_pence == 1250


@pytest.mark.django_db
def test_command_explains_a_file_that_is_not_utf8(directory, tmp_path):
    path = tmp_path / "listings.csv"
    # Excel's plain "CSV" on Windows saves in cp1252, where £ is the single byte 0xA3.
    path.write_bytes(csv_text([row(), row(title="Walks", price_pence="£9")]).encode("cp1252"))

    with pytest.raises(CommandError) as error:
        call_command("import_listings", str(path), stdout=io.StringIO())

    message = str(error.value)
    assert "is not saved as UTF-8 text: line 2 has a character that cannot be read (byte 0xA3)" in message
    assert '"CSV UTF-8 (Comma delimited)"' in message
    assert "Nothing was imported." in message
    assert not ListingPage.objects.exists()


@pytest.mark.django_db
def test_command_fails_on_bad_header_and_missing_file(directory, tmp_path):
    path = tmp_path / "listings.csv"
    path.write_text("name,price\nSwimming,12\n", encoding="utf-8")
    with pytest.raises(CommandError, match="the header row is not right"):
        call_command("import_listings", str(path), stdout=io.StringIO())
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_listings", str(tmp_path / "missing.csv"), stdout=io.StringIO())
