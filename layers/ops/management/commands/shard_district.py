"""python manage.py shard_district CODE --server NAME

Moves district CODE's partitions (households, visits, incidents, their histories, walking times)
to the shard server NAME (see add_shard_server): the same tables are made there, the rows
copied, and each local partition is replaced by a postgres_fdw foreign table FOR VALUES IN
('CODE'). City-wide pages and queries keep reading every district; the district's rows are
written on its server from then on. See README, 跨服务器分片 / Citus.

    python manage.py shard_district --list        # which districts are on which server
    python manage.py shard_district --citus-sql   # the SQL that makes this schema Citus's (README)
    python manage.py shard_district --prepare     # keys onto the partitions of districts added since
"""

from __future__ import annotations

import psycopg2
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection, transaction

from layers.ops import shards


class Command(BaseCommand):
    help = "把一个区的分区迁到分片服务器（postgres_fdw 外部表分区）"

    def add_arguments(self, parser) -> None:
        parser.add_argument("code", nargs="?", help="区代码（6 位数字）")
        parser.add_argument("--server", help="分片服务器名称（add_shard_server 登记的）")
        parser.add_argument("--list", action="store_true", help="列出已迁到分片服务器的区")
        parser.add_argument("--prepare", action="store_true",
                            help="只把键移到各分区上（首次迁移前，或迁移后新增区时）")
        parser.add_argument("--citus-sql", action="store_true",
                            help="输出把本库改为 Citus 协调节点所需的 SQL（按当前表结构生成）")

    def handle(self, *args, code: str | None, server: str | None, list: bool, citus_sql: bool, prepare: bool,
               **options) -> None:
        if prepare:
            with transaction.atomic(), connection.cursor() as cur:
                done = shards.prepare_coordinator(cur)
            for line in done.moved_down:
                self.stdout.write(f"键移到分区：{line}")
            for line in done.dropped:
                self.stdout.write(f"跨服务器无法维持、已去掉的外键：{line}")
            if not done.moved_down and not done.dropped:
                self.stdout.write("无需改动")
            return
        if citus_sql:
            with connection.cursor() as cur:
                self.stdout.write("\n".join(shards.citus_script(cur)))
            return
        if list:
            with connection.cursor() as cur:
                placed = shards.sharded_districts(cur)
            for district, name in sorted(placed.items()):
                self.stdout.write(f"{district}\t{name}")
            if not placed:
                self.stdout.write("所有区都在本服务器上")
            return
        if not code or not server:
            raise CommandError("需要区代码和 --server（或 --list）")
        try:
            move = shards.shard_district(code, server)
        except shards.ShardError as e:
            raise CommandError(str(e)) from e
        except (psycopg2.Error, DatabaseError) as e:
            raise CommandError(f"区 {code} 未迁移（本服务器未改动）：{str(e).strip()}") from e
        rows = "，".join(f"{table} {n} 行" for table, n in move.rows.items())
        self.stdout.write(f"区 {code} → {move.server}：{rows}（{move.seconds:.1f} 秒）")
