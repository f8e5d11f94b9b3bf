"""The college's rules file (``policy/rules/*.toml``) and its loader.

The guide leaves numbers and lists open (procedure.md, "How we read the gaps"); the
college fills them in here.  A malformed file is refused with the file, the key and
what was expected, so a registrar can fix it without reading code.
"""

from __future__ import annotations

import tomllib
from importlib.resources import files
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from policy.bilingual import Bilingual
from policy.models import Category, SourceKind
from policy.validation import problem_report

DEFAULT_RULES_PATH = Path(str(files(__name__) / "default.toml"))
"""The bundled rules (package data: a plain install carries them)."""


class RulesError(ValueError):
    """A rules file that cannot be used; the message names file, key and expectation."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CollegeInfo(_Strict):
    """The college's name, printed on the 学业成绩单."""

    name: str = Field(min_length=1)
    name_en: str = ""

    @property
    def title(self) -> Bilingual:
        """The name in both languages (the Chinese one where no ``name_en`` is given)."""
        return Bilingual(self.name, self.name_en or self.name)


class ExclusionClause(_Strict):
    """One clause of R5: courses that never take part."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)
    names: list[str] = Field(default_factory=list)
    prefixes: list[str] = Field(default_factory=list)
    categories: list[Category] = Field(default_factory=list)

    def matches(self, name: str, category: Category) -> bool:
        """Whether a course of this name and category falls under the clause."""
        return (
            name in self.names
            or any(name.startswith(p) for p in self.prefixes)
            or category in self.categories
        )


class RatioRules(_Strict):
    """R8: offered credits must reach ``factor × target credits``."""

    default: float = Field(default=1.0, gt=0, le=10)
    categories: dict[Category, float] = Field(default_factory=dict)

    def factor(self, category: Category) -> float:
        """The ratio factor for a target of ``category``."""
        return self.categories.get(category, self.default)


class GradeRules(_Strict):
    """Grade points as procedure.md describes them: (s − offset) / divisor from the
    pass score up, fixed points for levels."""

    pass_score: float = Field(default=60, ge=0, le=100)
    offset: float = 50
    divisor: float = Field(default=10, gt=0)
    levels: dict[str, float] = Field(default_factory=dict)
    passing_levels: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _passing_levels_known(self) -> GradeRules:
        unknown = [lvl for lvl in self.passing_levels if lvl not in self.levels]
        if unknown:
            raise ValueError(f"passing_levels names levels missing from grades.levels: {unknown}")
        return self


class TermWindow(_Strict):
    """Which semesters of an academic year accept applications."""

    semesters: list[int] = Field(default_factory=lambda: [1, 2])


class ExchangeRecordRules(_Strict):
    """What an approved exchange records on the transcript (S5)."""

    result: str = Field(default="兑换", min_length=1, max_length=10)
    result_en: str = "Exchanged"

    @property
    def result_text(self) -> Bilingual:
        """The recorded result in both languages (the Chinese where ``result_en`` is
        empty)."""
        return Bilingual(self.result, self.result_en or self.result)

    grants_credits: bool = True
    grade_point: float = Field(default=0.0, ge=0, le=5)
    counts_in_gpa: bool = False


class ReviewStep(_Strict):
    """One step of the review chain (R11)."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)

    @property
    def name(self) -> Bilingual:
        """The step's name in both languages (``zh``/``en`` of the file)."""
        return Bilingual(self.zh, self.en)


class AttachmentRules(_Strict):
    """Limits on the screenshots attached to an application (S4)."""

    max_bytes: int = Field(default=5 * 1024 * 1024, gt=0)
    max_count: int = Field(default=5, ge=1, le=50)
    types: list[str] = Field(default_factory=lambda: ["image/png", "image/jpeg", "application/pdf"])
    required: bool = True
    """S4: the guide asks for screenshots of the relevant grades, so by default an
    application cannot be submitted without at least one attachment."""


class SessionRules(_Strict):
    """How long a person may leave a credx session alone (lab terminals are shared)."""

    idle_timeout_minutes: int = Field(default=15, ge=1, le=24 * 60)
    """After this long without a key press or click the session logs out (the app) or
    ends (a browser session of `credx serve`)."""


class ServiceRules(_Strict):
    """Where the college's credx is reached and what it may use (deployment settings)."""

    public_url: str = ""
    """The address people use for `credx serve` (upload and download links are built on it);
    empty: links are built on the address `credx serve` listens on."""
    printer: str = ""
    """An `lp` destination that 打印 may send PDFs to; empty: no printer is offered."""


class Rules(_Strict):
    """The whole rules file."""

    college: CollegeInfo
    excluded: list[ExclusionClause] = Field(default_factory=list)
    matrix: dict[Category, list[SourceKind]]
    ratio: RatioRules = RatioRules()
    grades: GradeRules = GradeRules()
    window: TermWindow = TermWindow()
    exchange_record: ExchangeRecordRules = ExchangeRecordRules()
    review_steps: list[ReviewStep] = Field(min_length=1)
    attachments: AttachmentRules = AttachmentRules()
    session: SessionRules = SessionRules()
    service: ServiceRules = ServiceRules()

    def allowed_sources(self, category: Category) -> list[SourceKind]:
        """Source kinds that may pay for a course of ``category`` (R2, R4, R7)."""
        return list(self.matrix.get(category, []))

    def exclusion(self, name: str, category: Category) -> ExclusionClause | None:
        """The R5 clause that excludes this course, if any."""
        return next((c for c in self.excluded if c.matches(name, category)), None)


def parse_rules(text: str, source: str = "<rules>") -> Rules:
    """Parse a rules file's text; raise :class:`RulesError` naming ``source`` and keys."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{source}: not valid TOML: {exc}") from None
    try:
        return Rules.model_validate(raw)
    except ValidationError as exc:
        raise RulesError(problem_report(source, "the rules file", exc)) from None


def load_rules(path: Path | str | None = None) -> Rules:
    """Load and validate a rules file (the bundled default when ``path`` is None)."""
    file = Path(path) if path is not None else DEFAULT_RULES_PATH
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise RulesError(f"{file}: cannot read the rules file: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise RulesError(f"{file}: the rules file is not UTF-8 text") from None
    return parse_rules(text, str(file))
