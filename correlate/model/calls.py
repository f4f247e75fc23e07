"""The registry of handled CloudTrail calls: each handler registers itself next to its code.

    @handles(ELB_V2, "CreateRule", "DeleteRule")
    def v2_rule(self) -> list[Effect]: ...

A registration names the API (`Api`: the record's eventSource, and its apiVersion where one source
carries two APIs, as Elastic Load Balancing does for Classic and v2) and the event names the handler
takes, and may add the scoring categories every change of those calls falls in besides the one the
handler gives it (`SetLoadBalancerListenerSSLCertificate` is a `listener_tls` change that is also a
`certificate` one; creating or deleting a listener is also `lifecycle`).

Everything else is derived from the registrations, so a new call is one decorated handler in one file
(a new service also declares its `Api` there, and its module is imported in model/changes.py):

- the replay's dispatch (`handler`, in model/changes.py);
- the CloudTrail keep-list (`kept_calls`): every event of an API whose `every_call` is set (an
  unhandled ELB call is still summarised and attributed from its identifiers), and of the other APIs
  the events registered. correlate/parse/cloudtrail.py filters records by it; parse comes before the
  model, so it does not import this registry: the ingestion hands the keep-list in;
- the LookupEvents attributes (`lookup_attributes`): one lookup per event source, or per event name
  for the busy sources (`lookup_by_name`) whose read-only events would take hours to page through;
- the scoring categories of a call (`categories`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from correlate.parse.cloudtrail import ELB_SOURCE, KeptCalls

Handler = TypeVar("Handler", bound=Callable[..., Any])

CLASSIC_API = "2012-06-01"


@dataclass(frozen=True, slots=True)
class Api:
    """One AWS API whose calls can change how a load balancer serves traffic."""

    source: str  # the record's eventSource
    version: str | None = None  # the record's apiVersion, where one eventSource carries two APIs
    every_call: bool = False  # keep every event of the source, handled or not
    lookup_by_name: bool = False  # LookupEvents by event name rather than by source


ELB_V2 = Api(ELB_SOURCE, "2015-12-01", every_call=True)
CLASSIC = Api(ELB_SOURCE, CLASSIC_API, every_call=True)


@dataclass(frozen=True, slots=True)
class Registration:
    api: Api
    event_name: str
    handler: Callable[..., Any]
    categories: tuple[str, ...]  # scoring categories of every change of the call, besides the handler's


class CallRegistry:
    def __init__(self) -> None:
        self._calls: dict[tuple[Api, str], Registration] = {}
        self._by_source: dict[tuple[str, str], list[Registration]] = {}

    def handles(self, api: Api, *event_names: str, categories: tuple[str, ...] = ()) -> Callable[[Handler], Handler]:
        """Register the decorated function as the handler of `event_names` of `api`."""

        def register(handler: Handler) -> Handler:
            for name in event_names:
                if (api, name) in self._calls:
                    raise ValueError(f"{api.source} {name} ({api.version}) has two handlers")
                registration = Registration(api, name, handler, categories)
                self._calls[(api, name)] = registration
                self._by_source.setdefault((api.source, name), []).append(registration)
            return handler

        return register

    def handler(self, api: Api, event_name: str) -> Callable[..., Any] | None:
        found = self._calls.get((api, event_name))
        return found.handler if found else None

    def related_handler(self, source: str, event_name: str) -> Callable[..., Any] | None:
        """The handler of a call of another service than Elastic Load Balancing."""
        found = self._by_source.get((source, event_name))
        return found[0].handler if found else None

    def categories(self, source: str | None, event_name: str) -> tuple[str, ...]:
        """The categories registered for the call, whichever API of its source registered it."""
        found = self._by_source.get((source or "", event_name), [])
        return tuple(dict.fromkeys(category for registration in found for category in registration.categories))

    def apis(self) -> list[Api]:
        return list(dict.fromkeys(api for api, _ in self._calls))

    def kept_calls(self) -> KeptCalls:
        every = frozenset(api.source for api in self.apis() if api.every_call)
        named: dict[str, set[str]] = {}
        for api, name in self._calls:
            if api.source not in every:
                named.setdefault(api.source, set()).add(name)
        return KeptCalls(every, {source: frozenset(names) for source, names in named.items()})

    def lookup_attributes(self) -> list[tuple[str, str]]:
        """The LookupEvents attribute of each lookup (the API takes one attribute per lookup)."""
        sources = list(dict.fromkeys(api.source for api in self.apis() if not api.lookup_by_name))
        attributes = [("EventSource", source) for source in sources]
        for api in self.apis():
            if api.lookup_by_name:
                attributes += [("EventName", name) for name in sorted(n for a, n in self._calls if a == api)]
        return attributes


CALLS = CallRegistry()
handles = CALLS.handles
