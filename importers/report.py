"""The error report: every rejected row (and every warning) with file, row or feature
number, field, value and reason — the first ones on screen, all of them in ``--error-report``.

The CSV report is written as problems are found (bounded memory on big files) in UTF-8 with
a byte-order mark, so that Excel on Chinese Windows opens it without mojibake.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from importers.readers.base import RowIssue, neutralise

REPORT_HEADER = ["文件 file", "位置 where", "序号 number", "字段 field", "值 value", "级别 severity", "原因 reason"]
SHOW_ON_SCREEN = 20


@dataclass
class Report:
    """Collects the issues of one import.

    Attributes:
        file_name: the input file's name, as written in every line.
        label: "row" or "feature".
        rejected: rows rejected so far (each row counted once).
        warnings: warnings so far (the rows are kept).
        kinds: count of issues per (severity, kind).
        first: the first :data:`SHOW_ON_SCREEN` issues, formatted for the screen.
    """

    file_name: str
    label: str
    path: Path | None = None
    rejected: int = 0
    warnings: int = 0
    kinds: Counter = field(default_factory=Counter)
    first: list[str] = field(default_factory=list)
    _file: TextIO | None = None
    _writer: csv.writer | None = None  # type: ignore[valid-type]

    def __post_init__(self) -> None:
        if self.path is not None:
            self._file = Path(self.path).open("w", encoding="utf-8-sig", newline="")
            self._writer = csv.writer(self._file)
            self._writer.writerow(REPORT_HEADER)

    def add(self, issues: Iterable[RowIssue], *, count_rejected: bool = True) -> set[int]:
        """Record one batch of issues; return the numbers of the rows they reject.

        Within a batch a row with several errors counts once; callers pass each row's
        errors in one batch (a chunk), so totals stay exact. Checks across rows that count
        rejected rows themselves (in SQL) pass ``count_rejected=False``.
        """
        rejected: set[int] = set()
        for issue in issues:
            self.kinds[(issue.severity, issue.kind)] += 1
            if issue.severity == "error":
                rejected.add(issue.number)
            else:
                self.warnings += 1
            if len(self.first) < SHOW_ON_SCREEN:
                self.first.append(self.format(issue))
            if self._writer is not None:
                # The report quotes cells of the user's file: a '=HYPERLINK(…)' value must not come
                # alive when the administrator opens the report in Excel.
                self._writer.writerow([neutralise(self.file_name), self.label if issue.number else "file",
                                       issue.number or "", neutralise(issue.field), neutralise(issue.value),
                                       issue.severity, neutralise(issue.message)])
        if count_rejected:
            self.rejected += len(rejected)
        return rejected

    def file_error(self, message: str) -> None:
        """Record why the whole file was refused (it also goes to the report file)."""
        self.add([RowIssue(0, "", "", message, "file")])
        self.rejected -= 1  # no row was rejected: the file was

    def format(self, issue: RowIssue) -> str:
        where = f"{self.label} {issue.number}" if issue.number else "file"
        level = "警告 warning" if issue.severity == "warning" else "错误 error"
        field_text = f" [{issue.field}]" if issue.field else ""
        return f"{self.file_name} {where}{field_text} {level}: {issue.message}"

    def screen_lines(self) -> list[str]:
        """The first issues, then counts by kind when there were more."""
        lines = list(self.first)
        total = sum(self.kinds.values())
        if total > len(self.first):
            lines.append(f"... {total - len(self.first)} more (全部见 --error-report FILE for the full list)")
        if self.kinds:
            counts = ", ".join(f"{kind} {n}" if sev == "error" else f"{kind} {n} (warning)"
                               for (sev, kind), n in self.kinds.most_common())
            lines.append(f"问题统计 issues by kind: {counts}")
        return lines

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> Report:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
