"""Writes to members, tags and events (SPEC §3). Views, the API, CSV imports and the engine call these.

Both batch services are all-or-nothing: every item is validated first, and a batch with any
bad item raises with one `{"index": i, "message": …}` per bad item before anything is stored.
"""

import datetime as dt
import json
import numbers
import zoneinfo
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from config.db import server_cursor
from journeys import clock

from .models import Event, Member, MemberTag, Tag

MAX_EVENTS = 10_000
MAX_MEMBERS = 10_000
EVENT_KEYS = {"id", "member", "name", "properties", "value", "occurred_at"}
MEMBER_TEXT = {"name": 128, "phone": 32, "wechat_openid": 64, "miniprogram_openid": 64, "timezone": 64}
MEMBER_KEYS = {"external_id", "email", "attributes", "tags", "registered_at", *MEMBER_TEXT}
# Events whose `occurred_at` is the moment a member joined: a member created by one of them
# gets it as `registered_at` (so "registered more than N days ago" rules work for them).
REGISTRATION_EVENTS = ("registered",)
VALUE_LIMIT = Decimal("1e12")


class BatchInvalid(ValueError):
    def __init__(self, errors):
        self.errors = errors
        super().__init__(f"{len(errors)} invalid item(s)")


class EventBatchInvalid(BatchInvalid):
    pass


class MemberBatchInvalid(BatchInvalid):
    pass


def as_list(payload):
    """SPEC: the body is one item or a list of them."""
    return payload if isinstance(payload, list) else [payload]


def parse_moment(value):
    """An aware datetime from ISO 8601 text (a bare date is its midnight in the default zone), else None."""
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = parse_datetime(value.strip())
            if moment is None:
                day = parse_date(value.strip())
                moment = dt.datetime.combine(day, dt.time.min) if day else None
        except ValueError:
            return None
    else:
        return None
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _text(item, key, limit, *, required=False):
    value = item.get(key)
    if value is None or value == "":
        if required:
            raise ValueError(f"'{key}' is required")
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError(f"'{key}' must be a text")
    value = str(value).strip()
    if required and not value:
        raise ValueError(f"'{key}' is required")
    if len(value) > limit:
        raise ValueError(f"'{key}' is longer than {limit} characters")
    return value


# --- Events -----------------------------------------------------------------------------------

def clean_event(item, *, default_time):
    """One SPEC event dict → a tuple ready to store, or ValueError with the reason."""
    if not isinstance(item, dict):
        raise ValueError("an event must be a JSON object")
    unknown = set(item) - EVENT_KEYS
    if unknown:
        raise ValueError(f"unknown field(s): {', '.join(sorted(unknown))}")
    member = _text(item, "member", 128, required=True)
    name = _text(item, "name", 64, required=True)
    properties = item.get("properties")
    if properties is None:
        properties = {}
    if not isinstance(properties, dict):
        raise ValueError("'properties' must be an object")
    value = item.get("value")
    if value is not None:
        if isinstance(value, bool) or not isinstance(value, (numbers.Number, str)):
            raise ValueError("'value' must be a number")
        try:
            value = Decimal(str(value).strip()).quantize(Decimal("0.01"))
        except InvalidOperation:
            raise ValueError("'value' must be a number") from None
        if not value.is_finite() or abs(value) >= VALUE_LIMIT:
            raise ValueError("'value' is out of range")
    if item.get("occurred_at") in (None, ""):
        occurred_at = default_time
    else:
        occurred_at = parse_moment(item["occurred_at"])
        if occurred_at is None:
            raise ValueError("'occurred_at' must be an ISO 8601 date-time")
    key = _text(item, "id", 128) or None
    return member, name, properties, value, occurred_at, key


def validate_events(items):
    """Clean every item; raise EventBatchInvalid listing each bad one."""
    if not isinstance(items, list) or not items:
        raise EventBatchInvalid([{"index": None, "message": "send one event or a non-empty list of events"}])
    if len(items) > MAX_EVENTS:
        raise EventBatchInvalid([{"index": None, "message": f"at most {MAX_EVENTS:,} events per request, got {len(items):,}"}])
    default_time = clock.now()
    cleaned, errors = [], []
    for index, item in enumerate(items):
        try:
            cleaned.append(clean_event(item, default_time=default_time))
        except ValueError as exc:
            errors.append({"index": index, "message": str(exc)})
    if errors:
        raise EventBatchInvalid(errors)
    return cleaned


def ingest_events(items):
    """Store a batch of SPEC events and hand the new ones to the engine. Returns (accepted, duplicates).

    A repeated `id` (already stored, or twice in this batch) is stored once and counted as a
    duplicate. Unknown members are created. Everything, including the engine's reaction
    (enrolments, wake-ups, goals, exits), happens in one transaction.
    """
    cleaned = validate_events(items)
    unique, seen = [], set()
    for row in cleaned:
        key = row[5]
        if key is not None:
            if key in seen:
                continue
            seen.add(key)
        unique.append(row)
    with transaction.atomic():
        members = member_ids_for(unique)
        stored = _insert_events(unique, members)
        if stored:
            from journeys.entry import handle_events

            handle_events(stored)
    return len(stored), len(cleaned) - len(stored)


def _joined_at(rows, missing):
    """A new member joined at their registration event if the batch has one, else at their first event."""
    joined = {}
    for member, name, _props, _value, occurred_at, _key in rows:
        if member in missing:
            rank = (name not in REGISTRATION_EVENTS, occurred_at)
            if member not in joined or rank < joined[member]:
                joined[member] = rank
    return {member: rank[1] for member, rank in joined.items()}


def member_ids_for(rows):
    """external_id → pk for every member the rows name, creating the unknown ones (two statements)."""
    wanted = {row[0] for row in rows}
    if connection.vendor != "postgresql":
        return _member_ids_portable(rows, wanted)
    member = Member._meta.db_table
    with server_cursor() as cursor:
        cursor.execute(f"SELECT external_id, id FROM {member} WHERE external_id IN (SELECT jsonb_array_elements_text(%s::jsonb))",
                       [json.dumps(list(wanted))])
        ids = dict(cursor.fetchall())
        missing = wanted - ids.keys()
        if missing:
            joined = _joined_at(rows, missing)
            now = timezone.now()
            # Every NOT NULL column of Member with its model default (the table has no database defaults).
            # ON CONFLICT: a concurrent batch may create the same member first; those are re-read below.
            cursor.execute(
                f"INSERT INTO {member} (external_id, name, phone, email, wechat_openid, miniprogram_openid, attributes, timezone, "
                "points, opted_out, rfm_group, rfm_scores, lifecycle_stage, registered_at, created_at, updated_at) "
                "SELECT e, '', '', '', '', '', '{}', '', 0, '[]', '', '', '', r, %s, %s "
                "FROM jsonb_to_recordset(%s::jsonb) AS t(e text, r timestamptz) "
                "ON CONFLICT (external_id) DO NOTHING RETURNING external_id, id",
                [now, now, json.dumps([{"e": e, "r": at.isoformat()} for e, at in joined.items()])],
            )
            ids.update(cursor.fetchall())
            raced = wanted - ids.keys()
            if raced:
                cursor.execute(f"SELECT external_id, id FROM {member} WHERE external_id IN "
                               "(SELECT jsonb_array_elements_text(%s::jsonb))", [json.dumps(list(raced))])
                ids.update(cursor.fetchall())
    return ids


def _member_ids_portable(rows, wanted):
    ids = dict(Member.objects.filter(external_id__in=wanted).values_list("external_id", "pk"))
    missing = wanted - ids.keys()
    if missing:
        joined = _joined_at(rows, missing)
        Member.objects.bulk_create([Member(external_id=e, registered_at=joined[e]) for e in missing], ignore_conflicts=True,
                                   batch_size=500)
        ids.update(Member.objects.filter(external_id__in=missing).values_list("external_id", "pk"))
    return ids


# What the engine's hand-off reads of a new event; `properties` stays deferred (event `where` rules are
# evaluated in SQL), which spares parsing every event's JSON again.
RETURNED_EVENT_FIELDS = ("id", "member_id", "name", "value", "occurred_at", "received_at", "idempotency_key")


def _insert_events(rows, members):
    """Insert the rows, skipping stored idempotency keys, and return the Event rows actually inserted."""
    if not rows:
        return []
    received_at = timezone.now()
    if connection.vendor != "postgresql":
        return _insert_events_portable(rows, members, received_at)
    table = Event._meta.db_table
    # One statement for the whole batch: ONE JSON parameter in (json.dumps is C, where psycopg would
    # dump a list parameter element by element in Python), ON CONFLICT for idempotency, new rows out.
    sql = (
        f"INSERT INTO {table} (member_id, name, properties, value, occurred_at, received_at, idempotency_key) "
        "SELECT m, n, COALESCE(p, '{}'), v, o, %s, k "
        "FROM jsonb_to_recordset(%s::jsonb) AS t(m bigint, n text, p jsonb, v numeric, o timestamptz, k text) "
        "ON CONFLICT (idempotency_key) DO NOTHING "
        f"RETURNING {', '.join(RETURNED_EVENT_FIELDS)}"
    )
    batch = [
        {"m": members[m], "n": n, "p": p, "v": None if v is None else str(v), "o": o.isoformat(), "k": k}
        for m, n, p, v, o, k in rows
    ]
    params = [received_at, json.dumps(batch, ensure_ascii=False)]
    with server_cursor() as cursor:
        cursor.execute(sql, params, binary=True)
        return [Event.from_db(connection.alias, RETURNED_EVENT_FIELDS, row) for row in cursor.fetchall()]


def _insert_events_portable(rows, members, received_at):
    """SQLite (the zero-setup default) has no array parameters: filter stored keys, then bulk_create."""
    keys = [r[5] for r in rows if r[5] is not None]
    stored = set(Event.objects.filter(idempotency_key__in=keys).values_list("idempotency_key", flat=True))
    events = [
        Event(member_id=members[m], name=n, properties=p, value=v, occurred_at=o, received_at=received_at, idempotency_key=k)
        for m, n, p, v, o, k in rows if k is None or k not in stored
    ]
    return Event.objects.bulk_create(events, batch_size=500)


# --- Members ----------------------------------------------------------------------------------

def clean_member(item):
    if not isinstance(item, dict):
        raise ValueError("a member must be a JSON object")
    unknown = set(item) - MEMBER_KEYS
    if unknown:
        raise ValueError(f"unknown field(s): {', '.join(sorted(unknown))}")
    cleaned = {"external_id": _text(item, "external_id", 128, required=True)}
    for key, limit in MEMBER_TEXT.items():
        if key in item:
            cleaned[key] = _text(item, key, limit)
    if "timezone" in cleaned and cleaned["timezone"]:
        try:
            zoneinfo.ZoneInfo(cleaned["timezone"])
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {cleaned['timezone']!r}") from None
    if "email" in item:
        email = _text(item, "email", 254)
        if email:
            try:
                validate_email(email)
            except ValidationError:
                raise ValueError(f"'email' is not a valid address: {email!r}") from None
        cleaned["email"] = email
    if "attributes" in item and item["attributes"] is not None:
        if not isinstance(item["attributes"], dict):
            raise ValueError("'attributes' must be an object")
        cleaned["attributes"] = item["attributes"]
    if "tags" in item and item["tags"] is not None:
        tags = item["tags"]
        if not isinstance(tags, list) or not all(isinstance(t, str) and t.strip() and len(t.strip()) <= 64 for t in tags):
            raise ValueError("'tags' must be a list of tag names (1–64 characters)")
        cleaned["tags"] = sorted({t.strip() for t in tags})
    if item.get("registered_at") not in (None, ""):
        moment = parse_moment(item["registered_at"])
        if moment is None:
            raise ValueError("'registered_at' must be an ISO 8601 date-time")
        cleaned["registered_at"] = moment
    return cleaned


def validate_members(items):
    if not isinstance(items, list) or not items:
        raise MemberBatchInvalid([{"index": None, "message": "send one member or a non-empty list of members"}])
    if len(items) > MAX_MEMBERS:
        raise MemberBatchInvalid([{"index": None, "message": f"at most {MAX_MEMBERS:,} members per request, got {len(items):,}"}])
    cleaned, errors = [], []
    for index, item in enumerate(items):
        try:
            cleaned.append(clean_member(item))
        except ValueError as exc:
            errors.append({"index": index, "message": str(exc)})
    if errors:
        raise MemberBatchInvalid(errors)
    return cleaned


UPSERT_FIELDS = ["name", "phone", "email", "wechat_openid", "miniprogram_openid", "timezone", "attributes", "registered_at"]


def upsert_members(items):
    """Create or update members by external_id. Returns (created, updated).

    Fields an item leaves out keep their stored value; `attributes` merge key by key (a key
    set to null is removed); `tags` are added (remove them with `remove_tag`). A later item
    for the same external_id wins.
    """
    cleaned = validate_members(items)
    merged = {}
    for item in cleaned:
        previous = merged.get(item["external_id"])
        if previous:
            tags = sorted(set(previous.get("tags", [])) | set(item.get("tags", [])))
            attributes = {**previous.get("attributes", {}), **item.get("attributes", {})}
            item = {**previous, **item, "tags": tags, "attributes": attributes}
        merged[item["external_id"]] = item
    with transaction.atomic():
        existing = {
            m.external_id: m
            for m in Member.objects.select_for_update().filter(external_id__in=merged.keys()).only("external_id", *UPSERT_FIELDS)
        }
        rows = []
        for external_id, item in merged.items():
            current = existing.get(external_id)
            row = Member(external_id=external_id)
            for field in UPSERT_FIELDS:
                if field == "attributes":
                    base = dict(current.attributes) if current else {}
                    for key, value in item.get("attributes", {}).items():
                        if value is None:
                            base.pop(key, None)
                        else:
                            base[key] = value
                    row.attributes = base
                elif field in item:
                    setattr(row, field, item[field])
                elif current:
                    setattr(row, field, getattr(current, field))
            rows.append(row)
        saved = Member.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["external_id"], update_fields=[*UPSERT_FIELDS, "updated_at"], batch_size=2000
        )
        if connection.vendor != "postgresql":
            ids = dict(Member.objects.filter(external_id__in=merged.keys()).values_list("external_id", "pk"))
        else:
            ids = {m.external_id: m.pk for m in saved}
        add_tags_to_members({ids[e]: item["tags"] for e, item in merged.items() if item.get("tags")})
    return len(merged) - len(existing), len(existing)


def tags_by_name(names):
    """Tag rows for the names, creating missing ones (two queries)."""
    names = set(names)
    Tag.objects.bulk_create([Tag(name=n) for n in names], ignore_conflicts=True)
    return dict(Tag.objects.filter(name__in=names).values_list("name", "pk"))


def add_tags_to_members(tags_of_member):
    """{member_id: [tag names]} → MemberTag rows, idempotently."""
    if not tags_of_member:
        return
    tag_ids = tags_by_name({t for tags in tags_of_member.values() for t in tags})
    MemberTag.objects.bulk_create(
        [MemberTag(member_id=m, tag_id=tag_ids[t]) for m, tags in tags_of_member.items() for t in tags],
        ignore_conflicts=True, batch_size=5000,
    )


def add_tag(member, name):
    name = name.strip()
    if not name or len(name) > 64:
        raise ValueError("a tag name has 1–64 characters")
    add_tags_to_members({member.pk: [name]})


def remove_tag(member, name):
    MemberTag.objects.filter(member=member, tag__name=name).delete()


def create_tag(name, description=""):
    name = name.strip()
    if not name or len(name) > 64:
        raise ValueError("a tag name has 1–64 characters")
    tag, _ = Tag.objects.get_or_create(name=name, defaults={"description": description[:200]})
    return tag


def delete_tag(tag):
    tag.delete()
