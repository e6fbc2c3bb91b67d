"""CSV import of members and events, run by a Celery task in chunks.

The upload is stored first (ImportJob.file) and the request returns at once; the task reads the
file in chunks of CHUNK_ROWS, validates every row with the same cleaners the API uses, stores
the good rows of each chunk through the bulk services and records bad rows with their reason.
Rejected rows never stop the import. A *fatal* error (unreadable file, wrong header, a
database error) rolls back everything the job stored: the whole job runs in one transaction,
so nothing is ever half-imported.

Columns — members: `external_id` (required), `name`, `phone`, `email`, `wechat_openid`,
`miniprogram_openid`, `timezone`, `registered_at`, `tags` (separated by `|` or `;`), and any
other column becomes an attribute (numbers stay numbers). Events: `member`, `name`,
`occurred_at` (required), `value`, `id`, and any other column becomes a property.
"""

import csv
import io
import re

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.utils import timezone

from journeys import clock

from . import services
from .models import ImportJob

CHUNK_ROWS = 5000
MAX_REJECTIONS_KEPT = 1000
MEMBER_COLUMNS = {"external_id", "name", "phone", "email", "wechat_openid", "miniprogram_openid", "timezone", "registered_at", "tags"}
EVENT_COLUMNS = {"member", "name", "occurred_at", "value", "id"}
REQUIRED = {ImportJob.Kind.MEMBERS: {"external_id"}, ImportJob.Kind.EVENTS: {"member", "name", "occurred_at"}}
NUMBER = re.compile(r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?$")


class ImportFailed(Exception):
    """A fatal problem with the file itself: nothing of it is imported."""


def start_import(*, kind, upload, user=None):
    """Store the upload and queue the task (after commit, so the worker sees the job)."""
    from .tasks import run_import

    if kind not in ImportJob.Kind.values:
        raise ValueError(f"unknown import kind {kind!r}")
    job = ImportJob.objects.create(kind=kind, file=upload, original_name=getattr(upload, "name", "")[:255], created_by=user)
    transaction.on_commit(lambda: run_import.delay(job.pk))
    return job


def _typed(text):
    """CSV cells are text; numbers in attribute/property columns become numbers (rules compare them as such)."""
    text = text.strip()
    if NUMBER.match(text):
        return float(text) if "." in text else int(text)
    return text


def member_item(row):
    item = {k: v for k, v in row.items() if k in MEMBER_COLUMNS and k != "tags" and v not in (None, "")}
    item["external_id"] = row.get("external_id") or ""
    tags = [t.strip() for t in re.split(r"[|;]", row.get("tags") or "") if t.strip()]
    if tags:
        item["tags"] = tags
    attributes = {k: _typed(v) for k, v in row.items() if k not in MEMBER_COLUMNS and k and v not in (None, "")}
    if attributes:
        item["attributes"] = attributes
    return item


def event_item(row):
    item = {k: v for k, v in row.items() if k in EVENT_COLUMNS and v not in (None, "")}
    for key in ("member", "name", "occurred_at"):
        item.setdefault(key, "")
    properties = {k: _typed(v) for k, v in row.items() if k not in EVENT_COLUMNS and k and v not in (None, "")}
    if properties:
        item["properties"] = properties
    return item


def _reader(job):
    job.file.open("rb")
    text = io.TextIOWrapper(job.file, encoding="utf-8-sig", newline="")
    reader = csv.DictReader(text)
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = REQUIRED[job.kind] - set(header)
    if missing:
        raise ImportFailed(f"the header lacks the column(s) {', '.join(sorted(missing))}")
    reader.fieldnames = header
    return reader


def _count_rows(job):
    job.file.open("rb")
    try:
        # Lines minus the header: a close enough total for the progress bar (quoted newlines are rare).
        return max(sum(chunk.count(b"\n") for chunk in iter(lambda: job.file.read(1 << 20), b"")) - 1, 0)
    finally:
        job.file.close()


def _chunks(reader):
    chunk = []
    for number, row in enumerate(reader, start=2):  # row 1 is the header
        if None in row:
            # Extra cells: empty ones (a trailing comma from a spreadsheet) are harmless; any text is a bad row.
            row = {**row, None: [cell for cell in row[None] if cell.strip()]}
        chunk.append((number, row))
        if len(chunk) >= CHUNK_ROWS:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _validate_chunk(job, chunk):
    """Good items and rejections [{row, message}] of one chunk."""
    good, rejected = [], []
    now = clock.now()
    for number, row in chunk:
        if row.get(None):
            rejected.append({"row": number, "message": "more cells than header columns"})
            continue
        row = {k: (v or "") for k, v in row.items() if k is not None}
        try:
            if job.kind == ImportJob.Kind.MEMBERS:
                item = member_item(row)
                services.clean_member(item)
            else:
                item = event_item(row)
                if not item["occurred_at"].strip():
                    # The API may default to "now"; a file of history must say when each event happened.
                    raise ValueError("'occurred_at' is required")
                services.clean_event(item, default_time=now)
        except ValueError as exc:
            rejected.append({"row": number, "message": str(exc)})
            continue
        good.append(item)
    return good, rejected


PROGRESS_FIELDS = ("status", "total_rows", "processed_rows", "imported_rows", "rejected_rows", "duplicate_rows")


class ProgressReporter:
    """Writes progress through a second, autocommitting connection.

    The import itself runs in one long transaction, which nobody else can see until it commits;
    the progress bar must move meanwhile, so its counters take a separate connection.
    """

    def __init__(self, job):
        self.job = job
        self.connection = connections.create_connection(DEFAULT_DB_ALIAS)

    def __call__(self, **fields):
        for key, value in fields.items():
            setattr(self.job, key, value)
        columns = ", ".join(f"{name} = %s" for name in PROGRESS_FIELDS)
        with self.connection.cursor() as cursor:
            cursor.execute(f"UPDATE {ImportJob._meta.db_table} SET {columns} WHERE id = %s",
                           [getattr(self.job, name) for name in PROGRESS_FIELDS] + [self.job.pk])

    def close(self):
        self.connection.close()


def run(job):
    """Process the job's file; the whole import is one transaction (all or nothing on a fatal error)."""
    progress = ProgressReporter(job)
    job.status, job.total_rows, job.processed_rows = ImportJob.Status.RUNNING, _count_rows(job), 0
    job.save(update_fields=["status", "total_rows", "processed_rows"])
    imported = duplicates = rejected_count = 0
    rejections = []
    try:
        with transaction.atomic():
            reader = _reader(job)
            for chunk in _chunks(reader):
                good, rejected = _validate_chunk(job, chunk)
                if good:
                    if job.kind == ImportJob.Kind.MEMBERS:
                        created, updated = services.upsert_members(good)
                        imported += created + updated
                    else:
                        accepted, dup = services.ingest_events(good)
                        imported += accepted
                        duplicates += dup
                rejected_count += len(rejected)
                rejections.extend(rejected[: max(MAX_REJECTIONS_KEPT - len(rejections), 0)])
                progress(processed_rows=job.processed_rows + len(chunk), imported_rows=imported,
                         rejected_rows=rejected_count, duplicate_rows=duplicates)
    except (ImportFailed, UnicodeDecodeError, csv.Error, DatabaseError, services.BatchInvalid) as exc:
        message = str(exc) if isinstance(exc, ImportFailed) else f"{type(exc).__name__}: {exc}"
        _finish(job, status=ImportJob.Status.FAILED, imported_rows=0, duplicate_rows=0, message=message[:500])
        return job
    finally:
        job.file.close()
        progress.close()
    _finish(job, status=ImportJob.Status.DONE, total_rows=job.processed_rows, imported_rows=imported, duplicate_rows=duplicates,
            rejected_rows=rejected_count, rejections=rejections)
    return job


def _finish(job, **fields):
    fields["finished_at"] = timezone.now()
    for key, value in fields.items():
        setattr(job, key, value)
    job.save(update_fields=[*fields, "processed_rows", "rejected_rows"])
