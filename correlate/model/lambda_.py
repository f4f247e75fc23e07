"""Lambda calls on functions behind an Application Load Balancer → effects.

A function serves a load balancer when a target group has it registered as a target (RegisterTargets
with the function's ARN, unqualified or with an alias or version after it). Its calls are attributed
through those target groups, and the change says whether it touched what the load balancer invokes:

- UpdateFunctionCode and UpdateFunctionConfiguration change the unpublished version, `$LATEST`,
  which an unqualified registration invokes;
- UpdateAlias points an alias at another version (or splits its traffic between two), which a
  registration with that alias invokes;
- PublishVersion makes a new numbered version, which nothing invokes until an alias points to it.

`details.invoked` is false when no registration invokes what the call changed (a registration with
the alias `live` does not see `$LATEST` change), and `details.invokes` names what they do invoke: the
scoring holds such a change nearly harmless. CloudTrail writes Lambda's event names with the API
version after them (`UpdateFunctionCode20150331v2`); both spellings are handled.
"""

from __future__ import annotations

from typing import Any

from correlate.model.calls import Api, handles
from correlate.model.describe import UNKNOWN, change_text
from correlate.model.effects import Effect

# Lambda writes many read-only events: LookupEvents asks for the handled ones by name.
LAMBDA = Api("lambda.amazonaws.com", lookup_by_name=True)
LATEST = "$LATEST"
# Configuration members the summary names (the others by their API name); environment values stay hidden.
_CONFIGURATION = {
    "memorysize": ("memory", " MB"),
    "timeout": ("timeout", " s"),
    "runtime": ("runtime", ""),
    "handler": ("handler", ""),
}


def function_name(value: Any) -> str | None:
    """`web` from `web`, `web:live`, `123456789012:function:web` or the function's ARN."""
    if not isinstance(value, str) or not value:
        return None
    rest = value.split(":function:", 1)[1] if ":function:" in value else value
    return rest.split(":", 1)[0] or None


def _qualifier(target: str) -> str:
    """What a registered Lambda target invokes: its alias or version, `$LATEST` when unqualified."""
    rest = target.split(":function:", 1)[1]
    return rest.split(":", 1)[1] if ":" in rest else LATEST


class LambdaHandlers:
    """Lambda functions registered in target groups."""

    # Provided by Replay: call, state, knowledge, applied, rq, rs and the attribution helpers.

    def _function(self) -> str | None:
        """The function the call names (the request's name or ARN, else the response's ARN)."""
        return (
            function_name(self.rq.get("functionname"))
            or function_name(self.rs.get("functionarn"))
            or function_name(self.rs.get("aliasarn"))
        )

    def _lambda_effects(
        self, name: str | None, category: str, changed: str | None, summary: str, details: dict
    ) -> list[Effect]:
        """The call's effect through every target group the function is registered in; `changed` is
        the alias or version the call changed (None: a new version, which nothing invokes yet)."""
        registered = {
            target: groups
            for target, groups in self.state.registered.items()
            if groups and ":function:" in target and function_name(target) == name
        }
        if not registered:
            return []
        invokes = sorted({f"{name}:{_qualifier(target)}" for target in registered})
        targets = tuple(sorted(registered))
        groups = sorted({arn for arns in registered.values() for arn in arns})
        details = {"function": name, **details, "invokes": invokes, "invoked": f"{name}:{changed}" in invokes}
        return self._through(groups, (), category, summary, details, targets=targets)

    @handles(LAMBDA, "UpdateFunctionCode20150331v2", "UpdateFunctionCode", categories=("deploy",))
    def lambda_code(self) -> list[Effect]:
        name = self._function()
        parts = ["new code"]
        sha = self.rs.get("codesha256")
        if isinstance(sha, str) and sha:
            parts[0] += f" (sha256 {sha[:8]}…)"
        if self.rq.get("publish") in (True, "true") and self.rs.get("version") not in (None, LATEST):
            parts.append(f"published as version {self.rs['version']}")
        summary = f"Lambda function {name}: {', '.join(parts)}"
        return self._lambda_effects(name, "deploy", LATEST, summary, {"code_sha256": sha})

    @handles(LAMBDA, "UpdateFunctionConfiguration20150331v2", "UpdateFunctionConfiguration", categories=("config",))
    def lambda_configuration(self) -> list[Effect]:
        name = self._function()
        request = self.call.request if isinstance(self.call.request, dict) else {}
        parts = []
        for key in request:
            lowered = str(key).lower()
            if lowered in ("functionname", "revisionid"):
                continue
            if lowered in _CONFIGURATION:
                label, unit = _CONFIGURATION[lowered]
                parts.append(f"{label} → {self.rq[lowered]}{unit}")
            elif lowered == "environment":
                parts.append("environment variables")
            else:
                parts.append(str(key))
        summary = f"Lambda function {name}: configuration updated ({', '.join(parts) or 'settings re-applied'})"
        return self._lambda_effects(name, "config", LATEST, summary, {})

    @handles(LAMBDA, "PublishVersion20150331", "PublishVersion", categories=("deploy",))
    def lambda_publish(self) -> list[Effect]:
        name = self._function()
        version = self.rs.get("version")
        summary = f"Lambda function {name}: version {version if version else '(number unknown)'} published"
        return self._lambda_effects(name, "deploy", None, summary, {"version": version})

    @handles(LAMBDA, "UpdateAlias20150331", "UpdateAlias", categories=("deploy",))
    def lambda_alias(self) -> list[Effect]:
        name = self._function()
        alias = str(self.rq.get("name") or self.rs.get("name") or "?")
        after = self.rq.get("functionversion") or self.rs.get("functionversion")
        key = f"{name}:{alias}"
        before = self.state.lambda_aliases.get(key, UNKNOWN)
        shown = change_text(f"alias {alias}", _version(before), _version(after)) if after else f"alias {alias} updated"
        weights = ((self.rq.get("routingconfig") or {}).get("additionalversionweights") or {}).items()
        split = [f"{float(weight):.0%} to version {version}" for version, weight in weights]
        if split:
            shown += f" ({', '.join(split)})"
        if self.applied and after:
            self.state.lambda_aliases[key] = after
        details = {
            "alias": alias,
            "fields": [{"field": "function_version", "before": _or_none(before), "after": after}],
        }
        return self._lambda_effects(name, "deploy", alias, f"Lambda function {name}: {shown}", details)


def _version(value: Any) -> Any:
    return value if value is UNKNOWN else f"version {value}"


def _or_none(value: Any) -> Any:
    return None if value is UNKNOWN else value
