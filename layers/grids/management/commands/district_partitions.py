"""python manage.py district_partitions [--ensure CODE] [--detach CODE]: the partitions of each
district (layers.grids.partitions); make a district's, or detach them to export or drop it alone."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection
from psycopg2 import sql

from layers.grids import partitions


class Command(BaseCommand):
    help = (
        "List the partitions of the district-partitioned tables with their row counts; --ensure CODE "
        "makes a district's partitions; --detach CODE detaches them (the tables stay, holding that "
        "district's rows, for pg_dump -t or DROP TABLE; the other districts are not touched)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--ensure", metavar="CODE", help="make the partitions of district CODE")
        parser.add_argument("--detach", metavar="CODE", help="detach the partitions of district CODE")

    def handle(self, *args, ensure: str | None = None, detach: str | None = None, **options) -> None:
        try:
            if ensure:
                partitions.ensure_partitions(ensure)
            if detach:
                for name in partitions.detach(detach):
                    self.stdout.write(f"已分离 (detached): {name}")
        except ValueError as e:
            raise CommandError(str(e)) from e
        except DatabaseError as e:
            # e.g. notifications or logs still pointing into the district (named by the foreign key).
            raise CommandError(f"无法分离或建立分区（could not detach or make the partitions）：{e}") from e
        for table in partitions.PARTITIONED_TABLES:
            for code, name in sorted(partitions.partitions_of(table).items()):
                with connection.cursor() as cur:
                    cur.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(name)))
                    self.stdout.write(f"{table:<32}{code:<8}{name:<48}{cur.fetchone()[0]:>10} 行 (rows)")
