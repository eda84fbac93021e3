"""Refuse to migrate a database made by gridmap before its apps were reorganised.

Until the reorganisation into one app per domain, every table belonged to the apps
``layers`` and ``fieldwork``; the new apps (grids, people, incidents, facilities, ...) start
with fresh migrations and cannot take those tables over. There were no installations to
upgrade yet, so such a database is rebuilt, not migrated: this check says how, instead of
letting ``migrate`` create a second set of tables next to the old ones.

    python -m gridmap.schema_check     # exit 0: fine to migrate; 1: rebuild first (message says how)
"""

from __future__ import annotations

import os
import sys

LEGACY_APPS = ("layers", "fieldwork")


def legacy_apps() -> list[str]:
    """The pre-reorganisation apps recorded as migrated in the configured database."""
    from django.db import connection

    with connection.cursor() as cur:
        if "django_migrations" not in connection.introspection.table_names(cur):
            return []
        cur.execute("SELECT DISTINCT app FROM django_migrations WHERE app = ANY(%s) ORDER BY app", [list(LEGACY_APPS)])
        return [row[0] for row in cur.fetchall()]


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridmap.settings")
    import django

    django.setup()
    from django.conf import settings

    found = legacy_apps()
    if not found:
        return 0
    name = settings.DATABASES["default"]["NAME"]
    if os.environ.get("DATABASE_URL"):
        how = (f"  删除并重建数据库 {name}（DROP DATABASE {name}; CREATE DATABASE {name};），然后再运行 make demo。\n"
               f"  (drop and re-create the database {name}, then run make demo again)")
    else:
        how = ("  make stop && rm -rf var/pg && make demo\n"
               "  (the embedded cluster under var/pg holds only the demo district: it is rebuilt in about a minute)")
    print(
        f"gridmap: 数据库 {name} 由旧版本的 gridmap 创建（应用 {', '.join(found)}），新版本按业务拆分了应用，"
        f"无法原地迁移。请重建数据库：\n{how}\n"
        f"gridmap: database {name} was created by an earlier gridmap (apps {', '.join(found)}); "
        "this version splits them into one app per domain and cannot migrate it in place.",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
