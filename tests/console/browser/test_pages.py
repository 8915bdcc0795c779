"""The organisation and operator pages in a real browser: create, move and disable a node,
refusals next to their fields, CSRF refusal, a cross-organisation URL, the language switch,
and screenshots of the main pages."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from .conftest import Served, sign_in


def test_create_move_and_disable_an_organisation(
    page: Page, served: Served, screenshots: Path
) -> None:
    sign_in(page, served, "admin@340828")
    page.goto(served.url("/organisations"))
    page.click("tr[data-code='34082801'] a:has-text('添加下级')")
    expect(page.locator("input[name=parent_code]")).to_have_value("34082801")
    page.fill("input[name=code]", "3408280109")
    page.fill("input[name=name]", "黄尾村代收点")
    page.select_option("select[name=level]", "collection_point")
    page.click("form.card button[type=submit]")
    expect(page.locator("p.notice")).to_have_text("机构已添加。")
    expect(page.locator("h1")).to_have_text("黄尾村代收点")
    expect(page.locator("dd[data-field=parent]")).to_have_text("天堂供电所")
    page.screenshot(path=screenshots / "organisation-detail.png", full_page=True)

    # moving under a station of another county is refused next to the field
    page.fill("#move-form input[name=parent_code]", "34082601")
    page.click("#move-form button[type=submit]")
    expect(page.locator("#move-form .field-error")).to_have_text(
        "您的管辖范围内没有编码为 34082601 的机构"
    )
    page.fill("#move-form input[name=parent_code]", "34082802")
    page.click("#move-form button[type=submit]")
    expect(page.locator("p.notice")).to_have_text("机构已移动。")
    expect(page.locator("dd[data-field=parent]")).to_have_text("店前供电所")

    page.click("#status-form button[type=submit]")
    expect(page.locator("p.notice")).to_have_text("机构已停用。")
    expect(page.locator("dd[data-field=status]")).to_have_text("已停用")

    page.goto(served.url("/organisations?q=黄尾"))
    row = page.locator("tr[data-code='3408280109']")
    expect(row).to_have_class("disabled")
    expect(row.locator("td").nth(3)).to_have_text("店前供电所")


def test_a_node_cannot_move_under_its_own_child(page: Page, served: Served) -> None:
    sign_in(page, served, "admin@340828")
    page.goto(served.url(f"/organisations/{served.tree.org['34082801']}"))
    page.fill("#move-form input[name=parent_code]", "3408280101")
    page.click("#move-form button[type=submit]")
    expect(page.locator("#move-form .field-error")).to_have_text(
        "不能把机构移到它自己或它的下级机构之下"
    )


def test_a_duplicate_code_is_named_next_to_the_field_and_nothing_is_saved(
    page: Page, served: Served
) -> None:
    sign_in(page, served, "admin@340828")
    page.goto(served.url("/organisations/new?parent=34082802"))
    page.fill("input[name=code]", "34082801")
    page.fill("input[name=name]", "重复的供电所")
    page.select_option("select[name=level]", "collection_point")
    page.click("form.card button[type=submit]")
    expect(page.locator(".field-error[data-field=code]")).to_have_text("机构编码 34082801 已被使用")
    expect(page.locator("input[name=name]")).to_have_value("重复的供电所")
    page.goto(served.url("/organisations?q=重复"))
    expect(page.locator("td.empty")).to_have_text("没有符合条件的记录。")


def test_a_post_without_the_csrf_token_is_refused(page: Page, served: Served) -> None:
    sign_in(page, served, "admin@340828")
    expect(page).to_have_url(served.url("/"))
    # a forged form, as another site would send it with the victim's cookies
    page.set_content(
        f"""<form id="forged" method="post" action="{served.url("/organisations/new")}">
        <input name="parent_code" value="34082801"><input name="code" value="FORGED">
        <input name="name" value="伪造"><input name="level" value="collection_point">
        <input name="form_token" value="forged-form-token-0001"></form>"""
    )
    with page.expect_navigation():
        page.evaluate("document.getElementById('forged').submit()")
    expect(page.locator("h1")).to_have_text("表单已失效")
    answer = page.request.post(
        served.url("/organisations/new"),
        form={
            "csrf_token": "not-the-token",
            "parent_code": "34082801",
            "code": "FORGED",
            "name": "伪造",
            "level": "collection_point",
            "form_token": "forged-form-token-0002",
        },
    )
    assert answer.status == 403
    page.goto(served.url("/organisations?q=FORGED"))
    expect(page.locator("td.empty")).to_have_text("没有符合条件的记录。")


def test_a_cross_organisation_url_is_refused(page: Page, served: Served, screenshots: Path) -> None:
    sign_in(page, served, "head@34082801")
    other_station = served.tree.org["34082802"]
    answer = page.goto(served.url(f"/organisations/{other_station}"))
    assert answer is not None
    assert answer.status == 403
    expect(page.locator("h1")).to_have_text("无权访问")
    page.screenshot(path=screenshots / "forbidden.png", full_page=True)
    answer = page.goto(served.url(f"/operators/{served.tree.operator['admin@340826']}"))
    assert answer is not None
    assert answer.status == 403
    # the station head's list never shows another station's people
    page.goto(served.url("/operators?q=head2"))
    expect(page.locator("td.empty")).to_have_text("没有符合条件的记录。")


def test_the_language_switch_keeps_the_page_and_the_choice(
    page: Page, served: Served, screenshots: Path
) -> None:
    sign_in(page, served, "admin@340828")
    page.goto(served.url("/organisations"))
    expect(page.locator("h1")).to_have_text("组织机构")
    page.click("#lang-switch")
    expect(page).to_have_url(served.url("/organisations"))
    expect(page.locator("h1")).to_have_text("Organisations")
    expect(page.locator("nav.menu a[data-page=organisations]")).to_have_text("Organisations")
    expect(page.locator("nav.menu a[data-page=operators]")).to_have_text("Operators and roles")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.screenshot(path=screenshots / "organisations-en.png", full_page=True)
    page.goto(served.url("/operators"))
    expect(page.locator("h1")).to_have_text("Operators and roles")
    page.screenshot(path=screenshots / "operators-en.png", full_page=True)
    page.click("#lang-switch")
    expect(page.locator("h1")).to_have_text("操作员与角色")


def test_an_english_browser_gets_english_before_choosing(
    browser_context_en: Page, served: Served
) -> None:
    page = browser_context_en
    page.goto(served.url("/sign-in"))
    expect(page.locator("h1")).to_have_text("Electricity fee collection console")
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_main_pages_for_screenshots(page: Page, served: Served, screenshots: Path) -> None:
    page.goto(served.url("/sign-in"))
    page.screenshot(path=screenshots / "sign-in.png", full_page=True)
    sign_in(page, served, "admin@340828")
    page.goto(served.url("/organisations"))
    expect(page.locator("tr[data-code='340828']")).to_be_visible()
    page.screenshot(path=screenshots / "organisations.png", full_page=True)
    page.goto(served.url("/operators"))
    expect(page.locator("tr[data-account='head@34082801']")).to_be_visible()
    page.screenshot(path=screenshots / "operators.png", full_page=True)
    page.goto(served.url(f"/operators/{served.tree.operator['staff@34082801']}"))
    page.screenshot(path=screenshots / "operator-detail.png", full_page=True)
    page.goto(served.url("/operators/new"))
    page.click("form.card button[type=submit]")
    expect(page.locator(".field-error[data-field=account]")).to_have_text("请填写账号")
    page.screenshot(path=screenshots / "operator-new-refused.png", full_page=True)
    answer = page.goto(served.url("/no-such-page"))
    assert answer is not None
    assert answer.status == 404
    expect(page.locator("h1")).to_have_text("页面不存在")
    page.screenshot(path=screenshots / "not-found.png", full_page=True)


def test_the_operator_search_filters_live_with_htmx(page: Page, served: Served) -> None:
    sign_in(page, served, "admin@340828")
    page.goto(served.url("/operators"))
    expect(page.locator("tbody tr")).not_to_have_count(2)
    page.fill("input[name=q]", "所长")
    # htmx swaps the results in and pushes the URL, without a page load
    expect(page.locator("tbody tr")).to_have_count(2)
    expect(page).to_have_url(re.compile(r"/console/operators\?q=%E6%89%80%E9%95%BF&"))
