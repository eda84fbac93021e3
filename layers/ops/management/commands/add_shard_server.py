"""python manage.py add_shard_server NAME --dsn "host=10.0.0.2 port=5432 dbname=gridmap user=gridmap password=…"

Registers another PostgreSQL server (with PostGIS installed) as a postgres_fdw foreign server of
this database, with a user mapping for the app's database user; running it again re-points the
server. Then `shard_district CODE --server NAME` moves a district there (layers.ops.shards).
"""

from __future__ import annotations

import psycopg2
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from layers.ops import shards


class Command(BaseCommand):
    help = "登记一台分片服务器（postgres_fdw 外部服务器及用户映射）"

    def add_arguments(self, parser) -> None:
        parser.add_argument("name", help="服务器名称（小写字母、数字、下划线）")
        parser.add_argument("--dsn", required=True, help="libpq 连接串：host port dbname user [password]")
        parser.add_argument("--no-check", action="store_true", help="不试连该服务器")

    def handle(self, *args, name: str, dsn: str, no_check: bool, **options) -> None:
        try:
            with transaction.atomic(), connection.cursor() as cur:
                server = shards.add_server(cur, name, dsn)
        except shards.ShardError as e:
            raise CommandError(str(e)) from e
        if not no_check:
            try:
                server.connect().close()
            except psycopg2.OperationalError as e:
                raise CommandError(f"--dsn：已登记 {name}，但连不上该服务器：{str(e).strip()}") from e
        where = " ".join(f"{k}={v}" for k, v in server.options.items())
        self.stdout.write(f"分片服务器 {name}：{where}（用户 {server.user}）")
