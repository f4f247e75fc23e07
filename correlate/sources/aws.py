"""AWS clients for one command, and AWS failures in words a user can act on.

Every boto3 client correlate uses is created here, on first use, from `AwsOptions` (profile, region)
and boto3's default credential chain; `AWS_ENDPOINT_URL` (S3-compatible stores, moto in tests) is
honoured by botocore itself. Nothing touches AWS at import time.

Failing fast matters more than waiting: connections time out after 5 s, and botocore's standard
retry mode retries throttling and network errors with backoff (up to 5 retries). Without credentials the
chain ends at the instance-metadata service, which botocore asks once with a 1-second timeout (its
defaults, which users may raise in their AWS config); measured against a metadata endpoint that
never answers, the error arrives after about 2 s (tests/test_s3_listing.py).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import (
    ClientError,
    ConnectionError,
    CredentialRetrievalError,
    HTTPClientError,
    IncompleteReadError,
    MetadataRetrievalError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    SSOError,
    TokenRetrievalError,
)

from correlate.errors import AccessDenied, NoCredentials, SourceAccessError

if TYPE_CHECKING:
    import boto3

CONNECT_TIMEOUT = 5
READ_TIMEOUT = 60
MAX_ATTEMPTS = 5

# What can go wrong between correlate and AWS that the user can fix. Anything else from botocore
# (a ParamValidationError, say) is a bug and keeps its traceback.
AWS_ERRORS: tuple[type[Exception], ...] = (
    ClientError,
    NoCredentialsError,
    PartialCredentialsError,
    CredentialRetrievalError,
    TokenRetrievalError,
    SSOError,
    MetadataRetrievalError,
    ConnectionError,
    HTTPClientError,
    IncompleteReadError,
    NoRegionError,
    ProfileNotFound,
)

DENIED_CODES = frozenset(
    {"AccessDenied", "AccessDeniedException", "AllAccessDisabled", "Forbidden", "403", "UnauthorizedOperation"}
)
THROTTLED = frozenset({"ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded"})
BAD_CREDENTIAL_CODES = frozenset(
    {
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidToken",
        "TokenRefreshRequired",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
    }
)


@dataclass(frozen=True, slots=True)
class AwsOptions:
    """How to reach AWS: a named profile and a region (None: boto3's defaults), and how many
    connections one client may hold (one per concurrent download)."""

    profile: str | None = None
    region: str | None = None
    max_connections: int = 10


class AwsClients:
    """The boto3 session and clients of one command, created on first use and shared by threads
    (boto3 clients are thread-safe; sessions are not, hence the lock)."""

    def __init__(self, options: AwsOptions | None = None) -> None:
        self.options = options or AwsOptions()
        self._session: boto3.Session | None = None
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    @property
    def region(self) -> str | None:
        """The region clients use when none is named: --region, else the profile's or AWS_REGION."""
        return self._get_session().region_name

    def regions(self, service: str) -> list[str]:
        """The commercial regions where `service` exists, from botocore's endpoint data (no call to
        AWS; regions an account has not opted into are listed too)."""
        return list(self._get_session().get_available_regions(service))

    def s3(self) -> Any:
        return self.client("s3")

    def client(self, service: str, region: str | None = None, *, max_attempts: int = MAX_ATTEMPTS) -> Any:
        """The client of `service` in `region` (default: `self.region`). `max_attempts` is botocore's
        own retrying; a caller that paces and backs off itself (LookupEvents) asks for fewer."""
        from botocore.config import Config  # boto3 takes a quarter of a second to import: only when needed

        key = (service, region, max_attempts)
        with self._lock:
            if key not in self._clients:
                session = self._get_session()
                config = Config(
                    connect_timeout=CONNECT_TIMEOUT,
                    read_timeout=READ_TIMEOUT,
                    retries={"max_attempts": max_attempts, "mode": "standard"},
                    max_pool_connections=self.options.max_connections,
                    user_agent_appid="correlate",
                )
                try:
                    self._clients[key] = session.client(service, region_name=region, config=config)
                except NoRegionError:
                    raise NoCredentials(
                        f"No AWS region is set for {service}: pass --region, or set AWS_REGION or a region in "
                        "your AWS profile."
                    ) from None
            return self._clients[key]

    def _get_session(self) -> boto3.Session:
        if self._session is None:
            import boto3
            import botocore.session

            core = botocore.session.Session()
            if self.options.profile:
                core.set_config_variable("profile", self.options.profile)
            try:
                self._session = boto3.Session(botocore_session=core, region_name=self.options.region)
            except ProfileNotFound:
                raise NoCredentials(
                    f"The AWS profile {self.options.profile or os.environ.get('AWS_PROFILE')!r} is not in your AWS "
                    "config or credentials file. Check --profile / AWS_PROFILE (aws configure list-profiles)."
                ) from None
        return self._session


class Pacer:
    """Keeps requests at least `interval` seconds apart (APIs with a per-second quota)."""

    def __init__(self, interval: float, sleep: Callable[[float], None], clock: Callable[[], float]) -> None:
        self.interval = interval
        self.sleep = sleep
        self.clock = clock
        self.last: float | None = None

    def wait(self) -> None:
        if self.last is not None:
            delay = self.interval - (self.clock() - self.last)
            if delay > 0:
                self.sleep(delay)
        self.last = self.clock()


def _one_line(error: ClientError) -> str:
    """AWS's message, on one line: an endpoint that answers with a web page instead of an AWS error (a
    proxy, an emulator that lacks the API) is named by its HTTP status."""
    message = " ".join(str(error.response.get("Error", {}).get("Message") or "").split())
    if message.startswith("<"):
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return f"the endpoint answered HTTP {status} with a web page, not an AWS error (check AWS_ENDPOINT_URL)"
    return message


def error_code(error: Exception) -> str:
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", ""))
    return ""


def explain(error: Exception, subject: str, action: str, permission: str) -> SourceAccessError:
    """One line for an AWS failure: `subject` is what was being read (a URI, a load balancer),
    `action` what correlate was doing, `permission` the IAM action it needs. A refused permission
    is an `AccessDenied`, so a command that reads several APIs can carry on with the others."""
    if isinstance(error, ClientError):
        code = error_code(error)
        message = _one_line(error)
        if code in DENIED_CODES:
            policies = "IAM and bucket policies" if permission.startswith("s3:") else "IAM policies"
            return AccessDenied(
                f"{subject}: access denied {action} (needs {permission}). Check the {policies}, "
                "or use another --profile."
            )
        if code in BAD_CREDENTIAL_CODES:
            return NoCredentials(
                f"{subject}: AWS refused the credentials ({code}: {message}). Refresh them (for example "
                "aws sso login), or use another --profile."
            )
        return SourceAccessError(f"{subject}: {action} failed: {code or 'error'}: {message}")
    if isinstance(error, NoCredentialsError | PartialCredentialsError):
        return NoCredentials(
            f"{subject}: no AWS credentials found. Pass --profile or set AWS_PROFILE, set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, or run where an IAM role is available."
        )
    if isinstance(error, CredentialRetrievalError | TokenRetrievalError | SSOError | MetadataRetrievalError):
        return NoCredentials(
            f"{subject}: the AWS credentials could not be loaded ({error}). Refresh them (for example aws sso "
            "login), or use another --profile."
        )
    if isinstance(error, NoRegionError):
        return NoCredentials(f"{subject}: no AWS region is set. Pass --region, or set AWS_REGION.")
    if isinstance(error, ProfileNotFound):
        return NoCredentials(f"{subject}: {error}. Check --profile / AWS_PROFILE.")
    return SourceAccessError(
        f"{subject}: cannot reach AWS while {action} ({error}). Check the network, --region and AWS_ENDPOINT_URL."
    )
