"""Priority-group ledgers (台账): who was in each group during a month, who joined and who left,
read from layers.people's PriorityMembership history, and the Excel file a 民政 office expects.

Personal data (户主姓名, 身份证号, 联系电话) is masked (layers.people.masking) unless the user may
see it (layers.accounts.visibility.can_see_pii) and asked for it in full; a full export is
logged once per household (PiiAccessLog.record). Every text cell passes importers' neutralise,
so that nothing a person typed becomes a formula in the spreadsheet.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import openpyxl
from django.db.models import Count, Q
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from importers.readers.base import neutralise
from layers.people import masking
from layers.people.models import Household, PiiAccessLog, PriorityMembership
from layers.summaries.figures import LEDGER_GROUPS
from layers.summaries.periods import Period

HEADERS = ("序号", "街道", "社区", "网格", "户主姓名", "身份证号", "联系电话", "地址", "人口数", "类别",
           "纳入日期", "退出日期", "备注")
"""Columns of the ledger export, in the layout of a 民政 register."""
COLUMN_WIDTHS = (6, 14, 14, 14, 10, 20, 14, 30, 7, 10, 12, 12, 16)
SUMMARY_HEADERS = ("类别", "期末在册(户)", "本月纳入(户)", "本月退出(户)")
BEFORE_LEDGER = "启用台账前"


@dataclass(frozen=True)
class Entry:
    """One membership of the month's ledger, with its household (masked or full)."""

    street: str
    community: str
    grid: str
    head_name: str
    id_number: str
    phone: str
    address: str
    residents: int
    group: str
    entered_on: object
    left_on: object
    household_id: int

    def note(self, period: Period) -> str:
        if self.left_on is not None and period.first_day <= self.left_on <= period.last_day():
            return "本月退出"
        if self.entered_on is not None and period.first_day <= self.entered_on <= period.last_day():
            return "本月纳入"
        return "启用台账前已在册" if self.entered_on is None else ""


def memberships(grid_ids: Sequence[int], period: Period, groups: Sequence[str] = LEDGER_GROUPS):
    """Memberships of ``groups`` in these grids that were open at some time in the period."""
    last = period.last_day()
    return (PriorityMembership.objects
            .filter(household__grid_id__in=list(grid_ids), group__in=list(groups))
            .exclude(entered_on__gt=last).exclude(left_on__lt=period.first_day))


def entries(grid_ids: Sequence[int], period: Period, *, groups: Sequence[str] = LEDGER_GROUPS,
            masked: bool = True, only_changes: bool = False) -> list[Entry]:
    """The month's ledger entries ordered by grid, group and household; ``only_changes``: those
    who joined or left in the month."""
    qs = memberships(grid_ids, period, groups)
    if only_changes:
        first, last = period.first_day, period.last_day()
        qs = qs.filter(Q(entered_on__range=(first, last)) | Q(left_on__range=(first, last)))
    fields = ("household__grid__community__street__name", "household__grid__community__name", "household__grid__name",
              "household__head_name", "household__id_number", "household__phone", "household__address",
              "household__residents", "group", "entered_on", "left_on", "household_id")
    out = []
    for row in qs.order_by("household__grid__code", "group", "household_id", "entered_on").values_list(*fields):
        street, community, grid, name, id_number, phone, *rest = row
        if masked:
            name, id_number, phone = (masking.mask_name(name), masking.mask_id_number(id_number),
                                      masking.mask_phone(phone))
        out.append(Entry(street, community, grid, name, id_number, phone, *rest))
    return out


def group_totals(grid_ids: Sequence[int], period: Period) -> list[tuple[str, int, int, int]]:
    """(group, households in the register on the last day, joined, left) per ledger group, one
    aggregate query."""
    first, last = period.first_day, period.last_day()
    rows = dict.fromkeys(LEDGER_GROUPS, (0, 0, 0))
    for group, present, joined, left in (
            memberships(grid_ids, period).values("group").order_by("group").annotate(
                present=Count("household_id", distinct=True, filter=Q(left_on__isnull=True) | Q(left_on__gt=last)),
                joined=Count("household_id", distinct=True, filter=Q(entered_on__range=(first, last))),
                left=Count("household_id", distinct=True, filter=Q(left_on__range=(first, last))))
            .values_list("group", "present", "joined", "left")):
        rows[group] = (present, joined, left)
    return [(g, *rows[g]) for g in LEDGER_GROUPS]


def _day(value) -> str:
    return value.isoformat() if value else ""


def workbook(items: Sequence[Entry], totals: Sequence[tuple[str, int, int, int]], period: Period, *,
             title: str) -> bytes:
    """The ledger as an .xlsx file: sheet 台账 (one row per entry, a 合计 row) and sheet 汇总
    (written row by row: openpyxl's write-only mode keeps a district's ledger fast)."""
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("台账")
    for col, width in zip(range(1, len(HEADERS) + 1), COLUMN_WIDTHS, strict=True):
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = "A3"
    ws.append([neutralise(f"{title} 重点人群台账（{period.label}）")])
    ws.append([_bold(ws, h) for h in HEADERS])
    for i, e in enumerate(items, start=1):
        ws.append([i, *(neutralise(str(v)) for v in (e.street, e.community, e.grid, e.head_name, e.id_number,
                                                       e.phone, e.address)),
                   e.residents, e.group, _day(e.entered_on) or BEFORE_LEDGER, _day(e.left_on), e.note(period)])
    ws.append(["合计", f"{len(items)} 条", "", "", f"{len({e.household_id for e in items})} 户"])
    sheet = wb.create_sheet("汇总")
    sheet.append([_bold(sheet, h) for h in SUMMARY_HEADERS])
    rows = list(totals)
    for row in rows:
        sheet.append(list(row))
    sheet.append(["合计", *(sum(r[i] for r in rows) for i in (1, 2, 3))])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _bold(ws, text: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=text)
    cell.font = Font(bold=True)
    return cell


def log_unmasked(user, items: Sequence[Entry], *, via: str) -> int:
    """One PiiAccessLog row per household exported in full."""
    ids = sorted({e.household_id for e in items})
    return PiiAccessLog.record(user, Household.objects.filter(id__in=ids), via=via) if ids else 0
