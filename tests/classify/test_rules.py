"""The classification decisions, one behaviour per test (DESIGN §3.2 and docs/classification.md)."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest

from transforms import classify
from transforms.classify import CLASSIFIER_VERSION, LABEL_COLUMNS, classify_postings
from transforms.role_card import RoleCardError, parse_role_card
from transforms.text import html_to_text

# --- scope: only what the posting asks the hire to do ------------------------------------------


def test_nice_to_have_section_does_not_count(classify_one) -> None:
    out = classify_one(
        text="Responsibilities\n- Fine-tune language models on our data\n\n"
        "Nice to have\n- Experience deploying models with Kubernetes\n- Model monitoring with Arize\n"
    )
    assert out["tags"] == ["routine_adaptation"]
    assert out["routine_only"] is True


@pytest.mark.parametrize(
    "sentence",
    [
        "Experience deploying models to production is a plus.",
        "Bonus points if you have been on an on-call rotation.",
        "Ideally you have set up model monitoring before.",
        "MLOps experience preferred.",
        "Deployment is handled by our platform team.",
    ],
)
def test_optional_or_delegated_sentences_do_not_count(classify_one, sentence: str) -> None:
    out = classify_one(text=f"What you'll do\n- Write prompts for our support assistant\n{sentence}")
    assert out["tags"] == ["routine_adaptation"], out["tags"]


@pytest.mark.parametrize(
    "sentence",
    [
        "There is no on-call for this role.",
        "You will not need to deploy models.",
        "We don't do on-call.",
        "This is not a research position.",
        "You will extend our tooling rather than publish research papers.",
    ],
)
def test_negated_duties_do_not_count(classify_one, sentence: str) -> None:
    out = classify_one(text=f"You will build evaluation sets for our ranking models. {sentence}")
    assert out["tags"] == ["evaluation"], out["tags"]


def test_not_only_is_not_a_negation(classify_one) -> None:
    out = classify_one(text="You will not only train models but also deploy them to production.")
    assert "deployment" in out["tags"]


def test_company_marketing_is_not_a_duty(classify_one) -> None:
    out = classify_one(
        html="<p>Acme is the leading platform for evaluating and monitoring LLM apps. "
        "Our platform monitors billions of requests and is trusted by 500 companies.</p>"
        "<h3>What you'll do</h3><ul><li>Build dashboards for our sales team</li></ul>"
    )
    assert out["tags"] == []
    assert out["production_ownership"] is False


def test_the_same_words_as_a_duty_do_count(classify_one) -> None:
    out = classify_one(
        html="<h3>What you'll do</h3><ul><li>Monitor our platform and set up alerting on drift</li>"
        "<li>Evaluate new checkpoints against our benchmark suite</li></ul>"
    )
    assert out["tags"] == ["evaluation", "monitoring"]


def test_about_us_benefits_and_eeo_sections_are_dropped(classify_one) -> None:
    out = classify_one(
        html="<h2>About us</h2><p>We deploy AI to thousands of hospitals and publish at NeurIPS.</p>"
        "<h2>About the role</h2><p>You'll run A/B tests on our pricing models.</p>"
        "<h2>Benefits</h2><ul><li>A second monitor for your home office</li></ul>"
        "<h2>Equal opportunity</h2><p>We evaluate applicants without regard to race.</p>"
    )
    assert out["tags"] == ["evaluation"]


def test_about_company_heading_in_plain_text(classify_one) -> None:
    out = classify_one(
        text="About Vantor\nVantor deploys models that monitor every shipment.\n\n"
        "About the job\nYou'll own on-call for the ETA service."
    )
    assert out["tags"] == ["failure_response"]


def test_html_and_plain_text_give_the_same_labels(classify_one) -> None:
    html = (
        "<p><strong>About Tern</strong></p><p>Our platform evaluates forecasts.</p>"
        "<p><strong>Responsibilities</strong></p><ul><li>Ship models to production</li>"
        "<li>Write data validation checks</li></ul><p><strong>Nice to have</strong></p>"
        "<ul><li>Publications at ICML</li></ul>"
    )
    text = html_to_text(pl.Series([html])).item()
    assert (
        classify_one(html=html)["tags"] == classify_one(text=text)["tags"] == ["data_quality", "deployment"]
    )


def test_title_names_a_duty(classify_one) -> None:
    assert classify_one(title="ML Engineer, Model Evaluation", text="Join us.")["tags"] == ["evaluation"]
    assert classify_one(title="MLOps Engineer", text="Join us.")["tags"] == ["deployment"]


def test_everyday_uses_of_duty_words(classify_one) -> None:
    out = classify_one(
        title="Marketing Analyst",
        text="Monitor campaign performance and competitors. Work with user research on surveys.",
    )
    assert out["tags"] == []


# --- derived flags ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "production", "routine_only"),
    [
        ("Fine-tune models and integrate the OpenAI API.", False, True),
        ("Fine-tune models and deploy them to production.", True, False),
        ("Fine-tune models and publish the results at NeurIPS.", False, False),
        ("Write clean code.", False, False),
    ],
)
def test_production_ownership_and_routine_only(
    classify_one, text: str, production: bool, routine_only: bool
) -> None:
    out = classify_one(text=text)
    assert out["production_ownership"] is production
    assert out["routine_only"] is routine_only


# --- seniority ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        ("Senior ML Engineer", "1+ years of experience.", "senior"),  # title outranks years
        ("Junior Data Scientist", "5+ years of experience.", "entry"),
        ("ML Engineer", "5+ years of experience in ML.", "senior"),  # untitled, 5+ years
        ("ML Engineer", "At least five years of experience.", "senior"),
        ("ML Engineer", "3-5 years of experience.", "mid"),
        ("ML Engineer", "0-2 years of experience.", "entry"),
        ("ML Engineer", "Two years of professional experience.", "mid"),
        ("ML Engineer", "Less than 2 years of experience.", "entry"),
        ("ML Engineer", "Build models.", "mid"),  # neither level word nor years
        ("ML Engineer", "3+ years required. 7 years is a plus.", "mid"),  # optional years do not count
        ("ML Engineer", "New grads welcome.", "entry"),
        ("ML Engineer", "No prior experience is required.", "entry"),
        ("ML Engineer (Summer 2025)", "This 12-week internship starts in June.", "intern"),
        ("Machine Learning Intern", "Deploy models to production. 5+ years preferred.", "intern"),
        ("Data Science Co-op", "", "intern"),
        ("Machine Learning Engineer I", "", "entry"),
        ("Machine Learning Engineer II", "6+ years of experience.", "mid"),
        ("Machine Learning Engineer III", "", "senior"),
        ("Software Engineer (L3)", "", "entry"),
        ("Software Engineer (L4)", "", "mid"),
        ("Software Engineer, L5", "", "senior"),
        ("Software Engineer L6", "", "lead"),
        ("Software Engineer L7", "", "lead"),
        ("Staff ML Engineer", "2 years of experience.", "lead"),
        ("Principal Data Scientist", "", "lead"),
        ("Lead AI Engineer", "", "lead"),
        ("Engineering Manager, ML", "", "lead"),
        ("Director of Data Science", "", "lead"),
        ("Head of Machine Learning", "", "lead"),
        ("Associate Data Scientist", "", "entry"),
        ("Sr. Machine Learning Engineer", "", "senior"),
        ("AI Engineer", "Founded 20 years ago, our company builds software.", "mid"),
    ],
)
def test_seniority(classify_one, title: str, text: str, expected: str) -> None:
    assert classify_one(title=title, text=text)["seniority"] == expected


# --- role and SOC ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "role_id", "soc_code"),
    [
        ("Senior Machine Learning Engineer", "ai_ml_engineer", "15-2051"),
        ("Data Scientist, Machine Learning", "ai_ml_engineer", "15-2051"),  # priority 10 beats 20
        ("Senior Data Scientist", "data_scientist", "15-2051"),
        ("AI Sales Engineer", None, None),  # card exclude_patterns
        ("Product Manager, AI Platform", None, None),  # non-engineering function
        ("AI Trainer - Math (Freelance)", None, None),
        ("Backend Software Engineer", None, "15-1252"),
        ("Site Reliability Engineer", None, "15-1252"),
        ("Research Scientist", None, "15-1221"),
        ("Statistician", "data_scientist", "15-2051"),
        ("Operations Manager", None, None),
    ],
)
def test_role_and_soc(classify_one, title: str, role_id: str | None, soc_code: str | None) -> None:
    out = classify_one(title=title, text="")
    assert (out["role_id"], out["soc_code"]) == (role_id, soc_code)


def test_cards_are_tried_in_priority_order(classify_one) -> None:
    base = {
        "title": "X",
        "soc_codes": ["15-1221"],
        "published_total": 40,
        "components": {
            "automation_resistance": {"baseline": 10, "max": 30},
            "structural_moat": {"baseline": 10, "max": 30},
            "demand": {"baseline": 20, "max": 30},
        },
    }
    late = parse_role_card(
        {**base, "id": "late", "match": {"priority": 50, "title_patterns": ["\\bwidget\\b"]}}
    )
    early = parse_role_card({**base, "id": "early", "match": {"priority": 5, "title_patterns": ["widget"]}})
    frame = pl.DataFrame({"title": ["Widget Engineer"]})
    assert classify_postings(frame, [late, early])["role_id"].item() == "early"


def test_card_pattern_the_regex_engine_cannot_run_is_a_card_error() -> None:
    card = parse_role_card(
        {
            "id": "lookahead",
            "title": "X",
            "soc_codes": ["15-2051"],
            "published_total": 40,
            "match": {"title_patterns": ["engineer(?=ing)"]},
            "components": {
                "automation_resistance": {"baseline": 10, "max": 30},
                "structural_moat": {"baseline": 10, "max": 30},
                "demand": {"baseline": 20, "max": 30},
            },
        },
        origin="roles/lookahead.toml",
    )
    with pytest.raises(RoleCardError, match=r"roles/lookahead.toml.*engineer\(\?=ing\)"):
        classify_postings(pl.DataFrame({"title": ["x"]}), [card])


# --- salary and remote ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The base salary range is $185,000 - $225,000.", (185000.0, 225000.0, "USD", "year")),
        ("Pay: $150K-$180K + equity", (150000.0, 180000.0, "USD", "year")),
        ("Salary £28k - £32k. Office-based.", (28000.0, 32000.0, "GBP", "year")),
        ("Salary: €65.000 - €80.000 per year.", (65000.0, 80000.0, "EUR", "year")),
        ("$45 - $55 per hour, plus housing.", (45.0, 55.0, "USD", "hour")),
        ("6-month contract. $90-$110/hr.", (90.0, 110.0, "USD", "hour")),
        ("Compensation: 90,000-110,000 EUR", (90000.0, 110000.0, "EUR", "year")),
        ("Starting salary: $200,000 plus bonus.", (200000.0, 200000.0, "USD", "year")),
        (
            "We process $2bn a month; quota of $1.2M ARR. Range $120k to $140k.",
            (120000.0, 140000.0, "USD", "year"),
        ),
        ("Great benefits and a 401(k) match.", (None, None, None, None)),
    ],
)
def test_salary_from_text(classify_one, text: str, expected: tuple) -> None:
    out = classify_one(text=text)
    assert (out["salary_min"], out["salary_max"], out["salary_currency"], out["salary_interval"]) == expected


def test_structured_salary_and_remote_win_over_the_text(classify_one) -> None:
    out = classify_one(
        text="Salary $100,000 - $120,000. This role is fully remote.",
        salary_min=130000.0,
        salary_max=150000.0,
        salary_currency="USD",
        salary_interval="year",
        remote=False,
    )
    assert (out["salary_min"], out["salary_max"], out["remote"]) == (130000.0, 150000.0, False)


@pytest.mark.parametrize(
    ("location", "text", "expected"),
    [
        ("Remote (US)", "", True),
        ("Boston, MA (Hybrid)", "", False),
        ("London, UK", "Hybrid: three days a week in our office.", False),
        ("Berlin", "This role is fully remote.", True),
        ("Austin, TX", "We are a remote-first company; this role is hybrid.", False),
        ("Austin, TX", "Build models.", None),
    ],
)
def test_remote(classify_one, location: str, text: str, expected: bool | None) -> None:
    assert classify_one(text=text, location=location)["remote"] is expected


# --- frame contract ----------------------------------------------------------------------------


def test_output_keeps_every_input_column_and_adds_the_labels(cards) -> None:
    frame = pl.DataFrame(
        {
            "posting_key": ["a", "b"],
            "title": ["ML Engineer", None],
            "company": ["Acme", None],
            "description_html": ["<p>Deploy models</p>", None],
            "description_text": [None, None],
            "custom": [1, 2],
        }
    )
    out = classify_postings(frame.lazy(), cards)
    assert out.columns[: frame.width] == frame.columns
    assert set(LABEL_COLUMNS) <= set(out.columns)
    assert {"remote", "salary_min", "salary_max", "salary_currency", "salary_interval"} <= set(out.columns)
    assert out["posting_key"].to_list() == ["a", "b"]
    assert out["classifier_version"].to_list() == [CLASSIFIER_VERSION] * 2
    assert out.schema["tags"] == pl.List(pl.String)
    assert out.row(1, named=True)["tags"] == [] and out.row(1, named=True)["seniority"] == "mid"


def test_only_title_is_required(cards) -> None:
    with pytest.raises(ValueError, match="title"):
        classify_postings(pl.DataFrame({"description_text": ["x"]}), cards)
    assert (
        classify_postings(pl.DataFrame({"title": ["Data Scientist"]}), cards)["role_id"].item()
        == "data_scientist"
    )


def test_empty_frame(cards) -> None:
    out = classify_postings(pl.DataFrame({"title": []}, schema={"title": pl.String}), cards)
    assert out.height == 0 and set(LABEL_COLUMNS) <= set(out.columns)


def test_large_frames_are_classified_in_parallel_slices_with_rows_in_order(cards, monkeypatch) -> None:
    monkeypatch.setattr(classify, "SLICE_ROWS", 7)
    monkeypatch.setattr(classify, "PARALLEL_MIN_ROWS", 10)
    for n in (9, 10, 13, 50):  # one piece; two slices (one per core); 7-row slices
        titles = [f"ML Engineer {i}" if i % 3 else f"Senior Data Scientist {i}" for i in range(n)]
        out = classify_postings(pl.DataFrame({"title": titles}), cards)
        assert out["title"].to_list() == titles
        assert out["seniority"].to_list() == ["senior" if i % 3 == 0 else "mid" for i in range(n)]


def test_version_is_semver_plus_a_hash_of_the_rule_tables(monkeypatch) -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+\+[0-9a-f]{8}", CLASSIFIER_VERSION)
    assert classify._rules_fingerprint() == CLASSIFIER_VERSION.split("+")[1]
    from transforms import tags

    monkeypatch.setitem(tags.TAG_PATTERNS, "research", tags.TAG_PATTERNS["research"] + "|widgets")
    assert classify._rules_fingerprint() != CLASSIFIER_VERSION.split("+")[1]


def test_html_to_text_keeps_section_structure() -> None:
    html = (
        "<h2>About the role</h2><p>You will <b>deploy</b> models.</p><ul><li>Python</li><li>SQL &amp; dbt</li></ul>"
        "<p><strong>Benefits</strong></p><p>Health&nbsp;insurance</p>"
    )
    assert html_to_text(pl.Series([html, None])).to_list() == [
        "\n# About the role\nYou will deploy models.\n- Python\n- SQL & dbt\n# Benefits\nHealth insurance\n",
        None,
    ]
    assert isinstance(html_to_text(pl.col("x")), pl.Expr)


def test_classifier_is_vectorized() -> None:
    """No per-row Python in the classifier modules (the rules are whole-column kernels)."""
    sources = Path(classify.__file__).parent
    for name in ("classify", "scope", "tags", "seniority", "salary", "role_match", "text", "rewrite"):
        code = (sources / f"{name}.py").read_text()
        assert "map_elements" not in code and "map_batches" not in code and ".apply(" not in code, name
