"""The monitor: a venue listener that runs every rule over every command's events.

    envelope, events -> venue model (context) -> Request pseudo-event -> each event:
        detectors that read its type -> alerts -> model and book learn the event

It reads nothing but the stream, so `Venue.replay_into(monitor)` rebuilds it, alerts and all,
with the same ids. It runs on the venue's write path after each command: a failing detector is
logged and counted, never raised into the engine's loop.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Final

from clearhouse.core.commands import Envelope
from clearhouse.core.events import Event
from clearhouse.surveillance.aggregate import FollowThrough, WindowAggregate
from clearhouse.surveillance.alerts import Alert, AlertStore
from clearhouse.surveillance.book_view import BookView
from clearhouse.surveillance.detector import Detector
from clearhouse.surveillance.rules import Rule, RuleSet
from clearhouse.surveillance.spikes import Spikes
from clearhouse.surveillance.spoofing import OrderToTrade, Spoofing
from clearhouse.surveillance.venue_model import REQUEST, VenueModel
from clearhouse.surveillance.wash_trades import WashTrades

SWEEP_EVERY: Final = 4_096  # commands between sweeps of idle detector state

log = logging.getLogger("clearhouse.surveillance")

AlertSink = Callable[[Alert], None]


def build_detector(rule: Rule, rules_version: str, book: BookView) -> Detector:
    """The detector for a rule; RuleError if its parameters do not validate."""
    if rule.kind == "aggregate":
        return WindowAggregate(rule, rules_version)
    if rule.kind == "follow_through":
        return FollowThrough(rule, rules_version)
    if rule.kind == "wash_trade":
        return WashTrades(rule, rules_version)
    if rule.kind == "spoofing":
        return Spoofing(rule, rules_version, book)
    if rule.kind == "order_to_trade":
        return OrderToTrade(rule, rules_version, book)
    assert rule.kind == "spike", rule.kind
    return Spikes(rule, rules_version)


def build_detectors(rules: RuleSet, book: BookView | None = None) -> list[Detector]:
    shared = book if book is not None else BookView()
    return [build_detector(r, rules.version, shared) for r in rules.rules]


class Monitor:
    def __init__(self, rules: RuleSet, store: AlertStore | None = None) -> None:
        self.rules = rules
        self.store = store if store is not None else AlertStore()
        self.model = VenueModel(rules.settings.valuation)
        self.book = BookView()
        self.detectors = build_detectors(rules, self.book)
        self.uses_book = any(r.kind in ("spoofing", "order_to_trade") for r in rules.rules)
        self.sinks: list[AlertSink] = []  # told of every new alert (the case opener)
        self.last_seq = 0
        self.failures = 0
        self._by_name: dict[str, tuple[Detector, ...]] = {}
        self._by_type: dict[type[Event], tuple[Detector, ...]] = {}
        self._request_detectors = self._detectors_for(REQUEST)
        self._since_sweep = 0

    def _detectors_for(self, name: str) -> tuple[Detector, ...]:
        found = self._by_name.get(name)
        if found is None:
            found = self._by_name[name] = tuple(d for d in self.detectors if d.wants(name))
        return found

    def __call__(self, envelope: Envelope, events: list[Event]) -> None:
        try:
            self._observe(envelope, events)
        except Exception:  # the model itself failed: count it, keep the venue running
            self.failures += 1
            log.exception("surveillance failed at seq %d", envelope.seq)
        self.last_seq = envelope.seq
        self._since_sweep += 1
        if self._since_sweep >= SWEEP_EVERY:
            self._since_sweep = 0
            for detector in self.detectors:
                detector.sweep(envelope.time_ns)

    def _observe(self, envelope: Envelope, events: list[Event]) -> None:
        model = self.model
        model.begin(envelope)
        if model.client_account is not None:
            account = model.request_due()
            if account is not None:
                if self._request_detectors:
                    model.request = model.request_observation(account, events)
                    for detector in self._request_detectors:
                        self._run(detector, None, REQUEST)
                    model.request = None
                model.touch_request(account)
        book = self.book if self.uses_book else None
        by_type = self._by_type
        learn = model.learn
        for event in events:
            kind = type(event)
            detectors = by_type.get(kind)
            if detectors is None:
                detectors = by_type[kind] = self._detectors_for(kind.__name__)
            for detector in detectors:
                try:
                    alerts = detector.on(event, kind.__name__, model)
                except Exception:
                    self.failures += 1
                    log.exception("rule %s failed at seq %d", detector.rule.rule_id, envelope.seq)
                    continue
                if alerts:
                    self._raise(alerts)
            learn(event)
            if book is not None:
                book.learn(event)
        if model.client_account is not None:
            model.end()

    def _run(self, detector: Detector, event: Event | None, name: str) -> None:
        try:
            alerts = detector.on(event, name, self.model)
        except Exception:
            self.failures += 1
            log.exception("rule %s failed on %s", detector.rule.rule_id, name)
            return
        self._raise(alerts)

    def _raise(self, alerts: list[Alert]) -> None:
        for alert in alerts:
            if self.store.add(alert):
                for sink in self.sinks:
                    sink(alert)
