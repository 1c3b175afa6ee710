"""The gazetteer: where villages are, how far apart two places are, and which village a point is in.

Villages carry the WGS84 latitude and longitude of their centre. The demo country's come with the
seed (accounts.demo_data); a deployment loads its own survey's with `flask places import FILE.csv`
and publishes the result at /places/villages.geojson for anyone to reuse.
"""
from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from flask import g, has_request_context
from geographiclib.geodesic import Geodesic
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import District, Region, Village
from marketplace.core.cache import fragment, invalidate
from marketplace.core.csv_export import rows_to_csv
from marketplace.extensions import db

#: A point further than this from every village we know is not said to be in any of them.
VILLAGE_RADIUS_KM = 10.0
GAZETTEER_COLUMNS = ("region_code", "region_name", "district_code", "district_name", "village", "latitude", "longitude")
MAX_GAZETTEER_ROWS = 100_000


def is_on_earth(latitude: float | None, longitude: float | None) -> bool:
    return (latitude is not None and longitude is not None and math.isfinite(latitude) and math.isfinite(longitude)
            and -90 <= latitude <= 90 and -180 <= longitude <= 180)


@lru_cache(maxsize=65_536)  # the same few pairs of places on every page
def distance_km(from_latitude: float, from_longitude: float, to_latitude: float, to_longitude: float) -> float:
    """Along the ground, on the WGS84 ellipsoid (Karney's geodesic; a sphere is off by up to 0.5%)."""
    return Geodesic.WGS84.Inverse(from_latitude, from_longitude, to_latitude, to_longitude, Geodesic.DISTANCE)["s12"] / 1000


def around(latitude_column, longitude_column, latitude: float, longitude: float, km: float) -> tuple:
    """Conditions on two columns for a latitude/longitude box holding every point within `km`, so
    the database narrows before the exact distance is measured (a degree of latitude is at least
    110.5 km; a degree of longitude shrinks with the cosine of the latitude)."""
    dlat = km / 110.5
    shrink = math.cos(math.radians(min(abs(latitude) + dlat, 89.9)))
    dlon = min(km / (111.3 * shrink), 180.0)
    return (latitude_column.between(latitude - dlat, latitude + dlat),
            longitude_column.between(longitude - dlon, longitude + dlon))


def villages_near(latitude: float, longitude: float, within_km: float = VILLAGE_RADIUS_KM) -> list[tuple[Village, float]]:
    """Villages within `within_km` of the point, nearest first, with their distance."""
    if not is_on_earth(latitude, longitude):
        return []
    candidates = db.session.scalars(select(Village).where(*around(Village.latitude, Village.longitude, latitude, longitude, within_km))
                                    .options(selectinload(Village.district).selectinload(District.region)))
    measured = [(village, distance_km(latitude, longitude, village.latitude, village.longitude)) for village in candidates]
    return sorted(((v, km) for v, km in measured if km <= within_km), key=lambda pair: (pair[1], pair[0].id))


def nearest_village(latitude: float, longitude: float, within_km: float = VILLAGE_RADIUS_KM) -> tuple[Village, float] | None:
    near = villages_near(latitude, longitude, within_km)
    return near[0] if near else None


def positions() -> dict[int, tuple[float, float]]:
    """Every placed village's (latitude, longitude) by id: one query, kept as a fragment (the
    gazetteer changes only by `flask places import` and the seed, which invalidate it), and read
    from the cache once per request (a page asks for it once per card)."""
    if has_request_context() and "place_positions" in g:
        return g.place_positions  # type: ignore[no-any-return]
    found: dict[int, tuple[float, float]] = fragment("places", "positions", lambda: {  # type: ignore[assignment]
        village_id: (latitude, longitude) for village_id, latitude, longitude in db.session.execute(
            select(Village.id, Village.latitude, Village.longitude).where(Village.latitude.is_not(None)))})
    if has_request_context():
        g.place_positions = found
    return found


def km_between_villages(from_village_id: int | None, to_village_id: int | None) -> float | None:
    """How far apart two places of the gazetteer are; None when either is not placed."""
    known = positions()
    if from_village_id not in known or to_village_id not in known:
        return None
    return distance_km(*known[from_village_id], *known[to_village_id])


def distance_from_village(village: Village, latitude: float, longitude: float) -> float | None:
    """How far a point is from the village's centre; None when the gazetteer does not place it."""
    if village.latitude is None or village.longitude is None:
        return None
    return distance_km(village.latitude, village.longitude, latitude, longitude)


def villages_geojson() -> dict:
    """Every placed village as a GeoJSON FeatureCollection (RFC 7946: longitude first)."""
    villages = db.session.scalars(select(Village).where(Village.latitude.is_not(None))
                                  .options(selectinload(Village.district).selectinload(District.region)).order_by(Village.id))
    return {"type": "FeatureCollection", "features": [{
        "type": "Feature", "id": village.id,
        "geometry": {"type": "Point", "coordinates": [village.longitude, village.latitude]},
        "properties": {"name": village.name, "district": village.district.name, "district_code": village.district.code,
                       "region": village.district.region.name, "region_code": village.district.region.code},
    } for village in villages]}


# --- loading a survey's gazetteer ------------------------------------------------------------

@dataclass
class GazetteerImport:
    added: int = 0
    moved: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)


def import_gazetteer(text: str) -> GazetteerImport:
    """Rows of GAZETTEER_COLUMNS: regions, districts and villages that are new are added, known
    villages get the new position. All or nothing: one bad row and nothing is written, and every
    bad row is named with its line."""
    result = GazetteerImport()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [column for column in GAZETTEER_COLUMNS if column not in (reader.fieldnames or [])]
    if missing:
        result.errors.append("the header lacks " + ", ".join(missing) + " (columns: " + ",".join(GAZETTEER_COLUMNS) + ")")
        return result
    rows = list(_valid_rows(reader, result))
    if result.errors:
        return result
    regions = {region.code: region for region in db.session.scalars(select(Region))}
    districts = {district.code: district for district in db.session.scalars(select(District))}
    villages = {(village.district_id, village.name): village for village in db.session.scalars(select(Village))}
    for line, row, latitude, longitude in rows:
        region = regions.get(row["region_code"])
        if region is None:
            region = regions[row["region_code"]] = Region(code=row["region_code"], name=row["region_name"])
            db.session.add(region)
        district = districts.get(row["district_code"])
        if district is None:
            district = districts[row["district_code"]] = District(code=row["district_code"], name=row["district_name"], region=region)
            db.session.add(district)
            db.session.flush()
        elif district.region.code != region.code:
            result.errors.append(f"line {line}: district {district.code} is in region {district.region.code}, not {region.code}")
            continue
        village = villages.get((district.id, row["village"]))
        if village is None:
            village = villages[(district.id, row["village"])] = Village(name=row["village"], district=district)
            db.session.add(village)
            result.added += 1
        elif (village.latitude, village.longitude) == (latitude, longitude):
            result.unchanged += 1
            continue
        else:
            result.moved += 1
        village.latitude, village.longitude = latitude, longitude
    if result.errors:
        db.session.rollback()
        result.added = result.moved = result.unchanged = 0
    else:
        db.session.commit()
        invalidate("places")
    return result


def _valid_rows(reader: csv.DictReader, result: GazetteerImport) -> Iterable[tuple[int, dict, float, float]]:
    for line, row in enumerate(reader, start=2):
        if line > MAX_GAZETTEER_ROWS + 1:
            result.errors.append(f"more than {MAX_GAZETTEER_ROWS} rows: split the file")
            return
        row = {key: (value or "").strip() for key, value in row.items() if key}
        empty = [column for column in GAZETTEER_COLUMNS if not row.get(column)]
        if empty:
            result.errors.append(f"line {line}: {', '.join(empty)} empty")
            continue
        try:
            latitude, longitude = float(row["latitude"]), float(row["longitude"])
        except ValueError:
            result.errors.append(f"line {line}: latitude and longitude are decimal degrees (-0.617, 36.0)")
            continue
        if not is_on_earth(latitude, longitude):
            result.errors.append(f"line {line}: {latitude}, {longitude} is not a place on Earth")
            continue
        yield line, row, latitude, longitude


def gazetteer_csv() -> str:
    """The gazetteer in the shape import_gazetteer reads, for editing in a spreadsheet and loading
    back (names that a spreadsheet would run as formulas are neutralised: anyone may download it)."""
    villages = db.session.scalars(select(Village).options(selectinload(Village.district).selectinload(District.region))
                                  .order_by(Village.id))
    return rows_to_csv(GAZETTEER_COLUMNS, (
        [v.district.region.code, v.district.region.name, v.district.code, v.district.name, v.name,
         "" if v.latitude is None else v.latitude, "" if v.longitude is None else v.longitude] for v in villages))
