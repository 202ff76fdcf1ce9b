"""The ``pbtlint`` command line. The only module that prints.

Exit codes: 0 clean, 1 findings, 2 usage or internal error (click's own usage errors included).
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import click

from pbtlint import __version__
from pbtlint.config import ConfigError
from pbtlint.findings import Finding
from pbtlint.report import FORMATS, write_report

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
        except ConfigError as e:
            click.echo(f"pbtlint: configuration error: {e}", err=True)
            sys.exit(EXIT_ERROR)
        except click.exceptions.Abort:
            click.echo("Aborted.", err=True)
            sys.exit(EXIT_ERROR)
        except KeyboardInterrupt:
            sys.exit(EXIT_ERROR)
        except Exception as e:  # noqa: BLE001 - an internal error is reported, never a traceback
            click.echo(f"pbtlint: internal error: {type(e).__name__}: {e}", err=True)
            sys.exit(EXIT_ERROR)
        sys.exit(rv if isinstance(rv, int) else EXIT_CLEAN)


def exit_now(code: int) -> None:
    """End the process with ``code`` once stdout and stderr are flushed, without tearing down the heap.

    A run on the Base Application leaves millions of objects alive; freeing them one by one at
    interpreter exit took 11 to 14 s after the report was out (measured at the console script on
    BaseApp + System Application). Every file the run writes is closed by then and its worker
    processes are joined, so nothing is lost by skipping that; mypy's command line does the same.
    """
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe (``| head``) or stream: nothing more to say
            stream.flush()
    os._exit(code)


def run() -> None:
    """The ``pbtlint`` console script: :data:`main` with its exit code, ended by :func:`exit_now`
    (tests call :data:`main` itself, which raises SystemExit as click commands do)."""
    try:
        main()
    except SystemExit as e:
        code = e.code
    else:
        code = EXIT_CLEAN
    if code is None:
        code = EXIT_CLEAN
    elif not isinstance(code, int):  # a message given to sys.exit: printed as Python would
        print(code, file=sys.stderr)
        code = EXIT_ERROR
    exit_now(code)


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
    from pbtlint.skeleton import parse_in_parts

    started = time.perf_counter()
    files = failures = lines = 0
    for path, shown, symbols in _files_with_symbols(paths, defines):
        parsed = parse_in_parts(path, symbols, shown)  # each body that does not parse gives its error
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


_SEVERITY_RANK = {"note": 0, "warning": 1, "error": 2}


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--format", "-f", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), help="Write the report here.")
@click.option(
    "--fail-on", type=click.Choice(["error", "warning", "note"]), default="note", show_default=True,
    help="Exit with 1 when an unsuppressed finding of this severity or higher is reported.",
)
@click.option("--exit-zero", is_flag=True, help="Exit with 0 even when there are findings.")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False), help="A .pbtlint.toml file.")
@click.option("--define", "-D", "defines", multiple=True, help="A preprocessor symbol (repeatable).")
@click.option(
    "--source-root", "extra_roots", multiple=True, type=click.Path(exists=True, file_okay=False),
    help="Extra AL sources (e.g. the Base Application) whose code calls are followed into.",
)
@click.option("--baseline", type=click.Path(exists=True, dir_okay=False), help="Hide findings recorded here.")
@click.option("--write-baseline", type=click.Path(dir_okay=False), help="Record the current findings here.")
@click.option("--sarif-category", help="SARIF automationDetails category (only when set).")
@click.option("--show-suppressed", is_flag=True, help="List suppressed findings too (text formats).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Parse with this many processes (default: one per CPU this process may use; the "
                   "findings are the same).")
@click.option("--full-parse", is_flag=True,
              help="Parse every file and every body, not only what page background tasks can reach "
                   "(same findings; also reports syntax errors in code the analysis never needs).")
@click.option("--cache-dir", type=click.Path(file_okay=False),
              help="Keep the analysis cache here (default: pbtlint's folder in the user's cache directory).")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the analysis cache.")
def check(
    paths: tuple[str, ...], fmt: str, output: str | None, fail_on: str, exit_zero: bool,
    config_file: str | None, defines: tuple[str, ...], extra_roots: tuple[str, ...], baseline: str | None,
    write_baseline: str | None, sarif_category: str | None, show_suppressed: bool, jobs: int | None,
    full_parse: bool, cache_dir: str | None, no_cache: bool,
) -> int:
    """Analyze the apps under PATHS (default: the current directory) and report findings.

    Given .al files (as pre-commit does), each file's whole app is analyzed and only findings in the
    given files are reported. Only the code page background tasks can reach is parsed, and results are
    cached per file; --full-parse parses everything.
    """
    from pbtlint.check import CheckOptions, run_check
    from pbtlint.parallel import usable_cpus

    options = CheckOptions(
        paths=paths or (".",), fmt=fmt, config_file=config_file, defines=defines, extra_roots=extra_roots,
        baseline=baseline, write_baseline=write_baseline, sarif_category=sarif_category,
        show_suppressed=show_suppressed, jobs=jobs or usable_cpus(), full_parse=full_parse, cache_dir=cache_dir,
        use_cache=not no_cache,
    )
    progress = (lambda msg: click.echo(msg, err=True)) if sys.stderr.isatty() else None
    outcome = run_check(options, progress)
    write_report(outcome.report, output, sys.stdout)
    if exit_zero:
        return EXIT_CLEAN
    threshold = _SEVERITY_RANK[fail_on]
    failing = [
        f for f in outcome.findings if f.suppression is None and _SEVERITY_RANK[f.severity.value] >= threshold
    ]
    return EXIT_FINDINGS if failing else EXIT_CLEAN


@main.command("rules")
def list_rules() -> int:
    """List the rule catalogue: id, name, default severity and summary."""
    from pbtlint.rule import all_rules

    for rule in all_rules():
        meta = rule.meta
        click.echo(f"{meta.id}  {meta.name:<34} {meta.severity.value:<8} {meta.summary}")
    return EXIT_CLEAN


@main.command()
@click.argument("rule_id")
def explain(rule_id: str) -> int:
    """Print the documentation of a rule (e.g. pbtlint explain PBT0001)."""
    from pbtlint.rule import rule_by_id

    rule = rule_by_id(rule_id)
    if rule is None:
        raise click.UsageError(f"no rule {rule_id!r}; 'pbtlint rules' lists them")
    meta = rule.meta
    click.echo(f"{meta.id} {meta.name} (default: {meta.severity.value})\n")
    click.echo(rule.doc())
    return EXIT_CLEAN


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--format", "-f", "fmt", type=click.Choice(["mermaid", "dot"]), default="mermaid", show_default=True)
@click.option("--define", "-D", "defines", multiple=True, help="A preprocessor symbol (repeatable).")
@click.option(
    "--source-root", "extra_roots", multiple=True, type=click.Path(exists=True, file_okay=False),
    help="Extra AL sources whose code calls are followed into.",
)
def graph(paths: tuple[str, ...], fmt: str, defines: tuple[str, ...], extra_roots: tuple[str, ...]) -> int:
    """Draw, for each enqueue site, the tree of what its task reaches (writes, UI and opaque calls marked)."""
    from pbtlint.graph_render import render_dot, render_mermaid
    from pbtlint.project import discover
    from pbtlint.runner import analyze_projects

    render = render_mermaid if fmt == "mermaid" else render_dot
    workspace = discover([Path(p) for p in paths or (".",)], [Path(r) for r in extra_roots], defines)
    for _app, _files, project in analyze_projects(workspace):
        if project.enqueue.sites:
            click.echo(render(project))
    return EXIT_CLEAN


def _register_subcommands() -> None:
    from pbtlint.shim.cli import shim

    main.add_command(shim)


_register_subcommands()
