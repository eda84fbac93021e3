"""The printable A4 route card in a real browser, as the patrol officer prints it: the list is
the analysis's route (checked against the database and the analysis run here), the map shows
every stop with a number no other number hides, and it prints to one A4 PDF page."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.db import connection

from tests.patrols._town import town

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OUTPUT = Path(__file__).resolve().parents[2] / "test-output"

LABEL_BOXES = """() => Array.from(document.querySelectorAll('#card-map .gm-stop')).map(el => {
  const r = el.getBoundingClientRect();
  return {text: el.textContent, x0: r.left, y0: r.top, x1: r.right, y1: r.bottom};
})"""
ANCHORS = """() => Array.from(document.querySelectorAll('#card-map .gm-stop-icon')).map(el => {
  const r = el.getBoundingClientRect();
  return {x: r.left + r.width / 2, y: r.top + r.height / 2};
})"""


def _overlaps(boxes: list[dict]) -> list[tuple[str, str]]:
    return [(a["text"], b["text"]) for i, a in enumerate(boxes) for b in boxes[i + 1:]
            if a["x0"] < b["x1"] and b["x0"] < a["x1"] and a["y0"] < b["y1"] and b["y0"] < a["y1"]]


def _close_anchors(anchors: list[dict], size_px: float = 24) -> int:
    return sum(1 for i, a in enumerate(anchors) for b in anchors[i + 1:]
               if abs(a["x"] - b["x"]) < size_px and abs(a["y"] - b["y"]) < size_px)


def test_route_card_lists_the_analysis_route_and_prints_on_a4(visit, world):
    from layers.patrols.advice import patrol_advice
    from layers.patrols.filters import IncidentFilter
    from layers.patrols.start import parse_start

    t = town()
    query = f"days=30&start=police:{t.police.pk}&return=1&dwell=5&depart=21:00"
    v = visit(world.patrol)
    page = v.page
    page.goto(f"{v.base}/patrol/card/?{query}", wait_until="networkidle", timeout=120_000)
    page.wait_for_selector("body[data-ready='1']")
    page.wait_for_function("document.querySelectorAll('#card-map .gm-stop').length > 0")
    # The streets around the route, fetched for its box and drawn under it.
    assert [u for u in v.requests if "/maps/streets.geojson?in_bbox=" in u]
    assert page.locator('#card-map path[stroke="#9a9a9a"]').count() > 0

    # The list is the route the analysis makes for the same filter and start.
    start = parse_start({"start": f"police:{t.police.pk}"})
    plan = patrol_advice(IncidentFilter.last_days(30), start=start, return_to_start=True, dwell_minutes=5).plan
    rows = page.locator("#card-stops tbody tr").all()
    cells = [[c.inner_text().strip() for c in row.locator("td").all()] for row in rows]
    assert cells[0][:2] == ["起", "横零路警务室"] and cells[0][6] == "21:00"
    assert cells[-1][:2] == ["起", "返回横零路警务室"]
    stops = cells[1:-1]
    assert [int(c[0]) for c in stops] == [s.number for s in plan.stops] == list(range(1, len(plan.stops) + 1))
    assert [c[1] for c in stops] == [f"{s.name}（{s.cell_name}）" for s in plan.stops]
    assert all("交叉口附近" in c[1] or "附近" in c[1] for c in stops)
    assert all(c[3].startswith("热点") for c in stops)  # significant hot spots only
    # Each stop's count is the database's count of the last 30 days' incidents in that grid.
    with connection.cursor() as cur:
        for c, s in zip(stops, plan.stops, strict=True):
            cur.execute("SELECT count(*) FROM incidents_incident i JOIN grids_grid g ON g.id = i.grid_id "
                        "WHERE g.code = %s AND i.reported_at >= now() - interval '30 days' "
                        "AND i.status <> 'cancelled'", [s.cell_id])  # fmt: skip
            assert int(c[2]) == cur.fetchone()[0] == s.count
    assert stops[0][5] == f"21:{round(plan.stops[0].arrive_min):02d}"
    summary = page.locator("#card-summary").inner_text()
    assert f"{len(plan.stops)} 站" in summary and f"合计约 {plan.total_minutes:.0f} 分钟" in summary
    assert "OpenStreetMap" in page.locator("#card-attribution").inner_text()

    # No stop number hides another, at the default zoom and zoomed out where the stops crowd.
    assert page.locator("#card-map .gm-stop").count() == len(plan.stops) + 1
    assert _overlaps(page.evaluate(LABEL_BOXES)) == []
    page.evaluate("() => gridmapCardMap.setZoom(gridmapCardMap.getZoom() - 3, {animate: false})")
    page.wait_for_timeout(300)
    assert _close_anchors(page.evaluate(ANCHORS)) > 0  # the places themselves are now within a label
    assert _overlaps(page.evaluate(LABEL_BOXES)) == []
    page.evaluate("() => gridmapCardMap.setZoom(gridmapCardMap.getZoom() + 3, {animate: false})")
    page.wait_for_timeout(300)

    OUTPUT.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    page.wait_for_timeout(300)
    page.screenshot(path=str(OUTPUT / "route_card.png"), full_page=True)
    # The map box never holds a legend or a table: nothing is drawn over it.
    over = page.evaluate("""() => { const m = document.getElementById('card-map').getBoundingClientRect();
        return Array.from(document.querySelectorAll('table, .gm-legend, #card-summary')).filter(e => {
          const r = e.getBoundingClientRect();
          return r.top < m.bottom && r.bottom > m.top && r.left < m.right && r.right > m.left; }).length; }""")
    assert over == 0
    page.emulate_media(media="print")
    pdf = OUTPUT / "route_card.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=True, prefer_css_page_size=True)
    assert pdf.read_bytes()[:5] == b"%PDF-"
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                              check=True).stdout  # fmt: skip
        assert "巡逻卡" in text and plan.stops[0].name in text and "OpenStreetMap" in text
        pages = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
        assert re.search(r"Pages:\s+1\n", pages) and re.search(r"Page size:.*\(A4\)", pages)
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", str(pdf), str(OUTPUT / "route_card_pdf")],
                       check=True)  # fmt: skip
        assert (OUTPUT / "route_card_pdf-1.png").exists()
    assert v.errors == [] and v.outside_requests() == []


def test_patrol_page_map_numbers_never_hide_each_other(visit, world):
    t = town()
    v = visit(world.patrol)
    # The first hot spot analysis of a fresh server process compiles its statistics (numba): allow for it.
    page = v.page
    page.goto(f"{v.base}/patrol/?days=30&start=police:{t.police.pk}", wait_until="networkidle", timeout=120_000)
    page.wait_for_selector("iframe[src*='/patrol/map.html']")
    frame = next(f for f in page.frames if "/patrol/map.html" in f.url)
    frame.wait_for_selector(".gm-stop")
    boxes = frame.evaluate(LABEL_BOXES.replace("#card-map ", ""))
    assert len(boxes) == page.locator("#route-list tbody tr").count() >= 5
    assert _overlaps(boxes) == []
    text = page.locator("main").inner_text()
    assert "与全区的平均水平比较" in text and "横零路警务室" in text
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUTPUT / "patrol_page.png"))
    assert v.errors == [] and v.outside_requests() == []
