"""The one line breaker (issue 15; ux15b item 2 merged stu15's ``wrap`` and trn15's
``divide_line``): 、 and ） never start a line and （ never ends one, Chinese breaks
between characters, Latin words stay whole, long paths break after ``/``.  The same
rules serve Rich/Textual (``divide_line``, installed by the app) and the text credx
lays out itself (``wrap``: printing, F3, notices, the trail, toasts)."""

from __future__ import annotations

import itertools

from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

from credx_tui.linebreak import NO_END, NO_START, divide_line, wrap
from credx_tui.widgets.line_breaking import install


def lines(text: str, width: int) -> list[str]:
    """``text`` cut where :func:`divide_line` breaks it."""
    cuts = [0, *divide_line(text, width), len(text)]
    return [text[a:b] for a, b in itertools.pairwise(cuts)]


def test_wrap_keeps_punctuation_and_words_and_breaks_paths_at_slashes():
    """、 and ） never start a line, an English word is never cut, a long path breaks
    after a ``/``."""
    text = "【R1】已通过，无需兑换：高等数学、英语、计算机应用基础、大学物理、体育与健康（合格）"
    for width in range(8, 40):
        got = wrap(text, width)
        assert "".join(got) == text
        assert all(cell_len(ln) <= width for ln in got)
        assert not [ln for ln in got[1:] if ln[0] in "、，）："]
        assert not [ln for ln in got[:-1] if ln[-1] in "（【《"]
    english = "R1: passed, nothing to exchange: Higher Mathematics, English listening"
    for width in range(12, 40):
        words = " ".join(wrap(english, width)).split()
        assert words == english.split()
    path = "/home/student/credx-prints/transcript-2018110101.pdf"
    got = wrap("已保存到 " + path, 30)
    assert "".join(got) == "已保存到 " + path
    assert all(ln.endswith(("/", "-")) for ln in got[:-1]), got


def test_chinese_lines_break_by_the_rules() -> None:
    """``divide_line`` keeps 。，）with the character before and （ with the one after,
    breaks Chinese between characters, keeps Latin words whole."""
    text = "二级学院审核通过后流程结束。回到学生成绩总表：高等数学(2-1) 显示为兑换，已获得学分随之变化。"
    assert lines(text, 30)[-1] == "化。"
    text = "选高等数学(2-1)（4 学分），只勾一门 2 学分的通识选修课，提交：对话框说明不满足兑换比例（R8），重新选择。"
    broken = lines(text, 31)
    assert all(not line.rstrip().endswith("（") for line in broken)
    assert broken[0].startswith("选高等数学(2-1)（4 学分），只")  # not cut at the space
    assert lines("不参与学分兑换（rules.excluded.military）", 20)[1].startswith("（rules")
    assert lines("hello world this is a test", 10) == ["hello ", "world this ", "is a test"]
    assert lines("averyveryverylongword", 10) == ["averyveryv", "erylongwor", "d"]
    assert divide_line("abc", 0) == []


def test_hanging_indent_and_paragraphs():
    """``first`` starts the first line, ``rest`` the others; each ``\\n`` paragraph
    wraps on its own and keeps the hanging indent; no line is wider than asked."""
    text = "【R5】军事技能类课程不参与学分兑换，不能作为来源（第五条）。\n另见第二段说明文字"
    got = wrap(text, 20, "  - ", "    ")
    assert got[0].startswith("  - 【R5】")
    assert all(ln.startswith("    ") for ln in got[1:])
    assert all(cell_len(ln) <= 20 for ln in got)
    assert "".join(ln[4:] for ln in got) == text.replace("\n", "")
    assert not [ln for ln in got[1:] if ln.strip()[0] in NO_START]


def test_the_two_ways_in_break_alike():
    """Without a prefix, :func:`wrap` gives the lines :func:`divide_line` gives (less
    the spaces at the breaks): one set of rules for every text credx shows."""
    samples = [
        "选高等数学(2-1)（4 学分），只勾一门 2 学分的通识选修课，提交：对话框说明不满足兑换比例（R8）。",
        "Saved to /home/student/credx-prints/transcript-2018110101-20260401.pdf, fetch it",
        "2 credits of general electives already spent by XF2026-0001 (R8)",
    ]
    for text in samples:
        for width in (12, 20, 31, 47):
            assert wrap(text, width) == [ln.strip() for ln in lines(text, width)], (text, width)


def test_rich_text_follows_the_rules_once_installed():
    """:func:`install` puts :func:`divide_line` into Rich's Text (and Textual's
    Content): a rendered paragraph loses no character (a clause id longer than what is
    left of the line is folded, never cropped), and where the rules can be kept no line
    starts with ）or 。 nor ends with （."""
    install()
    text = "不参与学分兑换（rules.excluded.military），已通过（合格）。另有两门课程（R5）。"
    for width in (16, 20, 24, 30, 40):
        console = Console(width=width, record=True, color_system=None, legacy_windows=False)
        console.print(Text(text))
        drawn = [ln.rstrip() for ln in console.export_text().splitlines() if ln.strip()]
        assert "".join(drawn) == text, (width, drawn)
        if width >= 30:  # room for （rules.excluded.military）， on one line
            assert not [ln for ln in drawn[1:] if ln[0] in NO_START], drawn
            assert not [ln for ln in drawn[:-1] if ln[-1] in NO_END], drawn
