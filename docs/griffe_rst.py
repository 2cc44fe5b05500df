"""A Griffe extension for this site: the reST idioms of skimbnet's docstrings as Markdown.

skimbnet's docstrings are numpydoc, written for Sphinx as much as for ``help()``:
cross-reference roles (``:class:`~skimbnet.losses.LossStrategy```), ``:math:`` roles
and ``.. math::`` blocks, ``::`` literal blocks and simple reST tables. mkdocstrings
parses the numpydoc sections but renders the text as Markdown, where those idioms
show up verbatim. This extension rewrites them, in memory and for the site only
(the source files are not touched), before the docstrings are parsed:

- ``:role:`~a.b.C``` -> ```C```, ``:role:`a.b.C``` -> ```a.b.C```
- ``:math:`x``` -> ``\\(x\\)`` and a ``.. math::`` block -> ``\\[ ... \\]`` (MathJax)
- a paragraph ending in ``::`` -> ``:`` (the indented block after it is code already)
- a simple reST table (``===`` borders) -> a Markdown table

Loaded from ``mkdocs.yml`` (``plugins: mkdocstrings: ... options: extensions``).
"""

from __future__ import annotations

import re

import griffe

_ROLE = re.compile(r":(?:py:)?(class|func|meth|mod|attr|data|obj|exc|ref|term):`(~?)([^`]+)`")
_MATH_ROLE = re.compile(r":math:`([^`]+)`")
_TABLE_BORDER = re.compile(r"^(\s*)(=+)( +=+)+\s*$")


def _role(match: re.Match) -> str:
    _kind, tilde, target = match.groups()
    target = target.strip()
    if "<" in target and target.endswith(">"):  # :ref:`text <target>`
        return f"`{target.split('<')[0].strip()}`"
    if tilde:
        target = target.rsplit(".", 1)[-1]
    return f"`{target}`"


def _math_blocks(lines: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.lstrip()
        if stripped.startswith(".. math::"):
            indent = line[: len(line) - len(stripped)]
            body = [stripped[len(".. math::") :].strip()]
            i += 1
            while i < len(lines) and (
                not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip()) > len(indent)
            ):
                body.append(lines[i].strip())
                i += 1
            formula = " ".join(part for part in body if part)
            if out and out[-1].strip():
                out.append("")
            out += [f"{indent}\\[ {formula} \\]", ""]
            continue
        out.append(line)
        i += 1
    return out


def _columns(border: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(r"=+", border)]


def _cells(line: str, spans: list[tuple[int, int]]) -> list[str]:
    # columns are separated by two or more spaces; a cell that overflows its border
    # (docstring tables are not always aligned) is still one cell
    parts = re.split(r"\s{2,}", line.strip())
    if len(parts) == len(spans) and line[: spans[0][1]].strip():
        return parts
    cells = []
    for k, (start, _end) in enumerate(spans):
        stop = spans[k + 1][0] if k + 1 < len(spans) else len(line)
        cells.append(line[start:stop].strip() if start < len(line) else "")
    return cells


def _tables(lines: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(lines):
        if not _TABLE_BORDER.match(lines[i]):
            out.append(lines[i])
            i += 1
            continue
        spans = _columns(lines[i])
        indent = _TABLE_BORDER.match(lines[i]).group(1)
        rows: list[list[str]] = []
        borders = 1
        i += 1
        while i < len(lines) and borders < 3:
            line = lines[i]
            if _TABLE_BORDER.match(line):
                borders += 1
            elif line.strip():
                cells = _cells(line, spans)
                if rows and not cells[0]:  # a continuation line: join with the row above
                    rows[-1] = [f"{a} {b}".strip() for a, b in zip(rows[-1], cells)]
                else:
                    rows.append(cells)
            i += 1
        if not rows:
            continue
        if out and out[-1].strip():
            out.append("")
        out.append(indent + "| " + " | ".join(rows[0]) + " |")
        out.append(indent + "|" + "---|" * len(spans))
        out += [indent + "| " + " | ".join(row) + " |" for row in rows[1:]]
        out.append("")
    return out


def rst_to_markdown(text: str) -> str:
    """The docstring ``text`` with its reST idioms rewritten as Markdown."""
    lines = _tables(_math_blocks(text.splitlines()))
    text = "\n".join(lines)
    text = _MATH_ROLE.sub(lambda m: f"\\({m.group(1)}\\)", text)
    text = _ROLE.sub(_role, text)
    lines = text.splitlines()
    lines = [re.sub(r"(\S)::$", r"\1:", line) for line in lines]
    return "\n".join(lines)


class RstToMarkdown(griffe.Extension):
    """Rewrite each docstring's reST idioms before mkdocstrings parses it."""

    def on_instance(self, *, obj: griffe.Object, **kwargs) -> None:
        if obj.docstring is not None:
            obj.docstring.value = rst_to_markdown(obj.docstring.value)
