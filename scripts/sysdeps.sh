#!/usr/bin/env bash
# Installs the system packages gridmap needs, if missing: PostgreSQL with PostGIS 3 and
# pgRouting (they also bring GDAL, GEOS and PROJ for GeoDjango), the Python venv module,
# Chromium for the browser tests and poppler-utils (pdftoppm) for the PDF report tests. Uses apt as root, or through sudo.
set -euo pipefail

need=()
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

if ! command -v apt-get >/dev/null; then
  echo "gridmap: this set-up needs a Debian or Ubuntu machine (apt-get not found)." >&2
  exit 1
fi
if [ "$(id -u)" = 0 ]; then SUDO=(); elif command -v sudo >/dev/null; then SUDO=(sudo); else
  echo "gridmap: not root and no sudo: install the packages listed by 'make sysdeps-list' by hand." >&2
  exit 1
fi

# The distribution's default PostgreSQL major version (15 on Debian 12, 14 on Ubuntu 22.04, 16 on 24.04).
pgver() {
  apt-cache depends postgresql 2>/dev/null | sed -n 's/.*Depends: postgresql-\([0-9][0-9]*\)$/\1/p' | head -n1
}
V=${GRIDMAP_PG_VERSION:-$(pgver)}
if [ -z "$V" ]; then
  "${SUDO[@]}" apt-get update -qq
  V=$(pgver)
fi
for p in "postgresql-$V" "postgresql-$V-postgis-3" "postgresql-$V-pgrouting" python3-venv python3-dev \
         chromium fonts-noto-cjk util-linux poppler-utils; do
  have "$p" || need+=("$p")
done
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
echo "gridmap: installing ${need[*]}"
"${SUDO[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# The Debian package starts a system-wide cluster on port 5432; gridmap does not use it.
