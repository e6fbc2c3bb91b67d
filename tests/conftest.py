import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def admin_user(db):
    return UserFactory(username="alice-admin", role="admin")


@pytest.fixture
def editor(db):
    return UserFactory(username="eddie-editor", role="editor")


@pytest.fixture
def viewer(db):
    return UserFactory(username="vera-viewer", role="viewer")


def api_client_for(user):
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def api(editor):
    """An API client authenticated with an editor's token."""
    return api_client_for(editor)


@pytest.fixture
def viewer_api(viewer):
    return api_client_for(viewer)


# --- Real processes ---------------------------------------------------------------------------

def child_env(**overrides):
    """The environment for a subprocess: this one's, minus test-process-only switches."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(overrides)
    return env


def database_url_of(settings_dict):
    """The URL of the database the tests use right now (pytest-django's test_ database)."""
    user = settings_dict.get("USER") or "postgres"
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{user}@{host}:{port}/{settings_dict['NAME']}"


class CeleryWorker:
    def __init__(self, queue, env):
        self.queue = queue
        self.env = env
        self.process = None

    def start(self, concurrency=1, pool="solo"):
        args = [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", self.queue,
                f"--pool={pool}", f"--concurrency={concurrency}", "--loglevel=info", "--without-gossip",
                "--without-mingle", "--without-heartbeat", f"--hostname={self.queue}@%h"]
        self.log = open(ROOT / "var" / f"{self.queue}.log", "ab")
        self.process = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        return self

    def stop(self, sig=15):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait()
        if getattr(self, "log", None):
            self.log.close()


@pytest.fixture
def celery_worker_factory(transactional_db, settings):
    """Starts real `celery worker` processes on a private queue, against the test database and Redis."""
    (ROOT / "var").mkdir(exist_ok=True)
    from django.db import connection

    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = child_env(DATABASE_URL=database_url_of(connection.settings_dict), CELERY_QUEUE=queue,
                    DJANGO_SETTINGS_MODULE="config.settings")
    workers = []

    def start(**kwargs):
        worker = CeleryWorker(queue, env).start(**kwargs)
        workers.append(worker)
        return worker

    from config.celery import app

    previous = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    start.queue = queue
    yield start
    app.conf.task_default_queue = previous
    for worker in workers:
        worker.stop()


def wait_until(predicate, timeout=30.0, interval=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


# --- Browser (pytest-playwright with Debian's Chromium) ----------------------------------------

@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.skip("Debian chromium is not installed (make test installs it)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1440, "height": 900}, "locale": "zh-CN",
            "timezone_id": "Asia/Shanghai"}


@pytest.fixture
def live_login(live_server, page):
    """Logs `user` in through the real login form and returns the page."""

    def login(user, password="pass-word-123"):
        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=username]", user.username)
        page.fill("input[name=password]", password)
        page.click("button[type=submit].primary")
        page.wait_for_url(f"{live_server.url}/**")
        return page

    return login


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)

