"""Events carry no database foreign key to their member (members/models.py): deletes must still cascade."""

from members.models import Event, Member
from members.services import ingest_events


def test_deleting_a_member_deletes_their_events_and_nobody_elses(db):
    ingest_events([{"member": "gone", "name": "visit"}, {"member": "gone", "name": "order_paid", "value": 5},
                   {"member": "kept", "name": "visit"}])
    Member.objects.get(external_id="gone").delete()
    assert list(Event.objects.values_list("member__external_id", "name")) == [("kept", "visit")]
