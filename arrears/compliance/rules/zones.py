"""Candidate time zones of a debtor (COMPLIANCE.md §2.2, §0.3).

candidates = zone(address) ∪ zones(area code of each number) ∪ stated zone; a confirmed zone replaces
them all; nothing known => the profile's default zones (for the US: every mainland/Alaska/Hawaii zone).
"""

from __future__ import annotations

import functools
from importlib import resources
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import PhoneNumberType
from phonenumbers import timezone as phone_tz

from .model import ComplianceInputError, Location

NY, CHI, DEN, PHX, LA = "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles"

# State -> zones. States split between zones list every zone (conservative: the contact must suit all).
US_STATE_ZONES: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(
        ("CT", "DE", "DC", "GA", "ME", "MD", "MA", "NH", "NJ", "NY", "NC", "OH", "PA", "RI", "SC", "VT", "VA", "WV"),
        (NY,),
    ),
    **dict.fromkeys(("AL", "AR", "IL", "IA", "LA", "MN", "MS", "MO", "OK", "WI"), (CHI,)),
    **dict.fromkeys(("CO", "MT", "NM", "UT", "WY"), (DEN,)),
    **dict.fromkeys(("CA", "WA"), (LA,)),
    "NV": (LA, DEN),  # West Wendover
    "AZ": (PHX, DEN),  # Navajo Nation observes DST
    "FL": (NY, CHI),
    "IN": (NY, CHI),
    "KY": (NY, CHI),
    "MI": (NY, CHI),
    "TN": (CHI, NY),
    "KS": (CHI, DEN),
    "NE": (CHI, DEN),
    "ND": (CHI, DEN),
    "SD": (CHI, DEN),
    "TX": (CHI, DEN),
    "ID": (DEN, LA),
    "OR": (LA, DEN),
    "AK": ("America/Anchorage", "America/Adak"),
    "HI": ("Pacific/Honolulu",),
    "PR": ("America/Puerto_Rico",),
    "VI": ("America/St_Thomas",),
    "GU": ("Pacific/Guam",),
    "MP": ("Pacific/Saipan",),
    "AS": ("Pacific/Pago_Pago",),
}

# NANP area codes whose territory spans two zones; phonenumbers' geocoding data lists only one zone
# for several of them (e.g. 850 -> New_York only), so these are added to its answer. Sources: the
# examples in COMPLIANCE.md §2.2 plus NANPA area-code maps.
SPLIT_AREA_CODES: dict[str, tuple[str, ...]] = {
    "850": (NY, CHI),
    "928": (PHX, DEN),
    "208": (DEN, LA),
    "986": (DEN, LA),
    "541": (LA, DEN),
    "458": (LA, DEN),
    "605": (CHI, DEN),
    "701": (CHI, DEN),
    "308": (CHI, DEN),
    "785": (CHI, DEN),
    "620": (CHI, DEN),
    "432": (CHI, DEN),
    "915": (DEN, CHI),
    "270": (CHI, NY),
    "364": (CHI, NY),
    "423": (NY, CHI),
    "931": (CHI, NY),
    "812": (NY, CHI),
    "930": (NY, CHI),
    "574": (NY, CHI),
    "906": (NY, CHI),
    "775": (LA, DEN),
    "907": ("America/Anchorage", "America/Adak"),
}

_NON_GEOGRAPHIC = frozenset(
    {
        PhoneNumberType.TOLL_FREE,
        PhoneNumberType.PREMIUM_RATE,
        PhoneNumberType.SHARED_COST,
        PhoneNumberType.PERSONAL_NUMBER,
        PhoneNumberType.UAN,
        PhoneNumberType.VOICEMAIL,
        PhoneNumberType.PAGER,
    }
)


@functools.lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ComplianceInputError(f"time zone: unknown IANA zone {name!r}") from exc


@functools.cache
def _country_zones() -> dict[str, tuple[str, ...]]:
    """ISO country -> zones, from the IANA zone.tab shipped with the tzdata package."""
    table: dict[str, list[str]] = {}
    try:
        text = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):  # pragma: no cover - tzdata is a dependency
        text = ""
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) >= 3:
            table.setdefault(parts[0].upper(), []).append(parts[2])
    return {k: tuple(v) for k, v in table.items()}


def country_zones(country: str) -> tuple[str, ...]:
    return _country_zones().get(country.upper(), ())


@functools.lru_cache(maxsize=4096)
def phone_zones(number: str) -> tuple[str, ...]:
    """Zones for one phone number: phonenumbers' area-code data, widened by SPLIT_AREA_CODES.
    Unparseable, non-geographic (toll-free...) and unknown numbers give no information: ()."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return ()
    if phonenumbers.number_type(parsed) in _NON_GEOGRAPHIC:
        return ()
    zones = [z for z in phone_tz.time_zones_for_number(parsed) if z != "Etc/Unknown"]
    if parsed.country_code == 1:
        area = str(parsed.national_number)[:3]
        zones.extend(SPLIT_AREA_CODES.get(area, ()))
    return _dedupe(zones)


def address_zones(country: str, region: str = "", time_zone: str = "") -> tuple[str, ...]:
    if time_zone:
        return (time_zone,)
    country = country.upper()
    if country == "US":
        return US_STATE_ZONES.get(region.upper(), ())  # unknown state: no information
    return country_zones(country)


def _dedupe(zones: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Remove duplicates, including aliases of the same zone (Asia/Calcutta = Asia/Kolkata)."""
    seen: dict[str, str] = {}
    for name in zones:
        key = str(zone(name).key)
        canonical = {"Asia/Calcutta": "Asia/Kolkata"}.get(key, key)
        seen.setdefault(canonical, canonical)
    return tuple(seen)


def candidate_zones(location: Location, default_zones: tuple[str, ...]) -> tuple[tuple[str, ...], str]:
    """(zones, basis): every zone the contact must suit, and how they were found."""
    if location.confirmed_time_zone:
        return _dedupe([location.confirmed_time_zone]), "confirmed"
    zones: list[str] = []
    for address in location.addresses:
        zones.extend(address_zones(address.country, address.region, address.time_zone))
    for number in location.phones:
        zones.extend(phone_zones(number))
    if location.stated_time_zone:
        zones.append(location.stated_time_zone)
    if zones:
        return _dedupe(zones), "inferred"
    return _dedupe(default_zones), "default"
