import pytest

from config.celery import ping

pytestmark = [pytest.mark.celery]


def test_a_real_worker_on_real_redis_executes_a_task(celery_worker_factory):
    celery_worker_factory()
    result = ping.apply_async(args=["hello"], queue=celery_worker_factory.queue)
    assert result.get(timeout=60) == {"pong": "hello"}

