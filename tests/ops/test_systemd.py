"""scripts/systemd_units.py writes units for this checkout, a dedicated user, restart on failure."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _script():
    spec = importlib.util.spec_from_file_location("systemd_units", ROOT / "scripts" / "systemd_units.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_units_use_the_checkout_a_dedicated_user_and_restart(tmp_path, capsys):
    script = _script()
    assert script.main(["--out", str(tmp_path), "--user", "gridsvc", "--data-dir", "/srv/gridmap",
                        "--server-name", "grid.example.org"]) == 0
    for name in ("gridmap-db.service", "gridmap-web.service", "gridmap-worker.service"):
        text = (tmp_path / name).read_text()
        assert f"WorkingDirectory={ROOT}" in text
        assert "User=gridsvc" in text and "Restart=on-failure" in text
        assert "Environment=GRIDMAP_DATA_DIR=/srv/gridmap" in text
    assert f"ExecStart={ROOT}/.venv/bin/python -m gridmap.pgcluster start" in (tmp_path / "gridmap-db.service").read_text()
    assert "PIDFile=/srv/gridmap/pg/data/postmaster.pid" in (tmp_path / "gridmap-db.service").read_text()
    assert "gunicorn -c gridmap/gunicorn.conf.py" in (tmp_path / "gridmap-web.service").read_text()
    assert f"python {script.WORKER_COMMAND}" in (tmp_path / "gridmap-worker.service").read_text()
    assert "OnCalendar=" in (tmp_path / "gridmap-backup.timer").read_text()
    nginx = (tmp_path / "nginx-gridmap.conf").read_text()
    assert "listen 443 ssl" in nginx and "X-Forwarded-Proto $scheme" in nginx
    assert "GRIDMAP_HTTPS=1" in (tmp_path / "gridmap.env").read_text()
    assert "systemctl enable --now gridmap-db" in capsys.readouterr().out
    if shutil.which("systemd-analyze"):
        result = subprocess.run(["systemd-analyze", "verify", *map(str, tmp_path.glob("gridmap-*.service"))],
                                capture_output=True, text=True, check=False)
        assert "Unknown key" not in result.stderr and "Invalid" not in result.stderr, result.stderr
