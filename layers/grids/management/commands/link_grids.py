"""python manage.py link_grids [--report]: re-link households and incidents to grids."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from layers.grids import linking
from layers.incidents.models import Incident
from layers.people.models import Household


class Command(BaseCommand):
    help = (
        "Re-link every household and incident to the grid that covers it (set-based), then print "
        "counts per community and the unassigned count. --report lists the unassigned rows and "
        "changes nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--report", action="store_true", help="list unassigned rows; write nothing")

    def handle(self, *args, report: bool = False, **options) -> None:
        if report:
            self._report()
            return
        for result in linking.link_all():
            self.stdout.write(f"{result.table}: {result.changed} 行网格关联已更新 (rows re-linked)")
        self._summary()

    def _summary(self) -> None:
        self.stdout.write(f"{'社区编码':<14}{'社区':<12}{'户':>8}{'事件':>8}")
        for row in linking.counts_per_community():
            self.stdout.write(f"{row.code:<16}{row.name:<12}{row.households:>8}{row.incidents:>8}")
        unassigned = linking.unassigned_counts()
        self.stdout.write(
            f"未关联网格 (unassigned): 户 {unassigned['household']}, 事件 {unassigned['incident']}"
        )

    def _report(self) -> None:
        unassigned = linking.unassigned_counts()
        self.stdout.write(
            f"未关联网格 (unassigned): 户 {unassigned['household']}, 事件 {unassigned['incident']}"
        )
        for h in Household.objects.filter(grid__isnull=True).order_by("id"):
            self.stdout.write(f"户 id={h.pk} {h.external_id or '-'} {h.address} ({h.geom.x:.6f}, {h.geom.y:.6f})")
        for i in Incident.objects.filter(grid__isnull=True).select_related("category").order_by("id"):
            self.stdout.write(
                f"事件 id={i.pk} {i.external_id or '-'} {i.category.name} {i.reported_at:%Y-%m-%d %H:%M} "
                f"({i.geom.x:.6f}, {i.geom.y:.6f})"
            )
