"""The message catalogue: complete in both languages, and free of East-Asian
ambiguous glyphs that shift columns on "ambiguous = wide" terminals (style.md, 8)."""

from __future__ import annotations

import string
import unicodedata

from credx_tui.i18n import CATALOGUE, t


def test_no_east_asian_ambiguous_glyphs_in_the_catalogue():
    bad = {
        key: sorted({ch for ch in text if unicodedata.east_asian_width(ch) == "A"})
        for key, pair in CATALOGUE.items()
        for text in pair
        if any(unicodedata.east_asian_width(ch) == "A" for ch in text)
    }
    assert bad == {}


def test_every_entry_has_chinese_and_english_with_the_same_fields():
    fields = string.Formatter()
    for key, (zh, en) in CATALOGUE.items():
        assert zh.strip() and en.strip(), key
        zh_fields = {f for _, f, _, _ in fields.parse(zh) if f}
        en_fields = {f for _, f, _, _ in fields.parse(en) if f}
        assert zh_fields == en_fields, key


def test_guide_terms_are_used_verbatim():
    """The seed guide's words, exactly (seed/credit-exchange-procedure.zh.txt)."""
    for key, words in {
        "exchange.results": "申请结果",
        "exchange.empty": "没有符合表中记录",
        "col.trail": "流程跟踪",
        "col.relation": "认定关系",
        "portal.menu.transcript": "学生成绩总表打印",
        "portal.menu.exchange": "学分兑换",
        "portal.menu.query": "信息查询",
        "portal.menu.apply": "报名申请",
        "transcript.blank": "以下空白",
        "status.审核中": "审核中",
        "status.审核通过": "审核通过",
        "status.被退回": "被退回",
        "status.无流程": "无流程",
    }.items():
        assert t(key, "zh") == words


def test_unknown_key_shows_itself():
    assert t("no.such.key", "en") == "no.such.key"


def test_every_binding_of_ours_has_an_id_and_catalogue_texts():
    """Users can remap keys by id; the footer and tooltips come from the catalogue."""
    import importlib
    import inspect
    import pkgutil

    import credx_tui.dialogs
    import credx_tui.screens
    from credx_tui.app import CredxApp

    classes = [CredxApp]
    for package in (credx_tui.screens, credx_tui.dialogs):
        for info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            classes += [
                c
                for _, c in inspect.getmembers(module, inspect.isclass)
                if c.__module__ == module.__name__ and "BINDINGS" in c.__dict__
            ]
    missing = [
        (cls.__name__, binding.key)
        for cls in classes
        for binding in cls.__dict__["BINDINGS"]
        if not binding.id
        or f"key.{binding.id}" not in CATALOGUE
        or f"key.{binding.id}.tip" not in CATALOGUE
    ]
    assert missing == []
