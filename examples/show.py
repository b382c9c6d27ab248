"""Show a demo run the way a person sees it on GitHub: the log with its annotations, the step's
outputs, and the job summary rendered as text.

    python examples/show.py LOG OUTPUT_FILE SUMMARY_FILE

Only the standard library: the demo's environment holds the action's runtime packages only.
"""

from __future__ import annotations

import html
import re
import sys
from pathlib import Path

ANNOTATION = re.compile(r"::(error|warning|notice)(?: [^:]*)?::(.*)")
LABEL = {"error": "Error", "warning": "Warning", "notice": "Notice"}


def unescape_data(text: str) -> str:
    """A workflow command's message as the runner reads it (%0A, %0D, %25)."""
    return text.replace("%0A", "\n").replace("%0D", "\r").replace("%25", "%")


def show_log(text: str) -> str:
    """The log as the Actions page shows it: annotations labelled, commands the runner eats left out."""
    shown, stopped = [], None
    for line in text.splitlines():
        if stopped is not None:  # between ::stop-commands:: and its token, every line is text
            if line == f"::{stopped}::":
                stopped = None
            else:
                shown.append(line)
            continue
        if line.startswith("::stop-commands::"):
            stopped = line.removeprefix("::stop-commands::")
        elif found := ANNOTATION.fullmatch(line):
            shown.append(f"{LABEL[found.group(1)]}: {unescape_data(found.group(2))}")
        elif line.startswith("::group::"):
            shown.append("▸ " + line.removeprefix("::group::"))
        elif not line.startswith(("::add-mask::", "::debug::", "::endgroup::")):
            shown.append(line)
    return "\n".join(shown)


def read_outputs(text: str) -> dict[str, str]:
    """The step's outputs from $GITHUB_OUTPUT: `name<<DELIMITER` blocks, or `name=value` lines."""
    outputs: dict[str, str] = {}
    lines = iter(text.split("\n"))
    for line in lines:
        if "<<" in line:
            name, delimiter = line.split("<<", 1)
            value = []
            for body in lines:
                if body == delimiter:
                    break
                value.append(body)
            outputs[name] = "\n".join(value)
        elif "=" in line:
            name, value_line = line.split("=", 1)
            outputs[name] = value_line
    return outputs


def show_outputs(outputs: dict[str, str]) -> str:
    return "\n".join(f"{name}: {value if value else '(empty)'}" for name, value in outputs.items())


LINK = re.compile(r'<a href="([^"]*)">(.*?)</a>')


def inline(text: str, addresses: bool = True) -> str:
    """One line of the summary's Markdown and HTML as its reader sees it; a link shows its
    address after its text, except in a table, where it would crowd the columns."""

    def link(found: re.Match[str]) -> str:
        url, label = html.unescape(found.group(1)), inline(found.group(2))
        return label if label == url or not addresses else f"{label} <{url}>"

    text = LINK.sub(link, text)
    text = re.sub(r"<br\s*/?>", " / ", text)
    text = re.sub(r"</?(?:b|strong|i|em|code|sub|sup|span|summary)[^>]*>", "", text)
    text = re.sub(r"`([^`]*)`", r"\1", text)
    text = re.sub(r"\*\*([^*]+)\*\*", r"\1", text)
    return html.unescape(text).replace("\u2060", "")  # a word joiner keeps a URL from linking itself


def cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def show_table(rows: list[list[str]]) -> list[str]:
    """Aligned columns; a long value is cut (the record is whole above), the last column never."""
    cells = [[inline(cell.strip(), addresses=False) for cell in row] for row in rows]
    widths = [min(max(len(row[i]) for row in cells if i < len(row)), 44) for i in range(len(cells[0]))]
    last = len(widths) - 1
    lines = []
    for number, row in enumerate(cells):
        shown = [cell if i == last else cut(cell, widths[i]).ljust(widths[i]) for i, cell in enumerate(row)]
        lines.append("  ".join(shown).rstrip())
        if number == 0:
            lines.append("  ".join("─" * width for width in widths[:last]) + "  " + "─" * 6)
    return lines


def show_summary(markdown: str) -> str:
    """The job summary as text: headings, aligned tables, links with their address, the chart's lines."""
    lines, table, fence = [], [], None
    for line in markdown.splitlines():
        if fence is not None:
            if line.startswith("```"):
                fence = None
            else:
                lines.append("    " + line)
            continue
        if line.startswith("|"):
            row = [cell for cell in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
            if not all(re.fullmatch(r"\s*:?-+:?\s*", cell) for cell in row):
                table.append(row)
            continue
        if table:
            lines += show_table(table)
            table = []
        if line.startswith("```"):
            fence = line[3:].strip()
            lines.append(f"  ({fence or 'text'}:)" if fence == "mermaid" else "")
        elif heading := re.fullmatch(r"#+ (.*)", line):
            title = inline(heading.group(1))
            lines += [title, "═" * len(title)]
        elif line.strip() in ("<details>", "</details>"):
            continue
        else:
            lines.append(inline(line))
    if table:
        lines += show_table(table)
    return "\n".join(lines).strip()


# What a runner would read as a workflow command: `::` after spaces, `##[` anywhere in a line.
COMMAND = re.compile(r"^(\s*)::|##(?=\[)", re.MULTILINE)


def inert(text: str) -> str:
    """Text shown back with every command-like start broken by a word joiner (U+2060): what the
    action escaped, this script unescapes, and a runner reading this output must not act on it."""
    return COMMAND.sub(lambda m: f"{m.group(1)}:\u2060:" if m.group(0).endswith("::") else "#\u2060#", text)


def main(log: str, output: str, summary: str) -> None:
    print(inert(show_log(Path(log).read_text(encoding="utf-8", errors="replace"))))
    print("\n--- outputs")
    print(inert(show_outputs(read_outputs(Path(output).read_text(encoding="utf-8")))))
    print(f"\n--- job summary (the Markdown file: {summary})\n")
    print(inert(show_summary(Path(summary).read_text(encoding="utf-8"))))


if __name__ == "__main__":
    main(*sys.argv[1:4])
