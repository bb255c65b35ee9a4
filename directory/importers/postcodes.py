"""Importing the ONS Postcode Directory (`import_postcodes_csv`, `manage.py import_postcodes`).

Streams the ONSPD CSV (about 2.7 million rows) into `Postcode`, skipping terminated postcodes
and those without a location, creating the postcode districts it has not seen, and setting
each district's centre to the mean of its postcodes. See docs/importing.md.
"""

import csv
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TextIO

from django.db import transaction
from django.db.models import Avg

from directory import geo
from directory.importers import ImportFailed
from directory.models import Postcode, PostcodeDistrict

# --- ONS Postcode Directory -------------------------------------------------------------

# ONSPD has named its postcode columns two ways: pcd/pcd2/pcds until 2024, pcd7/pcd8/pcds since.
ONSPD_POSTCODE_COLUMNS = ("pcds", "pcd", "pcd2", "pcd7", "pcd8")
ONSPD_REQUIRED = ("doterm", "lat", "long")
# ONSPD gives postcodes with no grid reference a latitude of 99.999999.
_NO_LOCATION_LAT = 99.999999
# The same box PostcodeDistrict's constraints allow: anything outside is not a usable location.
_LAT_RANGE = (49.0, 61.0)
_LON_RANGE = (-9.0, 3.0)


@dataclass
class PostcodeImportReport:
    """Counts from an ONSPD import."""

    rows: int = 0
    other_areas: int = 0
    terminated: int = 0
    no_location: int = 0
    unreadable: int = 0
    created: int = 0
    updated: int = 0
    districts_created: int = 0
    districts_recentred: int = 0

    def __str__(self):
        skipped = [
            f"{self.terminated:,} terminated",
            f"{self.no_location:,} with no location",
        ]
        if self.other_areas:
            skipped.append(f"{self.other_areas:,} in other areas")
        if self.unreadable:
            skipped.append(f"{self.unreadable:,} with a postcode we could not read")
        return (
            f"{self.rows:,} rows read: {self.created:,} postcodes added, {self.updated:,} updated; "
            f"skipped {', '.join(skipped)}. {self.districts_created:,} new postcode districts; "
            f"{self.districts_recentred:,} district centres recalculated."
        )


def _area(outward: str) -> str:
    """The postcode area: the leading letters of the outward code ("BL" of "BL3", "M" of "M1")."""
    match = re.match(r"[A-Z]+", outward)
    return match.group(0) if match else ""


def import_postcodes_csv(
    *,
    file: TextIO,
    areas: Iterable[str] = (),
    batch_size: int = 5000,
    progress: Callable[[int, PostcodeImportReport], None] | None = None,
    progress_every: int = 100_000,
) -> PostcodeImportReport:
    """Upsert postcodes from an ONS Postcode Directory CSV, streaming it in batches.

    `areas` limits the import to postcode areas ("BL", "M"): the whole letters, so "B" is
    Birmingham and not also Bolton. Terminated postcodes and ones without a location are
    skipped. Districts not yet known are created (named by their code, as ONSPD has no post
    towns); afterwards every district that received postcodes is re-centred on their mean.
    Raises ImportFailed when the file is not an ONSPD CSV.
    """
    wanted = {a.strip().upper() for a in areas if a.strip()}
    reader = csv.DictReader(file)
    fieldnames = [(name or "").replace("\ufeff", "").strip().lower() for name in (reader.fieldnames or [])]
    if not fieldnames:
        raise ImportFailed("The file is empty.")
    reader.fieldnames = fieldnames
    postcode_column = next((c for c in ONSPD_POSTCODE_COLUMNS if c in fieldnames), None)
    missing = [c for c in ONSPD_REQUIRED if c not in fieldnames]
    if postcode_column is None or missing:
        needed = ["pcds", *missing] if postcode_column is None else missing
        raise ImportFailed(
            "This does not look like the ONS Postcode Directory: it has no "
            + " or ".join(f'"{c}"' for c in needed)
            + " column. It needs pcds, doterm, lat and long."
        )

    report = PostcodeImportReport()
    districts = dict(PostcodeDistrict.objects.values_list("code", "pk"))
    touched: set[int] = set()
    batch: dict[str, tuple[str, float, float]] = {}
    try:
        for row in reader:
            report.rows += 1
            if progress and report.rows % progress_every == 0:
                progress(report.rows, report)
            code = (row.get(postcode_column) or "").strip().upper()
            outward = code.split(" ", 1)[0] if " " in code else code[:-3]
            if wanted and _area(outward) not in wanted:
                report.other_areas += 1
                continue
            if (row.get("doterm") or "").strip():
                report.terminated += 1
                continue
            try:
                lat, lon = float(row["lat"]), float(row["long"])
            except (TypeError, ValueError):
                report.no_location += 1
                continue
            if (
                abs(lat - _NO_LOCATION_LAT) < 1e-6
                or not _LAT_RANGE[0] <= lat <= _LAT_RANGE[1]
                or not _LON_RANGE[0] <= lon <= _LON_RANGE[1]
            ):
                report.no_location += 1
                continue
            try:
                parsed = geo.parse_postcode(code)
            except geo.InvalidPostcode:
                parsed = None
            if parsed is None or not parsed.is_full:
                report.unreadable += 1
                continue
            # A dict, so a postcode repeated in one batch is written once (PostgreSQL refuses
            # to update the same row twice in one INSERT … ON CONFLICT).
            batch[str(parsed)] = (parsed.outward, lat, lon)
            if len(batch) >= batch_size:
                _save_postcode_batch(batch, districts, touched, report)
                batch = {}
    except UnicodeDecodeError as exc:
        raise ImportFailed(
            f"The file is not UTF-8 text (at or after row {report.rows + 1:,}). The postcodes before it "
            "were saved; fix the file and import it again."
        ) from exc
    except csv.Error as exc:
        raise ImportFailed(f"Row {report.rows + 1:,} cannot be read as CSV ({exc}).") from exc
    if batch:
        _save_postcode_batch(batch, districts, touched, report)
    report.districts_recentred = _recentre_districts(touched)
    return report


def _save_postcode_batch(batch, districts, touched, report) -> None:
    with transaction.atomic():
        new_codes = defaultdict(list)
        for outward, lat, lon in batch.values():
            if outward not in districts:
                new_codes[outward].append((lat, lon))
        if new_codes:
            # Provisional centre from this batch; _recentre_districts corrects it at the end.
            PostcodeDistrict.objects.bulk_create(
                [
                    PostcodeDistrict(
                        code=code,
                        post_town=code,
                        latitude=sum(p[0] for p in points) / len(points),
                        longitude=sum(p[1] for p in points) / len(points),
                    )
                    for code, points in new_codes.items()
                ]
            )
            districts.update(
                PostcodeDistrict.objects.filter(code__in=list(new_codes)).values_list("code", "pk")
            )
            report.districts_created += len(new_codes)
        # In chunks: SQLite before 3.32 allows only 999 parameters in one query.
        codes = list(batch)
        existing = set()
        for start in range(0, len(codes), 900):
            chunk = codes[start : start + 900]
            existing.update(Postcode.objects.filter(code__in=chunk).values_list("code", flat=True))
        Postcode.objects.bulk_create(
            [
                Postcode(code=code, district_id=districts[outward], latitude=lat, longitude=lon)
                for code, (outward, lat, lon) in batch.items()
            ],
            update_conflicts=True,
            unique_fields=["code"],
            update_fields=["district", "latitude", "longitude"],
        )
        report.updated += len(existing)
        report.created += len(batch) - len(existing)
        touched.update(districts[outward] for outward, _, _ in batch.values())


def _recentre_districts(district_ids: set[int]) -> int:
    """Move each district's centre to the mean of its postcodes; post towns are left alone."""
    ids = sorted(district_ids)
    changed = 0
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        means = {
            row["district"]: (row["lat"], row["lon"])
            for row in Postcode.objects.filter(district__in=chunk)
            .values("district")
            .annotate(lat=Avg("latitude"), lon=Avg("longitude"))
            .order_by()
        }
        rows = list(PostcodeDistrict.objects.filter(pk__in=list(means)))
        for district in rows:
            district.latitude, district.longitude = means[district.pk]
        PostcodeDistrict.objects.bulk_update(rows, ["latitude", "longitude"])
        changed += len(rows)
    return changed
