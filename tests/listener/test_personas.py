"""The personas file: validation errors that name the file and key path, and the version hash."""

from __future__ import annotations

from pathlib import Path

import pytest

from listener.errors import ConfigError
from listener.personas import PersonaSet, load_personas

FIXTURE = Path(__file__).parent.parent / "fixtures" / "personas.yaml"

BLOCK = """\
synonyms:
  invoice: [bill]
personas:
  - id: solo-owner
    name: Sam
    segment: {industry: services, size: "1"}
    pains:
      - id: late-payments
        label: Customers pay late
        phrases: [chase late payment, unpaid invoice]
        keywords: [overdue]
"""

# The same meaning: flow style, other key order, comments, padding, defaults spelled out.
SAME_MEANING = """\
# a comment that changes nothing
personas:
- pains:
  - keywords: ["overdue"]
    phrases:
    - "  chase late payment "
    - unpaid invoice
    label: "Customers pay late"
    id: late-payments
  aspirations: []
  negative: false
  segment:
    size: '1'
    industry: services
  name: Sam
  id: solo-owner
synonyms: {invoice: [bill]}
"""


def write(tmp_path: Path, text: str, name: str = "personas.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_personas(path)
    return info.value.problems


def test_fixture_loads_with_a_negative_persona() -> None:
    personas = load_personas(FIXTURE)
    assert [p.id for p in personas.personas] == [
        "solo-owner",
        "bookkeeper",
        "finance-lead",
        "enterprise-procurement",
    ]
    assert [p.negative for p in personas.personas] == [False, False, False, True]
    assert personas.synonyms["invoice"] == ("bill",)
    assert personas.get("bookkeeper").pains[0].id == "reconciliation"


def test_same_meaning_in_another_layout_has_the_same_version(tmp_path: Path) -> None:
    first = load_personas(write(tmp_path, BLOCK, "a.yaml"))
    second = load_personas(write(tmp_path, SAME_MEANING, "b.yaml"))
    assert first == second
    assert first.version == second.version
    assert len(first.version) == 12


def test_a_changed_phrase_changes_the_version(tmp_path: Path) -> None:
    before = load_personas(write(tmp_path, BLOCK, "a.yaml"))
    after = load_personas(
        write(tmp_path, BLOCK.replace("unpaid invoice", "unpaid invoices"), "b.yaml")
    )
    assert before.version != after.version


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("invoice: [bill]", "invoice: [bill, statement]"),  # a synonym
        ("keywords: [overdue]", "keywords: [overdue, arrears]"),  # a keyword
        ("name: Sam", "name: Samantha"),  # even a display name is part of the meaning
    ],
)
def test_any_content_change_changes_the_version(tmp_path: Path, old: str, new: str) -> None:
    assert old in BLOCK
    before = load_personas(write(tmp_path, BLOCK, "a.yaml"))
    after = load_personas(write(tmp_path, BLOCK.replace(old, new), "b.yaml"))
    assert before.version != after.version


def test_the_version_does_not_depend_on_the_process() -> None:
    # Stored with every evidence row, so it must be a pure function of the content.
    data = {
        "personas": [
            {
                "id": "p",
                "name": "P",
                "pains": [{"id": "a", "label": "A", "phrases": ["x y"]}],
            }
        ]
    }
    assert PersonaSet.model_validate(data).version == PersonaSet.model_validate(data).version
    assert load_personas(FIXTURE).version == load_personas(FIXTURE).version


def test_bad_attribute_id_names_file_and_key_path(tmp_path: Path) -> None:
    text = BLOCK.replace(
        "        keywords: [overdue]\n",
        "        keywords: [overdue]\n"
        "      - id: Manual Invoicing\n"
        "        label: Invoicing by hand\n"
        "        phrases: [send invoice manually]\n",
    )
    path = write(tmp_path, text)
    found = problems(path)
    assert len(found) == 1
    assert found[0].startswith(f"{path}: personas[0].pains[1].id: ")
    assert "'Manual Invoicing'" in found[0]


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = """\
personas:
  - id: solo-owner
    name: ""
    pains:
      - id: late-payments
        label: Customers pay late
        phrases: []
        colour: red
"""
    path = write(tmp_path, text)
    found = problems(path)
    paths = sorted(line.split(": ")[1] for line in found)
    assert paths == [
        "personas[0].name",
        "personas[0].pains[0].colour",
        "personas[0].pains[0].phrases",
    ]
    assert all(line.startswith(str(path)) for line in found)


def test_blank_phrase_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, BLOCK.replace("unpaid invoice", "'   '"))
    (line,) = problems(path)
    assert "personas[0].pains[0].phrases" in line
    assert "must not be blank" in line


def test_duplicate_ids_are_named(tmp_path: Path) -> None:
    persona = BLOCK.split("personas:\n", 1)[1]
    path = write(tmp_path, BLOCK + persona)
    (line,) = problems(path)
    assert "persona ids must be unique: solo-owner" in line

    twice = BLOCK.replace(
        "        keywords: [overdue]\n",
        "        keywords: [overdue]\n"
        "    aspirations:\n"
        "      - id: late-payments\n"
        "        label: Paid on time\n"
        "        phrases: [get paid on time]\n",
    )
    (line,) = problems(write(tmp_path, twice))
    assert line.startswith(f"{tmp_path / 'personas.yaml'}: personas[0]: ")
    assert "attribute ids must be unique within a persona: late-payments" in line


def test_persona_without_attributes_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "personas:\n  - id: empty\n    name: Nobody\n")
    (line,) = problems(path)
    assert "personas[0]" in line
    assert "at least one pain or aspiration" in line


def test_missing_file_says_how_to_fix(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"
    with pytest.raises(ConfigError) as info:
        load_personas(path)
    assert info.value.problems == [f"{path}: personas file not found"]
    assert info.value.hint is not None
    assert "personas:" in info.value.hint


def test_invalid_yaml_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "personas: [\n  - id: x\n")
    (line,) = problems(path)
    assert line.startswith(f"{path}: not valid YAML")


@pytest.mark.parametrize("text", ["", "# only a comment\n"])
def test_empty_file_asks_for_personas(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    (line,) = problems(path)
    assert line.startswith(f"{path}: personas: ")
    assert "required" in line.lower()


def test_top_level_list_is_reported_at_the_top(tmp_path: Path) -> None:
    path = write(tmp_path, "- id: solo-owner\n")
    (line,) = problems(path)
    assert line.startswith(f"{path}: <top>: ")


def test_an_invalid_persona_is_not_also_reported_as_a_missing_one(tmp_path: Path) -> None:
    # pydantic's min_length used to add "personas: Tuple should have at least 1 item" here.
    path = write(tmp_path, "personas:\n  - id: empty\n    name: Nobody\n")
    assert problems(path) == [
        f"{path}: personas[0]: a persona needs at least one pain or aspiration"
    ]


def test_an_empty_persona_list_is_one_clear_problem(tmp_path: Path) -> None:
    path = write(tmp_path, "personas: []\n")
    assert problems(path) == [f"{path}: personas: the file needs at least one persona"]
