"""Fill linli/locale/en/LC_MESSAGES/django.po from scripts/en_catalog.py and report gaps.

Run `make messages`: it extracts the messages, applies this, and compiles the .mo.
"""

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from en_catalog import EN  # noqa: E402

PO = Path(__file__).resolve().parent.parent / "linli/locale/en/LC_MESSAGES/django.po"


def unquote(lines: list[str]) -> str:
    return "".join(re.match(r'^(?:msgid |msgstr )?"(.*)"$', ln).group(1) for ln in lines).encode().decode(
        "unicode_escape").encode("latin-1").decode("utf-8")


def quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def main() -> None:
    out, missing = [], []
    lines = PO.read_text().splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("msgid "):
            block = [line]
            i += 1
            while i < len(lines) and lines[i].startswith('"'):
                block.append(lines[i])
                i += 1
            msgid = unquote(block)
            out.extend(block)
            # skip the old msgstr
            assert lines[i].startswith("msgstr ")
            i += 1
            while i < len(lines) and lines[i].startswith('"'):
                i += 1
            if msgid == "":
                out.append('msgstr ""')
                out.append('"Content-Type: text/plain; charset=UTF-8\\n"')
                continue
            text = EN.get(msgid)
            if text is None:
                missing.append(msgid)
                text = ""
            out.append("msgstr " + quote(text))
            continue
        if line.startswith("#, fuzzy"):
            i += 1
            continue
        out.append(line)
        i += 1
    PO.write_text("\n".join(out) + "\n")
    for m in missing:
        print("untranslated:", m)
    print(f"{len(missing)} untranslated")


if __name__ == "__main__":
    main()
