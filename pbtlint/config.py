"""Configuration: ``.pbtlint.toml`` / ``[tool.pbtlint]``, AL ruleset files and the VS Code workspace.

Where it comes from:

- ``--config FILE`` (a ``.toml`` file; for a ``pyproject.toml`` its ``[tool.pbtlint]`` table), else the
  nearest ``.pbtlint.toml``, or ``pyproject.toml`` that has a ``[tool.pbtlint]`` table, found by walking
  up from the analyzed path (in each directory ``.pbtlint.toml`` wins).
- An AL ruleset (``*.ruleset.json``): the config's ``ruleset`` key, else ``al.ruleSetPath`` of the nearest
  ``.vscode/settings.json`` above the analyzed path that sets it (relative to the folder holding
  ``.vscode``; ``${workspaceFolder}`` is understood). ``includedRuleSets`` are followed, relative to the
  including file, each file at most once per chain (a cycle is cut, not an error).

Keys (kebab-case; snake_case spellings are accepted too)::

    severity = { PBT0010 = "error", PBT0040 = "none" }   # error | warning | note (info) | hidden | none
    disable = ["PBT0035"]            # rules that do not run at all
    include = ["src/**"]             # globs relative to the config file's folder (default: everything)
    exclude = ["**/test/**", "Generated"]   # a glob without "/" matches any folder or file name
    defines = ["CLEAN24"]            # preprocessor symbols, added to app.json's preprocessorSymbols
    source-roots = ["../base-app"]   # extra source trees used for resolution, not reported on
    cache-dir = ".pbtlint_cache"
    ruleset = "pbt.ruleset.json"

Severity resolution for a rule (see :meth:`Config.resolve`): ``disable`` removes its findings;
``severity`` in the TOML file wins over the ruleset's rule entry, which wins over the rule's default.
A ruleset's ``generalAction`` acts like the AL compiler's: on *warnings* of rules without their own
entry (``Error`` makes them errors, ``Info`` notes, ``Hidden``/``None`` hides them).

Anything wrong raises :class:`ConfigError`, which names the file and the place; the CLI turns it into
exit code 2.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePath
from typing import Any

from pbtlint.findings import Severity

CONFIG_NAME = ".pbtlint.toml"
PYPROJECT_NAME = "pyproject.toml"

ACTIONS = ("error", "warning", "info", "hidden", "none", "default")
"""Ruleset actions, lower-cased. ``default`` keeps the rule's own severity."""

_TOML_SEVERITIES = {
    "error": "error",
    "warning": "warning",
    "note": "info",
    "info": "info",
    "hidden": "hidden",
    "none": "none",
    "off": "none",
    "default": "default",
}
_ACTION_SEVERITY = {"error": Severity.ERROR, "warning": Severity.WARNING, "info": Severity.NOTE}
_RULE_ID = re.compile(r"^[A-Za-z]+[0-9]+$")
_SYMBOL = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class ConfigError(Exception):
    """A configuration, ruleset, settings or baseline file is unusable. ``str()`` names the file and place."""

    def __init__(
        self, source: str, message: str, *, line: int | None = None, column: int | None = None,
        key: str | None = None,
    ) -> None:
        self.source = source
        self.message = message
        self.line = line
        self.column = column
        self.key = key
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.source
        if self.line is not None:
            where += f":{self.line}" + (f":{self.column}" if self.column is not None else "")
        if self.key:
            where += f": {self.key}"
        return f"{where}: {self.message}"


# --------------------------------------------------------------------------- lenient JSON


def strip_json_comments(text: str) -> str:
    """``text`` with ``//`` and ``/* */`` comments and trailing commas blanked out, outside strings only.

    Blanked characters become spaces (newlines are kept), so line and column numbers stay valid.
    """
    out = list(text)
    i, n = 0, len(text)
    in_string = False
    while i < n:
        ch = text[i]
        if in_string:
            if ch == "\\":
                i += 2
                continue
            if ch == '"':
                in_string = False
            i += 1
        elif ch == '"':
            in_string = True
            i += 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            for k in range(i, end):
                out[k] = " "
            i = end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            for k in range(i, end):
                if out[k] != "\n":
                    out[k] = " "
            i = end
        else:
            i += 1
    # trailing commas: a comma outside strings followed (after blanks) by } or ]
    in_string = False
    i = 0
    while i < n:
        ch = out[i]
        if in_string:
            if ch == "\\":
                i += 2
                continue
            if ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch == ",":
            k = i + 1
            while k < n and out[k] in " \t\r\n":
                k += 1
            if k < n and out[k] in "}]":
                out[i] = " "
        i += 1
    return "".join(out)


def read_lenient_json(path: Path) -> Any:
    """A JSON file that may have comments and trailing commas (as VS Code and AL accept)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(str(path), f"cannot read: {e}") from None
    try:
        return json.loads(strip_json_comments(text))
    except json.JSONDecodeError as e:
        raise ConfigError(str(path), f"not valid JSON: {e.msg}", line=e.lineno, column=e.colno) from None


def _casefold_keys(obj: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in obj.items():
        out.setdefault(k.casefold(), v)
    return out


# --------------------------------------------------------------------------- rulesets


@dataclass(frozen=True, slots=True)
class RuleSet:
    """The merged content of a ruleset file and everything it includes."""

    path: Path
    general_action: str = "default"
    actions: Mapping[str, str] = field(default_factory=dict)
    files: tuple[Path, ...] = ()


def _action(value: Any, source: str, key: str) -> str:
    if not isinstance(value, str) or value.lower() not in ACTIONS:
        expected = "Error, Warning, Info, Hidden, None or Default"
        raise ConfigError(source, f"action {value!r} is not one of {expected}", key=key)
    return value.lower()


def _ruleset_include_path(raw: str, including: Path, workspace: Path | None) -> Path:
    raw = raw.replace("${workspaceFolder}", str(workspace or including.parent)).replace("\\", "/")
    p = Path(raw)
    return p if p.is_absolute() else including.parent / p


def _load_ruleset(
    path: Path, stack: tuple[Path, ...], files: list[Path], workspace: Path | None
) -> tuple[str, dict[str, str]]:
    key = Path(os.path.normpath(path.absolute()))
    if key in stack:  # a cycle: this file is already being merged further up the chain
        return "default", {}
    if key not in files:
        files.append(key)
    source = str(path)
    doc = read_lenient_json(path)
    if not isinstance(doc, dict):
        raise ConfigError(source, "a ruleset must be a JSON object")
    doc = _casefold_keys(doc)
    general = _action(doc.get("generalaction", "Default"), source, "generalAction")
    actions: dict[str, str] = {}
    included_general = "default"
    includes = doc.get("includedrulesets", [])
    if not isinstance(includes, list):
        raise ConfigError(source, "must be a list", key="includedRuleSets")
    for i, inc in enumerate(includes):
        where = f"includedRuleSets[{i}]"
        if not isinstance(inc, dict):
            raise ConfigError(source, "must be an object with a path", key=where)
        inc = _casefold_keys(inc)
        raw = inc.get("path")
        if not isinstance(raw, str) or not raw.strip():
            raise ConfigError(source, "needs a path", key=where + ".path")
        inc_path = _ruleset_include_path(raw.strip(), path, workspace)
        if not inc_path.is_file():
            raise ConfigError(source, f"included ruleset not found: {inc_path}", key=where + ".path")
        inc_action = _action(inc.get("action", "Default"), source, where + ".action")
        sub_general, sub_actions = _load_ruleset(inc_path, (*stack, key), files, workspace)
        if inc_action != "default":
            sub_actions = dict.fromkeys(sub_actions, inc_action)
        actions.update(sub_actions)
        if sub_general != "default":
            included_general = sub_general
    rules = doc.get("rules", [])
    if not isinstance(rules, list):
        raise ConfigError(source, "must be a list", key="rules")
    for i, rule in enumerate(rules):
        where = f"rules[{i}]"
        if not isinstance(rule, dict):
            raise ConfigError(source, "must be an object with an id and an action", key=where)
        rule = _casefold_keys(rule)
        rule_id = rule.get("id")
        if not isinstance(rule_id, str) or not rule_id.strip():
            raise ConfigError(source, "needs an id", key=where + ".id")
        actions[rule_id.strip().upper()] = _action(rule.get("action"), source, where + ".action")
    return (general if general != "default" else included_general), actions


def load_ruleset(path: str | Path, workspace: Path | None = None) -> RuleSet:
    """Read a ruleset and its includes; later includes and the file's own rules win."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(str(path), "ruleset file not found")
    files: list[Path] = []
    general, actions = _load_ruleset(path, (), files, workspace)
    return RuleSet(path, general, actions, tuple(files))


def find_vscode_ruleset(start: Path) -> tuple[Path, Path] | None:
    """(settings.json, ruleset path) from the nearest ``.vscode/settings.json`` that sets ``al.ruleSetPath``."""
    for folder in _upward(start):
        settings = folder / ".vscode" / "settings.json"
        if not settings.is_file():
            continue
        doc = read_lenient_json(settings)
        if not isinstance(doc, dict):
            raise ConfigError(str(settings), "settings must be a JSON object")
        value = doc.get("al.ruleSetPath")
        if value is None:
            continue
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(str(settings), "must be a path", key="al.ruleSetPath")
        raw = value.strip().replace("${workspaceFolder}", str(folder)).replace("\\", "/")
        ruleset = Path(raw) if Path(raw).is_absolute() else folder / raw
        if not ruleset.is_file():
            raise ConfigError(str(settings), f"ruleset file not found: {ruleset}", key="al.ruleSetPath")
        return settings, ruleset
    return None


# --------------------------------------------------------------------------- globs


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A regex for a ``/``-separated glob: ``**`` any folders, ``*`` and ``?`` within a name, ``[...]``."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[" and "]" in pattern[i + 2 :]:
            end = pattern.index("]", i + 2)
            body = pattern[i + 1 : end]
            if body.startswith("!"):
                body = "^" + body[1:]
            out.append("[" + body.replace("\\", "\\\\") + "]")
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out), re.IGNORECASE)


def glob_matches(pattern: str, rel_path: str) -> bool:
    """Whether ``rel_path`` (``/``-separated, relative) or one of its folders matches ``pattern``.

    A pattern without ``/`` matches any single folder or file name; one with ``/`` is anchored at the
    root. Matching ignores case (AL projects mostly live on Windows).
    """
    pattern = pattern.strip().replace("\\", "/").removeprefix("./").rstrip("/")
    if not pattern:
        return False
    parts = [p for p in rel_path.split("/") if p]
    if "/" not in pattern:
        rx = glob_regex(pattern)
        return any(rx.fullmatch(part) for part in parts)
    rx = glob_regex(pattern.lstrip("/"))
    return any(rx.fullmatch("/".join(parts[:k])) for k in range(1, len(parts) + 1))


# --------------------------------------------------------------------------- the config


@dataclass(frozen=True, slots=True)
class Config:
    """Everything configurable. Paths are absolute; ``root`` is what globs are relative to."""

    path: Path | None = None
    root: Path | None = None
    severity: Mapping[str, str] = field(default_factory=dict)
    disable: frozenset[str] = frozenset()
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    defines: tuple[str, ...] = ()
    source_roots: tuple[Path, ...] = ()
    cache_dir: Path | None = None
    ruleset: RuleSet | None = None
    ruleset_source: Path | None = None

    def is_disabled(self, rule_id: str) -> bool:
        return rule_id.upper() in self.disable

    def action(self, rule_id: str) -> str:
        """The configured action for ``rule_id`` (``default`` when nothing says anything)."""
        rid = rule_id.upper()
        if rid in self.severity and self.severity[rid] != "default":
            return self.severity[rid]
        if self.ruleset is not None:
            return self.ruleset.actions.get(rid, "default")
        return "default"

    def resolve(self, rule_id: str, severity: Severity) -> Severity | None:
        """The severity a finding of ``rule_id`` reported at ``severity`` gets; None means hidden."""
        action = self.action(rule_id)
        if action in ("hidden", "none"):
            return None
        if action in _ACTION_SEVERITY:
            return _ACTION_SEVERITY[action]
        general = self.ruleset.general_action if self.ruleset else "default"
        if severity is Severity.WARNING and general != "default":
            if general in ("hidden", "none"):
                return None
            return _ACTION_SEVERITY[general]
        return severity

    def relative(self, path: str | os.PathLike[str]) -> str:
        """``path`` relative to ``root`` with ``/`` separators (as given when outside it or rootless)."""
        p = os.path.abspath(path)
        if self.root is not None:
            try:
                return PurePath(os.path.relpath(p, self.root)).as_posix()
            except ValueError:
                pass
        return PurePath(p).as_posix()

    def selects(self, path: str | os.PathLike[str]) -> bool:
        """Whether a source file is analyzed: matched by ``include`` (when given) and not by ``exclude``."""
        rel = self.relative(path)
        if self.include and not any(glob_matches(g, rel) for g in self.include):
            return False
        return not any(glob_matches(g, rel) for g in self.exclude)


def _upward(start: Path) -> list[Path]:
    start = start.absolute()
    if start.is_file() or (not start.exists() and start.suffix):
        start = start.parent
    return [start, *start.parents]


def _has_tool_table(pyproject: Path) -> bool:
    data = _read_toml(pyproject)
    tool = data.get("tool")
    return isinstance(tool, dict) and "pbtlint" in tool


def find_config(start: str | Path) -> Path | None:
    """The nearest ``.pbtlint.toml``, or ``pyproject.toml`` with ``[tool.pbtlint]``, at or above ``start``."""
    for folder in _upward(Path(start)):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
        pyproject = folder / PYPROJECT_NAME
        if pyproject.is_file() and _has_tool_table(pyproject):
            return pyproject
    return None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(str(path), f"cannot read: {e}") from None
    import tomllib  # here: most runs find no TOML file to read

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(str(path), f"not valid TOML: {e}") from None


_KEYS = ("severity", "disable", "include", "exclude", "defines", "source-roots", "cache-dir", "ruleset")


def _string_list(value: Any, source: str, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(source, "must be a list of strings", key=key)
    return tuple(value)


def _rule_id(value: str, source: str, key: str) -> str:
    if not _RULE_ID.match(value.strip()):
        raise ConfigError(source, f"{value!r} is not a rule id (like PBT0001)", key=key)
    return value.strip().upper()


def config_from_table(table: Mapping[str, Any], source: str, folder: Path, prefix: str = "") -> Config:
    """A :class:`Config` from a parsed TOML table; relative paths are relative to ``folder``."""
    values: dict[str, Any] = {}
    for raw_key, value in table.items():
        key = raw_key.replace("_", "-").lower()
        if key not in _KEYS:
            raise ConfigError(
                source, f"unknown key (expected one of {', '.join(_KEYS)})", key=prefix + raw_key
            )
        values[key] = (value, prefix + raw_key)
    severity: dict[str, str] = {}
    if "severity" in values:
        table_value, where = values["severity"]
        if not isinstance(table_value, dict):
            raise ConfigError(source, 'must be a table like { PBT0001 = "warning" }', key=where)
        for rule, level in table_value.items():
            rid = _rule_id(rule, source, f"{where}.{rule}")
            if not isinstance(level, str) or level.lower() not in _TOML_SEVERITIES:
                raise ConfigError(
                    source, f"{level!r} is not one of error, warning, note, hidden, none", key=f"{where}.{rule}"
                )
            severity[rid] = _TOML_SEVERITIES[level.lower()]

    def strings(key: str) -> tuple[str, ...]:
        if key not in values:
            return ()
        return _string_list(values[key][0], source, values[key][1])

    disable = frozenset(_rule_id(r, source, values["disable"][1]) for r in strings("disable"))
    defines = strings("defines")
    for symbol in defines:
        if not _SYMBOL.match(symbol):
            raise ConfigError(source, f"{symbol!r} is not a preprocessor symbol", key=values["defines"][1])
    roots = tuple(Path(os.path.normpath(folder / p)) for p in strings("source-roots"))
    cache_dir = ruleset_path = None
    for key in ("cache-dir", "ruleset"):
        if key in values:
            value, where = values[key]
            if not isinstance(value, str) or not value.strip():
                raise ConfigError(source, "must be a path", key=where)
            resolved = Path(os.path.normpath(folder / value.strip()))
            if key == "cache-dir":
                cache_dir = resolved
            else:
                ruleset_path = resolved
    ruleset = None
    if ruleset_path is not None:
        if not ruleset_path.is_file():
            raise ConfigError(source, f"ruleset file not found: {ruleset_path}", key=values["ruleset"][1])
        ruleset = load_ruleset(ruleset_path, folder)
    return Config(
        path=None,
        root=folder,
        severity=severity,
        disable=disable,
        include=strings("include"),
        exclude=strings("exclude"),
        defines=defines,
        source_roots=roots,
        cache_dir=cache_dir,
        ruleset=ruleset,
        ruleset_source=Path(source) if ruleset else None,
    )


def read_config_file(path: str | Path) -> Config:
    """Read one config file: ``pyproject.toml`` uses ``[tool.pbtlint]``, any other TOML file its top level."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(str(path), "config file not found")
    data = _read_toml(path)
    folder = Path(os.path.normpath(path.parent.absolute()))
    if path.name == PYPROJECT_NAME:
        tool = data.get("tool", {})
        table = tool.get("pbtlint", {}) if isinstance(tool, dict) else {}
        if not isinstance(table, dict):
            raise ConfigError(str(path), "must be a table", key="tool.pbtlint")
        config = config_from_table(table, str(path), folder, prefix="tool.pbtlint.")
    else:
        config = config_from_table(data, str(path), folder)
    return replace(config, path=path.absolute())




def load_config(config_file: str | Path | None = None, start: str | Path = ".") -> Config:
    """The configuration for a run.

    ``config_file`` is ``--config``; otherwise the nearest config at or above ``start`` (the first
    analyzed path) is used, or the defaults rooted at ``start``. Without a ``ruleset`` key, the
    workspace's ``.vscode/settings.json`` ``al.ruleSetPath`` supplies one.
    """
    first = Path(start)
    found = Path(config_file) if config_file is not None else find_config(first)
    default = Config(root=Path(os.path.normpath(_upward(first)[0])))
    config = read_config_file(found) if found is not None else default
    if config.ruleset is None:
        vscode = find_vscode_ruleset(first)
        if vscode is not None:
            settings, ruleset_path = vscode
            ruleset = load_ruleset(ruleset_path, settings.parent.parent)
            config = replace(config, ruleset=ruleset, ruleset_source=settings)
    return config
