"""Where text lives (issue 14): UI text in the catalogue, messages as bilingual values.

Two static scans of the source of ``credx_tui/`` and ``policy/`` (no app is started):

- no Chinese string literal outside the catalogue and a bilingual value (a literal
  standing beside its English in one call: ``Reason(zh=..., en=...)``,
  ``Refused("...", "...")``), except the files listed in :data:`EXEMPT`, each with
  why its Chinese is data and not UI text;
- every catalogue key is used: its string appears in the source, or it is built by
  one of the f-strings declared in :data:`DYNAMIC` (a declaration names the file
  and the code that builds the keys, and fails when that code is gone).
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

from credx_tui.i18n import CATALOGUE
from credx_tui.training.ui import WALK_KEYS

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("credx_tui", "policy")
CATALOGUE_FILE = "credx_tui/i18n.py"
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")

# (file, why its Chinese literals are not UI text).  The rules file
# (policy/rules/default.toml) and the demo data (fixtures/, credx_tui/demo) are not
# Python and are not scanned.
EXEMPT: dict[str, str] = {
    CATALOGUE_FILE: "the catalogue itself",
    "policy/models.py": (
        "the guide's domain vocabulary as data: the enums' values are the Chinese terms "
        "that import files and the store hold (课程类别, 考试性质, 审核状态), and the "
        "English names beside them in _EN"
    ),
    "policy/grades.py": "grade levels as import files write them (优秀, 不及格, 缺考)",
    "policy/rules/__init__.py": "the default 成绩 an exchange records (兑换), a rules-file value",
    "credx_tui/sheets.py": (
        "the academic system's spreadsheet column and sheet names (学号, 课程代码, "
        "成绩), parsed from registrars' files"
    ),
    "credx_tui/services/exports.py": (
        "column and sheet names of the exports the academic system reads back "
        "(the same words as sheets.py), and Chinese file names"
    ),
    "credx_tui/documents/application.py": (
        "the printed 学分兑换申请表: a fixed Chinese form of the college, printed in "
        "Chinese whatever the UI language"
    ),
    "credx_tui/documents/transcript.py": (
        "the printed 学生成绩总表: a fixed Chinese form, printed in Chinese whatever "
        "the UI language"
    ),
    "credx_tui/services/links.py": (
        "the download names of those printed forms (学业成绩单-<学号>.pdf), given beside "
        "their ASCII names"
    ),
    "credx_tui/linebreak.py": "punctuation classes of the line-breaking rules (data)",
    "credx_tui/importing.py": (
        "import problems are English for the registrar and name the import format's "
        "Chinese term beside it (人才培养方案, 学号), as docs/spreadsheets.md does"
    ),
    "credx_tui/training/scenario.py": (
        "the scenario format's expected statuses are the guide's status terms as authors "
        "write them in the TOML (expect.status = '审核中'), the values of policy's Status"
    ),
    "credx_tui/cli.py": (
        "argparse help is English for registrars and names the guide's term beside it "
        "(学号, 学院, 学业成绩单), metavars name the spreadsheet column; the program "
        "title of credx serve's browser page"
    ),
    "credx_tui/web/server.py": (
        "the browser page of credx serve before a session has a UI language: both "
        "languages at once, and its default title"
    ),
    "credx_tui/web/upload.py": (
        "the phone's upload page: no UI language there, so it says everything in both "
        "languages at once"
    ),
    "credx_tui/web/download.py": "the phone's download page, in both languages at once",
}


def _python_files() -> list[Path]:
    return sorted(p for root in SOURCES for p in (ROOT / root).rglob("*.py"))


@functools.cache
def _tree(path: Path) -> ast.Module:
    """The parsed source of ``path`` (parsed once for all the scans of a run)."""
    return ast.parse(path.read_text(encoding="utf-8"))


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _has_cjk(node: ast.AST) -> bool:
    return any(
        isinstance(n, ast.Constant) and isinstance(n.value, str) and CJK.search(n.value)
        for n in ast.walk(node)
    )


def _is_text(node: ast.AST) -> bool:
    """A string literal, an f-string or a concatenation of them."""
    if isinstance(node, ast.BinOp):
        return _is_text(node.left) and _is_text(node.right)
    return isinstance(node, ast.JoinedStr) or (
        isinstance(node, ast.Constant) and isinstance(node.value, str)
    )


BILINGUAL_ROOTS = frozenset({"Bilingual", "BilingualError", "StoreError"})
"""The types whose constructors take a message in both languages as positional
arguments (``Refused(zh, en)``, ``OwnershipError(en, zh)``); their subclasses are
found in the source by :func:`bilingual_types`."""


def bilingual_types() -> frozenset[str]:
    """The names of :data:`BILINGUAL_ROOTS` and of every class of credx_tui/ and
    policy/ that derives from one of them (by base-class name, statically)."""
    bases: dict[str, set[str]] = {}
    for path in _python_files():
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.ClassDef):
                bases.setdefault(node.name, set()).update(
                    b.id if isinstance(b, ast.Name) else b.attr
                    for b in node.bases
                    if isinstance(b, ast.Name | ast.Attribute)
                )
    found = set(BILINGUAL_ROOTS)
    while grown := {c for c, b in bases.items() if c not in found and b & found}:
        found |= grown
    return frozenset(found)


def _callee(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def _paired(call: ast.Call, bilingual: frozenset[str]) -> set[int]:
    """Nodes under ``call`` whose Chinese stands beside its English in the call: a
    ``zh``/``staff_zh`` keyword with ``en``/``staff_en`` given, or, in a call of a
    bilingual type, positional texts beside one that holds no Chinese
    (``Refused(zh, en)``, ``OwnershipError(en, zh)``)."""
    inside: set[int] = set()
    keywords = {k.arg: k.value for k in call.keywords}
    for zh, en in (("zh", "en"), ("staff_zh", "staff_en")):
        if zh in keywords and en in keywords:
            inside |= {id(n) for n in ast.walk(keywords[zh])}
    texts = [a for a in call.args if _is_text(a)]
    if _callee(call) in bilingual and any(not _has_cjk(a) for a in texts):
        for arg in texts:
            if _has_cjk(arg):
                inside |= {id(n) for n in ast.walk(arg)}
    return inside


def chinese_literals(
    path: Path, bilingual: frozenset[str] = BILINGUAL_ROOTS
) -> list[tuple[int, str]]:
    """(line, literal) of each Chinese string literal of ``path`` that is neither a
    docstring, a field's ``description=`` (documentation of a data field) nor the
    Chinese half of a bilingual value."""
    tree = _tree(path)
    skip: set[int] = set()
    for cls in ast.walk(tree):  # super().__init__(zh, en) inside a bilingual type
        if isinstance(cls, ast.ClassDef) and cls.name in bilingual:
            for node in ast.walk(cls):
                if isinstance(node, ast.Call) and _callee(node) == "__init__":
                    skip |= _paired(node, frozenset({"__init__"}))
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            skip.add(id(node.value))  # docstrings, attribute docstrings
        elif isinstance(node, ast.Call):
            skip |= _paired(node, bilingual)
            for k in node.keywords:
                if k.arg == "description":
                    skip |= {id(n) for n in ast.walk(k.value)}
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in skip
        and CJK.search(node.value)
    ]


def test_no_chinese_literal_outside_the_catalogue_and_bilingual_values() -> None:
    bilingual = bilingual_types()
    stray = {
        _rel(p): found
        for p in _python_files()
        if _rel(p) not in EXEMPT and (found := chinese_literals(p, bilingual))
    }
    assert stray == {}, "move these into credx_tui/i18n.py or a Bilingual value"


def test_every_exemption_names_a_file_that_still_needs_it() -> None:
    """An exemption goes when its file no longer holds Chinese literals (or is gone)."""
    bilingual = bilingual_types()
    stale = [f for f in EXEMPT if f != CATALOGUE_FILE and not chinese_literals(ROOT / f, bilingual)]
    assert stale == []


def test_the_scan_finds_a_stray_literal(tmp_path: Path) -> None:
    """The scan itself: a UI string written inline is found; the same words beside
    their English, in a docstring or as a field's description are not."""
    source = tmp_path / "screen.py"
    source.write_text(
        '"""学分兑换 screen."""\n'
        'TITLE = "学分兑换"\n'
        'r = Reason(rule="R1", zh=f"《{name}》不能兑换", en=f"{name} cannot")\n'
        'e = Refused("申请不存在", "no such application")\n'
        'f = Field(description="学号")\n'
        'k = Binding("f7", "save", "保存")\n',
        encoding="utf-8",
    )
    found = chinese_literals(source, BILINGUAL_ROOTS | {"Refused"})
    assert found == [(2, "学分兑换"), (6, "保存")]


# -- every catalogue key is used ---------------------------------------------------

DYNAMIC: list[tuple[str, str, str]] = [
    # (key prefix, file, the code in that file that builds keys under the prefix)
    ("status.", "credx_tui/describe.py", 'f"status.{app.status.value}"'),
    ("action.", "credx_tui/describe.py", 'f"action.{event.action.value}"'),
    ("role.", "credx_tui/screens/review_queue.py", 'f"role.{actor.role.value}"'),
    ("kind.", "credx_tui/services/stats.py", 'f"kind.{k.name.lower()}"'),
    ("login.", "credx_tui/screens/login.py", 'f"login.{exc.kind}"'),
    ("return.ready.", "credx_tui/dialogs/return_reason.py", 'f"return.ready.{r}"'),
    ("decision.drift.", "credx_tui/screens/review_decision.py", 'f"decision.drift.{then.role}"'),
    ("desk.file.", "credx_tui/screens/admin_desk.py", "f'desk.file.{which}'"),
    ("term.", "credx_tui/i18n.py", 'f"term.{value}"'),
    ("rule.", "credx_tui/training/ui.py", "f'rule.{r}'"),
    ("walk.proc.", "credx_tui/training/ui.py", 'f"walk.proc.{step.procedure}"'),
    ("walk.screen.", "credx_tui/training/ui.py", 'f"walk.screen.{expect.screen}"'),
    ("walk.dialog.", "credx_tui/training/ui.py", 'f"walk.dialog.{expect.dialog}"'),
    ("cmd.walk_", "credx_tui/training/ui.py", 'f"cmd.{action}"'),
]


def _string_constants() -> set[str]:
    found: set[str] = set()
    for path in _python_files():
        if _rel(path) == CATALOGUE_FILE:
            continue
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.add(node.value)
    return found


def _binding_ids() -> set[str]:
    """The ids of the bindings declared with ``bind(key, action, id)`` and of the
    trainer's keys: ``key.<id>`` and ``key.<id>.tip`` are read by the binding's id
    (credx_tui/localize.py)."""
    ids = {action for _, action in WALK_KEYS}
    for path in _python_files():
        for node in ast.walk(_tree(path)):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "bind"
                and len(node.args) >= 3
                and isinstance(node.args[2], ast.Constant)
            ):
                ids.add(node.args[2].value)
    return ids


def test_every_dynamic_key_family_is_still_built_where_declared() -> None:
    gone = [
        (prefix, file, code)
        for prefix, file, code in DYNAMIC
        if code not in (ROOT / file).read_text(encoding="utf-8")
    ]
    assert gone == []


def test_every_catalogue_key_is_used() -> None:
    constants = _string_constants()
    by_binding = {f"key.{i}" for i in _binding_ids()} | {f"key.{i}.tip" for i in _binding_ids()}
    unused = sorted(
        key
        for key in CATALOGUE
        if key not in constants
        and key not in by_binding
        and not any(key.startswith(prefix) for prefix, _, _ in DYNAMIC)
    )
    assert unused == [], "delete dead keys, or declare the code that builds them in DYNAMIC"
