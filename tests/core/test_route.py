"""The router on the labelled set: every held-out escalation must be caught."""

from bot.core.route import escalation_signal, load_model
from bot.core.router_train import evaluate, load_rows
from tests.conftest import DATA

ROWS = load_rows(DATA / "router_questions.jsonl")


def test_heldout_recall_is_one_and_precision_is_reported(embedder, record_property):
    heldout = [r for r in ROWS if r["split"] == "heldout"]
    score, wrong = evaluate(heldout, embedder, load_model())
    record_property("router_heldout", score.as_dict())
    print("router held-out:", score.as_dict())
    missed = [r["question"] for r in wrong if r["label"] == "escalate"]
    assert missed == [] and score.recall == 1.0
    assert score.precision > 0.5  # the classifier must not just escalate everything


def test_model_was_fitted_on_train_only():
    assert "split=train" in load_model().fitted_on


def test_rules_alone_explain_a_clear_case():
    signal = escalation_signal("Can I paste case notes into ChatGPT?")
    assert signal.escalate and "chatgpt" in signal.ai_terms and "case notes" in signal.personal_terms


def test_misspelt_product_names_still_count_as_ai():
    assert "copilot" in escalation_signal("is copliot ok for summarising carer assessments").ai_terms
