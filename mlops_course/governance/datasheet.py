"""Datasheets for datasets (Gebru et al.) generated as Markdown, with the composition computed.

Gebru et al. propose that every dataset ship with answers to questions in seven sections
(:data:`SECTIONS`): motivation, composition, collection process, preprocessing/cleaning/labeling,
uses, distribution and maintenance. :data:`QUESTIONS` holds a selection of the paper's questions
per section. The *composition* answers that can be measured are measured
(:func:`composition_facts`): number of instances, columns with their catalog classification,
missing values, and the distribution of every protected attribute — so the datasheet cannot
claim a balance the data does not have.

References
----------
T. Gebru, J. Morgenstern, B. Vecchione, J. Wortman Vaughan, H. Wallach, H. Daumé III,
K. Crawford, "Datasheets for Datasets", Communications of the ACM 64(12), 2021, 86-92
(arXiv:1803.09010).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mlops_course._validation import check_choice
from mlops_course.governance.catalog import CatalogEntry
from mlops_course.governance.modelcard import markdown_table
from mlops_course.governance.quality import as_frame

__all__ = ["SECTIONS", "QUESTIONS", "composition_facts", "Datasheet"]

SECTIONS: tuple[str, ...] = (
    "Motivation", "Composition", "Collection Process", "Preprocessing/Cleaning/Labeling", "Uses",
    "Distribution", "Maintenance",
)

QUESTIONS: dict[str, tuple[str, ...]] = {
    "Motivation": ("For what purpose was the dataset created?", "Who created the dataset and who funded it?"),
    "Composition": ("What do the instances represent?", "How many instances are there?",
                    "Is any information missing from individual instances?",
                    "Does the dataset identify any subpopulations (e.g., by age, gender)?",
                    "Does the dataset contain data that might be considered sensitive?"),
    "Collection Process": ("How was the data associated with each instance acquired?",
                           "Were the individuals notified about the data collection, and did they consent?",
                           "Has an analysis of the potential impact on data subjects been conducted?"),
    "Preprocessing/Cleaning/Labeling": ("Was any preprocessing/cleaning/labeling of the data done?",
                                        "Was the raw data saved in addition to the preprocessed data?"),
    "Uses": ("Has the dataset been used for any tasks already?",
             "Are there tasks for which the dataset should not be used?"),
    "Distribution": ("Will the dataset be distributed to third parties?",
                     "Under what license or terms of use will it be distributed?"),
    "Maintenance": ("Who will be supporting/hosting/maintaining the dataset?",
                    "If the dataset relates to people, are there limits on the retention of the data?",
                    "Will the dataset be updated (e.g., to erase a person's data on request)?"),
}


def composition_facts(data: Any, entry: CatalogEntry | None = None,
                      protected: Sequence[str] = ()) -> dict[str, Any]:
    """Measured answers of the *Composition* section.

    Parameters
    ----------
    data : pandas.DataFrame or mapping of columns
        The dataset (anything :func:`~mlops_course.governance.quality.as_frame` accepts).
    entry : CatalogEntry or None, default None
        Its catalog entry, for the column classifications (``"uncatalogued"`` without one).
    protected : sequence of str, default ()
        Protected attributes whose value shares are reported.

    Returns
    -------
    dict
        ``instances``, ``columns`` (list of ``[column, classification, missing fraction]``) and
        ``subpopulations`` (``attribute -> {value: fraction}``, sorted by value).

    Raises
    ------
    ValueError
        If a protected attribute is not a column.
    """
    df = as_frame(data)
    unknown = [p for p in protected if p not in df.columns]
    if unknown:
        raise ValueError(f"protected attributes {unknown} are not columns of the data")
    classes = dict(entry.columns) if entry is not None else {}
    columns = [[c, classes.get(c, "uncatalogued"), float(df[c].isna().mean())] for c in df.columns]
    subpops = {p: {str(k): float(v) for k, v in sorted(df[p].astype(str).value_counts(normalize=True).items())}
               for p in protected}
    return {"instances": len(df), "columns": columns, "subpopulations": subpops}


@dataclass
class Datasheet:
    """A datasheet: answers per section (``section -> {question: answer}``) + measured composition.

    Parameters
    ----------
    name : str
        Name of the dataset.
    answers : dict, default {}
        ``section -> {question: answer}``.
    composition : dict, default {}
        Measured facts from :func:`composition_facts`.

    Examples
    --------
    >>> sheet = Datasheet("loans")
    >>> sheet.answer("Motivation", "For what purpose was the dataset created?", "credit scoring")
    >>> "Motivation" in sheet.unanswered()
    True
    """

    name: str
    answers: dict[str, dict[str, str]] = field(default_factory=dict)
    composition: dict[str, Any] = field(default_factory=dict)

    def answer(self, section: str, question: str, text: str) -> None:
        """Record an answer (``section`` must be one of :data:`SECTIONS`)."""
        check_choice("section", section, SECTIONS)
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"the answer to {question!r} must be a non-empty str")
        self.answers.setdefault(section, {})[question] = text

    def measure(self, data: Any, entry: CatalogEntry | None = None, protected: Sequence[str] = ()) -> None:
        """Fill the composition facts from the data (see :func:`composition_facts`)."""
        self.composition = composition_facts(data, entry, protected)

    def unanswered(self) -> dict[str, list[str]]:
        """``section -> questions of`` :data:`QUESTIONS` without an answer (composition facts count
        as answers to "How many instances…", "missing…" and "subpopulations…")."""
        measured = set()
        if self.composition:
            measured = {QUESTIONS["Composition"][1], QUESTIONS["Composition"][2]}
            if self.composition.get("subpopulations"):
                measured.add(QUESTIONS["Composition"][3])
        out = {}
        for section in SECTIONS:
            todo = [q for q in QUESTIONS[section] if q not in self.answers.get(section, {}) and q not in measured]
            if todo:
                out[section] = todo
        return out

    def to_markdown(self) -> str:
        """The datasheet as Markdown; unanswered questions are listed as such."""
        out = [f"# Datasheet: {self.name}"]
        for section in SECTIONS:
            out.append(f"## {section}")
            given: Mapping[str, str] = self.answers.get(section, {})
            for q in QUESTIONS[section]:
                out.append(f"- **{q}** {given.get(q, '*unanswered*')}")
            for q, a in given.items():
                if q not in QUESTIONS[section]:
                    out.append(f"- **{q}** {a}")
            if section == "Composition" and self.composition:
                c = self.composition
                out.append(f"\n{c['instances']} instances.\n")
                out.append(markdown_table(c["columns"], ["column", "classification", "missing"]))
                for attr, dist in c["subpopulations"].items():
                    out.append(f"\nSubpopulations by **{attr}**: "
                               + ", ".join(f"{k} {v:.1%}" for k, v in dist.items()))
        return "\n\n".join(out).replace("\n\n- ", "\n- ") + "\n"
