"""The English catalog is complete and compiled: every UI string has its English."""

import gettext
import re
from pathlib import Path

LOCALE = Path(__file__).resolve().parent.parent / "linli" / "locale" / "en" / "LC_MESSAGES"


def po_entries() -> dict[str, str]:
    text = (LOCALE / "django.po").read_text()
    entries = {}
    for block in text.split("\n\n"):
        m = re.search(r'^msgid ((?:".*"\n?)+)^msgstr ((?:".*"\n?)+)', block + "\n", re.M)
        if m:
            msgid = "".join(re.findall(r'"(.*)"', m.group(1)))
            entries[msgid] = "".join(re.findall(r'"(.*)"', m.group(2)))
    return {k: v for k, v in entries.items() if k}


def test_every_message_translated():
    entries = po_entries()
    assert len(entries) > 200
    untranslated = [k for k, v in entries.items() if not v]
    assert not untranslated, f"add English for: {untranslated}"
    assert "#, fuzzy" not in (LOCALE / "django.po").read_text()


def test_compiled_catalog_is_current():
    with open(LOCALE / "django.mo", "rb") as fh:
        mo = gettext.GNUTranslations(fh)
    for msgid, msgstr in po_entries().items():
        assert (
            mo.gettext(msgid.encode().decode("unicode_escape").encode("latin-1").decode())
            == msgstr.encode().decode("unicode_escape").encode("latin-1").decode()
        ), f"recompile (make messages): {msgid}"
