"""Synthetic incidents (事件) with their lifecycle, clustered in space and time.

Sources (coordinates in metres, UTM 48N):
- markets (morning 06:00–09:00 and evening 17:00–19:30: 市容环境, 街面秩序, some 矛盾纠纷);
- nightlife (bars ×4, restaurants and cafés ×1; 20:00–02:00, mostly Friday and Saturday
  nights: 治安隐患, 矛盾纠纷);
- schools (school days 07:00–08:30 and 16:00–17:30: 街面秩序, 治安隐患);
- construction sites, each active for a period (施工管理, 市容环境, 安全生产);
- a night market planted in the last six weeks (an emerging hot spot);
- background: around households, all categories, day time.

Each incident runs through the lifecycle (DOMAIN.md §3) on a simulated clock; what has
not happened by the anchor moment has not happened, so old incidents are mostly evaluated
and recent ones open, and the transitions are consistent with the status by construction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from layers.demo.people import chinese_name

DAYS = 365
DEPARTMENTS = {
    "city_appearance": "街道城管执法中队", "advertising": "街道城管执法中队", "construction": "区住建局质安站",
    "street_order": "街道城管执法中队", "emergency": "街道应急办", "other_city": "街道城市管理办",
    "dispute": "社区人民调解委员会", "security_risk": "社区民警", "work_safety": "街道安监办",
    "fire_risk": "街道消防工作站", "livelihood": "社区居委会",
}
TEMPLATES = {
    "city_appearance": ["{p}附近垃圾堆积，未及时清运，有异味", "{p}门口占道堆放杂物", "{p}路段地面油污严重，需清洗",
                        "{p}旁绿化带内有建筑垃圾倾倒", "{p}周边餐厨垃圾桶满溢", "{p}附近污水横流"],
    "advertising": ["{p}附近电杆上张贴小广告", "{p}外墙违规悬挂横幅", "{p}门口落地广告牌占用人行道",
                    "{p}周边有人散发宣传单页", "{p}沿街店招破损，存在坠落隐患"],
    "construction": ["{p}施工围挡破损，扬尘较大", "{p}夜间施工噪声扰民", "{p}渣土车未覆盖，沿路撒漏",
                     "{p}施工占用人行道未设警示", "{p}出入口车辆带泥上路"],
    "street_order": ["{p}门口占道经营", "{p}附近流动摊贩聚集", "{p}人行道机动车乱停放，阻碍通行",
                     "{p}门前非机动车乱停放", "{p}周边车辆违停，高峰时段拥堵", "{p}店外出店经营"],
    "emergency": ["{p}附近路面塌陷，需紧急处置", "{p}路段积水严重", "{p}附近树木倒伏压占道路", "{p}附近窨井盖缺失",
                  "{p}闻到燃气泄漏气味"],
    "other_city": ["{p}附近路灯损坏不亮", "{p}人行道地砖松动破损", "{p}附近共享单车堆积", "{p}公共座椅损坏",
                   "{p}交通标志被树枝遮挡"],
    "dispute": ["{p}楼上漏水引发邻里纠纷", "{p}邻里因噪声产生矛盾", "{p}商户与顾客发生口角", "{p}物业费纠纷，居民情绪激动",
                "{p}家庭矛盾，需社区调解", "{p}房屋租赁纠纷"],
    "security_risk": ["{p}附近深夜有人聚集酗酒", "{p}周边有可疑人员徘徊", "{p}楼道门禁损坏", "{p}附近监控探头损坏",
                      "{p}外醉酒人员滋事", "{p}疑似群租房，人员流动大"],
    "work_safety": ["{p}液化气瓶存放不规范", "{p}高空作业未系安全带", "{p}附近广告牌松动，有坠落风险",
                    "{p}仓库堆放易燃物品", "{p}电动车违规入户充电"],
    "fire_risk": ["{p}楼道堆放杂物堵塞消防通道", "{p}电动车在楼道内充电", "{p}消防栓被遮挡", "{p}私拉乱接电线",
                  "{p}安全出口被锁闭"],
    "livelihood": ["{p}居民反映自来水水压低", "{p}老人申请居家养老服务", "{p}居民咨询低保申请", "{p}电梯故障，老人出行不便",
                   "{p}居民反映下水道堵塞", "{p}居民申请残疾人补贴"],
}
REPORT_NOTES = {"worker": "网格员巡查上报", "resident": "居民通过12345热线反映", "patrol": "巡防队巡逻发现"}
CANCEL_REASONS = ["重复上报，已并案", "不属于受理范围", "经核实信息不实", "已自行解决，无需立案"]
# Category mix of the background (around households): livelihood and disputes lead.
BACKGROUND_MIX = {"livelihood": 24, "dispute": 20, "city_appearance": 14, "street_order": 8, "fire_risk": 9,
                  "security_risk": 6, "advertising": 6, "work_safety": 5, "other_city": 5, "emergency": 2,
                  "construction": 1}


@dataclass(frozen=True)
class Source:
    """A place that produces incidents: ``xy`` (m), ``weight`` among its kind, the days
    before the anchor it is active (``first_day`` ≥ day > ``last_day``)."""

    kind: str
    name: str
    xy: tuple[float, float]
    weight: float = 1.0
    first_day: int = DAYS
    last_day: int = -1


@dataclass(frozen=True)
class Pattern:
    """How one kind of source produces incidents: how many, spread ``sigma_m`` (m), the
    category mix, time windows (minutes from midnight, may pass 24:00), weekday weights
    (Monday first) and whether only school days count."""

    count: int
    sigma_m: float
    categories: dict[str, float]
    windows: list[tuple[int, int]]
    weekdays: tuple[float, ...] = (1, 1, 1, 1, 1, 1, 1)
    school_days: bool = False
    patrol_share: float = 0.1


PATTERNS: dict[str, Pattern] = {
    "market": Pattern(750, 35.0, {"city_appearance": 50, "street_order": 40, "dispute": 10},
                      [(6 * 60, 9 * 60), (17 * 60, 19 * 60 + 30)]),
    "nightlife": Pattern(750, 45.0, {"security_risk": 45, "dispute": 40, "street_order": 10, "emergency": 5},
                         [(20 * 60, 26 * 60)], weekdays=(1, 1, 1, 1.5, 3.5, 3.5, 1.2), patrol_share=0.35),
    "school": Pattern(450, 40.0, {"street_order": 60, "security_risk": 30, "city_appearance": 10},
                      [(7 * 60, 8 * 60 + 30), (16 * 60, 17 * 60 + 30)], weekdays=(1, 1, 1, 1, 1, 0, 0),
                      school_days=True),
    "construction": Pattern(510, 50.0, {"construction": 60, "city_appearance": 20, "work_safety": 15, "advertising": 5},
                            [(7 * 60, 12 * 60), (14 * 60, 19 * 60), (22 * 60, 25 * 60)]),
    "night_market": Pattern(160, 30.0, {"street_order": 50, "city_appearance": 40, "dispute": 10},
                            [(19 * 60, 23 * 60 + 30)], patrol_share=0.2),
}
BACKGROUND = Pattern(0, 12.0, BACKGROUND_MIX, [(8 * 60, 21 * 60)], weekdays=(1, 1, 1, 1, 1, 0.7, 0.6))


def is_school_day(day: dt.date) -> bool:
    """Monday–Friday outside the summer (7/10–8/31) and winter (1/20–2/20) holidays and the
    May Day and National Day weeks."""
    if day.weekday() >= 5:
        return False
    md = (day.month, day.day)
    holidays = [((7, 10), (8, 31)), ((1, 20), (2, 20)), ((5, 1), (5, 5)), ((10, 1), (10, 7))]
    return not any(a <= md <= b for a, b in holidays)


class IncidentMaker:
    """Draws incidents for the sources; ``district`` and ``water`` are metric geometries."""

    def __init__(self, *, rng: np.random.Generator, anchor_end: dt.datetime, district: shapely.Geometry,
                 water: shapely.Geometry, time_limits_h: dict[str, int],
                 place_of: Callable[[float, float, str], tuple[str, str]]) -> None:
        self.rng = rng
        self.anchor_end = anchor_end
        self.allowed = district.difference(water)
        shapely.prepare(self.allowed)
        self.limits = time_limits_h
        self.place_of = place_of  # (x, y, name) → (place text, address)
        self.rows: list[dict] = []
        self.steps: list[dict] = []

    def _days(self, pattern: Pattern, source: Source, n: int) -> np.ndarray:
        days = np.arange(DAYS + 1)
        dates = [self.anchor_end.date() - dt.timedelta(days=int(d)) for d in days]
        # Reporting grows through the year as the grid system beds in (+30 %).
        weight = 1.0 + 0.3 * (1 - days / DAYS)
        weight *= np.asarray([pattern.weekdays[d.weekday()] for d in dates])
        if pattern.school_days:
            weight *= np.asarray([is_school_day(d) for d in dates])
        weight *= (days <= source.first_day) & (days > source.last_day)
        if source.kind == "construction" and source.last_day < 0:
            weight *= 1.0 + 3.0 * (1 - days / max(source.first_day, 1))  # a new site: rising
        return self.rng.choice(days, size=n, p=weight / weight.sum())

    def _moment(self, pattern: Pattern, day: int) -> dt.datetime:
        for _ in range(50):
            start, end = pattern.windows[int(self.rng.integers(len(pattern.windows)))]
            minutes = int(self.rng.integers(start, end))
            at = dt.datetime.combine(self.anchor_end.date() - dt.timedelta(days=int(day)), dt.time(),
                                     self.anchor_end.tzinfo) + dt.timedelta(minutes=minutes, seconds=int(
                                         self.rng.integers(0, 60)))
            if at < self.anchor_end:
                return at
            day += 1
        return self.anchor_end - dt.timedelta(hours=1)

    def _position(self, xy: tuple[float, float], sigma_m: float) -> tuple[float, float]:
        for _ in range(30):
            x, y = xy[0] + self.rng.normal(0, sigma_m), xy[1] + self.rng.normal(0, sigma_m)
            if shapely.contains_xy(self.allowed, x, y):
                return x, y
        return xy

    def add(self, pattern: Pattern, sources: list[Source], n: int) -> None:
        """``n`` incidents from ``sources`` (chosen by weight) following ``pattern``."""
        weights = np.asarray([s.weight for s in sources], dtype=float)
        picks = self.rng.choice(len(sources), size=n, p=weights / weights.sum())
        codes = list(pattern.categories)
        mix = np.asarray([pattern.categories[c] for c in codes], dtype=float)
        for index in range(len(sources)):
            chosen = int((picks == index).sum())
            if not chosen:
                continue
            source = sources[index]
            for day in self._days(pattern, source, chosen):
                category = codes[int(self.rng.choice(len(codes), p=mix / mix.sum()))]
                self._incident(pattern, source, category, self._moment(pattern, int(day)))

    def _incident(self, pattern: Pattern, source: Source, category: str, reported_at: dt.datetime) -> None:
        x, y = self._position(source.xy, pattern.sigma_m)
        place, address = self.place_of(x, y, source.name if source.kind != "household" else "")
        template = TEMPLATES[category][int(self.rng.integers(len(TEMPLATES[category])))]
        draw = self.rng.random()
        channel = "patrol" if draw < pattern.patrol_share else "resident" if draw < pattern.patrol_share + 0.3 else "worker"
        reporter = chinese_name(self.rng, male=bool(self.rng.random() < 0.5),
                                birth_year=int(self.rng.integers(1950, 2000))) if channel == "resident" else ""
        self.rows.append({"source": source.kind, "category": category, "x": x, "y": y,
                          "description": template.format(p=place), "address": address,
                          "reported_at": reported_at, "channel": channel, "reporter_name": reporter})

    def finish(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Incidents sorted by time with external ids, and their transitions."""
        frame = pd.DataFrame(self.rows).sort_values(["reported_at", "x", "y"], kind="stable").reset_index(drop=True)
        frame["external_id"] = [f"DEMO-E-{i + 1:06d}" for i in range(len(frame))]
        status, dispatched, closed, satisfaction = [], [], [], []
        for row in frame.itertuples():
            steps = lifecycle(self.rng, row.reported_at, self.limits[row.category], self.anchor_end,
                              DEPARTMENTS[row.category], report_note=REPORT_NOTES[row.channel])
            for seq, (before, after, at, note) in enumerate(steps, start=1):
                self.steps.append({"incident": row.external_id, "seq": seq, "from_status": before,
                                   "to_status": after, "at": at, "note": note})
            final = steps[-1][1]
            status.append(final)
            dispatched.append(next((s[2] for s in steps if s[1] == "dispatched"), None))
            last_close = [s[2] for s in steps if s[1] == "closed"]
            closed.append(last_close[-1] if final in ("closed", "evaluated") else None)
            satisfaction.append(steps[-1][3].removeprefix("回访") if final == "evaluated" else "")
        frame["status"], frame["dispatched_at"], frame["closed_at"] = status, dispatched, closed
        frame["satisfaction"] = satisfaction
        return frame, pd.DataFrame(self.steps)


def _lognormal_h(rng: np.random.Generator, median_h: float, sigma: float = 0.8) -> dt.timedelta:
    """A log-normal delay with this median (hours), in whole seconds."""
    return dt.timedelta(seconds=round(3600 * median_h * float(np.exp(rng.normal(0, sigma)))))


def lifecycle(rng: np.random.Generator, reported_at: dt.datetime, limit_h: int, anchor_end: dt.datetime,
              department: str, *, report_note: str = "上报") -> list[tuple[str, str, dt.datetime, str]]:
    """(from, to, at, note) steps of one incident, cut at ``anchor_end``; ``limit_h`` is the
    category's time limit (hours from dispatch). Evaluation notes are 回访满意 or 回访不满意
    (the incident's satisfaction is read from them)."""
    steps: list[tuple[str, str, dt.datetime, str]] = [("", "reported", reported_at, report_note)]
    t = reported_at
    # Reports at night wait for the morning shift (08:00–09:30).
    if t.hour >= 22 or t.hour < 8:
        morning = dt.datetime.combine(t.date() + dt.timedelta(days=1 if t.hour >= 22 else 0), dt.time(8), t.tzinfo)
        t = morning + dt.timedelta(minutes=int(rng.integers(0, 90)))
    else:
        t = t + min(_lognormal_h(rng, 0.6), dt.timedelta(hours=6))
    if rng.random() < 0.04:
        steps.append(("reported", "cancelled", t, "不予立案：" + CANCEL_REASONS[int(rng.integers(len(CANCEL_REASONS)))]))
        return [s for s in steps if s[2] <= anchor_end]
    steps.append(("reported", "accepted", t, "已立案"))
    # One case in five waits for the owner to be settled (权属不清) before dispatch, and one
    # in five is taken up by the department only the next day.
    t += _lognormal_h(rng, 24.0) if rng.random() < 0.2 else _lognormal_h(rng, 0.5, 0.7)
    steps.append(("accepted", "dispatched", t, f"派遣至{department}"))
    t += _lognormal_h(rng, 18.0) if rng.random() < 0.2 else _lognormal_h(rng, 1.0)
    steps.append(("dispatched", "handling", t, f"{department}已接单处置"))
    draw = rng.random()
    factor = rng.uniform(5, 15) if draw < 0.015 else rng.uniform(1.0, 2.5) if draw < 0.16 else rng.uniform(0.1, 0.9)
    t += dt.timedelta(seconds=round(3600 * max(limit_h * factor, 0.3)))
    steps.append(("handling", "feedback", t, "处置完毕，已反馈"))
    t += _lognormal_h(rng, 3.0)
    steps.append(("feedback", "closed", t, "核查属实，予以结案"))
    if rng.random() < 0.06:
        return [s for s in steps if s[2] <= anchor_end]  # no 回访: the resident could not be reached
    t += dt.timedelta(seconds=round(3600 * float(rng.uniform(12, 72))))
    if rng.random() < 0.10:
        steps.append(("closed", "evaluated", t, "回访不满意"))
        t += dt.timedelta(seconds=round(3600 * float(rng.uniform(1, 24))))
        steps.append(("evaluated", "handling", t, "回访不满意，退回重新处置"))
        t += dt.timedelta(seconds=round(3600 * max(limit_h * float(rng.uniform(0.2, 1.0)), 0.3)))
        steps.append(("handling", "feedback", t, "二次处置完毕，已反馈"))
        t += _lognormal_h(rng, 3.0)
        steps.append(("feedback", "closed", t, "核查属实，予以结案"))
        t += dt.timedelta(seconds=round(3600 * float(rng.uniform(12, 72))))
        steps.append(("closed", "evaluated", t, "回访满意" if rng.random() < 0.8 else "回访不满意"))
    else:
        steps.append(("closed", "evaluated", t, "回访满意" if rng.random() < 0.95 else "回访不满意"))
    return [s for s in steps if s[2] <= anchor_end]
