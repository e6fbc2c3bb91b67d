"""Running a journey document through the real engine without touching live data.

Everything happens inside one transaction that is always rolled back: a temporary live journey
holding the document, synthetic clones of the chosen members (so no live enrolment is ever locked
or changed), and the engine and event hand-off restricted to the temporary version. Nothing sends:
the sender never runs, so deliveries are the outbox rows the engine writes inside the transaction.
Callers compute what they need before the block ends and keep plain Python values.
"""

import contextlib
import uuid

from django.db import connection, transaction

from config.db import pg_array
from journeys import engine, entry
from journeys.models import Journey, JourneyVersion
from members.models import Member

CLONE_PREFIX = "jc-sandbox-"


class _RollBack(Exception):
    """Raised at the end of every sandbox so its transaction never commits."""


class Sandbox:
    def __init__(self, journey, document, start):
        self.source = journey
        self.start = start
        self.token = uuid.uuid4().hex[:12]
        self.journey = Journey.objects.create(
            name=f"[sandbox] {journey.name}"[:200], status=Journey.Status.LIVE, draft=document,
            split_overrides=journey.split_overrides or {},
        )
        self.version = JourneyVersion.objects.create(journey=self.journey, number=1, document=document, published_at=start)
        self.journey.current_version = self.version
        self.journey.save(update_fields=["current_version"])
        self.versions = [self.version.pk]

    def clone_members(self, member_ids):
        """{source member id: clone id}: copies of the members with their tags and event history."""
        fields = [f.name for f in Member._meta.concrete_fields if f.name not in ("id", "external_id", "created_at", "updated_at")]
        sources = list(Member.objects.filter(id__in=list(member_ids)).order_by("id").values("id", *fields))
        clones = Member.objects.bulk_create([
            Member(external_id=f"{CLONE_PREFIX}{self.token}-{row['id']}", **{f: row[f] for f in fields}) for row in sources
        ])
        mapping = {row["id"]: clone.pk for row, clone in zip(sources, clones)}
        if mapping:
            sources_array = pg_array(list(mapping), "bigint")
            clones_array = pg_array(list(mapping.values()), "bigint")
            with connection.cursor() as cursor:
                cursor.execute(
                    """INSERT INTO members_membertag (member_id, tag_id, created_at)
                       SELECT m.clone, t.tag_id, t.created_at FROM members_membertag t
                       JOIN unnest(%s::bigint[], %s::bigint[]) AS m(source, clone) ON t.member_id = m.source""",
                    [sources_array, clones_array],
                )
                cursor.execute(
                    """INSERT INTO members_event (member_id, name, properties, value, occurred_at, received_at, idempotency_key)
                       SELECT m.clone, e.name, e.properties, e.value, e.occurred_at, e.received_at, NULL FROM members_event e
                       JOIN unnest(%s::bigint[], %s::bigint[]) AS m(source, clone) ON e.member_id = m.source
                       WHERE e.occurred_at <= %s""",
                    [sources_array, clones_array, self.start],
                )
        return mapping

    def new_member(self, *, registered_at, attributes=None, timezone="", tags=()):
        """A synthetic member (no source) with the given profile."""
        from members.models import MemberTag, Tag

        member = Member.objects.create(external_id=f"{CLONE_PREFIX}{self.token}-profile", attributes=attributes or {},
                                       registered_at=registered_at, timezone=timezone)
        if tags:
            Tag.objects.bulk_create([Tag(name=name) for name in sorted(set(tags))], ignore_conflicts=True)
            MemberTag.objects.bulk_create([MemberTag(member=member, tag=tag) for tag in Tag.objects.filter(name__in=set(tags))])
        return member

    def enroll(self, member_times, *, assignments=None):
        return engine.enroll(self.version, member_times, assignments=assignments)

    def advance(self, now):
        return engine.advance(now=now, versions=self.versions)

    def ingest(self, items):
        from members.services import ingest_events

        return ingest_events(items) if items else (0, 0)


@contextlib.contextmanager
def sandbox(journey, document, *, start):
    """Yield a Sandbox for `document` (a journey/v1 object); every write in the block is rolled back."""
    try:
        with transaction.atomic():
            box = Sandbox(journey, document, start)
            with entry.only_versions(box.versions):
                yield box
            raise _RollBack
    except _RollBack:
        pass
