"""``pbtlint shim import``: shim test results (XUnit or JUnit XML) merged into SARIF.

Exit codes: 0 no shim test failed, 1 at least one shim test failed (or errored), 2 usage or input error.
The command object is :data:`import_command`; the ``shim`` group registers it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from pbtlint.report import write_report
from pbtlint.shim.manifest import MANIFEST_NAME, ManifestError, ShimManifest, read_manifest
from pbtlint.shim.merge import Merged, MergeError, load_static, merge
from pbtlint.shim.results import ResultsError, ResultsFile, read_results

EXIT_CLEAN, EXIT_FAILED, EXIT_ERROR = 0, 1, 2


class ImportFailure(click.ClickException):
    """An input or usage problem: the message is shown, the exit code is 2."""

    exit_code = EXIT_ERROR


def find_manifest(given: str | None, results: list[Path], cwd: Path) -> Path:
    """``--manifest``, else ``pbtlint-shim.json`` beside a results file, else in ``cwd``."""
    if given:
        return Path(given)
    candidates = list(dict.fromkeys([*(r.parent / MANIFEST_NAME for r in results), cwd / MANIFEST_NAME]))
    for c in candidates:
        if c.is_file():
            return c
    looked = ", ".join(str(c) for c in candidates)
    raise ImportFailure(
        f"no shim manifest found; looked for {looked}. Pass --manifest with the {MANIFEST_NAME} that "
        "'pbtlint shim' wrote into the generated test app folder"
    )


def _read_results(results: list[Path]) -> list[ResultsFile]:
    try:
        return [read_results(p) for p in results]
    except ResultsError as e:
        raise ImportFailure(str(e)) from None


def _load(manifest_path: Path, static_sarif: str | None) -> tuple[ShimManifest, dict | None]:
    try:
        manifest = read_manifest(manifest_path)
        static = None
        if static_sarif:
            try:
                text = Path(static_sarif).read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError) as e:
                reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
                raise MergeError(f"{static_sarif}: cannot read the static SARIF ({reason})") from None
            static = load_static(text, static_sarif)
    except (ManifestError, MergeError) as e:
        raise ImportFailure(str(e)) from None
    return manifest, static


def _s(n: int) -> str:
    return "" if n == 1 else "s"


def summary(merged: Merged, with_static: bool) -> str:
    c = merged.counts
    text = (f"{len(merged.tests)} shim tests: {c['passed']} passed, {c['failed']} failed, "
            f"{c['error']} error{_s(c['error'])}, {c['skipped']} skipped, {c['notInResults']} not in the results")
    if merged.unknown:
        text += f"; {len(merged.unknown)} results not in the manifest (ignored)"
    if with_static:
        text += (f". Static findings: {merged.confirmed} confirmed, {merged.refuted} not reproduced; "
                 f"{merged.new_results} runtime failure{_s(merged.new_results)} with no static finding (gaps).")
    else:
        text += f". {merged.new_results} runtime failure{_s(merged.new_results)} reported."
    if merged.tests and all(t.outcome is None for t in merged.tests):
        text += " Warning: no result matches a test of the manifest (another manifest, or the tests did not run?)."
    return text


@click.command("import")
@click.argument("results", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--manifest", "-m", "manifest", type=click.Path(dir_okay=False),
              help=f"The {MANIFEST_NAME} of the generated test app (default: beside a results file, "
                   "then in the current folder).")
@click.option("--sarif", "static_sarif", type=click.Path(dir_okay=False),
              help="The static report ('pbtlint check -f sarif') to mark confirmed and refuted findings in.")
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False, allow_dash=True),
              help="Write the merged SARIF here ('-': standard output).")
@click.option("--path-prefix",
              help="Folder of the analyzed app relative to the repository root, put before the manifest's "
                   "paths (default: inferred from --sarif, else none).")
@click.pass_context
def import_command(ctx: click.Context, results: tuple[Path, ...], manifest: str | None, static_sarif: str | None,
                   output: str, path_prefix: str | None) -> None:
    """Merge shim test RESULTS (XUnit or JUnit XML from the AL test runner) into SARIF.

    With --sarif, static findings the run confirmed or did not reproduce are marked (result property
    pbtlint/runtime), and a failed test with no static finding becomes a result of its own (a gap).
    Exit codes: 0 no shim test failed, 1 a shim test failed, 2 usage or input error.
    """
    files = _read_results(list(results))
    manifest_path = find_manifest(manifest, list(results), Path.cwd())
    loaded, static = _load(manifest_path, static_sarif)
    prefix = path_prefix.strip("/\\") if path_prefix is not None else None
    merged = merge(loaded, files, static, static_sarif or "static SARIF", prefix)
    try:
        write_report(merged.sarif, None if output == "-" else output, sys.stdout)
    except OSError as e:
        raise ImportFailure(f"{output}: cannot write the SARIF ({e.strerror or e})") from None
    click.echo(summary(merged, static is not None), err=True)
    ctx.exit(EXIT_FAILED if merged.failed else EXIT_CLEAN)
