from pathlib import Path

from playwright.sync_api import expect

from members.models import ImportJob, Member
from members.tasks import run_import

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
CSV = ("external_id,name,phone,email,tags,city\n"
       + "".join(f"csv-{i},Shopper {i},1390000{i:04d},,vip,Beijing\n" for i in range(40))
       + "csv-bad,Broken,,not-an-email,,\n,No id,,,,\n")


def test_an_editor_uploads_a_csv_and_watches_the_progress_bar_finish_with_a_report(live_login, live_server, editor, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    page = live_login(editor)
    page.goto(f"{live_server.url}/members/imports/")
    page.select_option("select[name=kind]", "members")
    page.set_input_files("input[name=file]", files=[{"name": "shoppers.csv", "mimeType": "text/csv", "buffer": CSV.encode()}])
    page.locator("form.upload-form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/members/imports/*/")
    expect(page.locator("#import-progress")).to_have_attribute("data-status", "pending")

    # The worker's part, run here: the page keeps polling the progress partial until the job is done.
    run_import(ImportJob.objects.get().pk)
    expect(page.locator("#import-progress")).to_have_attribute("data-status", "done", timeout=10_000)
    expect(page.locator(".progress")).to_have_attribute("aria-valuenow", "100")
    expect(page.locator("table.rejections tbody tr")).to_have_count(2)
    assert Member.objects.filter(external_id__startswith="csv-").count() == 40
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "members-import.png"), full_page=True)
