"""Households (户), their tags, the grid worker's visits (走访记录) and the log of who
viewed full personal data.

ID number and phone are stored in full and shown masked (layers.people.masking) unless the
viewer holds ``people.view_household_pii``; every such view is written to
:class:`PiiAccessLog` by :meth:`PiiAccessLog.record`, its one writer.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxLengthValidator
from django.db import connection
from django.db.models import Q
from psycopg2 import sql

from layers.grids.limits import (
    ADDRESS_MAX,
    DESCRIPTION_MAX,
    EARLIEST_TIME,
    KEY_MAX,
    PERSON_NAME_MAX,
    validate_event_time,
)
from layers.grids.models import DistrictPartitioned, GridLinked, Synthetic, geometry_rules, grid_link_field
from layers.people import masking

# --- households -----------------------------------------------------------------------------


class HouseholdTag(models.TextChoices):
    """Household tags kept under dynamic management (DOMAIN.md §2)."""

    DIBAO = "低保", "低保户"
    TEKUN = "特困", "特困供养"
    CANJI = "残疾", "残疾人"
    DUJU = "独居老人", "独居/空巢老人"
    GAOLING = "高龄", "高龄(80岁以上)"
    LIUDONG = "流动人口", "流动人口"
    SHIYE = "下岗失业", "下岗失业"
    MANBING = "慢性病", "慢性病"
    YOUER = "有幼儿", "有学龄前儿童"

    @classmethod
    def vulnerable(cls) -> set[str]:
        """Tags that mark a household for priority visits and service coverage."""
        return {cls.DIBAO, cls.TEKUN, cls.CANJI, cls.DUJU, cls.GAOLING}


class Household(GridLinked, Synthetic):
    """户: a household at an address point. ID number and phone are stored in full and
    shown masked (layers.people.masking) unless the viewer holds ``people.view_household_pii``."""

    external_id = models.CharField("编号", max_length=KEY_MAX, blank=True)
    address = models.CharField("地址", max_length=ADDRESS_MAX)
    residents = models.PositiveSmallIntegerField("人口数", default=1)
    head_name = models.CharField("户主姓名", max_length=PERSON_NAME_MAX)
    id_number = models.CharField("身份证号", max_length=18, blank=True)
    phone = models.CharField("联系电话", max_length=20, blank=True)
    tags = ArrayField(
        models.CharField(max_length=10, choices=HouseholdTag.choices), default=list, blank=True, verbose_name="标签"
    )
    last_visit = models.DateField("最近走访", null=True, blank=True)
    # Indexed below with what the per-grid figures read (Meta.indexes), not by the plain index
    # every foreign key gets: one index serves both.
    grid = grid_link_field(db_index=False)

    class Meta:
        verbose_name = verbose_name_plural = "户"
        ordering = ["id"]
        indexes, constraints = geometry_rules("household")
        # The leaders' summaries count households, residents, ledger groups and visits per grid
        # (layers.summaries.queries) from this index alone, without reading the table: at 10
        # million households the table is 4.3 GB, this index 0.56 GB (count per grid 9.4 s → 2.8 s).
        indexes = [*indexes, models.Index(fields=["grid"], include=["id", "district_code", "residents", "last_visit"],
                                          name="household_grid_cover")]
        constraints = [
            *constraints,
            # 编号 is unique within a district (a partitioned table's unique keys hold district_code).
            models.UniqueConstraint(fields=["external_id", "district_code"], condition=~Q(external_id=""),
                                    name="household_external_key"),
            models.CheckConstraint(condition=Q(residents__gte=1), name="household_residents_positive"),
        ]
        permissions = [("view_household_pii", "可查看户的完整身份证号和电话")]

    def __str__(self) -> str:
        return f"{masking.mask_name(self.head_name)} · {self.address}"

    @property
    def id_number_masked(self) -> str:
        return masking.mask_id_number(self.id_number)

    @property
    def phone_masked(self) -> str:
        return masking.mask_phone(self.phone)

    @property
    def vulnerable_tags(self) -> list[str]:
        return [t for t in self.tags if t in HouseholdTag.vulnerable()]


class ReadableDateTimeField(models.DateTimeField):
    """A timestamp column read back as NULL when Python cannot hold it (BC dates, year 10000+).

    Rows written before the visit-date rules (a visit typed as 0001-01-01 is stored as a BC
    timestamp in UTC) would otherwise make every page listing them answer 500: psycopg2 fails
    to turn the value into a datetime. Read as NULL they show as '—' and an administrator can
    fix them in the admin. WHERE and ORDER BY still see the stored value.
    """

    def select_format(self, compiler, sql, params):
        sql, params = super().select_format(compiler, sql, params)
        return (f"CASE WHEN ({sql}) BETWEEN '0001-01-02 00:00:00+00'::timestamptz AND '9999-12-30 00:00:00+00'"
                f"::timestamptz THEN ({sql}) END"), [*params, *params]


class Visit(DistrictPartitioned):
    """A grid worker's visit to a household. Its time lies between 2000-01-01 and now
    (layers.grids.limits.validate_event_time, run by full_clean() and so by the form and
    the admin) and, for the lower bound, the database refuses anything earlier. Households
    carry no registration date, so "not before the household existed" cannot be checked."""

    class Kind(models.TextChoices):
        ROUTINE = "routine", "日常走访"
        CARE = "care", "帮扶慰问"
        CHECK = "check", "信息核查"
        FOLLOWUP = "followup", "事件回访"

    # The database's key is (household_id, district_code) → people_household (layers.grids.partitions).
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="visits", verbose_name="户",
                                  db_constraint=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, verbose_name="网格员")
    partition_parent = "household"
    visited_at = ReadableDateTimeField("走访时间", validators=[validate_event_time])
    kind = models.CharField("类型", max_length=10, choices=Kind.choices, default=Kind.ROUTINE)
    note = models.TextField("记录", blank=True, max_length=DESCRIPTION_MAX, validators=[MaxLengthValidator(DESCRIPTION_MAX)])
    # Made by the phone before sending: a visit queued offline and sent twice is stored once.
    # (unique within the household's district: visit_client_id_key below)
    client_id = models.UUIDField("客户端编号", null=True, blank=True, editable=False)

    class Meta:
        verbose_name = verbose_name_plural = "走访记录"
        ordering = ["-visited_at"]
        constraints = [
            models.UniqueConstraint(fields=["client_id", "district_code"], name="people_visit_client_id_key"),
            # The lower bound only: "not in the future" depends on the clock, a CHECK may not.
            models.CheckConstraint(condition=Q(visited_at__gte=EARLIEST_TIME), name="visit_not_before_2000"),
        ]

    def __str__(self) -> str:
        if self.visited_at is None:
            return f"{self.get_kind_display()} (日期无效 invalid date)"
        return f"{self.get_kind_display()} {self.visited_at:%Y-%m-%d}"


class PiiAccessLog(models.Model):
    """One view of a household's full personal data (ID number, phone): who, when, which.

    Written only by :meth:`record` (for a page, the API or the admin through
    layers.accounts.pii.reveal, for an export once per household exported); readable by
    administrators only; never edited.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, verbose_name="查看人")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, verbose_name="户", db_constraint=False)
    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    via = models.CharField("途径", max_length=100, help_text="页面、接口或导出")

    class Meta:
        verbose_name = verbose_name_plural = "个人信息查看记录"
        ordering = ["-at"]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"{self.user} · {self.household_id} · {self.at:%Y-%m-%d %H:%M}"

    @classmethod
    def record(cls, user, households: models.QuerySet | list, *, via: str) -> int:
        """Log that ``user`` saw the full personal data of ``households`` through ``via``;
        returns how many rows were written. A queryset is logged with one INSERT … SELECT,
        so an export of 100,000 households costs one statement."""
        via = via[:100]
        if not isinstance(households, models.QuerySet):
            return len(cls.objects.bulk_create([cls(user=user, household=h, via=via) for h in households]))
        ids_sql, params = households.values("id").query.sql_with_params()
        statement = sql.SQL(
            "INSERT INTO {log} (user_id, household_id, at, via) SELECT %s, h.id, now(), %s FROM ({ids}) h"
        ).format(log=sql.Identifier(cls._meta.db_table), ids=sql.SQL(ids_sql))
        with connection.cursor() as cur:
            cur.execute(statement, [user.pk, via, *params])
            return cur.rowcount


# --- priority-group ledgers (台账) --------------------------------------------------------------


class PriorityMembership(models.Model):
    """When a household entered and left one of its tags' groups (低保, 特困, 残疾, 独居老人, …):
    the history behind the 民政 ledgers (台账).

    Written by the database, never by Python: the trigger on people_household
    (sql/0005_priority_membership.sql) opens a row when a tag appears (insert or update, admin,
    import, form or bulk UPDATE alike) and closes it (``left_on``) when the tag goes. Dates are
    local (Asia/Shanghai) calendar days; a session may set ``gridmap.ledger_date`` to record
    another day (back-dated imports, tests). ``entered_on`` is NULL for rows present when the
    ledger began (migration backfill: the day they entered is unknown). A household's deletion
    deletes its history (ON DELETE CASCADE in the SQL file).
    """

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="memberships",
                                  verbose_name="户", db_constraint=False)
    group = models.CharField("类别", max_length=10, choices=HouseholdTag.choices)
    entered_on = models.DateField("纳入日期", null=True, blank=True, help_text="空：启用台账前已在册")
    left_on = models.DateField("退出日期", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "重点人群台账记录"
        ordering = ["household", "group", "entered_on"]
        indexes = [models.Index(fields=["group", "entered_on"], name="membership_group_entered"),
                   models.Index(fields=["group", "left_on"], name="membership_group_left")]
        constraints = [
            models.UniqueConstraint(fields=["household", "group"], condition=Q(left_on__isnull=True),
                                    name="membership_one_open_per_group"),
            models.CheckConstraint(condition=Q(left_on__isnull=True) | Q(entered_on__isnull=True)
                                   | Q(left_on__gte=models.F("entered_on")), name="membership_left_after_entered"),
        ]

    def __str__(self) -> str:
        return f"{self.household_id} · {self.group} · {self.entered_on or '—'} → {self.left_on or '在册'}"
