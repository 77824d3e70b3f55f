"""The router on the labelled set: every held-out escalation must be caught."""

from bot.core.escalation_classifier import escalation_signal, load_model
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


def test_ai_questions_without_personal_data_are_rarely_escalated_on_the_held_out_split(embedder):
    near_ai = [r for r in ROWS if r["split"] == "heldout" and r["kind"] == "near-miss-ai"]
    vectors = embedder.encode([r["question"] for r in near_ai])
    escalated = [r["question"] for r, v in zip(near_ai, vectors) if escalation_signal(r["question"], v).escalate]
    assert len(near_ai) >= 20
    assert len(escalated) / len(near_ai) <= 0.25, escalated  # was 12 of 20 before the gates


def test_every_escalation_in_the_eval_cases_is_still_caught(embedder):
    from tests.eval_scoring import load_cases

    cases = [
        c
        for name in (
            "tuning.jsonl",
            "heldout.jsonl",
            "heldout_v2.jsonl",
            "heldout_v3.jsonl",
            "heldout_v4.jsonl",
            "heldout_v5.jsonl",
            "heldout_v6.jsonl",
            "bulletin_blind.jsonl",
        )
        for c in load_cases(DATA.parent / "eval_cases" / name)
        if c["route"] == "escalate"
    ]
    vectors = embedder.encode([c["question"] for c in cases])
    missed = [c["question"] for c, v in zip(cases, vectors) if not escalation_signal(c["question"], v).escalate]
    assert len(cases) >= 100 and missed == []


def test_the_blind_sets_misses_are_caught_and_their_public_writing_is_not_escalated(embedder):
    # heldout_v6 z126 and bulletin_blind b087, missed when those sets were reported (fixed after):
    # an AI meeting recap of 1:1s about health, and SAR bundles, are personal data. b089, b096 and
    # z188, escalated then: a press release or web page about a service names no one's data.
    cases = {
        "teams premium recap on my 1:1s with staff, they talk about health stuff, fine to switch on?": True,
        "thinking of using AI to go through SAR bundles and suggest redactions": True,
        "can i use chatgpt to draft a press release about our new childrens home beds": False,
        "ok to use ai to summarise the government's published announcement on childrens social care reform": False,
        "want copilot to help me write a web page on school admissions dates": False,
        "can copilot write a web page with photos of the children at the holiday club": True,
    }
    vectors = embedder.encode(list(cases))
    assert {q: escalation_signal(q, v).escalate for q, v in zip(cases, vectors)} == cases


def test_applicants_cvs_are_personal_data_and_a_job_advert_is_not(embedder):
    # heldout_v4 x055, missed when that set was reported: CVs are the applicants' personal data
    cases = {
        "recruitment - can I get AI to shortlist the CVs for the admin post": True,
        "Can ChatGPT rank the candidates we interviewed yesterday?": True,
        "Can Copilot help me write a job advert for a social worker post?": False,
    }
    vectors = embedder.encode(list(cases))
    assert {q: escalation_signal(q, v).escalate for q, v in zip(cases, vectors)} == cases


def test_a_name_the_redaction_took_out_still_counts_as_personal_data():
    # "…the home visit to Mr Okafor" reaches the router as "…to [name]": a person was named
    signal = escalation_signal("can Copilot write up my notes from the meeting with [name] yesterday")
    assert signal.escalate and "[name]" in signal.personal_terms
    assert not escalation_signal("Can ChatGPT tidy the [draft] agenda?").escalate  # not a placeholder


def test_weak_personal_terms_count_only_about_people(embedder):
    cases = {
        "Can Copilot draft the minutes of a case review about a family?": True,
        "Can I upload photos of service users to an AI image tool?": True,
        "Can I give ChatGPT the names of the people in my team to plan a rota?": True,
        "Can Gemini draft a letter if I paste in the applicant's name and home address?": True,
        "Can I ask Copilot to summarise the published minutes of a Cabinet meeting?": False,
        "Can Copilot suggest alt text for photos of our new bridge on the website?": False,
        "Can I use Gemini to brainstorm names for our new recycling campaign?": False,
    }
    vectors = embedder.encode(list(cases))
    got = {q: escalation_signal(q, v).escalate for q, v in zip(cases, vectors)}
    assert got == cases


def test_a_policy_lookup_about_ai_is_answered_not_handed_over(assistant):
    from bot.core.records import Route

    for question in (
        "What does the policy say about AI?",
        "Which policy does any use of AI have to comply with?",
    ):
        answer = assistant.answer(question)
        assert answer.route is Route.ANSWER, question
        assert "Generative Artificial Intelligence" in answer.text or "Information Governance" in answer.text


def test_writing_for_the_public_about_a_service_is_not_personal_data_but_people_in_it_are(embedder):
    # A service named as the subject of a press release, speech, announcement or newsletter is no
    # one's personal data (issue 20: the children's homes press release was handed to IG).
    cases = {
        "Can I use Copilot to draft a press release about the new children's homes?": False,
        "Can I use ChatGPT to write a speech for the council leader?": False,
        "Can I use AI to write a public announcement about the new children's homes?": False,
        "Can I use Copilot to write a newsletter article about children's social care reform?": False,
        "Can I use ChatGPT to write a speech about our children's homes investment?": False,
        "Can I use ChatGPT to write a press release about a child who was adopted?": True,
        "Can I use Copilot to write a press release about the family who complained?": True,
        "Can I use Copilot to write a newsletter item with quotes from residents of our children's homes?": True,
        "Can I use AI to write a speech for the children's services awards using case studies of care leavers?": True,
        "Can I use speech-to-text to write up interviews with children?": True,
        "Can Copilot summarise the case notes from our children's homes?": True,  # not writing for the public
    }
    vectors = embedder.encode(list(cases))
    assert {q: escalation_signal(q, v).escalate for q, v in zip(cases, vectors)} == cases
