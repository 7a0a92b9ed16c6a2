"""Declarative monitoring rules: TOML files under `rules/`, validated whole and versioned.

A rule set is every `*.toml` under the rules directory, read in path order. `config.toml` at its
root holds the settings (which severity opens a case, how assets are valued) and named lists
(high-risk countries, ...); every other file holds `[[rule]]` tables. Each rule records the
SHA-256 of the file it came from (its version) and the set records a hash over all files, so an
alert names the exact rule text that raised it. A rule set that does not validate is refused
whole: monitoring never runs on a half-understood configuration.

Rule kinds:

- `aggregate`: events matching `on` and `where` are grouped by `group_by` fields and counted,
  summed or distinct-counted over a sliding `window`; an alert when the value reaches
  `threshold` (at most one per group per `cooldown`).
- `follow_through`: an event (`then`) that moves at least `min_ratio` of what earlier events
  (`on`) brought in within `window`, e.g. a withdrawal of a fresh deposit (pass-through).
- `wash_trade`, `spoofing`, `order_to_trade`, `spike`: market-surveillance detectors whose
  parameters live in the rule's `[rule.params]`.

See rules/README.md for the field reference.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Final

SEVERITY_RANK: Final = {"low": 1, "medium": 2, "high": 3, "critical": 4}
KINDS: Final = ("aggregate", "follow_through", "wash_trade", "spoofing", "order_to_trade", "spike")
AGGREGATES: Final = ("count", "sum", "distinct")
OPERATORS: Final = ("==", "!=", "<", "<=", ">", ">=", "in", "not in")
CONFIG_FILE: Final = "config.toml"
MAX_RULES: Final = 512
MAX_RULE_FILE_BYTES: Final = 256 * 1024
MAX_CONDITIONS: Final = 16
MAX_LIST_ITEMS: Final = 10_000
MAX_WINDOW_NS: Final = 400 * 86_400 * 10**9

_UNITS_NS: Final = {
    "ms": 10**6,
    "s": 10**9,
    "m": 60 * 10**9,
    "h": 3_600 * 10**9,
    "d": 86_400 * 10**9,
}
_DURATION = re.compile(r"^\s*(\d{1,9})\s*(ms|s|m|h|d)\s*$")
_RULE_ID = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")


class RuleError(ValueError):
    """A rule file that does not validate; names the file and the problem."""


def parse_duration_ns(text: object, where: str, allow_zero: bool = False) -> int:
    if not isinstance(text, str):
        raise RuleError(f"{where}: a duration is a string like '24h', got {text!r}")
    match = _DURATION.match(text)
    if match is None:
        raise RuleError(f"{where}: {text!r} is not a duration like 500ms, 90s, 30m, 24h or 7d")
    ns = int(match.group(1)) * _UNITS_NS[match.group(2)]
    if not ((ns == 0 and allow_zero) or 0 < ns <= MAX_WINDOW_NS):
        raise RuleError(f"{where}: {text!r} must be positive and at most 400d")
    return ns


def parse_ratio(value: object, where: str) -> Fraction:
    """A ratio written as a string ("0.9") or an int; never a float, so results are exact."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise RuleError(f'{where}: write ratios as strings, e.g. "0.9", got {value!r}')
    try:
        ratio = Fraction(value)
    except (ValueError, ZeroDivisionError) as exc:
        raise RuleError(f"{where}: {value!r} is not a number") from exc
    if ratio < 0:
        raise RuleError(f"{where}: {value!r} must not be negative")
    return ratio


@dataclass(frozen=True)
class Condition:
    name: str
    op: str
    value: Any  # int, str, bool, or a frozenset for in / not in

    def test(self, observation: Mapping[str, Any]) -> bool:
        actual = observation.get(self.name)
        if actual is None:
            return False  # a field the event does not have never matches
        op = self.op
        if op == "==":
            return bool(actual == self.value)
        if op == "!=":
            return bool(actual != self.value)
        if op == "in":
            return actual in self.value
        if op == "not in":
            return actual not in self.value
        if isinstance(actual, bool) or not isinstance(actual, int):
            return False  # ordering applies to numbers only
        if op == "<":
            return bool(actual < self.value)
        if op == "<=":
            return bool(actual <= self.value)
        if op == ">":
            return bool(actual > self.value)
        return bool(actual >= self.value)


@dataclass(frozen=True)
class Rule:
    rule_id: str
    title: str
    kind: str
    severity: str
    category: str
    description: str
    source: str  # path relative to the rules directory
    version: str  # SHA-256 of the source file
    on: tuple[str, ...] = ()  # event type names or fnmatch patterns ("Sanctions*")
    where: tuple[Condition, ...] = ()  # all must hold
    where_any: tuple[Condition, ...] = ()  # at least one must hold (when given)
    group_by: tuple[str, ...] = ()
    keep_missing: bool = False  # group events without a group_by field under "-" (else skip)
    window_ns: int = 0
    cooldown_ns: int = 0
    aggregate: str = "count"
    measure: str = ""  # the summed or distinct-counted field
    threshold: int = 1
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def rank(self) -> int:
        return SEVERITY_RANK[self.severity]

    def matches(self, observation: Mapping[str, Any]) -> bool:
        if not all(c.test(observation) for c in self.where):
            return False
        return not self.where_any or any(c.test(observation) for c in self.where_any)


@dataclass(frozen=True)
class Valuation:
    """How surveillance values an amount in USD: fixed prices (stablecoins), then the last trade
    or index price against a fixed-priced quote, then reference prices (a cold start)."""

    fixed_usd: Mapping[str, Fraction] = field(default_factory=dict)
    reference_usd: Mapping[str, Fraction] = field(default_factory=dict)


@dataclass(frozen=True)
class Settings:
    open_case_at: str = "high"  # alerts of this severity or above open a case
    valuation: Valuation = field(default_factory=Valuation)


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    settings: Settings
    lists: Mapping[str, frozenset[Any]]
    files: tuple[tuple[str, str], ...]  # (relative path, sha256)
    version: str  # hash over every file's path and content hash
    directory: str = ""

    def rule(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.rule_id == rule_id), None)

    def only(self, rule_ids: Sequence[str]) -> RuleSet:
        """The same set restricted to `rule_ids` (a look-back runs just the rules it names)."""
        wanted = set(rule_ids)
        missing = wanted - {r.rule_id for r in self.rules}
        if missing:
            raise RuleError(f"unknown rule ids: {', '.join(sorted(missing))}")
        rules = tuple(r for r in self.rules if r.rule_id in wanted)
        return RuleSet(rules, self.settings, self.lists, self.files, self.version, self.directory)


# --- loading -------------------------------------------------------------------------------------
def load_rules(directory: Path) -> RuleSet:
    """Read and validate every rule file under `directory`; RuleError on the first problem."""
    if not directory.is_dir():
        raise RuleError(f"rules directory {directory} does not exist")
    paths = sorted(p for p in directory.rglob("*.toml") if p.is_file())
    files: list[tuple[str, str]] = []
    documents: list[tuple[str, str, dict[str, Any]]] = []
    for path in paths:
        raw = path.read_bytes()
        if len(raw) > MAX_RULE_FILE_BYTES:
            raise RuleError(f"{path}: larger than {MAX_RULE_FILE_BYTES} bytes")
        relative = path.relative_to(directory).as_posix()
        digest = hashlib.sha256(raw).hexdigest()
        try:
            document = tomllib.loads(raw.decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise RuleError(f"{relative}: {exc}") from exc
        files.append((relative, digest))
        documents.append((relative, digest, document))
    return build_rule_set(documents, str(directory))


def load_candidate(text: str, base: RuleSet, name: str = "candidate.toml") -> RuleSet:
    """A rule file that is not (yet) in rules/, read with the loaded set's settings and lists:
    what a look-back runs to test a new rule on history before it is deployed."""
    raw = text.encode()
    if len(raw) > MAX_RULE_FILE_BYTES:
        raise RuleError(f"{name}: larger than {MAX_RULE_FILE_BYTES} bytes")
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RuleError(f"{name}: {exc}") from exc
    digest = hashlib.sha256(raw).hexdigest()
    return build_rule_set(
        [(name, digest, document)], "(candidate)", (base.settings, dict(base.lists))
    )


def rule_set_version(files: Sequence[tuple[str, str]]) -> str:
    hasher = hashlib.sha256()
    for relative, digest in files:
        hasher.update(f"{relative}\0{digest}\n".encode())
    return hasher.hexdigest()


def build_rule_set(
    documents: Sequence[tuple[str, str, dict[str, Any]]],
    directory: str = "",
    config: tuple[Settings, dict[str, frozenset[Any]]] | None = None,
) -> RuleSet:
    """A rule set from parsed documents: (relative path, sha256, TOML document); `config` is
    used when no document is a config.toml."""
    settings, lists = config if config is not None else (Settings(), {})
    for relative, _, document in documents:
        if relative == CONFIG_FILE:
            settings, lists = _config(relative, document)
    rules: list[Rule] = []
    seen: set[str] = set()
    for relative, digest, document in documents:
        if relative == CONFIG_FILE:
            continue
        unknown = set(document) - {"rule"}
        if unknown:
            raise RuleError(f"{relative}: unknown top-level keys {sorted(unknown)}")
        for index, table in enumerate(_tables(document.get("rule", []), f"{relative}: rule")):
            rule = _rule(table, f"{relative}: rule[{index}]", relative, digest, lists)
            if rule.rule_id in seen:
                raise RuleError(f"{relative}: rule id {rule.rule_id!r} defined twice")
            seen.add(rule.rule_id)
            rules.append(rule)
    if len(rules) > MAX_RULES:
        raise RuleError(f"at most {MAX_RULES} rules")
    files = tuple((relative, digest) for relative, digest, _ in documents)
    return RuleSet(tuple(rules), settings, lists, files, rule_set_version(files), directory)


def _tables(value: object, where: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
        raise RuleError(f"{where}: expected [[rule]] tables")
    return value


def _config(relative: str, document: dict[str, Any]) -> tuple[Settings, dict[str, frozenset[Any]]]:
    unknown = set(document) - {"settings", "lists", "valuation"}
    if unknown:
        raise RuleError(f"{relative}: unknown top-level keys {sorted(unknown)}")
    lists: dict[str, frozenset[Any]] = {}
    for name, items in dict(document.get("lists", {})).items():
        if not isinstance(items, list) or len(items) > MAX_LIST_ITEMS:
            raise RuleError(f"{relative}: list {name!r} must be an array of <= {MAX_LIST_ITEMS}")
        lists[name] = frozenset(items)
    raw_settings = dict(document.get("settings", {}))
    unknown = set(raw_settings) - {"open_case_at"}
    if unknown:
        raise RuleError(f"{relative}: unknown settings {sorted(unknown)}")
    open_case_at = raw_settings.get("open_case_at", "high")
    if open_case_at not in SEVERITY_RANK:
        raise RuleError(f"{relative}: open_case_at must be one of {list(SEVERITY_RANK)}")
    valuation = dict(document.get("valuation", {}))
    unknown = set(valuation) - {"fixed_usd", "reference_usd"}
    if unknown:
        raise RuleError(f"{relative}: unknown valuation keys {sorted(unknown)}")
    prices = {
        kind: {
            asset: parse_ratio(price, f"{relative}: valuation.{kind}.{asset}")
            for asset, price in dict(valuation.get(kind, {})).items()
        }
        for kind in ("fixed_usd", "reference_usd")
    }
    return Settings(open_case_at, Valuation(prices["fixed_usd"], prices["reference_usd"])), lists


_COMMON_KEYS: Final = {"id", "title", "kind", "severity", "category", "description", "on"}
_AGGREGATE_KEYS: Final = {
    "where", "where_any", "group_by", "group_missing", "window", "cooldown", "aggregate", "field",
    "threshold",
}  # fmt: skip
_FOLLOW_KEYS: Final = {"where", "then", "group_by", "window", "cooldown", "min_ratio", "min_usd"}


def _rule(
    table: dict[str, Any], where: str, source: str, version: str, lists: dict[str, frozenset[Any]]
) -> Rule:
    rule_id = table.get("id")
    if not isinstance(rule_id, str) or not _RULE_ID.match(rule_id):
        raise RuleError(f"{where}: id must match {_RULE_ID.pattern}")
    where = f"{source}: rule {rule_id!r}"
    kind = table.get("kind", "aggregate")
    if kind not in KINDS:
        raise RuleError(f"{where}: kind must be one of {', '.join(KINDS)}")
    severity = table.get("severity")
    if severity not in SEVERITY_RANK:
        raise RuleError(f"{where}: severity must be one of {', '.join(SEVERITY_RANK)}")
    allowed = _COMMON_KEYS | (
        _AGGREGATE_KEYS
        if kind == "aggregate"
        else _FOLLOW_KEYS
        if kind == "follow_through"
        else {"params"}
    )
    unknown = set(table) - allowed
    if unknown:
        raise RuleError(f"{where}: unknown keys {sorted(unknown)} for kind {kind!r}")
    title = _text(table, "title", where, required=True)
    common: dict[str, Any] = {
        "rule_id": rule_id,
        "title": title,
        "kind": kind,
        "severity": severity,
        "category": _text(table, "category", where) or rule_id,
        "description": _text(table, "description", where),
        "source": source,
        "version": version,
        "on": _names(table.get("on", []), f"{where}: on"),
    }
    if kind == "aggregate":
        return _aggregate_rule(table, where, lists, common)
    if kind == "follow_through":
        return _follow_rule(table, where, lists, common)
    params = table.get("params", {})
    if not isinstance(params, dict):
        raise RuleError(f"{where}: params must be a table")
    return Rule(**common, params=dict(params))


def _aggregate_rule(
    table: dict[str, Any], where: str, lists: dict[str, frozenset[Any]], common: dict[str, Any]
) -> Rule:
    if not common["on"]:
        raise RuleError(f"{where}: 'on' names at least one event type")
    window_ns = parse_duration_ns(table.get("window", "24h"), f"{where}: window")
    aggregate = table.get("aggregate", "count")
    if aggregate not in AGGREGATES:
        raise RuleError(f"{where}: aggregate must be one of {', '.join(AGGREGATES)}")
    field_name = table.get("field", "")
    if aggregate != "count" and (not isinstance(field_name, str) or not field_name):
        raise RuleError(f"{where}: aggregate {aggregate!r} needs a field")
    threshold = table.get("threshold", 1)
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 1:
        raise RuleError(f"{where}: threshold must be a positive integer")
    group_missing = table.get("group_missing", "skip")
    if group_missing not in ("skip", "keep"):
        raise RuleError(f"{where}: group_missing must be 'skip' or 'keep'")
    cooldown = table.get("cooldown", table.get("window", "24h"))
    return Rule(
        **common,
        where=_conditions(table.get("where", []), f"{where}: where", lists),
        where_any=_conditions(table.get("where_any", []), f"{where}: where_any", lists),
        group_by=_names(table.get("group_by", []), f"{where}: group_by"),
        keep_missing=group_missing == "keep",
        window_ns=window_ns,
        cooldown_ns=parse_duration_ns(cooldown, f"{where}: cooldown", allow_zero=True),
        aggregate=aggregate,
        measure=field_name,
        threshold=threshold,
    )


def _follow_rule(
    table: dict[str, Any], where: str, lists: dict[str, frozenset[Any]], common: dict[str, Any]
) -> Rule:
    then = table.get("then")
    if not isinstance(then, dict) or set(then) - {"on", "where"}:
        raise RuleError(f"{where}: 'then' is a table with 'on' and optional 'where'")
    then_on = _names(then.get("on", []), f"{where}: then.on")
    if not common["on"] or not then_on:
        raise RuleError(f"{where}: 'on' and 'then.on' each name at least one event type")
    min_usd = table.get("min_usd", 0)
    if isinstance(min_usd, bool) or not isinstance(min_usd, int) or min_usd < 0:
        raise RuleError(f"{where}: min_usd must be a non-negative integer")
    window_ns = parse_duration_ns(table.get("window", "24h"), f"{where}: window")
    return Rule(
        **common,
        where=_conditions(table.get("where", []), f"{where}: where", lists),
        group_by=_names(table.get("group_by", ["account"]), f"{where}: group_by"),
        window_ns=window_ns,
        cooldown_ns=parse_duration_ns(table.get("cooldown", table.get("window", "24h")), where),
        params={
            "then_on": then_on,
            "then_where": _conditions(then.get("where", []), f"{where}: then.where", lists),
            "min_ratio": parse_ratio(table.get("min_ratio", "0.9"), f"{where}: min_ratio"),
            "min_usd": min_usd,
        },
    )


def _text(table: dict[str, Any], key: str, where: str, required: bool = False) -> str:
    value = table.get(key, "")
    if not isinstance(value, str) or len(value) > 2_000 or (required and not value.strip()):
        raise RuleError(f"{where}: {key} must be {'a non-empty' if required else 'a'} string")
    return value


def _names(value: object, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise RuleError(f"{where}: expected a list of names")
    return tuple(value)


def _conditions(
    value: object, where: str, lists: dict[str, frozenset[Any]]
) -> tuple[Condition, ...]:
    if not isinstance(value, list) or len(value) > MAX_CONDITIONS:
        raise RuleError(f"{where}: expected at most {MAX_CONDITIONS} [field, op, value] triples")
    out: list[Condition] = []
    for item in value:
        if not isinstance(item, list) or len(item) != 3:
            raise RuleError(f"{where}: each condition is [field, op, value], got {item!r}")
        name, op, operand = item
        if not isinstance(name, str) or op not in OPERATORS:
            raise RuleError(f"{where}: {item!r}: op must be one of {', '.join(OPERATORS)}")
        if isinstance(operand, str) and operand.startswith("@"):
            if operand[1:] not in lists:
                raise RuleError(f"{where}: {item!r}: no list named {operand[1:]!r} in config.toml")
            operand = lists[operand[1:]]
        elif op in ("in", "not in"):
            if not isinstance(operand, list):
                raise RuleError(f"{where}: {item!r}: 'in' takes an array or an @list")
            operand = frozenset(operand)
        elif op in ("<", "<=", ">", ">=") and (
            isinstance(operand, bool) or not isinstance(operand, int)
        ):
            raise RuleError(f"{where}: {item!r}: compare with integers (whole USD, seconds)")
        elif isinstance(operand, float):
            raise RuleError(f"{where}: {item!r}: no floats in rules; use integers")
        out.append(Condition(name, op, operand))
    return tuple(out)
