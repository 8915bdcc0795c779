"""Sign-in in a real browser: each kind of failure, each role, lockout, sign-out."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .conftest import Served, sign_in

ROLES = {
    "admin@340828": ("系统管理员", ["组织机构", "操作员与角色"]),
    "finance@340828": ("电费账务", ["组织机构", "操作员与角色"]),
    "auditor@340828": ("稽查", ["组织机构", "操作员与角色"]),
    "head@34082801": ("所长", ["组织机构", "操作员与角色"]),
    "staff@34082801": ("供电所员工", ["组织机构"]),
    "agent01@3408280101": ("代理商", []),
}


def _field_error(page: Page, field: str) -> str:
    return page.locator(f".field-error[data-field={field}]").inner_text()


def test_each_kind_of_wrong_sign_in_says_so_next_to_its_field(
    page: Page, served: Served, screenshots: Path
) -> None:
    sign_in(page, served, "nobody@340828")
    assert _field_error(page, "account") == "账号不存在"

    sign_in(page, served, "admin@999999")
    assert _field_error(page, "org_code") == "机构编码不存在"

    sign_in(page, served, "staff@34082802")
    assert _field_error(page, "org_code") == "该账号不属于此机构"

    sign_in(page, served, "auditor@340828", password="wrong-pass1")
    assert _field_error(page, "password") == "密码错误，还可再试 4 次"
    # the account and organisation stay filled in; the password does not
    expect(page.locator("input[name=account]")).to_have_value("auditor")
    expect(page.locator("input[name=password]")).to_have_value("")
    page.screenshot(path=screenshots / "sign-in-wrong-password.png", full_page=True)


@pytest.mark.parametrize("who", list(ROLES))
def test_each_role_signs_in_and_sees_its_own_menu(
    page: Page, served: Served, screenshots: Path, who: str
) -> None:
    role_name, menu = ROLES[who]
    sign_in(page, served, who)
    expect(page).to_have_url(served.url("/"))
    expect(page.locator(".actor-role")).to_have_text(role_name)
    entries = page.locator("nav.menu a").all_inner_texts()
    # the foundation's pages (later pages add theirs to the menu beside them)
    assert [entry for entry in entries if entry in {"组织机构", "操作员与角色"}] == menu
    if who == "admin@340828":
        page.screenshot(path=screenshots / "home-admin.png", full_page=True)


def test_five_wrong_passwords_lock_the_account(page: Page, served: Served) -> None:
    messages = []
    for _ in range(5):
        sign_in(page, served, "locky@340828", password="not-it-123")
        messages.append(_field_error(page, "password"))
    assert messages == [
        "密码错误，还可再试 4 次",
        "密码错误，还可再试 3 次",
        "密码错误，还可再试 2 次",
        "密码错误，还可再试 1 次",
        "密码错误，账号已锁定 15 分钟",
    ]
    sign_in(page, served, "locky@340828")  # the right password, while locked
    assert _field_error(page, "account") == "密码错误次数过多，账号已锁定，请 15 分钟后再试"
    expect(page).to_have_url(served.url("/sign-in"))


def test_sign_out_ends_the_session(page: Page, served: Served) -> None:
    sign_in(page, served, "finance@340828")
    expect(page).to_have_url(served.url("/"))
    page.click("form.sign-out button")
    expect(page.locator("p.notice")).to_have_text("您已安全退出。")
    page.goto(served.url("/organisations"))
    expect(page).to_have_url(served.url("/sign-in?next=%2Forganisations"))


def test_a_signed_out_visitor_comes_back_to_the_page_asked_for(page: Page, served: Served) -> None:
    page.goto(served.url("/operators?q=head"))
    sign_in_form = page.locator("input[name=next]")
    expect(sign_in_form).to_have_value("/operators?q=head")
    page.fill("input[name=org_code]", "340828")
    page.fill("input[name=account]", "admin")
    page.fill("input[name=password]", "Passw0rd2024")
    page.click("form.card button[type=submit]")
    expect(page).to_have_url(served.url("/operators?q=head"))
    assert page.locator("tbody tr").count() == 2
