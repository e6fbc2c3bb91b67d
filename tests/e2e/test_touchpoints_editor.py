from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from django.utils import timezone

from tests.factories import ChannelFactory, MemberFactory, TemplateFactory
from tests.touchpoints.factories import DeliveryFactory, QuietPeriodFactory

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def test_the_template_editor_previews_live_for_a_chosen_member_and_flags_a_too_long_sms(live_login, live_server, editor):
    channel = ChannelFactory(key="sms", name="SMS", config={"signature": "【Fresh Mart】", "max_segments": 1})
    MemberFactory(external_id="m-100", name="Zhang Wei", attributes={"city": "Hangzhou"})
    MemberFactory(external_id="m-200", name="Li Na", attributes={"city": "Suzhou"})
    TemplateFactory(slug="welcome-coupon", channel=channel, name="Welcome coupon",
                    body="{{ member.name }}, your coupon {{ coupon_code or 'NEW10' }} is waiting in {{ member.attributes.city }}.")
    page = live_login(editor)
    page.click(".topbar button[value=en]")
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/touchpoints/templates/welcome-coupon/")
    preview = page.locator("#tp-preview")
    preview.get_by_text("Li Na, your coupon NEW10 is waiting in Suzhou.").wait_for()

    page.fill("#preview-member", "m-100")
    preview.get_by_text("Zhang Wei, your coupon NEW10 is waiting in Hangzhou.").wait_for()

    page.fill("textarea[name=body]", "Hi {{ member.name }}! " + "Fresh strawberries are back. " * 4)
    body_error = page.locator("#err-body li")
    body_error.wait_for()
    assert "SMS segments" in body_error.inner_text()
    assert "Hi Zhang Wei!" in preview.inner_text()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "touchpoints-template-editor.png"), full_page=True)

    page.fill("textarea[name=body]", "Hi {{ member.name }}, strawberries are back.")
    page.wait_for_function("document.querySelectorAll('#err-body li').length === 0")
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{live_server.url}/touchpoints/templates/welcome-coupon/")
    assert page.locator("textarea[name=body]").input_value() == "Hi {{ member.name }}, strawberries are back."


def test_touchpoints_pages_screenshots(live_login, live_server, admin_user):
    sms = ChannelFactory(key="sms", name="SMS (Aliyun)", cost_per_message=Decimal("0.045"), rate_per_minute=600)
    wx = ChannelFactory(key="wechat", name="WeChat service account", kind="wechat_template", cost_per_message=Decimal("0"))
    hook = ChannelFactory(key="crm-hook", name="CRM webhook", kind="webhook", backend="webhook",
                          config={"url": "https://crm.example.com/hooks/journey"}, secret="s")
    templates = [
        TemplateFactory(slug="welcome-coupon", channel=sms, body="{{ member.name }}, your 10 yuan coupon is waiting."),
        TemplateFactory(slug="coupon-expiring", channel=wx, body="Coupon expiring",
                        fields={"template_id": "T1", "data": {"thing1": "{{ member.name }}"}}),
        TemplateFactory(slug="crm-sync", channel=hook, body="{{ member.external_id }}"),
    ]
    now = timezone.now()
    statuses = ["sent", "delivered", "sent", "capped", "deferred", "failed", "queued"]
    for day in range(7):
        for i in range(6 - day % 3):
            status = statuses[(day + i) % len(statuses)]
            sent = status in ("sent", "delivered")
            DeliveryFactory(channel=[sms, wx, hook][i % 3], template=templates[i % 3], status=status, created_at=now - timedelta(days=day, hours=i),
                            sent_at=now - timedelta(days=day, hours=i) if sent else None,
                            cost=Decimal("0.045") if sent and i % 3 == 0 else 0,
                            reason={"capped": "frequency cap: 2 per 24 h", "deferred": "quiet hours", "failed": "opted out"}.get(status, ""))
    QuietPeriodFactory(name="Spring Festival", start_date=timezone.localdate() + timedelta(days=20),
                       end_date=timezone.localdate() + timedelta(days=26))
    page = live_login(admin_user)
    page.click(".topbar button[value=en]")
    page.wait_for_load_state()
    SHOTS.mkdir(parents=True, exist_ok=True)
    for name, path in [("channels", "/touchpoints/"), ("channel-form", "/touchpoints/channels/sms/"),
                       ("templates", "/touchpoints/templates/"), ("deliveries", "/touchpoints/deliveries/"),
                       ("calendar", "/touchpoints/calendar/")]:
        page.goto(f"{live_server.url}{path}")
        assert page.locator(".tp-tabs a.on").count() == 1
        page.screenshot(path=str(SHOTS / f"touchpoints-{name}.png"), full_page=True)
    page.goto(f"{live_server.url}/touchpoints/deliveries/")
    page.select_option("select[name=status]", "capped")
    page.wait_for_url("**/touchpoints/deliveries/?*status=capped*")
    page.wait_for_function("[...document.querySelectorAll('#delivery-results tbody tr')].length > 0"
                           " && [...document.querySelectorAll('#delivery-results .tp-reason')]"
                           ".every(td => td.textContent.includes('frequency cap'))")
