"""Every word the POS screen shows, in Chinese and in English.

The screen is Chinese first; ``--lang en`` shows the English column. A key maps to a pair
``(zh, en)``; both are ``str.format`` templates with the same named fields. Refusals are not
here: the library's and the server's errors carry their own Chinese and English words, and the
screen shows them as they came (:meth:`Texts.error`, :meth:`Texts.body`).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Final

from gridpos.domain.categories import CustomerCategory
from gridpos.domain.errors import DomainError
from gridpos.domain.payment_state import PaymentState
from gridpos.protocol.errors import ErrorBody


class Language(StrEnum):
    """The screen's language."""

    ZH = "zh"
    EN = "en"


CATALOGUE: Final[Mapping[str, tuple[str, str]]] = {
    # ---- the whole program ----
    "app.title": ("电费收费终端", "Electricity bill collection terminal"),
    "busy": ("正在处理，请稍候……", "Working, please wait…"),
    "error.unexpected": (
        "程序出错（{detail}），已收交易均在流水中，请联系供电所",
        "Unexpected error ({detail}); every payment taken is in the journal — call the station",
    ),
    "keys.back": ("Esc 返回", "Esc back"),
    "keys.notice": ("Enter 继续", "Enter continue"),
    "keys.yes_no": ("Enter 确认    Esc 取消", "Enter confirm    Esc cancel"),
    # ---- status bar ----
    "status.terminal": ("终端 {no}", "Terminal {no}"),
    "status.not_enrolled": ("终端未开通", "Not enrolled"),
    "status.operator": ("操作员 {name}", "Operator {name}"),
    "status.signed_out": ("未签到", "Not signed in"),
    "status.day": ("账务日期 {date} 第{batch}批", "Business date {date} batch {batch}"),
    "status.float": ("可用余额 {amount}元", "Float {amount} yuan"),
    "status.waiting": ("待上送 {count}", "Waiting {count}"),
    "status.journal_damaged": ("⚠流水异常", "⚠ journal damaged"),
    "status.batch_closed": ("已扎帐", "batch closed"),
    "link.online": ("● 在线 {rtt}毫秒", "● online {rtt} ms"),
    "link.slow": ("◐ 慢速 {rtt}毫秒", "◐ slow {rtt} ms"),
    "link.offline": ("○ 脱机", "○ offline"),
    "link.unchecked": ("○ 未联络", "○ not checked yet"),
    # ---- enrolment ----
    "enrol.title": ("终端开通", "Terminal enrolment"),
    "enrol.hint": (
        "本终端尚未开通。请输入供电所提供的12位开通码（只能使用一次）。",
        "This terminal is not enrolled. Enter the 12-digit one-time code from the supply station.",
    ),
    "enrol.code": ("开通码", "Enrolment code"),
    "enrol.done": ("开通成功，终端号 {no}，请签到", "Enrolled as terminal {no}; sign in"),
    "keys.enrol": ("Enter 开通    Ctrl+Q 退出", "Enter enrol    Ctrl+Q quit"),
    # ---- sign-in ----
    "sign_in.title": ("签到", "Sign in"),
    "sign_in.agent": ("代理商账号", "Agent account"),
    "sign_in.password": ("密码", "Password"),
    "sign_in.org": ("机构代码", "Organisation code"),
    "sign_in.allowance": ("脱机额度（元，可不填）", "Offline allowance (yuan, optional)"),
    "sign_in.done": ("签到成功，账务日期 {date}", "Signed in; business date {date}"),
    "sign_in.downloading": (
        "正在签到并下载本片区欠费数据（脱机收费用），信号弱时需要一些时间，请稍候……",
        "Signing in and downloading the area's arrears for offline collection;"
        " on a weak signal this takes a while, please wait…",
    ),
    "keys.sign_in": (
        "Enter 下一项/签到    ↑↓ 换项    Ctrl+Q 退出",
        "Enter next/sign in    ↑↓ field    Ctrl+Q quit",
    ),
    # ---- menu ----
    "menu.title": ("主菜单", "Main menu"),
    "menu.pay": ("1  缴费", "1  Pay"),
    "menu.reprint": ("2  补打收据", "2  Reprint"),
    "menu.statistics": ("3  统计", "3  Statistics"),
    "menu.batch": ("4  扎帐", "4  Batch close"),
    "menu.sign_out": ("5  签退", "5  Sign out"),
    "menu.waiting": ("6  可疑交易", "6  Unresolved payments"),
    "menu.receipts_waiting": (
        "{count} 张收据待打印，按 2 补打",
        "{count} receipt(s) wait to be printed: press 2",
    ),
    "menu.payments_waiting": (
        "{count} 笔交易待上送（脱机收费或未获应答），联网后自动上送",
        "{count} payment(s) wait to upload (offline, or not answered); they go when the link"
        " allows",
    ),
    "menu.batch_closed": (
        "本批已扎帐；继续收费请签退后重新签到",
        "This batch is closed; sign out and in again to collect",
    ),
    "menu.sign_out_unfinished": (
        "签退已发出但未收到应答：请按 5 完成签退，收费须重新签到",
        "The sign-out was sent and not answered: press 5 to finish it; sign in again to collect",
    ),
    "keys.menu": ("1-6 或 F1-F6 选择    Ctrl+Q 退出", "1-6 or F1-F6 choose    Ctrl+Q quit"),
    # ---- customer number ----
    "customer.title": ("缴费 — 输入户号", "Pay — customer number"),
    "customer.account_no": ("户号", "Customer number"),
    "customer.hint": (
        "输入户号，按 Enter 查询欠费",
        "Type the customer number and press Enter to see the arrears",
    ),
    "keys.customer": ("Enter 查询    Esc 返回", "Enter look up    Esc back"),
    # ---- arrears and amount ----
    "amount.title": ("缴费 — 欠费与金额", "Pay — arrears and amount"),
    "account.customer": ("户号 {no}    户名 {name}", "Customer {no}    Name {name}"),
    "account.address": ("地址 {address}    类别 {category}", "Address {address}    {category}"),
    "account.lines_heading": (
        "电费年月   电量(千瓦时)        本金      违约金",
        "Month      kWh                 Principal Penalty",
    ),
    "account.no_arrears": ("无欠费", "No arrears"),
    "account.totals": (
        "本金合计 {principal}元    违约金合计 {penalty}元",
        "Principal {principal} yuan    Penalty {penalty} yuan",
    ),
    "account.balances": (
        "预存余额 {prepaid}元    调尾余额 {rounding}元",
        "Prepaid {prepaid} yuan    Rounding credit {rounding} yuan",
    ),
    "account.total_due": ("应缴金额（元）", "Amount due (yuan)"),
    "account.round_up": (
        "取整应缴 {amount}元（调尾 {part}元）",
        "Rounded up: {amount} yuan (rounding {part} yuan)",
    ),
    "account.offline": (
        "脱机 — 签到时下载的资料，违约金计至 {date}",
        "OFFLINE — arrears downloaded at sign-in, penalties to {date}",
    ),
    "offline.limits": (
        "脱机可收：单笔 {per_payment}元，今日余 {day_left}元，额度余 {allowance_left}元",
        "Offline left: {per_payment} yuan a payment, {day_left} yuan today, {allowance_left}"
        " yuan of the allowance",
    ),
    "amount.cash": ("缴费金额（元）", "Amount paid (yuan)"),
    "amount.tendered": ("收到现金（元，可不填）", "Cash handed over (yuan, optional)"),
    "amount.round_on": ("取整：是", "Round up: yes"),
    "amount.round_off": ("取整：否", "Round up: no"),
    "amount.tendered_short": (
        "收到现金少于缴费金额",
        "The cash handed over is less than the amount paid",
    ),
    "keys.amount": (
        "Enter 下一项/确认    F3 取整    Esc 返回",
        "Enter next/confirm    F3 round up    Esc back",
    ),
    # ---- confirm ----
    "confirm.title": ("确认缴费", "Confirm the payment"),
    "confirm.cash": ("实收（元）", "Paid (yuan)"),
    "confirm.capital": ("大写：{words}", "In words: {words}"),
    "confirm.due": ("应缴 {amount}元", "Due {amount} yuan"),
    "confirm.prepay": ("预存 {amount}元", "To prepaid {amount} yuan"),
    "confirm.rounding": ("调尾 {amount}元", "Rounding credit {amount} yuan"),
    "confirm.change": ("找零 {amount}元", "Change {amount} yuan"),
    "confirm.partial": (
        "部分缴费：尚欠 {amount}元",
        "Partial payment: {amount} yuan stays owed",
    ),
    "confirm.offline": (
        "脱机收费：收据标注“脱机”，联网后上送",
        "Offline collection: the receipt is marked 脱机 and uploads later",
    ),
    "confirm.float_short": (
        "本机可用余额仅 {available}元，不足本笔，系统可能拒绝：请先核对",
        "The float shown is only {available} yuan, short of this payment; the server may"
        " refuse it: check first",
    ),
    "keys.confirm": ("Enter 确认收费    Esc 修改", "Enter take the payment    Esc change"),
    # ---- outcome ----
    "outcome.title": ("缴费结果", "Payment"),
    "outcome.confirmed": ("缴费成功", "Payment confirmed"),
    "outcome.offline": (
        "脱机收费成功，待联网上送",
        "Collected offline; uploads when the link returns",
    ),
    "outcome.trace": (
        "流水号 {trace}    户号 {account}    实收 {cash}元",
        "Trace {trace}    Customer {account}    Paid {cash} yuan",
    ),
    "outcome.printed": ("收据已打印", "Receipt printed"),
    "outcome.print_waits": (
        "收据未打印，待重打（按 2 重打）：{reason}",
        "The receipt did not print and waits for a reprint (press 2): {reason}",
    ),
    "outcome.rejected": ("系统拒绝：{reason}", "Refused by the server: {reason}"),
    "outcome.give_back": ("交易未成功，请退还现金", "Not paid: give the cash back"),
    "outcome.unknown": (
        "可疑交易：系统未应答，结果未知",
        "Unknown outcome: no answer from the server",
    ),
    "outcome.pending": (
        "待上送：交易已记入流水，尚未送达系统",
        "Waiting: the payment is journalled and has not reached the server",
    ),
    "outcome.waiting_hint": (
        "按 1 查询结果；按 2 取消交易（冲正）并退还现金；按 Esc 交后台继续上送",
        "Press 1 to ask again; 2 to cancel (reversal) and give the cash back; Esc to let the"
        " background upload carry on",
    ),
    "outcome.reversed": ("已冲正，请退还现金", "Reversed: give the cash back"),
    "outcome.reversal_waiting": (
        "冲正已记入流水，等待系统应答；请退还现金",
        "The reversal is journalled and waits for the server; give the cash back",
    ),
    "outcome.voided": ("已撤销", "Voided"),
    "outcome.still_waiting": ("仍未收到系统应答", "Still no answer from the server"),
    "outcome.reverse_confirm": (
        "确认取消此交易（冲正）？已收现金须退还客户。",
        "Cancel this payment (reversal)? The cash goes back to the customer.",
    ),
    "keys.outcome_done": (
        "Enter 下一户    2 重打    Esc 主菜单",
        "Enter next customer    2 reprint    Esc menu",
    ),
    "keys.outcome_waiting": (
        "1 查询    2 冲正    Esc 后台处理",
        "1 ask again    2 reverse    Esc leave to background",
    ),
    "keys.outcome_final": ("Enter 下一户    Esc 主菜单", "Enter next customer    Esc menu"),
    # ---- reprint ----
    "reprint.title": ("补打收据", "Reprint a receipt"),
    "reprint.trace": ("流水号（不填为最近一笔）", "Trace number (blank: the latest)"),
    "reprint.receipts_waiting": (
        "{count} 张收据待打印，按 F2 全部打印",
        "{count} receipt(s) wait to be printed: F2 prints them",
    ),
    "reprint.done": ("已重打，流水号 {trace}", "Printed again: trace {trace}"),
    "reprint.from_server": ("（收据取自系统）", "(receipt from the server)"),
    "reprint.printed_count": ("已打印 {count} 张收据", "Printed {count} receipt(s)"),
    "reprint.trace_invalid": ("流水号应为1至6位数字", "A trace number is 1 to 6 digits"),
    "keys.reprint": (
        "Enter 重打    F2 打印待打收据    Esc 返回",
        "Enter reprint    F2 print waiting receipts    Esc back",
    ),
    # ---- statistics ----
    "stats.title": ("统计", "Statistics"),
    "stats.float": (
        "本机可用余额 {available}元    脱机占用 {held}元",
        "Float available {available} yuan    held for offline {held} yuan",
    ),
    "stats.local": (
        "本机流水：成功 {count}笔 {amount}元；冲正/撤销 {undone}笔 {undone_amount}元",
        "Journal: {count} paid, {amount} yuan; {undone} undone, {undone_amount} yuan",
    ),
    "stats.server": (
        "系统记录：成功 {count}笔 {amount}元；冲正/撤销 {undone}笔 {undone_amount}元",
        "Server: {count} paid, {amount} yuan; {undone} undone, {undone_amount} yuan",
    ),
    "stats.waiting": ("待上送 {count}笔", "{count} waiting"),
    "stats.server_unreachable": (
        "系统未应答，仅显示本机流水",
        "No answer from the server: the journal's figures only",
    ),
    "stats.detail_heading": (
        "流水号   户号              金额(元)  状态     时间",
        "Trace    Customer          Yuan      State    Time",
    ),
    "stats.page": ("第 {page} 页", "Page {page}"),
    "keys.stats": (
        "PgDn 下一页    PgUp 上一页    F5 刷新    Esc 返回",
        "PgDn next    PgUp previous    F5 refresh    Esc back",
    ),
    # ---- batch close ----
    "batch.title": ("扎帐", "Batch close"),
    "batch.expected": ("应有现金（元）", "Cash expected (yuan)"),
    "batch.counted": ("点钞金额（元）", "Cash counted (yuan)"),
    "batch.note": ("长短款说明", "Note on a shortage or overage"),
    "batch.short": ("短款 {amount}元，请填写说明", "Short by {amount} yuan: write a note"),
    "batch.over": ("长款 {amount}元，请填写说明", "Over by {amount} yuan: write a note"),
    "batch.confirm": (
        "确认扎帐？扎帐后本批不能再收费。",
        "Close the batch? No more payments go into it.",
    ),
    "batch.balanced": ("终端与系统平帐", "Terminal and server agree"),
    "batch.unbalanced": (
        "终端与系统不平帐，已上送明细",
        "Terminal and server differ: the detail was uploaded",
    ),
    "batch.answer_lost": (
        "系统已扎帐（应答丢失，以系统对帐为准）",
        "The server had closed the batch (its answer was lost); its figures stand",
    ),
    "batch.closed": ("第{batch}批已扎帐（{date}）", "Batch {batch} of {date} is closed"),
    "batch.not_closed": (
        "本批尚未关闭，请稍后重新扎帐",
        "The batch is not closed yet; close again",
    ),
    "batch.terminal_totals": (
        "终端：{count}笔 {amount}元",
        "Terminal: {count} paid, {amount} yuan",
    ),
    "batch.server_totals": ("系统：{count}笔 {amount}元", "Server: {count} paid, {amount} yuan"),
    "batch.unresolved": (
        "{count} 笔交易仍待系统应答",
        "{count} payment(s) still wait for the server",
    ),
    "batch.cash": (
        "点钞 {counted}元，应有 {expected}元",
        "Counted {counted} yuan, expected {expected} yuan",
    ),
    "batch.cash_even": ("现金相符", "The cash agrees"),
    "batch.cash_short": ("短款 {amount}元：{note}", "Short by {amount} yuan: {note}"),
    "batch.cash_over": ("长款 {amount}元：{note}", "Over by {amount} yuan: {note}"),
    "batch.difference": (
        "流水号 {trace} {kind}：终端 {terminal} / 系统 {server}",
        "Trace {trace} {kind}: terminal {terminal} / server {server}",
    ),
    "diff.missing_on_server": ("单边帐（终端有，系统无）", "one-sided (terminal only)"),
    "diff.missing_on_terminal": ("单边帐（系统有，终端无）", "one-sided (server only)"),
    "diff.amount_differs": ("金额不符", "amounts differ"),
    "diff.state_differs": ("状态不符", "states differ"),
    "keys.batch": ("Enter 下一项/扎帐    Esc 返回", "Enter next/close    Esc back"),
    # ---- sign-out ----
    "sign_out.confirm": ("确认签退？", "Sign out?"),
    "sign_out.done": (
        "已签退：释放额度 {released}元，可用余额 {available}元",
        "Signed out: {released} yuan released, float {available} yuan",
    ),
    "sign_out.done_earlier": (
        "已签退（上次签退已生效，应答丢失）",
        "Signed out (the earlier sign-out went through; its answer was lost)",
    ),
    # ---- unresolved payments ----
    "waiting.title": ("可疑/待上送交易", "Unresolved payments"),
    "waiting.none": ("没有待处理的交易", "Nothing waits for the server"),
    "waiting.heading": (
        "流水号   户号              金额(元)  状态",
        "Trace    Customer          Yuan      State",
    ),
    "waiting.report": (
        "本次处理 {resolved}笔，仍待 {remaining}笔",
        "{resolved} resolved, {remaining} still waiting",
    ),
    "keys.waiting": (
        "↑↓ 选择    1 查询    2 冲正    Esc 返回",
        "↑↓ choose    1 ask the server    2 reverse    Esc back",
    ),
    # ---- payment states ----
    "state.pending": ("待上送", "waiting"),
    "state.unknown": ("可疑", "unknown"),
    "state.confirmed": ("成功", "confirmed"),
    "state.rejected": ("拒绝", "refused"),
    "state.reversed": ("已冲正", "reversed"),
    "state.voided": ("已撤销", "voided"),
    "state.cancelled": ("已冲销", "cancelled"),
    "state.offline": ("脱机", "offline"),
}


class Texts:
    """The catalogue in one language."""

    def __init__(self, language: Language) -> None:
        self.language = language
        self._index = 0 if language is Language.ZH else 1

    def __call__(self, key: str, **fields: object) -> str:
        """The text of ``key`` with its fields filled in.

        Raises:
            KeyError: ``key`` is not in the catalogue (a programming error, caught by the tests).
        """
        template = CATALOGUE[key][self._index]
        return template.format(**fields) if fields else template

    def error(self, error: DomainError) -> str:
        """A refusal in its own words (the server's, when it came from the server)."""
        return error.message_zh if self.language is Language.ZH else error.message_en

    def body(self, body: ErrorBody) -> str:
        """A refusal as the server sent it."""
        return body.message_zh if self.language is Language.ZH else body.message_en

    def state(self, state: PaymentState, *, offline: bool = False) -> str:
        label = self(f"state.{state.value}")
        return f"{label}/{self('state.offline')}" if offline else label

    def category(self, category: CustomerCategory) -> str:
        return category.label_zh if self.language is Language.ZH else category.label_en
