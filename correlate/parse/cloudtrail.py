"""CloudTrail containers → records → `ApiCall`s, with no I/O.

The containers correlate reads (docs/formats.md, "CloudTrail"): trail files (`{"Records": [...]}`), bare arrays of
records, EventBridge envelopes (`{"detail-type": ..., "detail": {record}}`), saved
`aws cloudtrail lookup-events` output (`{"Events": [{"CloudTrailEvent": "<record as a string>"}]}`),
and JSON lines holding any of these. Digest and Insight objects are recognised by name and skipped.

Only records that can change a load balancer's behaviour are kept, as the `KeptCalls` handed in
says: every Elastic Load Balancing event (both APIs share one eventSource) and the related-service
events the change model handles (docs/cloudtrail.md, "What is kept"). Everything else is counted, not stored. A busy
account writes mostly unrelated records, so a one-document file is parsed lazily with simdjson: a
skipped record costs two look-ups and never becomes Python objects (ten times cheaper than a full
parse, measured); a kept record is then decoded with orjson. Invalid JSON goes through orjson too,
for its error message.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import orjson

from correlate.timeparse import Window

try:  # declared in pyproject; the parser still works, more slowly, without it
    import simdjson
except ImportError:  # pragma: no cover - exercised by a test that hides the module
    simdjson = None

ELB_SOURCE = "elasticloadbalancing.amazonaws.com"


@dataclass(frozen=True, slots=True)
class KeptCalls:
    """Which records are kept: every event of the `every` sources, and of the other sources the events
    `named`. The change model's registry of handled calls derives it (correlate/model/calls.py); parse
    comes first, so the ingestion hands it in."""

    every: frozenset[str]
    named: dict[str, frozenset[str]]

    @property
    def sources(self) -> frozenset[str]:
        return self.every | frozenset(self.named)


READ_PREFIXES = ("Describe", "Get", "List")
SKIPPED_OBJECTS = ("CloudTrail-Digest", "CloudTrail-Insight")
RAW_LIMIT = 4096  # characters of a whole-file problem kept in rejects.raw

ACTOR_KINDS = ("console", "cli", "sdk", "terraform", "cloudformation", "cdk", "aws-service", "unknown")


@dataclass(frozen=True, slots=True)
class ApiCall:
    """One kept CloudTrail event, normalised; JSON members stay JSON text."""

    event_id: str
    event_time: dt.datetime  # naive UTC
    event_source: str
    event_name: str
    api_version: str | None
    aws_region: str | None
    account_id: str | None
    actor: str | None  # principal ARN, or the service / name when there is no ARN
    actor_name: str | None  # short human name: user, role session, or service
    actor_kind: str
    source_ip: str | None
    user_agent: str | None
    read_only: bool  # the record's readOnly; when absent, true for Describe*/Get*/List*
    error_code: str | None
    error_message: str | None
    request_parameters: str | None  # JSON text
    response_elements: str | None  # JSON text
    event_type: str | None
    event_version: str | None
    is_addendum: bool  # a re-delivered copy (addendum): replaces an earlier copy of the same event
    request_truncated: bool  # CloudTrail cut requestParameters (over 100 KB)
    record: str  # the whole record as JSON text
    source_file: str
    source_line: int


@dataclass(frozen=True, slots=True)
class RecordReject:
    line: int | None  # line number (JSON lines) or the record's position in the file (one document)
    reason: str
    raw: str


@dataclass
class Parsed:
    """What one document or one run of lines held."""

    calls: list[ApiCall] = field(default_factory=list)
    rejects: list[RecordReject] = field(default_factory=list)
    records: int = 0  # every record seen (a file or stream that cannot be read counts as one)
    unrelated: int = 0  # records skipped as unrelated to load balancers
    outside: int = 0  # kept records outside --since/--until
    digests: int = 0  # digest documents recognised by content
    access_log: bool = False  # not JSON but ELB access-log lines: the object belongs to `ingest logs`

    def extend(self, other: Parsed) -> None:
        self.calls += other.calls
        self.rejects += other.rejects
        self.records += other.records
        self.unrelated += other.unrelated
        self.outside += other.outside
        self.digests += other.digests


def skipped_object(uri: str) -> str | None:
    """'CloudTrail-Digest' or 'CloudTrail-Insight' when the object's key or name says it is one."""
    for marker in SKIPPED_OBJECTS:
        if f"/{marker}/" in uri or f"_{marker}_" in uri.rsplit("/", 1)[-1]:
            return marker
    return None


def json_error(error: orjson.JSONDecodeError) -> str:
    """orjson's message without its document dump."""
    return f"{error.msg} (line {error.lineno}, column {error.colno})"


def parse_document(data: bytes | str, source_file: str, kept: KeptCalls, window: Window | None = None) -> Parsed:
    """A whole one-document file: trail file, array, envelope, lookup output or a single record.

    Raises orjson.JSONDecodeError when the text is not JSON; the caller decides what that means."""
    parsed = Parsed()
    if simdjson is not None and isinstance(data, bytes):
        try:
            value = simdjson.Parser().parse(data)
        except (ValueError, UnicodeDecodeError):
            pass  # orjson below says what is wrong, in the words the rejects use
        else:
            _collect(parsed, value, None, source_file, kept, window or Window())
            return parsed
    value = orjson.loads(data)
    _collect(parsed, value, None, source_file, kept, window or Window())
    return parsed


_OBJECT_TYPES: tuple[type, ...] = (dict, simdjson.Object) if simdjson is not None else (dict,)
_ARRAY_TYPES: tuple[type, ...] = (list, simdjson.Array) if simdjson is not None else (list,)


def _is_object(value: Any) -> bool:
    return isinstance(value, _OBJECT_TYPES)


def _is_array(value: Any) -> bool:
    return isinstance(value, _ARRAY_TYPES)


def parse_line(parsed: Parsed, text: bytes, line: int, source_file: str, kept: KeptCalls, window: Window) -> None:
    """One line of a JSON-lines file; every record on it carries the line number."""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as error:
        parsed.records += 1
        parsed.rejects.append(RecordReject(line, f"not valid JSON: {json_error(error)}", _text(text)))
        return
    _collect(parsed, value, line, source_file, kept, window)


def _collect(parsed: Parsed, value: Any, line: int | None, source_file: str, kept: KeptCalls, window: Window) -> None:
    """Unwrap a container into records; positions count from 1 within a one-document file."""
    if _is_object(value):
        if "Records" in value:
            records = value["Records"]
            if not _is_array(records):
                parsed.records += 1
                parsed.rejects.append(
                    RecordReject(
                        line,
                        f"Records is {json_type(records)}, not a list of records",
                        _raw(value)[:RAW_LIMIT],
                    )
                )
                return
            collect_records(parsed, records, line, source_file, kept, window)
            return
        if _is_array(value.get("Events")):
            collect_records(parsed, value["Events"], line, source_file, kept, window)
            return
        if "digestStartTime" in value or ("logFiles" in value and "digestEndTime" in value):
            parsed.digests += 1
            return
        collect_records(parsed, [value], line, source_file, kept, window)
        return
    if _is_array(value):
        collect_records(parsed, value, line, source_file, kept, window)
        return
    parsed.records += 1
    parsed.rejects.append(
        RecordReject(
            line if line is not None else 1,
            f"not a CloudTrail document: found {json_type(value)}; expected "
            '{"Records": [...]}, an array of records, an EventBridge event or lookup-events output',
            _raw(value)[:RAW_LIMIT],
        )
    )


def collect_records(
    parsed: Parsed, items: list, line: int | None, source_file: str, kept: KeptCalls, window: Window
) -> None:
    """Unwrap and classify each item (a record, an EventBridge event, a LookupEvents result);
    `line` is given for all of them (JSON lines, LookupEvents positions) or None (their positions)."""
    keep_sources = kept.sources
    every = kept.every
    objects = _OBJECT_TYPES
    for position, item in enumerate(items, 1):
        where = line if line is not None else position
        parsed.records += 1
        record = item
        if not isinstance(record, objects):
            parsed.rejects.append(
                RecordReject(where, f"a record must be a JSON object, found {json_type(record)}", _raw(item))
            )
            continue
        # The hot path: a record. Only an object without eventSource is looked at as a wrapper
        # (testing a lazy object for an absent key scans all its keys).
        source = record.get("eventSource")
        if source is None:
            if "detail" in record and "detail-type" in record:
                record = record["detail"]
            elif "CloudTrailEvent" in record:
                try:
                    record = orjson.loads(record["CloudTrailEvent"])
                except (orjson.JSONDecodeError, TypeError) as error:
                    reason = (
                        f"CloudTrailEvent is not valid JSON: {json_error(error)}"
                        if isinstance(error, orjson.JSONDecodeError)
                        else "CloudTrailEvent is not a string"
                    )
                    parsed.rejects.append(RecordReject(where, reason, _raw(item)))
                    continue
            if not isinstance(record, objects):
                parsed.rejects.append(
                    RecordReject(where, f"a record must be a JSON object, found {json_type(record)}", _raw(item))
                )
                continue
            source = record.get("eventSource")
        if not isinstance(source, str):
            parsed.rejects.append(RecordReject(where, "not a CloudTrail record: no eventSource", _raw(item)))
            continue
        if source not in keep_sources:
            parsed.unrelated += 1
            continue
        if source not in every:
            name = record.get("eventName")
            if not isinstance(name, str) or name.strip() not in kept.named[source]:
                parsed.unrelated += 1
                continue
        if not isinstance(record, dict):  # a lazy simdjson object: decode the kept record
            record = orjson.loads(record.mini)
        call = to_call(record, source_file, where)
        if isinstance(call, RecordReject):
            parsed.rejects.append(call)
        elif (window.since is not None and call.event_time < window.since) or (
            window.until is not None and call.event_time > window.until
        ):
            parsed.outside += 1
        else:
            parsed.calls.append(call)


def to_call(record: dict[str, Any], source_file: str, line: int) -> ApiCall | RecordReject:
    """A kept record → ApiCall, or the reason it cannot be loaded."""
    event_id = record.get("eventID")
    event_time = record.get("eventTime")
    name = record.get("eventName")
    missing = [
        label
        for label, value in (("eventID", event_id), ("eventTime", event_time), ("eventName", name))
        if not isinstance(value, str) or not value.strip()
    ]
    if missing:
        return RecordReject(line, f"record has no {' or '.join(missing)}", _raw(record))
    try:
        when = parse_event_time(event_time)
    except ValueError:
        return RecordReject(line, f"eventTime {event_time!r} is not an ISO 8601 time", _raw(record))
    name = name.strip()
    request = record.get("requestParameters")
    truncated = isinstance(request, str) or (isinstance(request, dict) and request.get("omitted") is True)
    read_only = record.get("readOnly")
    if isinstance(read_only, str):
        read_only = read_only.lower() == "true"
    if not isinstance(read_only, bool):
        read_only = name.startswith(READ_PREFIXES)
    identity = record.get("userIdentity")
    identity = identity if isinstance(identity, dict) else {}
    actor, actor_name, actor_kind = actor_of(record, identity)
    addendum = record.get("addendum")
    return ApiCall(
        event_id=event_id.strip(),
        event_time=when,
        event_source=record["eventSource"],
        event_name=name,
        api_version=_str(record.get("apiVersion")),
        aws_region=_str(record.get("awsRegion")),
        account_id=_str(record.get("recipientAccountId")) or _str(identity.get("accountId")),
        actor=actor,
        actor_name=actor_name,
        actor_kind=actor_kind,
        source_ip=_str(record.get("sourceIPAddress")),
        user_agent=_str(record.get("userAgent")),
        read_only=read_only,
        error_code=_str(record.get("errorCode")),
        error_message=_str(record.get("errorMessage")),
        request_parameters=None if request is None else orjson.dumps(request).decode(),
        response_elements=_json(record.get("responseElements")),
        event_type=_str(record.get("eventType")),
        event_version=_str(record.get("eventVersion")),
        is_addendum=isinstance(addendum, dict) and bool(addendum),
        request_truncated=truncated,
        record=orjson.dumps(record).decode(),
        source_file=source_file,
        source_line=line,
    )


def parse_event_time(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text.strip())
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


# -- who made the call ------------------------------------------------------------------------

_SDK_MARKERS = (
    "boto3/",
    "botocore/",
    "aws-sdk-",
    "aws-sdk/",
    "awssdk",
    "awspowershell",
    "aws-toolkit",
    "aws-chalice",
    "aws-sam-cli",
)


def actor_of(record: dict[str, Any], identity: dict[str, Any]) -> tuple[str | None, str | None, str]:
    """(actor, actor_name, actor_kind) from userIdentity, invokedBy and userAgent.

    actor is the principal's ARN (or the service / name when there is none); actor_name the short
    name a person recognises: the IAM user, the role session (often the person's e-mail for SSO),
    or the AWS service."""
    kind_of_identity = _str(identity.get("type")) or ""
    arn = _str(identity.get("arn"))
    invoked_by = _str(identity.get("invokedBy"))
    agent = (_str(record.get("userAgent")) or "").lower()
    context = identity.get("sessionContext")
    issuer = context.get("sessionIssuer") if isinstance(context, dict) else None
    issuer = issuer if isinstance(issuer, dict) else {}
    role_name = _str(issuer.get("userName")) or ""
    role_arn = _str(issuer.get("arn")) or ""

    name = _str(identity.get("userName"))
    if kind_of_identity == "AssumedRole" and arn and "/" in arn:
        name = arn.rsplit("/", 1)[-1]  # the session name
    if kind_of_identity == "Root":
        name = "root"
    if kind_of_identity == "AWSService" or (not arn and invoked_by):
        name = invoked_by or name
    actor = arn or invoked_by or name or _str(identity.get("principalId"))
    name = name or actor

    if "aws-cdk" in agent or (role_name.startswith("cdk-") and "cfn-exec-role" in role_name):
        kind = "cdk"
    elif invoked_by == "cloudformation.amazonaws.com" or "cloudformation.amazonaws.com" in agent:
        kind = "cloudformation"
    elif (
        kind_of_identity == "AWSService"
        or ":role/aws-service-role/" in role_arn
        or role_name.startswith("AWSServiceRoleFor")
        or (invoked_by is not None and invoked_by.endswith(".amazonaws.com") and not _console_service(invoked_by))
    ):
        kind = "aws-service"
        if invoked_by and kind_of_identity != "AWSService" and not arn:
            name = invoked_by
    elif "terraform" in agent or "hashicorp" in agent:
        kind = "terraform"
    elif (
        record.get("sessionCredentialFromConsole") in ("true", True)  # a string in CloudTrail; normalised exports
        or agent.startswith("console.")
        or "console.amazonaws.com" in agent
        or agent.startswith("signin.amazonaws.com")
        or (invoked_by is not None and _console_service(invoked_by))
    ):
        kind = "console"
    elif "aws-cli/" in agent:
        kind = "cli"
    elif any(marker in agent for marker in _SDK_MARKERS):
        kind = "sdk"
    else:
        kind = "unknown"
    return actor, name, kind


def _console_service(service: str) -> bool:
    return service.startswith(("console.", "signin.")) or service == "console.amazonaws.com"


# -- small helpers ----------------------------------------------------------------------------


def _str(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value if value != "" else None
    return str(value)


def _json(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


def json_type(value: Any) -> str:
    """How a JSON value is named in a reject's reason (`an object`, `an array`, `a string`, ...)."""
    if _is_object(value):
        return "an object"
    if _is_array(value):
        return "an array"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _text(data: bytes | str) -> str:
    return data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data


def _raw(value: Any) -> str:
    if hasattr(value, "mini"):  # a lazy simdjson object or array
        return _text(value.mini)
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return repr(value)
