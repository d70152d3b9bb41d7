"""What the posting asks the hire to do: the text left after scope, "nice to have" and negation rules.

DESIGN §3.2 counts only duties and requirements, never company marketing. The rules:

1. Sections. Headings are recognised (HTML <h1>-<h6>, a bold run or a paragraph that is only a
   known heading phrase, a blank line, and lines that open with a heading phrase). Sections headed
   "About us" / "About <Company>" / "Who we are", benefits, perks, compensation, equal opportunity
   and other company sections are dropped up to the next heading, and so are "Nice to have" /
   "Bonus points" / "Preferred qualifications" sections: optional extras are not what the posting
   asks the hire to do. Kept headings ("About the role", "About the team", "What you'll do") are
   never mistaken for "About <Company>".
2. Sentences that say an item is optional ("... is a plus", "ideally ...", "not required") or is
   someone else's job ("handled by our platform team", "out of scope") are dropped.
3. Negated clauses are dropped: from "no", "not", "never", "without", "n't", "rather than" to the
   end of the clause ("no on-call", "you will not need to deploy", "we don't do on-call"). A
   statement that no experience is required is kept: it is the entry-level signal.
4. Company-voice sentences are dropped: a paragraph sentence with a company cue ("... is the
   leading", "our platform monitors...", "we help teams evaluate...", "trusted by") that does not
   address the hire ("you", "your", "you'll"). List items are never dropped by this rule: bullets
   are where duties are listed.

Speed matters (a million postings), so the rules run on the raw HTML or text, lowercased once, with
no HTML-to-text conversion: "<" and ">" count as sentence boundaries, so list items and paragraphs
are sentences of their own. The passes (SCOPE_OPS): mark headings; split on the marks and drop the
company/optional sections; mark hire words and cue phrases; one leftmost-first deletion pass for
optional sentences, company-voice sentences, negated clauses and everyday uses of duty words.
Rust's regex has no look-around, so "a sentence with a cue and no hire word" is spelled with
marker characters and character classes that exclude them. All patterns are ASCII-mode
(transforms.rewrite.rust_regex): Unicode word boundaries stop Rust's lazy DFA (100x slower).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from transforms.rewrite import Rewrite, chunks, rust_regex, union
from transforms.tags import NOT_DUTY_PHRASES

# Heading lines whose section is kept (duties, requirements, the role, the team).
KEPT_HEADINGS = (
    "about the role",
    "about the job",
    "about the position",
    "about the opportunity",
    "about the team",
    "about the work",
    "about the project",
    "about this role",
    "about this job",
    "about this position",
    "about this opportunity",
    "about you",
    "about yourself",
    "the role",
    "the job",
    "the position",
    "the opportunity",
    "the team",
    "the work",
    "the challenge",
    "the gig",
    "the mission",
    "your role",
    "your team",
    "your mission",
    "your impact",
    "your tasks",
    "your responsibilities",
    "your profile",
    "your day",
    "your skills",
    "your experience",
    "your background",
    "role",
    "job",
    "position",
    "mission",
    "impact",
    "tasks",
    "profile",
    "skills",
    "experience",
    "education",
    "summary",
    "overview",
    "job summary",
    "job description",
    "job purpose",
    "job overview",
    "job details",
    "position summary",
    "position overview",
    "position description",
    "role summary",
    "role overview",
    "role description",
    "role purpose",
    "what you'll do",
    "what you will do",
    "what you'd do",
    "what you'll be doing",
    "what you will be doing",
    "what you'll work on",
    "what you will work on",
    "what you'll build",
    "what you will build",
    "what you'll own",
    "what you will own",
    "what you'll achieve",
    "what you'll get up to",
    "what the job is",
    "what the role is",
    "what we need",
    "what we're looking for",
    "what we are looking for",
    "what we look for",
    "what you'll need",
    "what you will need",
    "what you need",
    "what you bring",
    "what you'll bring",
    "what you will bring",
    "what you have",
    "what it takes",
    "what makes you a fit",
    "who you are",
    "who we're looking for",
    "who we are looking for",
    "who should apply",
    "who you'll work with",
    "you are",
    "you have",
    "you bring",
    "you will",
    "you'll",
    "you should",
    "you might be a fit",
    "you might be a good fit",
    "you may be a good fit",
    "you will thrive",
    "you'll thrive",
    "is this you",
    "in this role",
    "in this position",
    "as a",
    "as an",
    "day to day",
    "day-to-day",
    "a day in the life",
    "responsibilities",
    "key responsibilities",
    "main responsibilities",
    "primary responsibilities",
    "core responsibilities",
    "job responsibilities",
    "key job responsibilities",
    "role responsibilities",
    "duties",
    "key duties",
    "main duties",
    "essential duties",
    "duties and responsibilities",
    "essential functions",
    "essential job functions",
    "principal accountabilities",
    "key accountabilities",
    "accountabilities",
    "requirements",
    "minimum requirements",
    "basic requirements",
    "job requirements",
    "key requirements",
    "technical requirements",
    "required",
    "required skills",
    "required qualifications",
    "required experience",
    "qualifications",
    "minimum qualifications",
    "basic qualifications",
    "key qualifications",
    "must have",
    "must-have",
    "must haves",
    "must-haves",
    "skills and experience",
    "skills & experience",
    "knowledge, skills and abilities",
    "competencies",
    "tech stack",
    "our stack",
    "stack",
    "tools",
    "technologies",
    "ideal candidate",
    "the ideal candidate",
    "we're looking for",
    "we are looking for",
    "we're hiring",
    "we are hiring",
    "here's what you'll",
    "here's what you will",
    "here's what we",
    "why this role",
    "why this job",
    "internship",
    "internship overview",
    "internship description",
    "internship details",
    "eligibility",
    "program",
    "the program",
    "location",
    "logistics",
    "details",
    "salary",
    "pay",
    "base pay",
    "pay range",
    "pay transparency",
    "salary range",
    "hours",
    "schedule",
    "job type",
    "employment type",
    "start date",
    "travel",
    "reports to",
    "reporting to",
)

# Heading phrases whose section is company material, dropped to the next heading.
COMPANY_HEADINGS = (
    r"about us",
    r"about the company",
    r"about our company",
    r"who we are",
    r"who are we",
    r"our story",
    r"our mission",
    r"our vision",
    r"our values",
    r"our culture",
    r"our team",
    r"our company",
    r"our benefits",
    r"our perks",
    r"our commitment",
    r"our offer",
    r"the company",
    r"company overview",
    r"company description",
    r"company profile",
    r"company info",
    r"company information",
    r"culture",
    r"values",
    r"mission",
    r"benefits",
    r"benefits & perks",
    r"perks",
    r"perks & benefits",
    r"perks and benefits",
    r"what we offer",
    r"what we provide",
    r"what's in it for you",
    r"what is in it for you",
    r"what you'll get",
    r"what you will get",
    r"what you get",
    r"we offer",
    r"why join",
    r"why work",
    r"why you'll love",
    r"why you will love",
    r"why us",
    r"life at",
    r"working at",
    r"working here",
    r"join us",
    r"compensation",
    r"compensation & benefits",
    r"compensation and benefits",
    r"total rewards",
    r"rewards",
    r"equal opportunity",
    r"equal employment",
    r"eeo",
    r"diversity",
    r"diversity, equity",
    r"inclusion",
    r"accommodation",
    r"accommodations",
    r"reasonable accommodation",
    r"disclaimer",
    r"privacy",
    r"legal",
    r"notice",
    r"how to apply",
    r"application process",
    r"our hiring process",
    r"the hiring process",
    r"interview process",
    r"the interview process",
    r"recruitment process",
    r"hiring process",
    r"next steps",
)

# Heading phrases for optional extras, dropped to the next heading.
OPTIONAL_HEADINGS = (
    r"nice to have",
    r"nice-to-have",
    r"nice to haves",
    r"nice-to-haves",
    r"good to have",
    r"great to have",
    r"bonus",
    r"bonus points",
    r"bonus skills",
    r"pluses",
    r"plus",
    r"preferred",
    r"preferred qualifications",
    r"preferred skills",
    r"preferred experience",
    r"preferred requirements",
    r"additional preferred",
    r"desired",
    r"desired skills",
    r"desired qualifications",
    r"desired experience",
    r"desirable",
    r"advantages",
    r"advantageous",
    r"an advantage",
    r"optional",
    r"extra credit",
    r"even better",
    r"ideally",
    r"it would be great if",
    r"it'd be great if",
    r"would be nice",
    r"you'll stand out",
    r"you will stand out",
    r"stand out",
    r"what would make you stand out",
    r"what will make you stand out",
    r"what sets you apart",
    r"not required",
    r"not required but",
)

# Sentence cues: the item is optional, or it is somebody else's job.
OPTIONAL_CUES = (
    r"a plus",
    r"a big plus",
    r"a huge plus",
    r"a strong plus",
    r"a bonus",
    r"bonus points",
    r"nice to have",
    r"nice-to-have",
    r"good to have",
    r"great to have",
    r"preferred",
    r"desirable",
    r"desired",
    r"an advantage",
    r"advantageous",
    r"an asset",
    r"ideally",
    r"would be great",
    r"would be nice",
    r"would be a plus",
    r"not required",
    r"not a requirement",
    r"not necessary",
    r"not needed",
    r"not essential",
    r"optional",
    r"extra credit",
    r"even better",
    r"helpful",
    r"beneficial",
    r"out of scope",
    r"not in scope",
    r"not part of",
    r"handled by",
    r"owned by",
    r"taken care of by",
    r"team handles",
    r"team owns",
    r"team manages",
    r"team takes care",
)

# Negation: the clause after these words is not asked of the hire. "not only"/"not just" are
# idioms that add rather than negate, so they are removed on their own first.
NEGATION_IDIOMS = (r"not (?:only|just|limited to)", r"no (?:matter|later than|less than|more than)")
NEGATORS = (
    r"no",
    r"not",
    r"never",
    r"without",
    r"nor",
    r"none",
    r"cannot",
    r"rather than",
    r"instead of",
)
# "No prior experience is required" is a negation that carries the entry-level signal: kept.
NO_EXPERIENCE = (
    r"no (?:prior |previous |professional |industry |work |relevant |ml |machine learning |technical )*"
    r"experience (?:is )?(?:required|needed|necessary)"
)

# Company-voice cues: the employer, its products or its customers as the subject.
COMPANY_CUES = (
    r"we are a",
    r"we're a",
    r"we are an",
    r"we're an",
    r"we are the",
    r"we're the",
    r"we are one of",
    r"we're one of",
    r"we are building",
    r"we're building",
    r"we build",
    r"we've built",
    r"we have built",
    r"we make",
    r"we help",
    r"we provide",
    r"we offer",
    r"we power",
    r"we enable",
    r"we serve",
    r"we deliver",
    r"we were founded",
    r"we've grown",
    r"we have grown",
    r"we believe",
    r"we're proud",
    r"we are proud",
    r"we're backed",
    r"we are backed",
    r"we partner",
    r"we've helped",
    r"we have helped",
    r"founded in",
    r"founded by",
    r"backed by",
    r"trusted by",
    r"used by",
    r"relied on by",
    r"loved by",
    r"our platform",
    r"our platforms",
    r"our product",
    r"our products",
    r"our technology",
    r"our software",
    r"our solutions?",
    r"our services",
    r"our ai",
    r"our models are",
    r"our models have",
    r"our ml models",
    r"our ai models",
    r"trust (?:us|our)",
    r"our customers",
    r"our clients",
    r"our users",
    r"our members",
    r"our mission",
    r"our vision",
    r"our values",
    r"our investors",
    r"our company",
    r"our culture",
    r"our award",
    r"our research team",
    r"our data team",
    r"our infrastructure team",
    r"our platform team",
    r"our trust team",
    r"is the leading",
    r"is a leading",
    r"the leading",
    r"a leading",
    r"leader in",
    r"industry-leading",
    r"award-winning",
    r"world-class",
    r"fortune 500",
    r"series a",
    r"series b",
    r"series c",
    r"series d",
    r"series e",
    r"unicorn",
    r"thousands of",
    r"millions of",
    r"hundreds of",
    r"billions of",
    r"customers include",
    r"teams use",
    r"companies use",
    r"businesses use",
    r"platform for",
    r"platform that",
    r"company that",
    r"startup that",
    r"provider of",
    r"helps",
    r"enables",
    r"empowers",
    r"publishes",
    r"equal opportunity",
    r"equal employment",
    r"without regard",
    r"protected characteristic",
    r"protected veteran",
    r"discriminat",
    r"great place to work",
)

# A sentence containing one of these words addresses the hire and is never company voice.
HIRE_WORDS = (
    r"you\w*",
    r"hir(?:e|es|ed|ing)",
    r"seek(?:s|ing)?",
    r"looking for",
    r"candidates?",
    r"this role",
)

# A text line heading must end its line (or be followed by ":" and inline content), so a sentence
# that merely starts with "Benefits" or "Plus," is not taken for a heading.
_HEADING_END = r"[ \t]*(?:\*\*)?[ \t]*(?:[:?!(<\n]|-[ \t]|$)"
_DROPPED_LINE = (
    union(COMPANY_HEADINGS + OPTIONAL_HEADINGS) + _HEADING_END,
    # "About Acme" / "About Acme:" / "Why Acme?" name the employer in a heading of their own.
    r"about [^\n:.!?<]{1,40}(?:[:<\n]|$)",
    r"why [^\n:.!?<]{1,30}\?",
)
_KNOWN_HEADINGS = union(KEPT_HEADINGS + COMPANY_HEADINGS + OPTIONAL_HEADINGS)

# Markers written into the (lowercased) text.
HEADING = "\x01"  # a heading starts here
HIRE = "\x03"  # a word that addresses the hire follows
CUE = "\x06"  # an optional/delegated or a company-voice cue follows

_B = rf".!?;\n<>{HEADING}"  # what ends a sentence: punctuation, line break, a tag, a heading
_PARAGRAPH_START = r"(\A|[.!?;]|<p\b[^>]*>|<br\s*/?>|</h[1-6]>|</strong>|</b>|<div\b[^>]*>|\n[ \t]*)"
_NEGATION = r"(?:\b" + union(NEGATORS) + r"\b|n(?:'|\u2019|&#39;|&rsquo;)t\b)"


@dataclass(frozen=True)
class SectionFilter:
    """Split on `marker`, drop the pieces whose start matches `drop` but not `keep`, join the rest."""

    name: str
    marker: str
    drop: str
    keep: str


SCOPE_OPS: tuple[Rewrite | SectionFilter, ...] = (
    # 1. headings: HTML <h1>-<h6> and bold runs, a paragraph that is only a heading phrase (or
    #    opens "About Acme:"), text lines that open with a heading phrase or "About <Company>", and
    #    blank lines.
    Rewrite(
        "mark_headings",
        r"<(?:h[1-6]|strong>|b>)"
        rf"|<p[^>]*>[ \t]*(?:{_KNOWN_HEADINGS}[ \t]*:?[ \t]*</|(?:about|why) [^<:.!?]{{1,40}}:)"
        rf"|\n[ \t]*(?:[#*]+[ \t]*)?(?:{_KNOWN_HEADINGS}\b|(?:about|why) [^\n:.!?]{{1,40}}(?::|\?|\n))|\n[ \t]*\n",
        HEADING + "$0",
    ),
    SectionFilter(
        "drop_sections",
        HEADING,
        # inside an HTML heading the phrase may run on ("Ideally you have"); a text line needs
        # the heading to end
        rf"^(?:(?:<[^>]*>|[ \t\n])*<[^>]*>[ \t]*\b(?:{union(COMPANY_HEADINGS + OPTIONAL_HEADINGS)}\b|about |why )"
        rf"|[ \t\n#*-]*\b{union(_DROPPED_LINE)})",
        rf"^(?:<[^>]*>|[ \t\n#*-])*\b{union(KEPT_HEADINGS)}\b",
    ),
    # 2 + 4. mark hire words, and cues (optional and company-voice share one marker: the cue
    #    words after it tell them apart) ...
    Rewrite("mark_hire_words", rf"\b{union(HIRE_WORDS)}\b", HIRE + "$0"),
    *(
        Rewrite(f"mark_cues_{i}", rf"\b{union(chunk)}\b", CUE + "$0")
        for i, chunk in enumerate(chunks(OPTIONAL_CUES + COMPANY_CUES))
    ),
    # ... then, in one pass: drop every sentence with an optional cue; drop every paragraph
    # sentence (not a list item) with a company cue and no hire word, re-emitting its opening
    # boundary; drop negated clauses (3; "no experience required" is kept verbatim: it is the
    # entry-level signal); and delete everyday uses of duty words (5: "a second monitor",
    # "user research", "post-deployment").
    Rewrite(
        "drop_out_of_scope",
        rf"[^{_B}]*{CUE}{union(OPTIONAL_CUES)}\b[^{_B}]*"
        rf"|{_PARAGRAPH_START}[ \t]*(?:[^-\u2022*{HIRE} \t{_B}][^{_B}{HIRE}]*)?{CUE}{union(COMPANY_CUES)}\b[^{_B}{HIRE}]*"
        rf"|\b({NO_EXPERIENCE})|\b{union(NEGATION_IDIOMS)}\b|{_NEGATION}[^:{_B}]*"
        rf"|\b{union(NOT_DUTY_PHRASES)}\b",
        "${1}${2}",
    ),
)


def apply_op(text: pl.Expr, op: Rewrite | SectionFilter) -> pl.Expr:
    if isinstance(op, SectionFilter):
        piece = pl.element()
        keep = ~piece.str.contains(rust_regex(op.drop)) | piece.str.contains(rust_regex(op.keep))
        return text.str.split(op.marker).list.eval(piece.filter(keep)).list.join("")
    if op.literal:
        return text.str.replace_all(op.pattern, op.replacement, literal=True)
    return text.str.replace_all(rust_regex(op.pattern), op.replacement)


def lowered(raw: pl.Expr) -> pl.Expr:
    """The text every rule reads: lowercased (so patterns are case-sensitive and literal
    prefilters work) with a leading line break (so a heading on the first line is a line start)."""
    return pl.lit("\n") + raw.str.to_lowercase()


def in_scope_text(raw: pl.Expr, lowercased: bool = False) -> pl.Expr:
    """Raw posting HTML or text reduced to what it asks the hire to do (lowercased): company and
    optional sections, optional and company-voice sentences and negated clauses removed.

    Pass `lowercased=True` when `raw` already went through `lowered`."""
    text = raw if lowercased else lowered(raw)
    for op in SCOPE_OPS:
        text = apply_op(text, op)
    return text
