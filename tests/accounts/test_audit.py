import pytest

from accounts import audit
from accounts.models import AuditEntry
from tests.factories import JourneyFactory

pytestmark = pytest.mark.django_db


def test_recording_an_action_keeps_who_what_and_the_details(editor):
    journey = JourneyFactory(name="Recall <b>VIP</b>")
    audit.record(editor, "published", journey, version=3)
    entry = AuditEntry.objects.get()
    assert (entry.user, entry.action, entry.object_type, entry.object_id) == (editor, "published", "journeys.journey", str(journey.pk))
    assert entry.details == {"version": 3}
    assert list(audit.history(journey)) == [entry]


def test_the_audit_page_lists_entries_escaped_and_filters_by_action(client, editor):
    journey = JourneyFactory(name="Recall <script>alert(1)</script>")
    audit.record(editor, "published", journey)
    audit.record(None, "paused", journey)
    client.force_login(editor)
    client.post("/i18n/setlang/", {"language": "en"})
    page = client.get("/audit/?action=published").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert '<span class="pill pill-published">published</span>' in page and "pill-paused" not in page


def test_viewers_cannot_read_the_audit_log(client, viewer):
    client.force_login(viewer)
    assert client.get("/audit/").status_code == 403
