"""Importing the ONS Postcode Directory (ONSPD) with manage.py import_postcodes."""

import csv
import io
import zipfile

import pytest
from django.core.management import CommandError, call_command

from directory.models import Postcode, PostcodeDistrict
from directory.services import locate


def _columns(header_line: str) -> list[str]:
    return next(csv.reader([header_line]))


# The real ONSPD header line (February 2023 to 2024 releases), read as the importer reads it.
ONSPD_HEADER = _columns(
    "pcd,pcd2,pcds,dointr,doterm,oscty,ced,oslaua,osward,parish,usertype,oseast1m,osnrth1m,osgrdind,"
    "oshlthau,nhser,ctry,rgn,streg,pcon,eer,teclec,ttwa,pct,itl,statsward,oa01,casward,park,lsoa01,"
    "msoa01,ur01ind,oac01,oa11,lsoa11,msoa11,wz11,sicbl,bua11,buasd11,ru11ind,oac11,lat,long,lep1,lep2,"
    "pfa,imd,calncv,icb,oa21,lsoa21,msoa21"
)
# The header since the 2025 releases renamed the postcode and geography columns.
ONSPD_2025_HEADER = _columns(
    "pcd7,pcd8,pcds,dointr,doterm,usrtypind,east1m,north1m,gridind,oa21cd,cty25cd,ced25cd,lad25cd,"
    "wd25cd,nhser24cd,ctry25cd,rgn25cd,pcon24cd,ttwa15cd,itl25cd,npark16cd,lsoa21cd,msoa21cd,wz11cd,"
    "sicbl24cd,bua24cd,ruc21ind,oac11ind,lat,long,lep21cd1,lep21cd2,pfa23cd,imd20ind,icb23cd"
)


def onspd_row(pcds, lat, long, doterm="", header=ONSPD_HEADER):
    """A row as ONSPD writes it: every column filled, the postcode in its three spellings."""
    outward, inward = pcds.split(" ")
    values = dict.fromkeys(header, "E99999999")
    values.update(
        {
            "pcds": pcds,
            "dointr": "198001",
            "doterm": doterm,
            "lat": f"{lat:.6f}",
            "long": f"{long:.6f}",
        }
    )
    for seven in ("pcd", "pcd7"):
        if seven in values:
            values[seven] = f"{outward:<4}{inward}"  # "M1  1AE"
    for eight in ("pcd2", "pcd8"):
        if eight in values:
            values[eight] = f"{outward:<5}{inward}"
    return values


LIVE_BL = [
    ("BL1 1RU", 53.577000, -2.428000),
    ("BL1 1AA", 53.579000, -2.430000),
    ("BL3 5AA", 53.560000, -2.450000),
]


@pytest.fixture(autouse=True)
def _newer_districts(db):
    """M1 and OL1 stand for districts newer than the shipped national table, which has them."""
    PostcodeDistrict.objects.filter(code__in=["M1", "OL1"]).delete()


def rows(header=ONSPD_HEADER):
    return [
        *(onspd_row(code, lat, lon, header=header) for code, lat, lon in LIVE_BL),
        onspd_row("BL2 9ZZ", 53.59, -2.39, doterm="201906", header=header),  # terminated
        onspd_row("BL9 9ZZ", 99.999999, 0.0, header=header),  # no location
        onspd_row("M1 1AE", 53.480000, -2.237000, header=header),
        onspd_row("M1 2AA", 53.482000, -2.239000, header=header),
        onspd_row("OL1 1AA", 53.544000, -2.113000, header=header),
    ]


def write_onspd(path, data, header=ONSPD_HEADER):
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, quoting=csv.QUOTE_ALL)
        writer.writeheader()
        writer.writerows(data)
    return path


def import_postcodes(*args):
    out = io.StringIO()
    call_command("import_postcodes", *map(str, args), stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_live_postcodes_are_imported_and_the_rest_skipped(tmp_path):
    path = write_onspd(tmp_path / "ONSPD_FEB_2024_UK.csv", rows())
    districts_before = PostcodeDistrict.objects.count()

    output = import_postcodes(path)

    assert sorted(Postcode.objects.values_list("code", flat=True)) == [
        "BL1 1AA",
        "BL1 1RU",
        "BL3 5AA",
        "M1 1AE",
        "M1 2AA",
        "OL1 1AA",
    ]
    assert "8 rows read: 6 postcodes added, 0 updated; skipped 1 terminated, 1 with no location." in output
    assert "2 new postcode districts" in output
    assert PostcodeDistrict.objects.count() == districts_before + 2
    bl1 = Postcode.objects.get(code="BL1 1RU")
    assert (bl1.district.code, bl1.latitude, bl1.longitude) == ("BL1", 53.577, -2.428)


@pytest.mark.django_db
def test_new_districts_are_created_at_the_mean_of_their_postcodes(tmp_path):
    assert not PostcodeDistrict.objects.filter(code__in=["M1", "OL1"]).exists()
    import_postcodes(write_onspd(tmp_path / "onspd.csv", rows()))

    m1 = PostcodeDistrict.objects.get(code="M1")
    assert m1.post_town == "M1"  # ONSPD has no post towns; the code is better than nothing
    assert (m1.latitude, m1.longitude) == pytest.approx((53.481, -2.238))
    assert locate(text="M1").precision == "district"


@pytest.mark.django_db
def test_shipped_districts_are_recentred_but_keep_their_names(tmp_path):
    import_postcodes(write_onspd(tmp_path / "onspd.csv", rows()))

    bl1 = PostcodeDistrict.objects.get(code="BL1")
    assert bl1.post_town == "Bolton"
    assert bl1.description.startswith("Bolton, Smithills")
    assert (bl1.latitude, bl1.longitude) == pytest.approx((53.578, -2.429))
    # A district the file had no live postcodes for is left where it was.
    bl2 = PostcodeDistrict.objects.get(code="BL2")
    assert (bl2.latitude, bl2.longitude) == pytest.approx((53.5877, -2.39785))


@pytest.mark.django_db
def test_area_option_limits_the_import_to_whole_area_letters(tmp_path):
    data = [*rows(), onspd_row("B33 8TH", 52.48, -1.78)]
    output = import_postcodes(write_onspd(tmp_path / "onspd.csv", data), "--area", "bl")

    assert sorted(Postcode.objects.values_list("code", flat=True)) == ["BL1 1AA", "BL1 1RU", "BL3 5AA"]
    assert "4 in other areas" in output
    assert not PostcodeDistrict.objects.filter(code__in=["M1", "OL1"]).exists()

    # "B" is Birmingham only, not every area starting with B; --area can be repeated.
    import_postcodes(tmp_path / "onspd.csv", "--area", "B", "--area", "M")
    assert sorted(
        Postcode.objects.exclude(district__code__startswith="BL").values_list("code", flat=True)
    ) == [
        "B33 8TH",
        "M1 1AE",
        "M1 2AA",
    ]


@pytest.mark.django_db
def test_reimport_updates_coordinates_without_duplicating(tmp_path):
    path = tmp_path / "onspd.csv"
    import_postcodes(write_onspd(path, rows()))
    count = Postcode.objects.count()

    moved = [onspd_row("BL1 1RU", 53.5801, -2.4266), onspd_row("BL1 1AA", 53.579, -2.430)]
    output = import_postcodes(write_onspd(path, moved))

    assert Postcode.objects.count() == count
    assert "0 postcodes added, 2 updated" in output
    assert "0 new postcode districts" in output
    moved_row = Postcode.objects.get(code="BL1 1RU")
    assert (moved_row.latitude, moved_row.longitude) == (53.5801, -2.4266)
    assert PostcodeDistrict.objects.get(code="BL1").latitude == pytest.approx((53.5801 + 53.579) / 2)


@pytest.mark.django_db
def test_after_import_a_full_postcode_is_located_exactly(tmp_path):
    assert locate(text="BL1 1RU").precision == "district"
    import_postcodes(write_onspd(tmp_path / "onspd.csv", rows()))

    location = locate(text="bl1 1ru")
    assert (location.precision, location.label, location.district_code) == ("postcode", "BL1 1RU", "BL1")
    assert (location.latitude, location.longitude) == (53.577, -2.428)


@pytest.mark.django_db
def test_small_batches_and_progress_reports(tmp_path):
    output = import_postcodes(
        write_onspd(tmp_path / "onspd.csv", rows()), "--batch-size", "2", "--progress-every", "3"
    )
    assert Postcode.objects.count() == 6
    assert "3 rows read, " in output
    assert "6 rows read, " in output
    # Districts first seen in different batches are created once each.
    assert PostcodeDistrict.objects.filter(code="M1").count() == 1


@pytest.mark.django_db
def test_the_2025_header_and_the_zip_as_downloaded_work_too(tmp_path):
    csv_path = write_onspd(tmp_path / "plain.csv", rows(ONSPD_2025_HEADER), header=ONSPD_2025_HEADER)
    zip_path = tmp_path / "ONSPD_FEB_2025.zip"
    with zipfile.ZipFile(zip_path, "w") as archive:
        archive.writestr("Documents/README.txt", "Read me")
        archive.writestr("Data/multi_csv/ONSPD_FEB_2025_UK_BL.csv", "not this one")
        archive.write(csv_path, "Data/ONSPD_FEB_2025_UK.csv")

    output = import_postcodes(zip_path)

    assert "6 postcodes added" in output
    assert Postcode.objects.get(code="M1 1AE").district.code == "M1"


@pytest.mark.django_db
def test_a_file_that_is_not_onspd_is_refused(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("postcode,latitude,longitude\nBL1 1RU,53.5,-2.4\n", encoding="utf-8")
    with pytest.raises(CommandError) as error:
        import_postcodes(path)
    assert (
        'This does not look like the ONS Postcode Directory: it has no "pcds" or "doterm" or "lat" or'
        in str(error.value)
    )
    assert not Postcode.objects.exists()


@pytest.mark.django_db
def test_bad_options_and_missing_files_are_explained(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        import_postcodes(tmp_path / "missing.csv")
    path = write_onspd(tmp_path / "onspd.csv", rows())
    with pytest.raises(CommandError, match='is not a postcode area: give its letters, like "BL"'):
        import_postcodes(path, "--area", "BL1")
    (tmp_path / "empty.csv").write_text("", encoding="utf-8")
    with pytest.raises(CommandError, match="The file is empty"):
        import_postcodes(tmp_path / "empty.csv")
