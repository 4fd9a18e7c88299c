"""Every command, option and environment variable the code knows is documented where a
reader looks for it: each option in its own command's section of docs/, each variable
in docs/environment.md; every relative link of the README and docs/ leads somewhere,
and every rule's runbook_url to its own section of docs/runbooks.md. The incident
message docs/incidents.md shows is what the markdown formatter draws."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from monitor.cli import build_parser
from monitor.config import load_config
from monitor.cycle import BUILT_IN_RULES
from monitor.notify.formats.markdown import markdown
from tests.incident_bodies import demo_body, rules_of

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
HEADING = re.compile(r"^(#{1,6}) +(.*?) *#*$")


def headings(text: str) -> list[tuple[int, int, str]]:
    """(line index, level, text) of each markdown heading, code fences skipped."""
    out, fence = [], False
    for i, line in enumerate(text.splitlines()):
        if line.startswith("```"):
            fence = not fence
        elif not fence and (m := HEADING.match(line)):
            out.append((i, len(m[1]), m[2]))
    return out


def pages() -> dict[Path, str]:
    return {page: page.read_text() for page in PAGES}


def sections_naming(name: str, texts: dict[Path, str]) -> list[tuple[Path, str]]:
    """Each section whose heading is the code span `prediction-monitor NAME`, with its
    subsections: up to the next heading of its level or above."""
    out = []
    for page, text in texts.items():
        lines = text.splitlines()
        found = headings(text)
        for k, (i, level, title) in enumerate(found):
            if f"`prediction-monitor {name}`" not in title:
                continue
            end = next((j for j, lvl, _ in found[k + 1:] if lvl <= level), len(lines))
            out.append((page, "\n".join(lines[i:end])))
    return out


def commands() -> list[tuple[str, argparse.ArgumentParser]]:
    out: list[tuple[str, argparse.ArgumentParser]] = []

    def walk(prefix: str, parser: argparse.ArgumentParser) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    out.append((f"{prefix} {name}".strip(), sub))
                    walk(f"{prefix} {name}".strip(), sub)

    walk("", build_parser())
    return out


def long_flags(parser: argparse.ArgumentParser) -> list[str]:
    return [flag for action in parser._actions for flag in action.option_strings
            if flag.startswith("--") and flag != "--help"]


def has_subcommands(parser: argparse.ArgumentParser) -> bool:
    return any(isinstance(a, argparse._SubParsersAction) for a in parser._actions)


def flag_in(flag: str, text: str) -> bool:
    # --format is not documented by --formats, nor --as-of by --as-of-time
    return re.search(re.escape(flag) + r"(?![\w-])", text) is not None


def undocumented(name: str, parser: argparse.ArgumentParser,
                 texts: dict[Path, str]) -> list[str]:
    """The options of a command its one section does not name (a problem as text when
    it has no section, or several)."""
    found = sections_naming(name, texts)
    if len(found) != 1:
        return [f"`prediction-monitor {name}` has {len(found)} sections in docs/, not one"]
    _, section = found[0]
    return [flag for flag in long_flags(parser) if not flag_in(flag, section)]


@pytest.mark.parametrize("name, parser", commands(), ids=[c[0] for c in commands()])
def test_each_option_is_in_its_own_commands_section(name: str,
                                                    parser: argparse.ArgumentParser) -> None:
    texts = pages()
    if has_subcommands(parser):  # `schema`: its subcommands have the sections
        assert long_flags(parser) == []
        assert f"prediction-monitor {name}" in texts[DOCS / "commands.md"]
        return
    assert undocumented(name, parser, texts) == [], (
        f"document these options of `{name}` in its section of docs/commands.md")


def test_an_option_named_only_outside_its_commands_section_is_undocumented() -> None:
    run = dict(commands())["run"]
    texts = pages()
    assert undocumented("run", run, texts) == []
    (page, section), = sections_naming("run", texts)
    texts[page] = texts[page].replace(section, section.replace("--create", "--crate"))
    texts[ROOT / "README.md"] += "\n`prediction-monitor run --create`\n"  # elsewhere
    assert undocumented("run", run, texts) == ["--create"]
    texts[page] += "\n## `prediction-monitor run`\n\n`--create`\n"  # two sections
    assert undocumented("run", run, texts) == [
        "`prediction-monitor run` has 2 sections in docs/, not one"]


def test_the_global_options_are_in_the_commands_page() -> None:
    text = (DOCS / "commands.md").read_text()
    intro = text.split("\n## `prediction-monitor ", 1)[0]
    assert long_flags(build_parser()) == ["--debug"]
    assert flag_in("--debug", intro)


def environment_variables() -> set[str]:
    source = "\n".join(p.read_text() for p in (ROOT / "monitor").rglob("*.py"))
    names = set(re.findall(r"""env(?:iron)?(?:\.get)?\(?\[?\s*["']([A-Z][A-Z0-9_]+)["']""",
                           source))
    provenance = r"""_env_value\(\s*[^,]+,\s*["']([A-Z_]+)["'](?:,\s*["']([A-Z_]+)["'])?"""
    names |= {n for pair in re.findall(provenance, source) for n in pair}
    names.discard("")
    return names


def test_every_environment_variable_is_in_the_environment_page() -> None:
    names = environment_variables()
    assert len(names) > 10
    page = (DOCS / "environment.md").read_text()
    missing = sorted(n for n in names if f"`{n}`" not in page)
    assert missing == [], f"document these environment variables in docs/environment.md: {missing}"


def anchors(page: Path) -> set[str]:
    """GitHub's anchors of a page's headings: lower case, punctuation but - and _
    dropped, spaces to -, a repeated one suffixed -1, -2, ..."""
    out: set[str] = set()
    for _, _, title in headings(page.read_text()):
        slug = re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")
        candidate, n = slug, 0
        while candidate in out:
            n += 1
            candidate = f"{slug}-{n}"
        out.add(candidate)
    return out


LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def relative_links(page: Path) -> list[str]:
    prose, fence = [], False  # link text may wrap over lines; code blocks hold no links
    for line in page.read_text().splitlines():
        if line.startswith("```"):
            fence = not fence
        elif not fence:
            prose.append(line)
    return [t for t in LINK.findall("\n".join(prose)) if not urlsplit(t).scheme]


def broken(page: Path, target: str) -> str | None:
    path, _, anchor = target.partition("#")
    dest = (page.parent / unquote(path)).resolve() if path else page
    if not dest.exists():
        return f"{page.relative_to(ROOT)}: {target} (no such file)"
    if anchor and dest.suffix == ".md" and anchor not in anchors(dest):
        return f"{page.relative_to(ROOT)}: {target} (no such heading)"
    return None


def test_every_relative_link_leads_to_a_file_and_heading() -> None:
    links = [(page, t) for page in PAGES for t in relative_links(page)]
    assert len(links) > 30
    assert [b for page, t in links if (b := broken(page, t))] == []


def test_the_link_check_sees_a_missing_heading_and_a_missing_file() -> None:
    readme = ROOT / "README.md"
    assert broken(readme, "docs/runbooks.md#hit_rate_below_55") is None
    assert broken(readme, "docs/runbooks.md#no_such_rule") is not None
    assert broken(readme, "docs/no_such_page.md") is not None


def test_every_rules_runbook_is_a_section_of_the_runbooks_page() -> None:
    rules = [*load_config(ROOT / "alerts.yaml").rules, *BUILT_IN_RULES]
    sections = anchors(DOCS / "runbooks.md")
    assert [r.name for r in rules if r.runbook_url != f"runbooks.md#{r.name}"] == []
    assert sorted(r.name for r in rules if r.name not in sections) == []


def test_the_readme_is_a_short_way_in() -> None:
    # What it is, the two set-up commands (the second is what .ci/run runs), what the
    # demo shows, the everyday commands and links; the rest lives in docs/.
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 250
    assert "make demo" in readme and "`.ci/run` calls `make test`" in readme
    assert (ROOT / ".ci" / "run").read_text().rstrip().endswith("make test")
    assert all(f"(docs/{page.name})" in readme for page in DOCS.glob("*.md"))


def fenced_after(text: str, heading: str, lang: str) -> str:
    """The first fenced block of `lang` under a heading, without its fences."""
    section = text.split(f"\n{heading}\n", 1)[1]
    return section.split(f"```{lang}\n", 1)[1].split("\n```\n", 1)[0] + "\n"


def test_the_rendered_incident_message_is_what_the_formatter_draws() -> None:
    """docs/incidents.md shows the demo incident's top-level message in markdown: the
    same incident, built by hand, drawn by monitor/notify/formats/markdown.py."""
    shown = fenced_after((DOCS / "incidents.md").read_text(),
                         "## A rendered incident message", "markdown")
    drawn = markdown(demo_body(rules_of(load_config(ROOT / "alerts.yaml"))))
    assert shown == drawn
