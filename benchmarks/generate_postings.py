"""Synthetic job postings in the canonical §3.1 shape, for benchmarks.

`generate_postings(n, seed)` builds n postings of realistic length (300-900 words) and variety:
thousands of employers, many title shapes and levels, HTML (job-board sources) and plain text
(Hacker News style), sections in different orders and heading styles, company blurbs that talk
about evaluation and monitoring, duty bullets across every §3.2 tag, "nice to have" extras,
benefits and equal-opportunity boilerplate, salaries in structured fields or only in the text, and
first_seen dates spread over a year. It is deterministic for a given (n, seed).

Assembly is vectorized: sentences are drawn from a bank with numpy and concatenated by Polars, so
a million postings take well under a minute. `cached_postings(n, seed)` keeps the result as Parquet
under benchmarks/.cache/ so benchmarks do not pay for generation twice.

    python -m benchmarks.generate_postings --n 1000000
"""

from __future__ import annotations

import argparse
import itertools
import time
from pathlib import Path

import numpy as np
import polars as pl

CACHE_DIR = Path(__file__).resolve().parent / ".cache"
CHUNK = 100_000
COMPANY_TOKEN = "{C}"
TITLE_TOKEN = "{T}"
TARGET_WORDS = (320, 790)

_SYLLABLES = (
    "al ar bel bright cas cor dal del el en fen gran hal har iv jun kes lan lum mar mer nor oak "
    "or pel pine quin ral riv sal sil tal ter tid ul val ver wes wil xen yar zel bram cop fern "
    "glen holt kin ley mor pax rook sable stone tern thorn vale wren ash birch cedar drift"
).split()
_SUFFIXES = (
    "Labs",
    "AI",
    "Analytics",
    "Health",
    "Systems",
    "Software",
    "Bank",
    "Insurance",
    "Robotics",
    "Media",
    "Logistics",
    "Energy",
    "Retail",
    "Games",
    "Cloud",
    "Security",
    "Bio",
    "Foods",
    "Capital",
    "Mobility",
    "Learning",
    "Data",
    "Networks",
    "Commerce",
    "Group",
    "Technologies",
)
_DOMAINS = (
    "fraud detection",
    "demand forecasting",
    "search ranking",
    "recommendations",
    "credit risk",
    "medical imaging",
    "document understanding",
    "speech recognition",
    "ad targeting",
    "pricing",
    "supply chain",
    "customer support",
    "autonomous driving",
    "drug discovery",
    "content moderation",
    "route optimisation",
    "churn prediction",
    "anomaly detection",
    "machine translation",
    "robotics",
)
_TECH = (
    "Python",
    "PyTorch",
    "TensorFlow",
    "JAX",
    "Spark",
    "Kafka",
    "Airflow",
    "dbt",
    "Snowflake",
    "Kubernetes",
    "Docker",
    "Terraform",
    "AWS",
    "GCP",
    "Azure",
    "Go",
    "Scala",
    "Rust",
    "SQL",
    "Ray",
    "MLflow",
    "Databricks",
    "BigQuery",
    "Postgres",
    "Redis",
    "FastAPI",
    "Triton",
)
_CITIES = (
    "San Francisco, CA",
    "New York, NY",
    "Seattle, WA",
    "Austin, TX",
    "Boston, MA",
    "Chicago, IL",
    "Denver, CO",
    "Atlanta, GA",
    "Toronto, ON",
    "London, UK",
    "Berlin, Germany",
    "Paris, France",
    "Amsterdam, Netherlands",
    "Dublin, Ireland",
    "Bangalore, India",
    "Singapore",
    "Sydney, Australia",
    "Los Angeles, CA",
    "Washington, DC",
    "Pittsburgh, PA",
    "Remote",
    "Remote (US)",
    "Remote - Europe",
    "Hybrid - New York, NY",
    "Hybrid - London, UK",
)
_ROLES = (
    "Machine Learning Engineer",
    "ML Engineer",
    "AI Engineer",
    "Data Scientist",
    "Applied Scientist",
    "Research Scientist",
    "Research Engineer",
    "MLOps Engineer",
    "Software Engineer",
    "Backend Engineer",
    "Data Engineer",
    "Data Analyst",
    "Computer Vision Engineer",
    "NLP Engineer",
    "Product Manager",
    "Site Reliability Engineer",
    "Frontend Engineer",
    "Deep Learning Engineer",
    "Statistician",
    "Analytics Engineer",
)
_LEVELS = (
    "",
    "",
    "",
    "Senior ",
    "Senior ",
    "Staff ",
    "Principal ",
    "Lead ",
    "Junior ",
    "Associate ",
    "",
    "Sr. ",
    "Head of ",
    "",
)
_LEVEL_SUFFIX = ("", "", "", "", " II", " I", " III", " Intern", ", New Grad", " (Contract)")
_SPECIALTIES = (
    "",
    "",
    "",
    ", Ranking",
    ", Platform",
    ", Evaluation",
    ", Inference",
    ", Search",
    ", Ads",
    ", Trust & Safety",
)

_INTRO = (
    "{C} is the leading platform for {domain}, trusted by thousands of teams worldwide.",
    "Founded in {year}, {C} helps companies evaluate and monitor their {domain} models.",
    "At {C}, we build tools that make {domain} faster, safer and more reliable.",
    "Our platform monitors billions of events every day and our customers include many of the Fortune 500.",
    "{C} is a Series {series} company backed by leading investors.",
    "We're a team of {n} people on a mission to change how the world does {domain}.",
    "Our award-winning evaluation suite is used by researchers and enterprises alike.",
    "{C} builds software for {domain}, and our models are deployed in more than {n} countries.",
    "We believe great products come from small, empowered teams.",
    "Our research team publishes regularly at top conferences.",
    "Since {year}, {C} has grown into one of the most trusted names in {domain}.",
    "{C} provides an end-to-end platform to deploy, evaluate and monitor AI applications.",
)
_ROLE_INTRO = (
    "We are looking for a {T} to join our {domain} team.",
    "In this {T} role at {C}, you will work on problems that matter to millions of users.",
    "In this role you will partner with product, design and engineering to improve {domain}.",
    "You'll join a small team that owns {domain} end to end.",
    "This is a hands-on role for someone who enjoys both modeling and engineering.",
    "The {domain} team is growing and we need an engineer who can help us scale.",
    "Reporting to the Director of Engineering, you will shape how we approach {domain}.",
)
_DUTIES = (
    "Design, train and deploy models for {domain} using {tech}",
    "Ship models to production and own the serving stack",
    "Build and maintain inference services on {tech}",
    "Package models as containers and roll them out with canary releases",
    "Own CI/CD for machine learning pipelines",
    "Build evaluation harnesses and benchmark suites for new models",
    "Design offline metrics and run online A/B experiments",
    "Run error analysis and report where the model fails",
    "Define success metrics with product and analytics partners",
    "Set up alerting on model drift, latency and error rates",
    "Build dashboards to monitor model performance in production",
    "Track data freshness and prediction quality after every release",
    "Write data validation checks for upstream feeds in {tech}",
    "Clean and label training data and audit label quality",
    "Deduplicate training examples and fix logging bugs that corrupt features",
    "Participate in the on-call rotation for the {domain} platform",
    "Lead incident postmortems and drive the follow-up work",
    "Investigate production issues and find the root cause",
    "Fine-tune pretrained language models on our data",
    "Integrate the OpenAI API and other LLM providers into our product",
    "Write and iterate on prompts and retrieval pipelines",
    "Build baseline models to compare new approaches against",
    "Conduct research on novel methods for {domain} and publish at top venues",
    "Read the latest papers and prototype new algorithms",
    "Collaborate with engineers, designers and product managers",
    "Mentor junior engineers and review code",
    "Write clear technical documentation for the team",
    "Improve the performance and reliability of our {tech} pipelines",
    "Work with stakeholders to translate business problems into {domain} solutions",
    "Present results to leadership and help set the roadmap",
    "Own the roadmap for {domain} models from research to production",
    "Monitor feature pipelines and respond to alerts",
    "Build tooling that makes experimentation faster for the whole team",
    "Partner with data engineering on the quality of our training data",
    "Optimise inference latency and cost on GPUs",
    "Evaluate large language models on internal benchmarks",
    "Contribute to our open-source libraries",
    "Profile and speed up training jobs written in {tech}",
    "Help define the technical strategy for {domain}",
    "Automate retraining and rollback of models with {tech}",
)
_REQUIREMENTS = (
    "{years}+ years of experience in machine learning or software engineering",
    "{years}-{years2} years of industry experience",
    "Strong programming skills in {tech} and {tech2}",
    "Experience with {tech} and distributed systems",
    "BS, MS or PhD in computer science, statistics or a related field",
    "Solid understanding of statistics and experimental design",
    "Experience deploying models to production",
    "Excellent written and verbal communication skills",
    "Comfort working in a fast-paced, ambiguous environment",
    "A track record of shipping {domain} systems",
    "Familiarity with {tech} or similar tools",
    "At least {years} years of hands-on experience with {tech}",
    "Experience building data pipelines with {tech} and {tech2}",
    "Working knowledge of {tech} in production environments",
    "A degree in a quantitative field or equivalent practical experience",
    "Experience owning features from design through launch",
    "Ability to explain technical trade-offs to non-technical partners",
    "Hands-on experience with {domain} problems",
    "Experience writing well-tested, maintainable code",
    "Familiarity with cloud platforms such as AWS, GCP or Azure",
    "Experience with experiment tracking and model versioning",
    "A portfolio of projects that shows strong engineering judgement",
    "Minimum of {years} years in a similar role",
    "Knowledge of probability, linear algebra and optimisation",
)
_NICE = (
    "Experience with MLOps tooling such as {tech} or Kubeflow",
    "Publications at NeurIPS, ICML or ICLR",
    "Experience with on-call for production systems",
    "Familiarity with model monitoring tools",
    "Experience fine-tuning large language models",
    "Background in {domain}",
)
_BENEFITS = (
    "Competitive salary and meaningful equity",
    "Medical, dental and vision insurance for you and your family",
    "401(k) with company match",
    "Generous parental leave and flexible time off",
    "A learning budget to evaluate new tools and attend conferences",
    "Home office stipend, including a second monitor",
    "Annual team retreats",
    "Wellness stipend and commuter benefits",
    "Four weeks of paid vacation plus public holidays",
    "Life and disability insurance",
    "Catered lunches in the office",
    "Flexible working hours",
    "Employee stock purchase plan",
    "Paid volunteering days",
)
_EEO = (
    "{C} is an equal opportunity employer. We evaluate qualified applicants without regard to race, "
    "color, religion, sex, sexual orientation, gender identity, national origin, disability or veteran status.",
    "We are committed to building a diverse team and provide reasonable accommodations to applicants with "
    "disabilities. Please contact our recruiting team if you need assistance.",
)
_FILLER = (
    "You will work closely with a collaborative, cross-functional team.",
    "We value curiosity, ownership and clear communication.",
    "Our engineering culture emphasises code review, testing and thoughtful design.",
    "You'll have the autonomy to pick the right tools for the job.",
    "We move quickly but care deeply about quality.",
    "The team works across {tz} time zones and writes things down.",
    "We hold regular demos so everyone can see what shipped.",
    "You'll help us grow the team and shape our engineering practices.",
)
_HEADINGS = {
    "intro": ("About {C}", "About us", "Who we are", "Our mission"),
    "role": ("About the role", "The role", "The opportunity", "Overview"),
    "duties": (
        "What you'll do",
        "Responsibilities",
        "Key responsibilities",
        "In this role, you will",
        "Your impact",
    ),
    "requirements": ("What we're looking for", "Requirements", "Qualifications", "About you", "You have"),
    "nice": ("Nice to have", "Bonus points", "Preferred qualifications"),
    "benefits": ("Benefits", "What we offer", "Perks", "Compensation & benefits"),
    "eeo": ("Equal opportunity", "Our commitment"),
}
_LAYOUTS = (
    ("intro", "role", "duties", "requirements", "nice", "benefits", "eeo"),
    ("role", "duties", "requirements", "intro", "benefits"),
    ("intro", "duties", "requirements", "nice", "eeo"),
    ("role", "requirements", "duties", "benefits", "intro", "eeo"),
    ("intro", "role", "duties", "requirements", "benefits"),
    ("duties", "requirements", "nice", "intro"),
)
# (section, share of the posting's sentences, bulleted)
_SECTION_SHAPE = {
    "intro": (_INTRO + _FILLER, 0.16, False),
    "role": (_ROLE_INTRO + _FILLER, 0.14, False),
    "duties": (_DUTIES, 0.30, True),
    "requirements": (_REQUIREMENTS, 0.18, True),
    "nice": (_NICE, 0.07, True),
    "benefits": (_BENEFITS, 0.10, True),
    "eeo": (_EEO, 0.05, False),
}
# Average words per sentence of each section's bank (measured on the filled templates).
WORDS_PER_SENTENCE = {
    name: float(np.mean([len(t.split()) for t in templates]))
    for name, (templates, _, _) in _SECTION_SHAPE.items()
}
SOURCES = ("greenhouse", "lever", "ashby", "jsonld", "hn", "remoteok", "themuse")
_SOURCE_WEIGHTS = (0.3, 0.2, 0.12, 0.1, 0.1, 0.08, 0.1)


def _fill(templates: tuple[str, ...], rng: np.random.Generator, variants: int) -> list[list[str]]:
    """Each template filled `variants` times with random slot values.

    {C} (the employer) and {T} (the posting's title) stay as tokens and are filled per posting.
    """
    out = []
    for template in templates:
        filled = []
        for _ in range(variants):
            years = int(rng.integers(1, 9))
            filled.append(
                template.format(
                    C=COMPANY_TOKEN,
                    T=TITLE_TOKEN,
                    domain=_DOMAINS[int(rng.integers(len(_DOMAINS)))],
                    tech=_TECH[int(rng.integers(len(_TECH)))],
                    tech2=_TECH[int(rng.integers(len(_TECH)))],
                    years=years,
                    years2=years + int(rng.integers(2, 5)),
                    year=int(rng.integers(1995, 2023)),
                    series="ABCDE"[int(rng.integers(0, 5))],
                    n=int(rng.integers(12, 900)),
                    tz=int(rng.integers(2, 9)),
                )
            )
        out.append(filled)
    return out


def _companies(count: int) -> list[str]:
    names = [
        f"{a.capitalize()}{b} {s}"
        for a, b, s in itertools.product(_SYLLABLES, _SYLLABLES, _SUFFIXES)
        if a != b
    ]
    rng = np.random.default_rng(12345)
    return list(rng.choice(names, size=min(count, len(names)), replace=False))


def _wrapped_bank(bank: list[list[str]], bulleted: bool) -> pl.Series:
    """Every sentence twice: as HTML (first half) and as plain text (second half)."""
    flat = [sentence for filled in bank for sentence in filled]
    if bulleted:
        return pl.Series([f"<li>{x}</li>" for x in flat] + [f"- {x}\n" for x in flat])
    return pl.Series([f"{x} " for x in flat] * 2)


def _section_body(
    rng: np.random.Generator, bank: list[list[str]], counts: np.ndarray, is_html: np.ndarray, bulleted: bool
) -> pl.Series:
    """One section's body for every row: `counts[i]` sentences, distinct templates within a row."""
    n, templates, variants = len(counts), len(bank), len(bank[0])
    wrapped = _wrapped_bank(bank, bulleted)
    half = templates * variants
    order = np.argsort(rng.random((n, templates)), axis=1)  # distinct templates per row
    columns = {}
    for j in range(int(counts.max())):
        index = (
            order[:, j % templates] * variants
            + rng.integers(0, variants, size=n)
            + np.where(is_html, 0, half)
        )
        columns[f"s{j}"] = wrapped.gather(pl.Series(index).set(pl.Series(counts <= j), None))
    frame = pl.DataFrame(columns)
    if bulleted:
        opening, closing = ("<ul>", ""), ("</ul>", "")
    else:
        opening, closing = ("<p>", ""), ("</p>", "\n")
    return frame.select(
        pl.concat_str(
            pl.Series(np.where(is_html, opening[0], opening[1])),
            pl.concat_str(list(columns), ignore_nulls=True),
            pl.Series(np.where(is_html, closing[0], closing[1])),
        )
    ).to_series()


def _heading(rng: np.random.Generator, name: str, is_html: np.ndarray, n: int) -> pl.Series:
    """A heading in one of five styles: <h3>, <p><strong>, ALL CAPS, "Heading:", "Heading"."""
    options = _HEADINGS[name]
    styles = (
        [f"<h3>{h}</h3>" for h in options],
        [f"<p><strong>{h}</strong></p>" for h in options],
        [f"{h.upper()}\n" for h in options],
        [f"{h}:\n" for h in options],
        [f"{h}\n" for h in options],
    )
    table = pl.Series([h for style in styles for h in style])
    style = np.where(is_html, rng.integers(0, 2, size=n), rng.integers(2, 5, size=n))
    return table.gather(style * len(options) + rng.integers(0, len(options), size=n))


def _titles(rng: np.random.Generator, n: int) -> pl.Series:
    def pick(options: tuple[str, ...]) -> pl.Series:
        return pl.Series(list(options)).gather(rng.integers(0, len(options), size=n))

    level, suffix = pick(_LEVELS), pick(_LEVEL_SUFFIX)
    # a level word in front or a level suffix behind, not both
    return pl.select(
        level + pick(_ROLES) + pick(_SPECIALTIES) + pl.when(level == "").then(suffix).otherwise(pl.lit(""))
    ).to_series()


def _chunk(
    n: int, offset: int, rng: np.random.Generator, banks: dict[str, list[list[str]]], companies: list[str]
) -> pl.DataFrame:
    source = rng.choice(len(SOURCES), size=n, p=_SOURCE_WEIGHTS)
    is_html = source != SOURCES.index("hn")
    html = pl.Series(is_html)
    layout = rng.integers(0, len(_LAYOUTS), size=n)
    # Target length in words, spread over the sections this posting's layout has.
    words = rng.integers(TARGET_WORDS[0], TARGET_WORDS[1] + 1, size=n)
    present = {
        name: np.isin(layout, [k for k, order in enumerate(_LAYOUTS) if name in order])
        for name in _SECTION_SHAPE
    }
    share_total = sum(present[name] * shape[1] for name, shape in _SECTION_SHAPE.items())
    company = pl.Series(companies).gather(rng.integers(0, len(companies), size=n))
    title = _titles(rng, n)
    sections = {}
    for name, (_, share, bulleted) in _SECTION_SHAPE.items():
        target = words * share / share_total / WORDS_PER_SENTENCE[name]
        counts = np.maximum(np.rint(target * rng.uniform(0.85, 1.15, size=n)).astype(int), 1)
        if name == "eeo":
            counts = np.minimum(counts, 2)
        sections[name] = _heading(rng, name, is_html, n) + _section_body(
            rng, banks[name], counts, is_html, bulleted
        )
    parts = pl.DataFrame({"row": np.arange(n), "layout": layout, **sections})
    body = (
        pl.concat(
            [
                parts.filter(pl.col("layout") == k).select("row", pl.concat_str(list(order)).alias("body"))
                for k, order in enumerate(_LAYOUTS)
            ]
        )
        .sort("row")
        .get_column("body")
    )
    seconds = rng.integers(0, 365 * 24 * 3600, size=n).astype("timedelta64[s]")
    first_seen = pl.Series(
        "first_seen", (np.datetime64("2024-07-01T00:00:00") + seconds).astype("datetime64[us]")
    )
    structured_salary = rng.random(n) < 0.35
    text_salary = (~structured_salary) & (rng.random(n) < 0.4)
    low = (rng.integers(60, 250, size=n) * 1000).astype(float)
    high = low + rng.integers(10, 80, size=n) * 1000
    salary_sentence = (
        pl.lit(" The base salary range for this role is $")
        + pl.Series(low // 1000).cast(pl.Int64).cast(pl.String)
        + pl.lit(",000 - $")
        + pl.Series(high // 1000).cast(pl.Int64).cast(pl.String)
        + pl.lit(",000 per year.")
    )
    full = pl.select(
        pl.when(pl.Series(text_salary))
        .then(pl.lit(body) + salary_sentence)
        .otherwise(pl.lit(body))
        .str.split(COMPANY_TOKEN)
        .list.join(company)
        .str.split(TITLE_TOKEN)
        .list.join(title)
    ).to_series()
    location = pl.Series(list(_CITIES)).gather(rng.integers(0, len(_CITIES), size=n))
    ids = pl.Series(np.arange(offset, offset + n))
    has_structured = pl.Series(structured_salary)
    return pl.select(
        pl.Series("source", list(SOURCES)).gather(source).alias("source"),
        ids.cast(pl.String).alias("source_id"),
        company.str.to_lowercase().str.replace_all(" ", "").alias("board"),
        company.alias("company"),
        title.alias("title"),
        location.alias("location"),
        pl.when(location.str.contains("Remote"))
        .then(True)
        .when(location.str.contains("Hybrid"))
        .then(False)
        .alias("remote"),
        (pl.lit("https://jobs.example.com/") + ids.cast(pl.String)).alias("url"),
        pl.when(html).then(full).alias("description_html"),
        pl.when(~html).then(full).alias("description_text"),
        (first_seen - pl.duration(days=pl.Series(rng.integers(0, 5, size=n)))).alias("posted_at"),
        pl.when(has_structured).then(pl.Series(low)).alias("salary_min"),
        pl.when(has_structured).then(pl.Series(high)).alias("salary_max"),
        pl.when(has_structured).then(pl.lit("USD")).alias("salary_currency"),
        pl.when(has_structured).then(pl.lit("year")).alias("salary_interval"),
        ids.hash(seed=7).cast(pl.String).str.zfill(64).alias("payload_sha256"),
        (first_seen + pl.duration(hours=1)).alias("fetched_at"),
        first_seen.alias("first_seen"),
    )


def generate_postings(n: int, seed: int = 0) -> pl.DataFrame:
    """n synthetic postings: the canonical §3.1 columns plus first_seen (deterministic per seed)."""
    rng = np.random.default_rng(seed)
    banks = {name: _fill(templates, rng, 12) for name, (templates, _, _) in _SECTION_SHAPE.items()}
    companies = _companies(20_000)
    chunks = []
    for offset in range(0, n, CHUNK):
        chunks.append(_chunk(min(CHUNK, n - offset), offset, rng, banks, companies))
    return pl.concat(chunks) if chunks else _chunk(0, 0, rng, banks, companies)


def cache_path(n: int, seed: int = 0, cache_dir: Path = CACHE_DIR) -> Path:
    return cache_dir / f"postings_n{n}_seed{seed}.parquet"


def ensure_cached(n: int, seed: int = 0, cache_dir: Path = CACHE_DIR) -> Path:
    """The Parquet file holding generate_postings(n, seed), written on first use."""
    path = cache_path(n, seed, cache_dir)
    if not path.exists():
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        generate_postings(n, seed).write_parquet(tmp)
        tmp.replace(path)
    return path


def cached_postings(n: int, seed: int = 0, cache_dir: Path = CACHE_DIR) -> pl.DataFrame:
    """generate_postings(n, seed), read from (or written to) a Parquet file in `cache_dir`."""
    return pl.read_parquet(ensure_cached(n, seed, cache_dir))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    started = time.perf_counter()
    frame = cached_postings(args.n, args.seed)
    words = frame.select(
        pl.coalesce("description_html", "description_text")
        .str.replace_all("<[^>]*>", " ")
        .str.count_matches(r"\S+")
    ).to_series()
    print(
        f"{frame.height:,} postings in {time.perf_counter() - started:.1f}s; words per posting "
        f"min {words.min()} median {words.median():.0f} max {words.max()}; "
        f"{frame['company'].n_unique():,} employers; first_seen {frame['first_seen'].min()} .. {frame['first_seen'].max()}"
    )


if __name__ == "__main__":
    main()
