"""The hand computation the distance tests compare against: the haversine formula on a sphere of the
Earth's mean radius, written out here rather than taken from the library under test."""
from __future__ import annotations

import math

MEAN_EARTH_RADIUS_KM = 6371.0088


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2, dp, dl = map(math.radians, (lat1, lat2, lat2 - lat1, lon2 - lon1))
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * MEAN_EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def between_villages(a, b) -> float:
    return great_circle_km(a.latitude, a.longitude, b.latitude, b.longitude)
