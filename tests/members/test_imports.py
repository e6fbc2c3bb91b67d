import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from members import imports
from members.models import Event, ImportJob, Member
from members.tasks import run_import
from tests.conftest import wait_until
from tests.factories import MemberFactory

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}

MEMBERS_CSV = """external_id,name,phone,email,registered_at,tags,city,kids
u1,Li Lei,13800000001,li@example.com,2026-03-01T09:00:00+08:00,vip|mum,Beijing,2
u2,Han Meimei,,not-an-email,,,Shanghai,
,No Id,,,,,,
u3,Wang,,,,,Wuhan,1.5
u4,Zhao,,,next week,,,
"""

EVENTS_CSV = """member,name,occurred_at,value,id,brand
u1,order_paid,2026-05-01T10:00:00+08:00,128.50,o-1,Shiseido
u1,order_paid,2026-05-02T10:00:00+08:00,lots,o-2,Shiseido
u9,visit,2026-05-03T10:00:00+08:00,,,
u1,order_paid,2026-05-01T10:00:00+08:00,128.50,o-1,Shiseido
u2,visit,,,,
"""


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


def upload(client, kind, text, name="data.csv"):
    return client.post("/members/imports/", {"kind": kind, "file": SimpleUploadedFile(name, text.encode(), "text/csv")})


@pytest.mark.django_db
def test_uploading_stores_the_file_and_returns_at_once_with_a_pending_job(editor_client, media, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = upload(editor_client, "members", MEMBERS_CSV)
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/members/imports/{job.pk}/"
    assert (job.status, job.kind, job.original_name) == ("pending", "members", "data.csv")
    assert len(callbacks) == 1 and Member.objects.count() == 0


@pytest.mark.django_db
def test_a_members_csv_imports_good_rows_and_reports_bad_rows_with_reasons(editor_client, media):
    upload(editor_client, "members", MEMBERS_CSV)
    job = ImportJob.objects.get()
    run_import(job.pk)
    job.refresh_from_db()
    assert (job.status, job.total_rows, job.processed_rows, job.imported_rows, job.rejected_rows) == ("done", 5, 5, 2, 3)
    assert [r["row"] for r in job.rejections] == [3, 4, 6]
    assert "email" in job.rejections[0]["message"] and "external_id" in job.rejections[1]["message"]
    li = Member.objects.get(external_id="u1")
    assert li.attributes == {"city": "Beijing", "kids": 2}
    assert set(li.tags.values_list("name", flat=True)) == {"vip", "mum"}
    assert Member.objects.get(external_id="u3").attributes == {"city": "Wuhan", "kids": 1.5}


@pytest.mark.django_db
def test_an_events_csv_imports_good_rows_counts_duplicates_and_rejects_bad_ones(editor_client, media):
    MemberFactory(external_id="u1")
    upload(editor_client, "events", EVENTS_CSV)
    job = ImportJob.objects.get()
    run_import(job.pk)
    job.refresh_from_db()
    assert (job.status, job.imported_rows, job.duplicate_rows, job.rejected_rows) == ("done", 2, 1, 2)
    assert [r["row"] for r in job.rejections] == [3, 6]
    order = Event.objects.get(idempotency_key="o-1")
    assert order.properties == {"brand": "Shiseido"} and float(order.value) == 128.5
    assert Member.objects.filter(external_id="u9").exists()


@pytest.mark.django_db
def test_a_file_without_the_required_columns_fails_and_imports_nothing(editor_client, media):
    upload(editor_client, "events", "who,what\nu1,visit\n")
    job = ImportJob.objects.get()
    run_import(job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and "member" in job.message and Event.objects.count() == 0


@pytest.mark.django_db
def test_a_fatal_error_halfway_rolls_back_the_chunks_already_imported(editor_client, media, monkeypatch):
    monkeypatch.setattr(imports, "CHUNK_ROWS", 2)
    good = "".join(f"m{i},Name {i}\n" for i in range(5))
    editor_client.post("/members/imports/", {"kind": "members", "file": SimpleUploadedFile(
        "broken.csv", b"external_id,name\n" + good.encode() + b"m9,\xff\xfe broken\n", "text/csv")})
    job = ImportJob.objects.get()
    run_import(job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and job.imported_rows == 0
    assert Member.objects.count() == 0


@pytest.mark.django_db
def test_the_upload_form_refuses_non_csv_files_at_the_field(editor_client, media):
    response = editor_client.post("/members/imports/", {"kind": "members", "file": SimpleUploadedFile("x.xlsx", b"abc")}, **EN)
    assert "Upload a .csv file." in response.content.decode() and not ImportJob.objects.exists()


@pytest.mark.django_db
def test_the_progress_partial_shows_the_percentage_and_polls_until_the_job_is_finished(client, viewer):
    client.force_login(viewer)
    job = ImportJob.objects.create(kind="members", file="imports/x.csv", status="running", total_rows=200, processed_rows=50)
    running = client.get(f"/members/imports/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert 'aria-valuenow="25"' in running and 'hx-trigger="every 1s"' in running and "<html" not in running
    ImportJob.objects.filter(pk=job.pk).update(status="done", processed_rows=200, imported_rows=199, rejected_rows=1,
                                               rejections=[{"row": 7, "message": "'external_id' is required"}])
    done = client.get(f"/members/imports/{job.pk}/", HTTP_HX_REQUEST="true", **EN).content.decode()
    assert 'aria-valuenow="100"' in done and "hx-trigger" not in done
    assert "Rejected rows" in done and "&#x27;external_id&#x27; is required" in done
    assert client.get("/members/imports/999999/").status_code == 404


@pytest.mark.celery
def test_a_real_worker_imports_an_uploaded_members_csv(celery_worker_factory, editor, client):
    from pathlib import Path

    celery_worker_factory()
    client.force_login(editor)
    rows = "".join(f"w{i},Worker {i},{i % 3}\n" for i in range(300))
    upload(client, "members", "external_id,name,visits\n" + rows, name="worker.csv")
    job = ImportJob.objects.get()
    try:
        wait_until(lambda: ImportJob.objects.get(pk=job.pk).finished, timeout=60)
        job.refresh_from_db()
        assert (job.status, job.imported_rows) == ("done", 300)
        assert Member.objects.get(external_id="w7").attributes == {"visits": 1}
    finally:
        Path(job.file.path).unlink(missing_ok=True)
