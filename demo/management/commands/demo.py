import random
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from members.models import Member
from touchpoints.models import Channel, Template

CITIES = ["北京", "上海", "广州", "深圳", "杭州", "成都", "武汉", "南京"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超", "秀英", "霞", "平"]
SOURCES = ["store_qr", "wechat_group", "miniprogram", "official_account"]


class Command(BaseCommand):
    help = "Load the demo store (idempotent). --reset rebuilds it."

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true", help="Delete demo members first.")
        parser.add_argument("--members", type=int, default=500)

    @transaction.atomic
    def handle(self, *args, reset=False, members=500, **options):
        if reset:
            Member.objects.filter(external_id__startswith="demo-").delete()
        sms, _ = Channel.objects.get_or_create(key="sms", defaults={"name": "SMS", "kind": "sms", "backend": "console", "cost_per_message": "0.045"})
        wechat, _ = Channel.objects.get_or_create(key="wechat", defaults={"name": "WeChat", "kind": "wechat_template", "backend": "console"})
        for slug, channel, body in [
            ("welcome-coupon", sms, "【鲜到家】{{ member.name }}，您的新人券已到账，满 49 减 15，3 天内有效。"),
            ("coupon-expiring", wechat, "{{ member.name }}，您的新人券即将过期，别错过首单优惠。"),
            ("last-chance", sms, "【鲜到家】最后机会：新人专享券今晚 24 点失效。"),
            ("second-order-coupon", wechat, "感谢首单！送您一张复购券：满 59 减 10。"),
        ]:
            Template.objects.get_or_create(slug=slug, defaults={"channel": channel, "body": body, "name": slug})
        existing = Member.objects.filter(external_id__startswith="demo-").count()
        if existing >= members:
            self.stdout.write(f"Demo data present ({existing} members).")
            return
        rng = random.Random(7)
        now = timezone.now()
        Member.objects.bulk_create(
            [
                Member(
                    external_id=f"demo-{i:06d}",
                    name=rng.choice(SURNAMES) + rng.choice(GIVEN),
                    phone=f"13{rng.randint(100000000, 999999999)}",
                    attributes={"city": rng.choice(CITIES), "source": rng.choice(SOURCES)},
                    registered_at=now - timedelta(days=rng.uniform(0, 60)),
                )
                for i in range(existing, members)
            ],
            ignore_conflicts=True,
        )
        self.stdout.write(self.style.SUCCESS(f"Demo store loaded: {members} members, channels sms/wechat, 4 templates."))
