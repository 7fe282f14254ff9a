"""Writes the .xlsx fixtures beside this file from the CSV ones, the way each tool's Excel
download lays them out. Run ``python tests/connectors/surveys/make_xlsx.py`` after editing a CSV.

What differs from the CSVs is what Excel carries and CSV cannot: numbers stay numbers (SurveyMonkey
respondent ids, Qualtrics progress and duration, LimeSurvey ids), Google Forms' Timestamp is a
date cell, SurveyMonkey merges a question's header cell over its sub-columns, and sheets have the
tools' names (Google Forms adds a second sheet that is not responses).
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import openpyxl
from openpyxl.utils import get_column_letter

HERE = Path(__file__).parent


def _number(value: str) -> object:
    return int(value) if value.isdigit() else value


def _gf_time(value: str) -> object:
    return datetime.strptime(value, "%m/%d/%Y %H:%M:%S") if value else value


# file stem → (sheet name, per-column converters by header name)
LAYOUTS: dict[str, tuple[str, dict[str, Callable[[str], object]]]] = {
    "typeform": ("Sheet1", {}),
    "surveymonkey": ("Sheet", {"Respondent ID": _number, "Collector ID": _number}),
    "google_forms": ("Form Responses 1", {"Timestamp": _gf_time}),
    "qualtrics": ("Invoicing survey", {"Progress": _number, "Duration (in seconds)": _number}),
    "qualtrics_legacy": ("Sheet1", {"V7": _number, "V10": _number}),
    "limesurvey": ("results-survey482913", {"Response ID": _number, "Last page": _number}),
    "plain": ("Sheet1", {}),
}


def write(stem: str) -> Path:
    sheet_name, converters = LAYOUTS[stem]
    with (HERE / f"{stem}.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = sheet_name
    names = rows[0]
    header_rows = {"qualtrics": 3, "qualtrics_legacy": 2, "surveymonkey": 2}.get(stem, 1)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            name = names[c - 1] if c - 1 < len(names) else ""
            convert = converters.get(name) if r > header_rows else None
            cell_value = convert(value) if convert else value
            if cell_value != "":
                sheet.cell(row=r, column=c, value=cell_value)
    if stem == "surveymonkey":  # a question over several answer columns is one merged cell
        for c in range(1, len(names)):
            if names[c - 1] and not names[c]:
                start = get_column_letter(c)
                end = get_column_letter(c + 1)
                sheet.merge_cells(f"{start}1:{end}1")
    if stem == "google_forms":
        notes = book.create_sheet("Notes")
        notes.append(["Shared with the marketing team"])
        notes.append(["Owner", "growth@example.com"])
    path = HERE / f"{stem}.xlsx"
    book.save(path)
    return path


if __name__ == "__main__":
    for stem in LAYOUTS:
        print(write(stem))
