"""Load balancer, target group and listener attributes: the words a summary uses for them, and AWS's
defaults (the earlier value of an attribute of a resource created within the replay).

The same setting reads the same whichever API changed it: a Classic ELB's
`connectionSettings.idleTimeout` and an ALB's `idle_timeout.timeout_seconds` are both the
`idle timeout`, in seconds; switches read `on` / `off`. Keys without a label stay as AWS spells
them. `details.fields[].field` always keeps the raw key.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from correlate.model.describe import text


def seconds(value: Any) -> str:
    return f"{value} s"


def minutes(value: Any) -> str:
    return f"{value} min"


def switch(value: Any) -> str:
    """`on` / `off` for a boolean (JSON or the strings ELBv2 uses); other values as they are
    (`use_load_balancer_configuration`)."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return "on" if value.lower() == "true" else "off"
    return text(value)


Render = Callable[[Any], str]

# Keys as they reach the model: ELBv2 keys as AWS spells them, Classic keys flattened and lower-cased
# (`connectionsettings.idletimeout`, `additionalattributes.elb.http.desyncmitigationmode`).
LABELS: dict[str, tuple[str, Render]] = {
    # load balancers, both APIs
    "idle_timeout.timeout_seconds": ("idle timeout", seconds),
    "connectionsettings.idletimeout": ("idle timeout", seconds),
    "client_keep_alive.seconds": ("client keep-alive", seconds),
    "deletion_protection.enabled": ("deletion protection", switch),
    "load_balancing.cross_zone.enabled": ("cross-zone load balancing", switch),
    "crosszoneloadbalancing.enabled": ("cross-zone load balancing", switch),
    "connectiondraining.enabled": ("connection draining", switch),
    "connectiondraining.timeout": ("connection draining timeout", seconds),
    "routing.http2.enabled": ("HTTP/2", switch),
    "routing.http.desync_mitigation_mode": ("desync mitigation mode", text),
    "additionalattributes.elb.http.desyncmitigationmode": ("desync mitigation mode", text),
    "routing.http.drop_invalid_header_fields.enabled": ("drop invalid header fields", switch),
    "routing.http.preserve_host_header.enabled": ("preserve host header", switch),
    "routing.http.x_amzn_tls_version_and_cipher_suite.enabled": ("TLS version and cipher headers", switch),
    "routing.http.xff_client_port.enabled": ("X-Forwarded-For client port", switch),
    "routing.http.xff_header_processing.mode": ("X-Forwarded-For processing", text),
    "waf.fail_open.enabled": ("WAF fail open", switch),
    "zonal_shift.config.enabled": ("zonal shift", switch),
    "dns_record.client_routing_policy": ("DNS client routing policy", text),
    "access_logs.s3.enabled": ("access logs", switch),
    "access_logs.s3.bucket": ("access logs bucket", text),
    "access_logs.s3.prefix": ("access logs prefix", text),
    "accesslog.enabled": ("access logs", switch),
    "accesslog.s3bucketname": ("access logs bucket", text),
    "accesslog.s3bucketprefix": ("access logs prefix", text),
    "accesslog.emitinterval": ("access logs interval", minutes),
    "connection_logs.s3.enabled": ("connection logs", switch),
    "connection_logs.s3.bucket": ("connection logs bucket", text),
    "connection_logs.s3.prefix": ("connection logs prefix", text),
    "health_check_logs.s3.enabled": ("health check logs", switch),
    "health_check_logs.s3.bucket": ("health check logs bucket", text),
    "health_check_logs.s3.prefix": ("health check logs prefix", text),
    # target groups
    "deregistration_delay.timeout_seconds": ("deregistration delay", seconds),
    "deregistration_delay.connection_termination.enabled": ("close connections on deregistration", switch),
    "stickiness.enabled": ("stickiness", switch),
    "stickiness.type": ("stickiness type", text),
    "stickiness.lb_cookie.duration_seconds": ("stickiness duration", seconds),
    "stickiness.app_cookie.cookie_name": ("stickiness cookie", text),
    "stickiness.app_cookie.duration_seconds": ("stickiness duration", seconds),
    "slow_start.duration_seconds": ("slow start", seconds),
    "load_balancing.algorithm.type": ("load balancing algorithm", text),
    "load_balancing.algorithm.anomaly_mitigation": ("anomaly mitigation", text),
    "proxy_protocol_v2.enabled": ("proxy protocol v2", switch),
    "preserve_client_ip.enabled": ("preserve client IP", switch),
    "lambda.multi_value_headers.enabled": ("Lambda multi-value headers", switch),
    # listeners
    "tcp.idle_timeout.seconds": ("TCP idle timeout", seconds),
}


def attribute_label(key: str) -> tuple[str, Render]:
    """(label, how to show a value) of an attribute key; an unknown key is its own label."""
    return LABELS.get(key, (key, text))


# -- AWS's defaults -----------------------------------------------------------------------------

V2_DEFAULTS = {
    "application": {
        "idle_timeout.timeout_seconds": "60",
        "client_keep_alive.seconds": "3600",
        "deletion_protection.enabled": "false",
        "routing.http2.enabled": "true",
        "routing.http.desync_mitigation_mode": "defensive",
        "routing.http.drop_invalid_header_fields.enabled": "false",
        "routing.http.preserve_host_header.enabled": "false",
        "routing.http.x_amzn_tls_version_and_cipher_suite.enabled": "false",
        "routing.http.xff_client_port.enabled": "false",
        "routing.http.xff_header_processing.mode": "append",
        "waf.fail_open.enabled": "false",
        "access_logs.s3.enabled": "false",
        "connection_logs.s3.enabled": "false",
    },
    "network": {
        "deletion_protection.enabled": "false",
        "load_balancing.cross_zone.enabled": "false",
        "dns_record.client_routing_policy": "any_availability_zone",
        "access_logs.s3.enabled": "false",
    },
    "gateway": {
        "deletion_protection.enabled": "false",
        "load_balancing.cross_zone.enabled": "false",
    },
}
CLASSIC_DEFAULTS = {
    "connectionsettings.idletimeout": 60,
    "crosszoneloadbalancing.enabled": False,
    "connectiondraining.enabled": False,
    "accesslog.enabled": False,
}
_TG_DEFAULTS = {
    "deregistration_delay.timeout_seconds": "300",
    "stickiness.enabled": "false",
    "load_balancing.cross_zone.enabled": "use_load_balancer_configuration",
}
_HTTP_TG_DEFAULTS = {
    "slow_start.duration_seconds": "0",
    "load_balancing.algorithm.type": "round_robin",
    "load_balancing.algorithm.anomaly_mitigation": "off",
    "stickiness.type": "lb_cookie",
    "stickiness.lb_cookie.duration_seconds": "86400",
}
_NETWORK_TG_DEFAULTS = {
    "stickiness.type": "source_ip",
    "proxy_protocol_v2.enabled": "false",
    "deregistration_delay.connection_termination.enabled": "false",
}


def target_group_defaults(protocol: Any) -> dict[str, str]:
    """The attributes a new target group of `protocol` has before anything sets them."""
    defaults = dict(_TG_DEFAULTS)
    kind = str(protocol).upper()
    if kind in ("HTTP", "HTTPS"):
        defaults.update(_HTTP_TG_DEFAULTS)
    elif kind in ("TCP", "UDP", "TLS", "TCP_UDP"):
        defaults.update(_NETWORK_TG_DEFAULTS)
    return defaults
