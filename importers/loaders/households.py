"""Households (户) from a ledger (台账): CSV/XLSX with 经度/纬度, or a GIS point file.

Natural key: 编号 (``external_id``). A row without one is refused (re-importing would
duplicate it) unless ``--allow-no-key``, which creates such rows anew on every import.
Cells mean what they say: an empty 联系电话 clears the stored phone. Two exceptions keep
the stored value: an empty 人口数, and a masked value (with '*', as ``export_layer``
writes without ``--unmasked``) in 户主姓名, 身份证号, 联系电话 or 标签 — so a masked export
can be edited and imported back without wiping personal data. A masked value cannot create
a household (the real value is unknown): such rows are rejected.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from psycopg2 import sql

from importers import checks
from importers.loaders.points import STAGE, PointLoader, StageCheck, StageColumn
from importers.readers import Chunk, ReadError, RowIssue, Source
from importers.report import Report
from layers.people.models import Household, HouseholdTag

TAG_ALIASES: dict[str, str] = {
    **{checks.normalise_key(t.value): t.value for t in HouseholdTag},
    **{checks.normalise_key(t.label): t.value for t in HouseholdTag},
    **{checks.normalise_key(k): v for k, v in {
        "低保户": "低保", "最低生活保障": "低保", "特困户": "特困", "特困人员": "特困", "五保户": "特困",
        "残疾人": "残疾", "残疾人户": "残疾", "独居": "独居老人", "空巢": "独居老人", "空巢老人": "独居老人",
        "高龄老人": "高龄", "80岁以上": "高龄", "流动": "流动人口", "外来人口": "流动人口", "失业": "下岗失业",
        "下岗": "下岗失业", "慢病": "慢性病", "慢性病人": "慢性病", "有学龄前儿童": "有幼儿", "幼儿": "有幼儿",
    }.items()},
}
HEALTH_TAGS = frozenset({HouseholdTag.CANJI.value, HouseholdTag.MANBING.value})
"""Tags that tell a person's health status: masked in exports (DOMAIN.md §2)."""
_TAG_SPLIT = re.compile(r"[,，、;；/|\s]+")
_MASKABLE = ("head_name", "id_number", "phone", "tags")


def _tags_literal(cell: str) -> str | None:
    """'低保、独居老人' → '{低保,独居老人}'; None when a word is not a tag; '{*}' when masked."""
    if "*" in cell:  # masked in an export: the stored tags are kept
        return "{*}"
    words = [w for w in _TAG_SPLIT.split(cell) if w and checks.normalise_key(w) not in checks.EMPTY_WORDS]
    tags = [TAG_ALIASES.get(checks.normalise_key(w)) for w in words]
    if None in tags:
        return None
    return "{" + ",".join(dict.fromkeys(t for t in tags if t)) + "}"


def parse_tags(chunk: Chunk, columns) -> tuple[pd.Series, list[RowIssue]]:
    """标签 cells such as '低保、独居老人' → PostgreSQL array literals '{低保,独居老人}'."""
    values = checks.text(chunk, "tags")
    if "tags" not in columns:
        return pd.Series(["{}"] * len(chunk), dtype=object), []
    header = columns.header("tags")
    literals = checks.per_value(values, _tags_literal)
    bad = literals.isna().to_numpy()
    valid = "、".join(t.value for t in HouseholdTag)
    issues = checks.issues_for(chunk, bad, values, header, "unknown_tag",
                               f"{header} 含无法识别的标签 (unknown tag) in {{value!r}}; 可用 valid: {valid}")
    return literals.fillna("{}").astype(object), issues


class HouseholdLoader(PointLoader):
    layer = "households"
    what = "户 households"
    model = Household
    table = "people_household"
    columns_spec = (
        StageColumn("external_id", "text", "''", "external_id"),
        StageColumn("address", "text", "''", "address", free_text=True),
        StageColumn("head_name", "text", "''", "head_name", keep_masked=True, free_text=True),
        StageColumn("residents", "integer", "1", "residents", keep_empty=True),
        StageColumn("id_number", "text", "''", "id_number", keep_masked=True),
        StageColumn("phone", "text", "''", "phone", keep_masked=True, free_text=True),
        StageColumn("tags", "text[]", "'{}'", "tags", keep_masked=True),
    )
    insert_constants = {"synthetic": "false"}

    def prepare(self, source: Source, report: Report) -> None:
        if "address" not in source.columns:
            msg = (f"{self.path.name}: 没有地址列 (no 地址/address column; every household needs one): "
                   f"headers found: {', '.join(source.columns.headers)}; map one with --mapping 'HEADER=address'")
            raise ReadError(msg)
        super().prepare(source, report)

    def parse(self, chunk: Chunk, lon: np.ndarray, lat: np.ndarray) -> tuple[dict[str, object], list[RowIssue]]:
        cols = self.columns
        key, issues = self.key_values(chunk)
        address = checks.text(chunk, "address")
        header = cols.header("address")
        issues += checks.issues_for(chunk, checks.blank(address), address, header, "missing_address", f"{header} 为空 (empty)")
        id_numbers, more = checks.check_id_numbers(chunk, cols)
        issues += more
        phones, more = checks.check_phones(chunk, cols)
        issues += more
        residents, more = checks.parse_int(chunk, cols, "residents", minimum=1, maximum=999)
        issues += more
        tags, more = parse_tags(chunk, cols)
        issues += more
        values = {"external_id": key, "address": address, "head_name": checks.text(chunk, "head_name"),
                  "residents": residents, "id_number": id_numbers, "phone": phones, "tags": tags}
        return values, issues

    def stage_checks(self) -> list[StageCheck]:
        masked = [c for c in _MASKABLE if c in self.columns]
        found = super().stage_checks()
        if not masked:
            return found
        any_masked = sql.SQL(" OR ").join(sql.SQL("{}::text LIKE '%%*%%'").format(sql.Identifier("s", c)) for c in masked)
        headers = "/".join(self.columns.header(c) for c in masked)
        found.append(StageCheck(
            "masked_new_row",
            sql.SQL("({any_masked}) AND NOT EXISTS (SELECT 1 FROM {table} t WHERE t.external_id = s.external_id "
                    "AND s.external_id <> '')").format(any_masked=any_masked, table=self.table_sql()),
            sql.SQL("s.external_id"),
            lambda r: RowIssue(r[0], headers, r[1], f"{headers} 是脱敏值 (a masked value, e.g. from an export "
                               "without --unmasked) on a new household: the real value is unknown; fill it in", "masked"),
        ))
        return found


__all__ = ["HEALTH_TAGS", "STAGE", "HouseholdLoader", "TAG_ALIASES", "parse_tags"]
