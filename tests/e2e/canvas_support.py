"""Helpers for the canvas browser tests: drive the editor the way an operator does."""

import json
from pathlib import Path

from tests.factories import ChannelFactory, TemplateFactory

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "var" / "screenshots"
# The gallery holds a verbatim copy of ../shared/examples/onboarding.journey.json (tests/journeys/test_gallery.py).
ONBOARDING = ROOT / "journeys" / "gallery" / "onboarding.journey.json"
ONBOARDING_TEMPLATES = {"welcome-coupon": "sms", "last-chance": "sms", "coupon-expiring": "wechat",
                        "second-order-coupon": "wechat"}


def onboarding_document():
    return json.loads(ONBOARDING.read_text())


def onboarding_channels():
    ChannelFactory(key="sms", name="SMS", kind="sms")
    ChannelFactory(key="wechat", name="WeChat", kind="wechat_template")
    for slug, channel in ONBOARDING_TEMPLATES.items():
        TemplateFactory(slug=slug, name=slug.replace("-", " ").capitalize(), channel=ChannelFactory(key=channel))


def english(page, live_server):
    """Switch the interface to English through the top bar (the browser itself asks for Chinese)."""
    page.goto(f"{live_server.url}/journeys/")
    if page.locator(".topbar button[value=en].on").count() == 0:
        page.click(".topbar button[value=en]")
        page.wait_for_load_state()


def open_editor(page, live_server, journey):
    page.goto(f"{live_server.url}/journeys/{journey.pk}/")
    page.wait_for_function("window.jcCanvas !== undefined")
    return page


def card(page, key):
    return page.locator(f'.drawflow-node:has(.jc-card[data-key="{key}"])')


def wait_saved(page):
    page.wait_for_function("window.jcCanvas.state() === 'saved'")


def screenshot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name))
