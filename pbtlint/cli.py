"""The ``pbtlint`` command line. The only module that prints.

Exit codes: 0 clean, 1 findings, 2 usage or internal error (click's own usage errors included).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from pathlib import Path

import click

from pbtlint import __version__
from pbtlint.findings import Finding

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def format_finding(finding: Finding) -> str:
    """A finding in the AL compiler's style: ``path(line,col): error PBT0000: message``."""
    loc = finding.location
    return (
        f"{loc.path}({loc.span.line},{loc.span.column}): "
        f"{finding.severity.value} {finding.rule_id}: {finding.message}"
    )


class PbtlintGroup(click.Group):
    """A click group whose usage errors exit with 2 and internal errors with 2 and a short message."""

    def main(self, *args, **kwargs):  # type: ignore[override]
        kwargs.setdefault("standalone_mode", False)
        try:
            rv = super().main(*args, **kwargs)
        except click.exceptions.Exit as e:
            sys.exit(e.exit_code)
        except click.ClickException as e:
            e.show()
            sys.exit(EXIT_ERROR)
        except click.exceptions.Abort:
            click.echo("Aborted.", err=True)
            sys.exit(EXIT_ERROR)
        except KeyboardInterrupt:
            sys.exit(EXIT_ERROR)
        sys.exit(rv if isinstance(rv, int) else EXIT_CLEAN)


@click.group(cls=PbtlintGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pbtlint")
def main() -> None:
    """pbtlint: static checks for Business Central page background tasks."""


def _files_with_symbols(paths: Sequence[str], defines: Sequence[str]) -> list[tuple[Path, str, tuple[str, ...]]]:
    """Every .al file under ``paths`` with the path to show and the preprocessor symbols of its app."""
    from pbtlint.project import discover

    workspace = discover([Path(p) for p in paths], defines=defines)
    out: list[tuple[Path, str, tuple[str, ...]]] = []
    for app in workspace.apps:
        symbols = tuple(app.manifest.preprocessor_symbols) if app.manifest else ()
        symbols += tuple(defines)
        for f in app.source_files:
            out.append((f, _display(f), symbols))
    return out


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--define", "-D", "defines", multiple=True, help="A preprocessor symbol (repeatable).")
@click.option("--ast", "show_ast", is_flag=True, help="Dump the typed AST of each file (for debugging).")
def parse(paths: tuple[str, ...], defines: tuple[str, ...], show_ast: bool) -> int:
    """Parse AL files and report syntax errors (PBT0000), with a summary line."""
    from pbtlint.astdump import dump
    from pbtlint.frontend import parse_file

    started = time.perf_counter()
    files = failures = lines = 0
    for path, shown, symbols in _files_with_symbols(paths, defines):
        parsed = parse_file(path, symbols, shown)
        files += 1
        lines += parsed.lines
        if parsed.findings:
            failures += 1
            for finding in parsed.findings:
                click.echo(format_finding(finding))
        if show_ast and parsed.unit is not None:
            click.echo(dump(parsed.unit))
    elapsed = time.perf_counter() - started
    rate = lines / elapsed if elapsed > 0 else 0.0
    click.echo(
        f"{files} files, {failures} with errors, {lines} lines in {elapsed:.2f} s ({rate:,.0f} lines/s)"
    )
    return EXIT_FINDINGS if failures else EXIT_CLEAN
