"""Configuration: TOML files, discovery, rulesets with includes, VS Code settings, globs, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pbtlint.config import (
    Config,
    ConfigError,
    find_config,
    find_vscode_ruleset,
    glob_matches,
    load_config,
    load_ruleset,
    read_config_file,
    strip_json_comments,
)
from pbtlint.findings import Severity


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def ruleset(path: Path, **doc) -> Path:
    return write(path, json.dumps(doc))


# --------------------------------------------------------------------------- TOML and discovery


def test_pbtlint_toml_with_every_key(tmp_path: Path):
    write(tmp_path / "rules" / "team.ruleset.json", '{"rules": [{"id": "PBT0040", "action": "Hidden"}]}')
    cfg_file = write(tmp_path / ".pbtlint.toml", """
severity = { PBT0010 = "error", pbt0034 = "note", PBT0040 = "none" }
disable = ["PBT0035"]
include = ["src/**"]
exclude = ["**/test/**", "Generated"]
defines = ["CLEAN24", "DEBUG"]
source-roots = ["../base"]
cache_dir = ".cache"
ruleset = "rules/team.ruleset.json"
""")
    cfg = read_config_file(cfg_file)
    assert cfg.path == cfg_file.absolute()
    assert cfg.root == tmp_path
    assert dict(cfg.severity) == {"PBT0010": "error", "PBT0034": "info", "PBT0040": "none"}
    assert cfg.disable == {"PBT0035"}
    assert cfg.include == ("src/**",)
    assert cfg.exclude == ("**/test/**", "Generated")
    assert cfg.defines == ("CLEAN24", "DEBUG")
    assert cfg.source_roots == (tmp_path.parent / "base",)
    assert cfg.cache_dir == tmp_path / ".cache"
    assert cfg.ruleset is not None and cfg.ruleset.actions == {"PBT0040": "hidden"}
    assert cfg.resolve("PBT0010", Severity.WARNING) is Severity.ERROR
    assert cfg.resolve("PBT0034", Severity.WARNING) is Severity.NOTE
    assert cfg.resolve("PBT0040", Severity.NOTE) is None  # the TOML "none" wins over the ruleset
    assert cfg.resolve("PBT0001", Severity.ERROR) is Severity.ERROR
    assert cfg.is_disabled("pbt0035")


def test_pyproject_tool_table_and_upward_search(tmp_path: Path):
    write(tmp_path / "pyproject.toml", '[project]\nname = "x"\n\n[tool.pbtlint]\ndisable = ["PBT0040"]\n')
    app = tmp_path / "apps" / "one" / "src"
    app.mkdir(parents=True)
    write(tmp_path / "apps" / "pyproject.toml", '[project]\nname = "no pbtlint table here"\n')
    assert find_config(app) == tmp_path / "pyproject.toml"
    assert load_config(start=app).disable == {"PBT0040"}
    write(tmp_path / "apps" / ".pbtlint.toml", 'disable = ["PBT0001"]\n')
    assert find_config(app / "x.al") == tmp_path / "apps" / ".pbtlint.toml"
    assert load_config(start=app).disable == {"PBT0001"}


def test_pbtlint_toml_wins_over_pyproject_in_the_same_folder(tmp_path: Path):
    write(tmp_path / "pyproject.toml", '[tool.pbtlint]\ndisable = ["PBT0040"]\n')
    write(tmp_path / ".pbtlint.toml", 'disable = ["PBT0001"]\n')
    assert find_config(tmp_path) == tmp_path / ".pbtlint.toml"


def test_explicit_config_and_defaults(tmp_path: Path):
    other = write(tmp_path / "elsewhere" / "custom.toml", 'defines = ["X"]\n')
    write(tmp_path / "app" / ".pbtlint.toml", 'defines = ["Y"]\n')
    assert load_config(other, start=tmp_path / "app").defines == ("X",)
    cfg = load_config(start=tmp_path / "elsewhere")  # custom.toml is only used when named
    assert cfg.path is None and cfg.root == tmp_path / "elsewhere"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert find_config(empty) is None


def test_defaults_when_nothing_is_configured(tmp_path: Path):
    cfg = Config(root=tmp_path)
    assert cfg.resolve("PBT0001", Severity.WARNING) is Severity.WARNING
    assert cfg.selects(tmp_path / "src" / "a.al")
    assert not cfg.is_disabled("PBT0001")


@pytest.mark.parametrize(
    ("text", "key", "fragment"),
    [
        ('severity = { PBT0001 = "loud" }', "severity.PBT0001", "'loud' is not one of"),
        ('severity = "error"', "severity", "must be a table"),
        ('disable = ["not an id"]', "disable", "is not a rule id"),
        ('include = [1, 2]', "include", "must be a list of strings"),
        ('defines = ["A B"]', "defines", "is not a preprocessor symbol"),
        ('colour = "red"', "colour", "unknown key"),
        ('ruleset = "missing.ruleset.json"', "ruleset", "ruleset file not found"),
        ('cache-dir = ""', "cache-dir", "must be a path"),
    ],
)
def test_bad_values_name_file_and_key(tmp_path: Path, text: str, key: str, fragment: str):
    cfg_file = write(tmp_path / ".pbtlint.toml", text + "\n")
    with pytest.raises(ConfigError) as err:
        read_config_file(cfg_file)
    assert err.value.source == str(cfg_file)
    assert err.value.key == key
    assert fragment in str(err.value)
    assert str(err.value).startswith(f"{cfg_file}: {key}: ")


def test_bad_toml_and_bad_pyproject_table(tmp_path: Path):
    bad = write(tmp_path / ".pbtlint.toml", "severity = {\n")
    with pytest.raises(ConfigError, match="not valid TOML") as err:
        load_config(start=tmp_path)
    assert str(bad) in str(err.value)
    py = write(tmp_path / "sub" / "pyproject.toml", '[tool.pbtlint]\nfoo = 1\n')
    with pytest.raises(ConfigError) as err:
        read_config_file(py)
    assert err.value.key == "tool.pbtlint.foo"
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml")


# --------------------------------------------------------------------------- rulesets


def test_ruleset_includes_are_relative_and_merged_in_order(tmp_path: Path):
    ruleset(tmp_path / "shared" / "base.ruleset.json", generalAction="Error",
            rules=[{"id": "PBT0001", "action": "Warning"}, {"id": "PBT0002", "action": "Info"}])
    ruleset(tmp_path / "shared" / "quiet.ruleset.json", rules=[{"id": "PBT0003", "action": "Error"}])
    top = ruleset(
        tmp_path / "app" / "app.ruleset.json",
        includedRuleSets=[
            {"path": "../shared/base.ruleset.json", "action": "Default"},
            {"path": "../shared/quiet.ruleset.json", "action": "Hidden"},
        ],
        rules=[{"id": "pbt0002", "action": "error", "justification": "ours wins"}],
    )
    rs = load_ruleset(top)
    assert rs.actions == {"PBT0001": "warning", "PBT0002": "error", "PBT0003": "hidden"}
    assert rs.general_action == "error"  # inherited from the include
    assert len(rs.files) == 3
    cfg = Config(ruleset=rs)
    assert cfg.resolve("PBT0001", Severity.ERROR) is Severity.WARNING
    assert cfg.resolve("PBT0003", Severity.ERROR) is None
    # generalAction only touches warnings of rules without their own entry
    assert cfg.resolve("PBT0020", Severity.WARNING) is Severity.ERROR
    assert cfg.resolve("PBT0034", Severity.NOTE) is Severity.NOTE


def test_general_action_none_hides_warnings_only(tmp_path: Path):
    rs = load_ruleset(ruleset(tmp_path / "r.ruleset.json", generalAction="None"))
    cfg = Config(ruleset=rs)
    assert cfg.resolve("PBT0020", Severity.WARNING) is None
    assert cfg.resolve("PBT0001", Severity.ERROR) is Severity.ERROR


def test_ruleset_cycles_are_cut(tmp_path: Path):
    a = ruleset(tmp_path / "a.ruleset.json", includedRuleSets=[{"path": "b.ruleset.json"}],
                rules=[{"id": "PBT0001", "action": "Warning"}])
    ruleset(tmp_path / "b.ruleset.json", includedRuleSets=[{"path": "./a.ruleset.json"}],
            rules=[{"id": "PBT0002", "action": "None"}])
    rs = load_ruleset(a)
    assert rs.actions == {"PBT0001": "warning", "PBT0002": "none"}
    self_loop = ruleset(tmp_path / "c.ruleset.json", includedRuleSets=[{"path": "c.ruleset.json"}])
    assert load_ruleset(self_loop).actions == {}


def test_ruleset_with_comments_trailing_commas_and_backslashes(tmp_path: Path):
    ruleset(tmp_path / "inc" / "x.ruleset.json", rules=[{"id": "PBT0010", "action": "Error"}])
    top = write(tmp_path / "top.ruleset.json", """{
  // team rules
  "includedRuleSets": [ { "path": "inc\\\\x.ruleset.json", "action": "Default" }, ],
  "rules": [ /* none yet */ ],
}""")
    assert load_ruleset(top).actions == {"PBT0010": "error"}


@pytest.mark.parametrize(
    ("doc", "key", "fragment"),
    [
        ({"rules": [{"id": "PBT0001", "action": "Loud"}]}, "rules[0].action", "is not one of"),
        ({"rules": [{"action": "None"}]}, "rules[0].id", "needs an id"),
        ({"rules": {"id": "x"}}, "rules", "must be a list"),
        ({"includedRuleSets": [{"path": "gone.ruleset.json"}]}, "includedRuleSets[0].path", "not found"),
        ({"generalAction": 3}, "generalAction", "is not one of"),
    ],
)
def test_bad_rulesets_name_file_and_place(tmp_path: Path, doc: dict, key: str, fragment: str):
    path = ruleset(tmp_path / "bad.ruleset.json", **doc)
    with pytest.raises(ConfigError) as err:
        load_ruleset(path)
    assert err.value.source == str(path) and err.value.key == key
    assert fragment in err.value.message


def test_ruleset_json_syntax_error_has_line_and_column(tmp_path: Path):
    path = write(tmp_path / "bad.ruleset.json", '{\n  "rules": [\n    {"id": "A" "action": "None"}\n  ]\n}')
    with pytest.raises(ConfigError) as err:
        load_ruleset(path)
    assert (err.value.line, err.value.column) == (3, 16)
    assert str(err.value).startswith(f"{path}:3:16: not valid JSON")


# --------------------------------------------------------------------------- VS Code settings


def test_ruleset_from_vscode_settings(tmp_path: Path):
    ruleset(tmp_path / "rulesets" / "main.ruleset.json", rules=[{"id": "PBT0001", "action": "Hidden"}])
    write(tmp_path / ".vscode" / "settings.json", """{
    // AL settings
    "al.enableCodeAnalysis": true,
    "al.codeAnalyzers": ["${CodeCop}"], /* "al.ruleSetPath": "wrong.json" */
    "al.ruleSetPath": "./rulesets/main.ruleset.json",
}""")
    app = tmp_path / "app" / "src"
    app.mkdir(parents=True)
    settings, path = find_vscode_ruleset(app)
    assert settings == (tmp_path / ".vscode" / "settings.json").absolute()
    assert path.name == "main.ruleset.json"
    cfg = load_config(start=app)
    assert cfg.ruleset is not None and cfg.ruleset.actions == {"PBT0001": "hidden"}
    assert cfg.ruleset_source == settings
    assert cfg.resolve("PBT0001", Severity.ERROR) is None


def test_workspace_folder_variable_and_config_ruleset_precedence(tmp_path: Path):
    ruleset(tmp_path / "a.ruleset.json", rules=[{"id": "PBT0001", "action": "Info"}])
    ruleset(tmp_path / "b.ruleset.json", rules=[{"id": "PBT0001", "action": "Warning"}])
    write(tmp_path / ".vscode" / "settings.json", '{"al.ruleSetPath": "${workspaceFolder}/a.ruleset.json"}')
    assert load_config(start=tmp_path).resolve("PBT0001", Severity.ERROR) is Severity.NOTE
    write(tmp_path / ".pbtlint.toml", 'ruleset = "b.ruleset.json"\n')
    assert load_config(start=tmp_path).resolve("PBT0001", Severity.ERROR) is Severity.WARNING


def test_settings_without_ruleset_are_skipped_and_missing_ruleset_is_an_error(tmp_path: Path):
    write(tmp_path / "inner" / ".vscode" / "settings.json", '{"editor.tabSize": 4,}')
    assert find_vscode_ruleset(tmp_path / "inner") is None
    write(tmp_path / ".vscode" / "settings.json", '{"al.ruleSetPath": "missing.ruleset.json"}')
    with pytest.raises(ConfigError) as err:
        find_vscode_ruleset(tmp_path / "inner")
    assert err.value.key == "al.ruleSetPath" and "not found" in err.value.message


def test_strip_json_comments_keeps_strings_and_positions():
    text = '{"url": "http://x//y", "a": "/* no */", // c\n "b": [1, 2,], /* x\ny */ "c": "\\",",}'
    stripped = strip_json_comments(text)
    assert json.loads(stripped) == {"url": "http://x//y", "a": "/* no */", "b": [1, 2], "c": '",'}
    assert stripped.count("\n") == text.count("\n") and len(stripped) == len(text)


# --------------------------------------------------------------------------- globs


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("src/**", "src/a/b.al", True),
        ("src/**", "test/a.al", False),
        ("**/test/**", "app/test/x.al", True),
        ("**/test/**", "test/x.al", True),
        ("test", "app/Test/x.al", True),  # a bare name matches any folder, case-insensitively
        ("*.Page.al", "src/pages/Card.Page.al", True),
        ("src/*.al", "src/sub/a.al", False),
        ("src/*.al", "src/a.al", True),
        ("src/sub", "src/sub/deep/a.al", True),
        ("./src/", "src/a.al", True),
        ("src/[ab].al", "src/b.al", True),
        ("src/[!ab].al", "src/b.al", False),
        ("src/?.al", "src/ab.al", False),
        ("", "src/a.al", False),
    ],
)
def test_glob_matches(pattern: str, path: str, expected: bool):
    assert glob_matches(pattern, path) is expected


def test_selects_uses_include_then_exclude_relative_to_root(tmp_path: Path):
    cfg = Config(root=tmp_path, include=("src/**",), exclude=("**/Generated/**",))
    assert cfg.selects(tmp_path / "src" / "a.al")
    assert not cfg.selects(tmp_path / "src" / "Generated" / "a.al")
    assert not cfg.selects(tmp_path / "other" / "a.al")
