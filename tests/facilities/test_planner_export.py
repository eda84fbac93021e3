"""The planner's exports, made by the background job: the Excel tables (headers, totals equal
to direct database counts, no formulas from text) and the A4 PDF report (rendered with
pdftoppm and read back with pdftotext)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from openpyxl import load_workbook

from layers.facilities.export_xlsx import COVERAGE_HEADERS, SITE_HEADERS, completeness_headers
from layers.facilities.walking.sites import suggest
from layers.grids.models import Community
from layers.jobs.models import Job
from layers.jobs.tasks import run_job
from tests.facilities.planner_fixtures import planner_district

pytestmark = pytest.mark.django_db


def export(kind: str, media: Path, settings) -> Job:
    settings.MEDIA_ROOT = str(media)
    job = Job.objects.create(kind="facilities.planner_export", key=kind, label="导出",
                             params={"type_code": "kindergarten", "district": None, "kind": kind})
    run_job(job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.DONE, job.message
    return job


def direct(query: str, params: list | None = None) -> tuple:
    with connection.cursor() as cur:
        cur.execute(query, params or [])
        return cur.fetchone()


def test_excel_has_chinese_headers_and_totals_equal_to_database_counts(tmp_path, settings):
    planner_district()
    Community.objects.filter(name="东社区").update(name='=HYPERLINK("http://x","东社区")')  # hostile text
    suggest("kindergarten", 2)
    job = export("xlsx", tmp_path, settings)
    assert job.result_file.name.endswith(".xlsx")
    book = load_workbook(Path(settings.MEDIA_ROOT) / job.result_file.name)
    assert book.sheetnames == ["覆盖率", "建议选址", "建设前后", "生活圈完整度", "说明"]
    coverage = [list(r) for r in book["覆盖率"].iter_rows(values_only=True)]
    assert coverage[0] == COVERAGE_HEADERS
    total = coverage[-1]
    households, covered, focus, focus_covered = direct("""
        SELECT count(*), count(*) FILTER (WHERE a.minutes <= t.threshold_minutes),
               count(*) FILTER (WHERE h.tags && ARRAY['有幼儿']::varchar[]),
               count(*) FILTER (WHERE h.tags && ARRAY['有幼儿']::varchar[] AND a.minutes <= t.threshold_minutes)
          FROM people_household h CROSS JOIN facilities_facilitytype t
          LEFT JOIN facilities_householdaccess a ON a.household_id = h.id AND a.facility_type_id = t.id
         WHERE t.code = 'kindergarten'""")
    assert total[0] == "合计" and (total[2], total[3], total[8], total[9]) == (households, covered, focus, focus_covered)
    assert sum(r[2] for r in coverage[1:-1]) == households
    assert coverage[2][1] == "'" + '=HYPERLINK("http://x","东社区")'  # neutralised: text, not a formula
    sites = [list(r) for r in book["建议选址"].iter_rows(values_only=True)]
    assert sites[0] == SITE_HEADERS and [r[0] for r in sites[1:]] == [1, 2]
    gained = sum(r[8] for r in sites[1:])
    before_after = [list(r) for r in book["建设前后"].iter_rows(values_only=True)]
    # Two sites reach the 3 households at x ≈ -300 and the 4 in the east: everyone covered after.
    assert before_after[-1][3] == covered and before_after[-1][4] == covered + gained == households
    assert [r[4] - r[3] for r in before_after[1:-1]] == [3, 4]
    complete = [list(r) for r in book["生活圈完整度"].iter_rows(values_only=True)]
    assert complete[0] == completeness_headers([5, 10, 15])
    assert complete[-1][0] == "合计" and complete[-1][2] == households
    notes = dict(book["说明"].iter_rows(min_row=2, values_only=True))
    assert "© OpenStreetMap 贡献者, ODbL" in notes["数据来源"]
    # No cell holds a formula: every text cell starting with = + - @ is neutralised.
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f"


def test_pdf_report_renders_with_map_tables_and_attribution(tmp_path, settings):
    planner_district()
    Community.objects.filter(name="东社区").update(name="东社区$x^2$")  # text, not mathtext
    suggest("kindergarten", 2)
    job = export("pdf", tmp_path, settings)
    pdf = Path(settings.MEDIA_ROOT) / job.result_file.name
    assert pdf.read_bytes()[:5] == b"%PDF-"
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    for words in ("设施覆盖报告 · 幼儿园", "© OpenStreetMap 贡献者, ODbL", "各社区覆盖情况", "西社区", "东社区",
                  "东社区$x^2$", "建议选址", "15分钟社区生活圈完整度", "生成于"):
        assert words in text
    households = direct("SELECT count(*) FROM people_household")[0]
    assert f"/{households} 户" in text  # the summary line's total
    out = Path(django_settings.BASE_DIR) / "test-output"
    out.mkdir(exist_ok=True)
    subprocess.run(["pdftoppm", "-r", "80", "-png", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                    str(out / "planner_report")], check=True)
    from PIL import Image

    image = Image.open(out / "planner_report.png").convert("RGB")
    assert image.size[1] > image.size[0]  # A4 portrait
    colours = image.getcolors(maxcolors=1_000_000) or []
    assert len(colours) > 50  # a drawn map, not a blank page
    site = (0xE7, 0x29, 0x8A)  # the numbered site markers
    assert any(abs(c[0] - site[0]) + abs(c[1] - site[1]) + abs(c[2] - site[2]) < 30 for _, c in colours)
