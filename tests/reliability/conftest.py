"""Real processes for the crash tests: a private redis-server, Celery workers and beats.

The Redis is started by the test on a free port (never the machine's shared one), so the tests
may kill and restart it at will.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import uuid

import pytest
import redis

from tests.conftest import ROOT, CeleryWorker, child_env, database_url_of, wait_until


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateRedis:
    def __init__(self, port):
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                         "--appendonly", "no", "--daemonize", "no"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        wait_until(self.ping, timeout=20, interval=0.05)
        return self

    def ping(self):
        try:
            return redis.Redis.from_url(self.url, socket_timeout=0.5).ping()
        except redis.ConnectionError:
            return False

    def restart(self, down_for=2.0):
        """SIGKILL the server, stay down a moment (clients see refused connections), start it again."""
        self.kill()
        time.sleep(down_for)
        return self.start()

    def kill(self):
        """SIGKILL: the broker's queues vanish with it (no persistence), like a crashed Redis."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


class Beat:
    def __init__(self, env, name):
        self.env, self.name, self.process = env, name, None

    def start(self):
        schedule = ROOT / "var" / f"beat-{self.name}.db"
        for leftover in ROOT.joinpath("var").glob(f"beat-{self.name}.db*"):
            leftover.unlink()
        self.log = open(ROOT / "var" / f"beat-{self.name}.log", "ab")
        self.process = subprocess.Popen([sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel=info",
                                         "-s", str(schedule)], cwd=ROOT, env=self.env, stdout=self.log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()
        for leftover in ROOT.joinpath("var").glob(f"beat-{self.name}.db*"):
            leftover.unlink()


class Cluster:
    """Workers and beats on a private queue of a private Redis, against the test database."""

    def __init__(self, redis_server, database_url):
        self.redis = redis_server
        self.queue = f"rel-{uuid.uuid4().hex[:8]}"
        self.env = child_env(DATABASE_URL=database_url, REDIS_URL=redis_server.url, CELERY_QUEUE=self.queue,
                             TICK_SECONDS="1", DJANGO_SETTINGS_MODULE="config.settings")
        self.workers, self.beats = [], []

    def worker(self):
        worker = CeleryWorker(self.queue, self.env).start()
        self.workers.append(worker)
        return worker

    def beat(self):
        beat = Beat(self.env, f"{self.queue}-{len(self.beats)}").start()
        self.beats.append(beat)
        return beat

    def stop(self):
        for process in self.workers:
            process.stop()
        for beat in self.beats:
            beat.stop()


@pytest.fixture
def private_redis():
    server = PrivateRedis(free_port()).start()
    yield server
    server.kill()


@pytest.fixture
def cluster(transactional_db, private_redis):
    from django.db import connection

    (ROOT / "var").mkdir(exist_ok=True)
    running = Cluster(private_redis, database_url_of(connection.settings_dict))
    yield running
    running.stop()
