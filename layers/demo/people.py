"""Synthetic households: names, ID numbers, phones, household size, tags, rooms.

Rates follow the figures the brief gives for a central Chengdu district (低保 ~3 %, 特困
~0.5 %, 残疾 ~6 %, 独居/空巢老人 ~8 %, 高龄 ~5 %, 流动人口 ~20 %, 下岗失业 ~3 %, 慢性病 ~15 %,
有幼儿 ~12 %); tags depend on the head's age and the household size, so that an 80-year-old
living alone is tagged 高龄 and 独居老人 together, not at random. Every value is fake: ID
numbers have the 510104 prefix, a real birth date and a valid GB 11643 check digit, but
belong to no one.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from layers.demo.land import BUILDING_KINDS, Sites
from layers.people.models import HouseholdTag

ID_REGION = "510104"
# Common surnames with their approximate share (%) of the population (Sichuan leans to 罗 何 曾 邓).
SURNAMES = (
    "王7.1 李7.4 张6.3 刘5.4 陈4.6 杨3.4 黄2.4 赵1.9 吴1.9 周1.9 徐1.4 孙1.2 马1.1 朱1.2 胡1.3 郭1.0 何1.6 "
    "林0.9 罗1.6 高1.0 郑0.9 梁0.8 谢0.9 宋0.7 唐0.9 许0.7 韩0.6 冯0.8 邓1.0 曹0.6 彭0.8 曾0.9 肖0.7 田0.6 "
    "董0.5 袁0.6 潘0.5 于0.4 蒋0.6 蔡0.5 余0.6 杜0.6 叶0.4 程0.4 苏0.4 魏0.4 吕0.4 丁0.4 任0.5 沈0.3 姚0.4 "
    "卢0.4 姜0.3 崔0.3 钟0.4 谭0.4 陆0.3 汪0.3 范0.3 金0.3 石0.3 廖0.5 贾0.3 夏0.3 韦0.2 付0.4 方0.3 白0.3 "
    "邹0.3 孟0.3 熊0.4 秦0.3 邱0.3 江0.3 尹0.3 薛0.2 闫0.2 段0.2 雷0.3 侯0.2 龙0.3 史0.2 陶0.2 黎0.2 贺0.2 "
    "顾0.2 毛0.2 郝0.2 龚0.2 邵0.2 万0.2 钱0.2 严0.2 武0.2 戴0.2 孔0.2 向0.3 汤0.2 鲜0.1 苟0.1 敬0.1"
)
# Given names by generation (born before 1965, 1965–1989, from 1990) and sex.
GIVEN_NAMES = {
    ("old", "m"): "建国 建华 国强 志强 德明 文华 永康 明德 光辉 志明 国庆 建军 玉林 德贵 德华 学军 建平 成林 "
                  "洪 伟 军 勇 斌 强 平 刚 华 明 林 波 辉 忠 福 贵 富 全 荣",
    ("old", "f"): "秀英 桂兰 淑珍 玉兰 秀兰 凤英 桂英 素芬 玉珍 淑华 秀珍 丽华 琼 芳 敏 静 红 霞 燕 丽 英 兰 萍 "
                  "娟 素华 惠 群 玉芳 翠英 德芳",
    ("mid", "m"): "志刚 海涛 俊 晓东 建伟 小军 立新 宏伟 伟 斌 军 涛 勇 杰 磊 强 鹏 波 峰 刚 亮 东 旭 晓峰 "
                  "海波 永刚 剑 川 渝 锐",
    ("mid", "f"): "晓燕 丽娟 红梅 雪梅 春燕 海燕 小红 丽 静 霞 敏 燕 莉 娟 艳 英 玲 琳 萍 红 梅 蓉 琴 瑜 "
                  "晓玲 丹 婷 洁",
    ("new", "m"): "浩然 子轩 宇航 俊杰 浩宇 博文 梓豪 明轩 家豪 天宇 鹏 磊 杰 涛 浩 宇 超 鑫 晨 昊 凯 毅 睿 "
                  "一鸣 思远 宇轩 子豪 嘉诚",
    ("new", "f"): "欣怡 梓涵 诗涵 雨婷 思雨 佳怡 子涵 可馨 雨欣 晓雪 婷婷 倩 雪 琳 莹 悦 颖 洁 璐 瑶 佳 蕾 "
                  "梦瑶 思琪 雨桐 若曦 晨曦",
}
# Mobile prefixes of the three carriers (1[3-9]x).
MOBILE_PREFIXES = ("130 131 132 133 134 135 136 137 138 139 150 151 152 153 155 156 157 158 159 166 "
                   "170 176 177 178 180 181 182 183 184 185 186 187 188 189 191 195 198 199").split()
# Head of household age bands (years) and shares.
AGE_BANDS: list[tuple[int, int, float]] = [(20, 29, 0.11), (30, 44, 0.27), (45, 59, 0.26), (60, 79, 0.31),
                                           (80, 96, 0.05)]
# Household size 1–6 by the head's age band (same order as AGE_BANDS).
RESIDENTS_BY_BAND = np.asarray([
    [0.40, 0.35, 0.18, 0.05, 0.02, 0.00],
    [0.10, 0.20, 0.42, 0.18, 0.07, 0.03],
    [0.10, 0.30, 0.35, 0.15, 0.07, 0.03],
    [0.25, 0.52, 0.12, 0.06, 0.04, 0.01],
    [0.35, 0.45, 0.12, 0.05, 0.02, 0.01],
])
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def id_check_digit(first17: str) -> str:
    """The GB 11643-1999 check character of the first 17 digits of an ID number."""
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def _surnames() -> tuple[list[str], np.ndarray]:
    pairs = [(item[0], float(item[1:])) for item in SURNAMES.split()]
    weights = np.asarray([w for _, w in pairs])
    return [s for s, _ in pairs], weights / weights.sum()


def chinese_name(rng: np.random.Generator, *, male: bool, birth_year: int,
                 surnames: tuple[list[str], np.ndarray] | None = None) -> str:
    """A plausible full name for someone of this sex and generation."""
    names, weights = surnames or _surnames()
    generation = "old" if birth_year < 1965 else "mid" if birth_year < 1990 else "new"
    pool = GIVEN_NAMES[(generation, "m" if male else "f")].split()
    return names[int(rng.choice(len(names), p=weights))] + pool[int(rng.integers(len(pool)))]


def _tags(rng: np.random.Generator, age: int, residents: int) -> list[str]:
    """Tags for a household whose head is ``age`` years old (see the module docstring)."""
    tags: list[str] = []
    elderly = age >= 60
    if age < 45:
        liudong, chronic, disabled = 0.40, 0.04, 0.025
    elif age < 60:
        liudong, chronic, disabled = 0.14, 0.14, 0.05
    elif age < 80:
        liudong, chronic, disabled = 0.03, 0.26, 0.09
    else:
        liudong, chronic, disabled = 0.02, 0.45, 0.15
    is_liudong = rng.random() < liudong
    is_disabled = rng.random() < disabled
    is_alone = elderly and rng.random() < (0.7 if residents == 1 else 0.05 if residents == 2 else 0.0)
    is_aged = age >= 80 or (residents >= 3 and 50 <= age < 70 and rng.random() < 0.03)
    is_unemployed = 35 <= age < 60 and rng.random() < 0.07
    has_child = (25 <= age < 46 and residents >= 3 and rng.random() < 0.55) or (
        55 <= age < 72 and residents >= 4 and rng.random() < 0.35)
    # 低保 needs a local hukou; disability and unemployment raise the chance.
    dibao = not is_liudong and rng.random() < (0.14 if is_disabled else 0.22 if is_unemployed else 0.026)
    tekun = not dibao and not is_liudong and rng.random() < (
        0.12 if is_alone and (is_disabled or is_aged) else 0.04 if is_disabled else 0.002)
    for flag, tag in ((dibao, HouseholdTag.DIBAO), (tekun, HouseholdTag.TEKUN), (is_disabled, HouseholdTag.CANJI),
                      (is_alone, HouseholdTag.DUJU), (is_aged, HouseholdTag.GAOLING),
                      (is_liudong, HouseholdTag.LIUDONG), (is_unemployed, HouseholdTag.SHIYE),
                      (rng.random() < chronic, HouseholdTag.MANBING), (has_child, HouseholdTag.YOUER)):
        if flag:
            tags.append(str(tag))
    return tags


def _rooms(rng: np.random.Generator, count: int, kind: int) -> list[tuple[int, int]]:
    """(unit 单元, room number) for ``count`` households of one building of ``kind``."""
    _, _, units, floors, doors = BUILDING_KINDS[kind]
    n_units = int(np.clip(np.ceil(count / (doors * floors[1])), units[0], units[1]))
    n_floors = max(floors[0], int(np.ceil(count / (n_units * doors))))
    slots = [(u, f * 100 + d) for u in range(1, n_units + 1) for f in range(1, n_floors + 1)
             for d in range(1, doors + 1)]
    chosen = np.sort(rng.choice(len(slots), size=count, replace=False))
    return [slots[i] for i in chosen]


def make_households(sites: Sites, positions_xy: np.ndarray, site_of: np.ndarray, rng: np.random.Generator,
                    anchor: dt.date) -> pd.DataFrame:
    """One row per household: ``x``/``y`` (m, as given), ``external_id``, ``address``,
    ``residents``, ``head_name``, ``id_number``, ``phone``, ``tags``, ``last_visit``."""
    n = len(site_of)
    names, name_p = _surnames()
    band_p = np.asarray([b[2] for b in AGE_BANDS])
    # Draw each attribute for all households at once (one call per attribute keeps it fast).
    band = rng.choice(len(AGE_BANDS), size=n, p=band_p / band_p.sum())
    low = np.asarray([b[0] for b in AGE_BANDS])[band]
    high = np.asarray([b[1] for b in AGE_BANDS])[band]
    age = rng.integers(low, high + 1)
    cumulative = RESIDENTS_BY_BAND.cumsum(axis=1)[band]
    residents = (rng.random(n)[:, None] > cumulative).sum(axis=1) + 1
    residents = np.minimum(residents, 6)
    male = rng.random(n) < np.where(age < 70, 0.62, 0.45)  # older heads are more often widows
    day_in_year = rng.integers(0, 365, n)
    surname = rng.choice(len(names), size=n, p=name_p)
    given = rng.random(n)
    seq = rng.integers(0, 500, n)
    landline = (age >= 75) & (rng.random(n) < 0.3)
    phone_digits = rng.integers(0, 10**8, n)
    prefix = rng.integers(0, len(MOBILE_PREFIXES), n)
    never_visited = rng.random(n) < 0.04
    visit_draw = rng.random(n)

    rooms: dict[int, list[tuple[int, int]]] = {
        s: _rooms(rng, int(sites.households[s]), int(sites.kind[s])) for s in range(len(sites.households))
    }
    taken: dict[int, int] = {}
    used_ids: set[str] = set()
    rows = []
    for i in range(n):
        site = int(site_of[i])
        birth = anchor - dt.timedelta(days=int(age[i] * 365.25 + day_in_year[i]))
        number = int(seq[i])
        while True:
            first17 = f"{ID_REGION}{birth:%Y%m%d}{number * 2 + (1 if male[i] else 0):03d}"
            id_number = first17 + id_check_digit(first17)
            if id_number not in used_ids:
                used_ids.add(id_number)
                break
            number = (number + 1) % 500
        unit, room = rooms[site][taken.get(site, 0)]
        taken[site] = taken.get(site, 0) + 1
        tags = _tags(rng, int(age[i]), int(residents[i]))
        vulnerable = bool(set(tags) & HouseholdTag.vulnerable())
        last_visit = None if never_visited[i] else anchor - dt.timedelta(
            days=int(visit_draw[i] * (31 if vulnerable else 181)))
        generation = "old" if birth.year < 1965 else "mid" if birth.year < 1990 else "new"
        pool = GIVEN_NAMES[(generation, "m" if male[i] else "f")].split()
        rows.append({
            "external_id": f"DEMO-H-{i + 1:06d}",
            "x": float(positions_xy[i, 0]), "y": float(positions_xy[i, 1]),
            "address": f"{sites.street[site]} {sites.number[site]} 号 {sites.building[site]} 栋 {unit} 单元 {room}",
            "residents": int(residents[i]),
            "head_name": names[int(surname[i])] + pool[int(given[i] * len(pool))],
            "id_number": id_number,
            "phone": (f"028-8{int(phone_digits[i]) % 10**7:07d}" if landline[i]
                      else f"{MOBILE_PREFIXES[int(prefix[i])]}{int(phone_digits[i]):08d}"),
            "tags": tags,
            "last_visit": last_visit,
        })
    return pd.DataFrame(rows)


def place_households(sites: Sites, rng: np.random.Generator, *, radius_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Positions (m) of every household, scattered within ``radius_m`` of its building's
    centre (a flat has no separate point, but stacked points hide each other on a map), and
    the building index of each."""
    site_of = np.repeat(np.arange(len(sites.households)), sites.households)
    angle = rng.uniform(0, 2 * np.pi, len(site_of))
    radius = radius_m * np.sqrt(rng.random(len(site_of)))
    xy = sites.xy[site_of] + np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
    return xy, site_of
