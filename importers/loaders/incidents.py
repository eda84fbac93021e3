"""Incidents (事件) from an export of a 网格化 / 数字城管 system or a ledger.

Natural key: 事件编号/编号 (``external_id``), as for households. 事件类型 is matched to an
IncidentCategory by code or Chinese name; 状态 by the Chinese labels of IncidentStatus, its
codes, or common wordings (已结案, 处理中, ...); an empty 状态 means 信息采集 for a new
incident and keeps the stored status of an existing one. 上报时间 without a time zone is
Asia/Shanghai local time.

History: a new incident gets its first IncidentTransition ('' → status, at 上报时间), and
an existing one whose status changes gets a transition (old → new, now), both noted as
imported, so the lifecycle history (layers.incidents.lifecycle) is never empty or silently rewritten.
``dispatched_at``/``closed_at`` are not in ledgers and stay empty.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from django.utils import timezone
from psycopg2 import sql

from importers import checks
from importers.loaders.points import STAGE_T, PointLoader, StageColumn
from importers.readers import Chunk, RowIssue, Source
from importers.report import Report
from layers.incidents.models import Incident, IncidentCategory, IncidentStatus

STATUS_WORDS: dict[str, str] = {
    "待受理": IncidentStatus.REPORTED, "已上报": IncidentStatus.REPORTED, "上报": IncidentStatus.REPORTED,
    "待立案": IncidentStatus.REPORTED, "已立案": IncidentStatus.ACCEPTED, "受理": IncidentStatus.ACCEPTED,
    "已受理": IncidentStatus.ACCEPTED, "已派遣": IncidentStatus.DISPATCHED, "待处理": IncidentStatus.DISPATCHED,
    "办理中": IncidentStatus.HANDLING, "处置中": IncidentStatus.HANDLING, "已处理": IncidentStatus.FEEDBACK,
    "已反馈": IncidentStatus.FEEDBACK, "已办结": IncidentStatus.CLOSED, "已结案": IncidentStatus.CLOSED,
    "结案": IncidentStatus.CLOSED, "已回访": IncidentStatus.EVALUATED, "已评价": IncidentStatus.EVALUATED,
    "作废": IncidentStatus.CANCELLED, "已作废": IncidentStatus.CANCELLED, "无效": IncidentStatus.CANCELLED,
    "不立案": IncidentStatus.CANCELLED,
}
FUTURE_SLACK = pd.Timedelta(days=1)


def status_table() -> dict[str, str]:
    table = {checks.normalise_key(k): str(v) for k, v in STATUS_WORDS.items()}
    for status in IncidentStatus:
        table[checks.normalise_key(status.value)] = status.value
        table[checks.normalise_key(status.label)] = status.value
    return table


class IncidentLoader(PointLoader):
    layer = "incidents"
    what = "事件 incidents"
    model = Incident
    table = "incidents_incident"
    key_label = "事件编号"
    columns_spec = (
        StageColumn("external_id", "text", "''", "external_id"),
        StageColumn("category_id", "bigint", "NULL", "category"),
        StageColumn("description", "text", "''", "description", free_text=True),
        StageColumn("address", "text", "''", "address", free_text=True),
        StageColumn("reported_at", "timestamptz", "NULL", "reported_at"),
        StageColumn("status", "text", "'reported'", "status", keep_empty=True),
        StageColumn("reporter_name", "text", "''", "reporter_name", keep_masked=True, free_text=True),
    )
    insert_constants = {"synthetic": "false", "satisfaction": "''"}

    def prepare(self, source: Source, report: Report) -> None:
        super().prepare(source, report)
        self.categories: dict[str, str] = {}
        names = []
        for pk, code, name in IncidentCategory.objects.values_list("pk", "code", "name"):
            self.categories[checks.normalise_key(code)] = str(pk)
            self.categories[checks.normalise_key(name)] = str(pk)
            names.append(f"{name}({code})")
        self.category_names = "、".join(names)
        self.statuses = status_table()
        self.now = pd.Timestamp(timezone.now())

    def parse(self, chunk: Chunk, lon: np.ndarray, lat: np.ndarray) -> tuple[dict[str, object], list[RowIssue]]:
        cols = self.columns
        key, issues = self.key_values(chunk)
        category, more = checks.lookup(chunk, cols, "category", self.categories, valid_names=self.category_names,
                                       kind="category")
        issues += more
        header = cols.header("category")
        empty = checks.blank(checks.text(chunk, "category"))
        issues += checks.issues_for(chunk, empty, checks.text(chunk, "category"), header, "missing_category",
                                    f"{header} 为空 (empty); 可用 valid: {self.category_names}")
        status, more = checks.lookup(chunk, cols, "status", self.statuses,
                                     valid_names="、".join(s.label for s in IncidentStatus), kind="status")
        issues += more
        reported, more = checks.parse_datetimes(chunk, cols, "reported_at")
        issues += more
        future = (reported > self.now + FUTURE_SLACK).fillna(False).to_numpy(dtype=bool)
        header = cols.header("reported_at")
        issues += checks.issues_for(chunk, future, checks.text(chunk, "reported_at"), header, "future_time",
                                    f"{header} 在将来 (in the future): {{value}}")
        values = {
            "external_id": key, "category_id": category, "description": checks.text(chunk, "description"),
            "address": checks.text(chunk, "address"), "reported_at": reported.map(_iso),
            "status": status.replace("", None), "reporter_name": checks.text(chunk, "reporter_name"),
        }
        return values, issues

    def before_update(self, cur) -> None:
        if "status" not in self.columns:
            return
        cur.execute(
            sql.SQL("INSERT INTO incidents_incidenttransition (incident_id, from_status, to_status, at, note, "
                    "district_code) "
                    "SELECT t.id, t.status, s.status, now(), %s, t.district_code FROM {stage} s JOIN {table} t ON {match} "
                    "WHERE NOT s.rejected AND s.external_id <> '' AND s.status IS NOT NULL AND s.status <> t.status"
                    ).format(stage=STAGE_T, table=self.table_sql(), match=self._match()),
            [f"导入 {self.path.name} (imported)"],
        )

    def insert_sql(self, set_based: bool = False) -> sql.Composable:
        return sql.SQL("WITH ins AS ({insert} RETURNING id, status, reported_at, district_code) "
                       "INSERT INTO incidents_incidenttransition (incident_id, from_status, to_status, at, note, "
                       "district_code) "
                       "SELECT id, '', status, reported_at, %s, district_code FROM ins").format(
            insert=super().insert_sql(set_based))

    def insert_params(self) -> list[str]:
        return [f"导入 {self.path.name} (imported)"]


def _iso(value: pd.Timestamp) -> str | None:
    return None if pd.isna(value) else value.isoformat()
