"""Explaining automated decisions: a thin link to the XAI unit's counterfactual explanations.

GDPR Art. 22(1) gives a person the right not to be subject to a decision based solely on
automated processing that produces legal effects concerning them or similarly significantly affects
them. Such a decision is allowed only under an Art. 22(2) exception: (a) necessary for entering
into or performing a contract, (b) authorised by Union or Member State law that lays down suitable
safeguards, or (c) based on the person's explicit consent. In the contract and consent cases
(a) and (c), Art. 22(3) requires suitable safeguards, "at least the right to obtain human
intervention on the part of the controller, to express his or her point of view and to contest
the decision". Separately, Art. 13(2)(f), 14(2)(g) and 15(1)(h) require "meaningful information
about the logic involved". The word "explanation" appears only in Recital 71 ("to obtain an
explanation of the decision reached"), which is not binding.

Wachter et al. (2018) propose counterfactuals as one way to give "meaningful information about the
logic involved" (Art. 13(2)(f), 14(2)(g), 15(1)(h)); the text does not require them. A
*counterfactual explanation* — the smallest change of the applicant's features that would flip
the decision — can be given without opening the model (Wachter, Mittelstadt & Russell,
"Counterfactual explanations without opening the black box: automated decisions and the GDPR",
Harvard J. Law & Technology 31(2), 2018).

The implementation belongs to the explainable-AI unit (``mlops_course.explain.counterfactual``,
unit 06). This module only imports it lazily, so the compliance package does not depend on it;
:meth:`mlops_course.compliance.requests.Controller.decide` logs every adverse decision with a
``human_review`` flag, and the notebook of unit 03 points to unit 06 for the explanation itself.
"""
from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["COUNTERFACTUAL_MODULE", "counterfactual_module", "explanation_available"]

COUNTERFACTUAL_MODULE = "mlops_course.explain.counterfactual"


def counterfactual_module() -> ModuleType:
    """The XAI unit's counterfactual module, imported on first use.

    Raises
    ------
    ImportError
        If the explainable-AI unit is not installed (it lives in ``mlops_course.explain``).
    """
    try:
        return importlib.import_module(COUNTERFACTUAL_MODULE)
    except ImportError as exc:
        raise ImportError(f"{COUNTERFACTUAL_MODULE} is not available: counterfactual explanations are provided "
                          "by the explainable-AI unit (06)") from exc


def explanation_available() -> bool:
    """Whether :func:`counterfactual_module` can be imported."""
    try:
        counterfactual_module()
    except ImportError:
        return False
    return True
