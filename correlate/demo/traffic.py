"""Access-log lines for the demo's two load balancers, driven by the scenario's world.

Requests arrive as a Poisson stream. Each one is routed as the load balancer is configured at that
moment (listener, rule, target group, targets in service), answered with a latency that grows with
how loaded its target group is (fewer targets, more traffic: slower, then 502/504), and written in
the load balancer's own log format: the 2026 ALB layout (36 fields, gzip) or the Classic ELB layout
(15 fields, plain text), in 5-minute files per node under the AWS key layout. The NLB tls-front, only in
the incident that hits it, writes its TLS access logs (22 fields, gzip, 5-minute files).
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from correlate.demo.cloudtrail import gzip_bytes, write_if_changed
from correlate.demo.fleet import (
    ACCOUNT,
    ALB_ID,
    ALB_NODES,
    API,
    CERTIFICATE_ARN,
    CLB_NAME,
    CLB_NODES,
    NLB_ADDRESS,
    NLB_CERTIFICATE_ARN,
    NLB_ID,
    NLB_LISTENER_ID,
    NLB_NAME,
    PARTNER_API,
    REGION,
    TARGET_GROUPS,
    WEB,
    WEB_V2,
)
from correlate.demo.world import Scenario, World, initial_world

EPOCH = dt.datetime(1970, 1, 1)
FILE_MINUTES = 5
BASE_LOAD = {WEB.name: 0.4, API.name: 0.3, WEB_V2.name: 0.4}  # utilisation of each target group at the base rate
SLOW_EXPORT_SHARE = 0.03  # of API requests: report exports that take 8-40 s


class Weighted:
    """Repeated weighted choice: one random() and one bisect."""

    def __init__(self, pairs) -> None:
        self.items = [item for item, _ in pairs]
        self.cumulative = list(itertools.accumulate(weight for _, weight in pairs))

    def pick(self, rng: random.Random):
        return self.items[bisect.bisect_right(self.cumulative, rng.random() * self.cumulative[-1])]


WEB_PATHS = Weighted(
    [
        (("/", 0.030, 18000), 20),
        (("/products/{n}", 0.045, 24000), 25),
        (("/cart", 0.060, 9000), 6),
        (("/static/js/app.{h}.js", 0.004, 240000), 14),
        (("/images/{n}.jpg", 0.006, 65000), 16),
        (("/search?q={q}", 0.120, 31000), 8),
        (("/favicon.ico", 0.002, 1150), 3),
    ]
)
API_PATHS = Weighted(
    [
        (("/api/v1/items/{n}", 0.025, 1800), 40),
        (("/api/v1/items?page={n}&sort=desc", 0.040, 4200), 30),
        (("/api/v1/orders", 0.080, 900), 12),
        (("/api/v1/login", 0.150, 600), 6),
    ]
)
LEGACY_PATHS = Weighted(
    [
        (("/", 0.035, 21000), 30),
        (("/account", 0.070, 12000), 20),
        (("/catalog/{n}", 0.050, 28000), 35),
        (("/assets/site.{h}.css", 0.005, 42000), 15),
    ]
)
SEARCH_TERMS = ("shoes", "red%20dress", "caf%C3%A9", "usb-c+cable", "laptop", "a%26b")
BROWSERS = Weighted(
    [
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Safari/537.36",
            30,
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/18.1 Safari/605.1.15",
            14,
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/18.1 Mobile/15E148 Safari/604.1",
            12,
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.6778.39 Mobile Safari/537.36",
            10,
        ),
        ("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", 5),
        ("okhttp/4.12.0", 6),
        ("python-requests/2.32.3", 3),
        ("Go-http-client/2.0", 3),
    ]
)
LEGACY_CLIENTS = {
    "TLSv1": Weighted(
        [
            ("Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.1; Trident/4.0)", 5),
            ("Dalvik/1.6.0 (Linux; U; Android 4.1.2; GT-I9100 Build/JZO54K)", 3),
        ]
    ),
    "TLSv1.1": Weighted(
        [
            ("Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko", 4),
            ("Apache-HttpClient/4.3.6 (java 1.5)", 3),
        ]
    ),
}
CLB_PROTOCOLS = Weighted([("TLSv1.2", 82), ("TLSv1.1", 10), ("TLSv1", 8)])
CLB_CIPHERS = {
    "TLSv1.2": ("ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384"),
    "TLSv1.1": ("ECDHE-RSA-AES128-SHA",),
    "TLSv1": ("ECDHE-RSA-AES128-SHA", "AES128-SHA"),
}
ALB_TLS = Weighted(
    [
        (("TLSv1.3", "TLS_AES_128_GCM_SHA256"), 50),
        (("TLSv1.3", "TLS_AES_256_GCM_SHA384"), 14),
        (("TLSv1.3", "TLS_CHACHA20_POLY1305_SHA256"), 4),
        (("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256"), 26),
        (("TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384"), 6),
    ]
)


@dataclass(frozen=True, slots=True)
class Rates:
    """Mean requests (an NLB's connections) per second at the base load."""

    alb: float = 8.0
    clb: float = 4.0
    nlb: float = 5.0


class Clock:
    """ISO 8601 with microseconds and Z, from epoch seconds; caches the per-second prefix."""

    def __init__(self) -> None:
        self._second = -1
        self._prefix = ""

    def iso(self, t: float, millis: bool = False) -> str:
        micros = round(t * 1_000_000)
        second, fraction = divmod(micros, 1_000_000)
        if second != self._second:
            self._second = second
            self._prefix = (EPOCH + dt.timedelta(seconds=second)).strftime("%Y-%m-%dT%H:%M:%S.")
        if millis:
            return f"{self._prefix}{fraction // 1000:03d}000Z"
        return f"{self._prefix}{fraction:06d}Z"


def epoch(moment: dt.datetime) -> float:
    return (moment - EPOCH).total_seconds()


class Replay:
    """Applies the scenario's effects to a fresh world as generation passes their times."""

    def __init__(self, scenario: Scenario) -> None:
        self.world: World = initial_world()
        self.effects = [(epoch(at), change) for at, change in scenario.effects]
        self.next = 0

    def advance(self, t: float) -> World:
        while self.next < len(self.effects) and self.effects[self.next][0] <= t:
            self.effects[self.next][1](self.world)
            self.next += 1
        return self.world


def _arrivals(scenario: Scenario, rate: float, rng: random.Random, traffic) -> Iterator[tuple[float, World]]:
    replay = Replay(scenario)
    t = epoch(scenario.start)
    end = epoch(scenario.end)
    while True:
        world = replay.advance(t)
        wobble = 1.0 + 0.06 * math.sin(2 * math.pi * (t % 3000) / 3000)  # slow, gentle variation
        t += rng.expovariate(rate * traffic(world) * wobble)
        if t >= end:
            return
        yield t, replay.advance(t)


def _below(rng: random.Random, n: int) -> int:
    """A fast randrange(n) (random.randrange costs several calls per draw)."""
    return int(rng.random() * n)


class _Clients:
    """A client population with a heavy head: a few busy addresses, a long tail."""

    def __init__(self, rng: random.Random, size: int = 3000) -> None:
        self.addresses = [
            f"{_below(rng, 200) + 11}.{_below(rng, 256)}.{_below(rng, 256)}.{_below(rng, 254) + 1}" for _ in range(size)
        ]

    def pick(self, rng: random.Random) -> str:
        return f"{self.addresses[int(rng.random() ** 3 * len(self.addresses))]}:{_below(rng, 64511) + 1024}"


def _path(template: str, rng: random.Random) -> str:
    if "{" not in template:
        return template
    return template.format(n=_below(rng, 50000) + 1, h=f"{rng.getrandbits(32):08x}", q=rng.choice(SEARCH_TERMS))


def _load_factor(load: float) -> float:
    return 1.0 / (1.0 - min(load, 0.96))


def _overload_error(load: float) -> float:
    return min(0.6, max(0.0, load - 0.9) * 1.5)


@dataclass(frozen=True, slots=True)
class Served:
    """What CloudWatch counts of one request (demo/metrics.py): when it arrived, the target group that
    took it, its status, whether the load balancer answered it itself, and the target's response time
    (seconds; None when no target answered)."""

    arrived: float
    group: str | None
    status: int
    by_lb: bool
    target_time: float | None  # an NLB's connection: how long it lasted
    failed_handshake: bool = False  # an NLB's TLS connection whose handshake failed


@dataclass(frozen=True, slots=True)
class Line:
    time: float  # the time that decides the log file (ALB: response sent; Classic: received)
    node: str
    text: str
    served: Served | None = None


def alb_lines(scenario: Scenario, rate: float, rng: random.Random) -> Iterator[Line]:
    """web-prod's requests: HTTP:80 redirects to HTTPS; HTTPS:443 forwards api.example.com to the api
    target group and everything else to the default action's group."""
    clock, request_clock = Clock(), Clock()
    clients = _Clients(rng)
    groups = {group.name: group for group in TARGET_GROUPS}
    initial = {WEB.name: len(WEB.targets), API.name: len(API.targets)}
    group_rate = {WEB.name: rate * 0.92 * 0.7, API.name: rate * 0.92 * 0.3}
    capacity = {name: group_rate[name] / (initial[name] * BASE_LOAD[name]) for name in initial}
    # web-v2, when the default action forwards to it, takes web's requests on targets like web's
    group_rate[WEB_V2.name], capacity[WEB_V2.name] = group_rate[WEB.name], capacity[WEB.name]
    for t, world in _arrivals(scenario, rate, rng, lambda w: w.alb.traffic):
        node = ALB_NODES[_below(rng, len(ALB_NODES))]
        client = clients.pick(rng)
        trace = f'"Root=1-{int(t):08x}-{rng.getrandbits(96):024x}"'
        tid = f"TID_{rng.getrandbits(128):032x}"
        browser = BROWSERS.pick(rng)
        if rng.random() < 0.08:
            host = "www.example.com"
            path = _path(WEB_PATHS.pick(rng)[0], rng)
            response = t + rng.uniform(0.0002, 0.0009)
            fields = [
                "http", clock.iso(response), ALB_ID, client, "-", "-1", "-1", "-1", "301", "-",
                str(_below(rng, 520) + 180), "330", f'"GET http://{host}:80{path} HTTP/1.1"', f'"{browser}"', "-", "-",
                "-", trace, '"-"', '"-"', "0", request_clock.iso(t, millis=True), '"redirect"',
                f'"https://{host}:443{path}"', '"-"', '"-"', '"-"', '"-"', '"-"', tid, '"-"', '"-"', '"-"', node, '"-"',
                '"-"',
            ]  # fmt: skip
            yield Line(response, node, " ".join(fields), Served(t, None, 301, True, None))
            continue
        api = rng.random() < world.alb.api_share
        host = "api.example.com" if api else ("www.example.com" if rng.random() < 0.8 else "example.com")
        group = groups[API.name if api else world.alb.default_group]
        rule = "10" if api else "0"
        template, base, size = (API_PATHS if api else WEB_PATHS).pick(rng)
        method = "POST" if template in ("/api/v1/orders", "/api/v1/login") else "GET"
        path = _path(template, rng)
        for extra in world.alb.rules:  # rules before priority 10, in priority order
            if extra.priority < 10 and extra.matches(host, path):
                group, rule = groups[extra.group], str(extra.priority)
                break
        slow_export = api and rng.random() < SLOW_EXPORT_SHARE
        if slow_export:
            path, base, size = f"/api/v1/reports/export?id={_below(rng, 9000) + 1}", 0.0, 2_400_000
        ltype = "h2" if rng.random() < 0.45 else "https"
        version = "HTTP/2.0" if ltype == "h2" else "HTTP/1.1"
        protocol, cipher = ALB_TLS.pick(rng)
        cert = '"session-reused"' if rng.random() < 0.3 else f'"{CERTIFICATE_ARN}"'
        serving = world.alb.serving.get(group.name, [])
        received = _below(rng, 650) + 250 + (_below(rng, 3800) + 200 if method == "POST" else 0)
        target = target_status = "-"
        request_time, target_time, response_time = "0.000", "-1", "-1"
        if not serving:
            status, sent, latency = 503, 336, 0.0
        else:
            ip, spread = _pick_target(serving, world.alb.weights, rng)
            target = f"{ip}:{group.port}"
            load = group_rate[group.name] * world.alb.traffic / (spread * capacity[group.name])
            latency = (
                rng.uniform(8.0, 40.0)
                if slow_export
                else base * rng.lognormvariate(0, 0.45) * _load_factor(load) / _load_factor(BASE_LOAD[group.name])
            )
            latency *= world.alb.slowness.get(group.name, 1.0)
            failing = world.alb.failing.get(group.name, 0.0)
            roll = rng.random()
            if roll < _overload_error(load):
                status = 502 if rng.random() < 0.7 else 504
                latency = rng.uniform(0.5, 10.0) if status == 504 else rng.uniform(0.001, 0.5)
                sent = 290
            elif latency > world.alb.idle_timeout:
                status, sent, latency = 504, 290, world.alb.idle_timeout
            elif rng.random() < 0.0005:
                status, sent = 460, 0
            else:
                status = 500 if failing and rng.random() < failing else _target_status(rng, api, template)
                if status == 500 and failing:
                    latency = min(latency, rng.uniform(0.002, 0.05))  # the application fails fast
                target_status = str(status)
                request_time = "0.000" if rng.random() < 0.7 else "0.001"
                target_time = f"{latency:.3f}"
                response_time = "0.000"
                sent = size if status in (200, 201) else (0 if status == 304 else 180)
                sent = int(sent * rng.uniform(0.6, 1.4)) + 240
        response = t + latency + rng.uniform(0.0003, 0.002)
        fields = [
            ltype, clock.iso(response), ALB_ID, client, target, request_time, target_time, response_time, str(status),
            target_status, str(received), str(sent), f'"{method} https://{host}:443{path} {version}"', f'"{browser}"',
            cipher, protocol, group.arn, trace, f'"{host}"', cert, rule, request_clock.iso(t, millis=True), '"forward"',
            '"-"', '"-"', f'"{target}"', f'"{target_status}"', '"-"', '"-"', tid, '"-"', '"-"', '"-"', node, '"-"',
            '"-"',
        ]  # fmt: skip
        answered = target_status != "-"
        yield Line(
            response, node, " ".join(fields), Served(t, group.name, status, not answered, latency if answered else None)
        )


def _pick_target(serving: list[str], weights: dict[str, float], rng: random.Random) -> tuple[str, float]:
    """A target in service, by weight (equal unless stickiness concentrates load), and how many targets'
    worth of the group's requests are spread over for each one it gets (the number of targets when equal)."""
    if not weights or all(weights.get(ip, 1.0) == 1.0 for ip in serving):
        return serving[_below(rng, len(serving))], float(len(serving))
    chosen = Weighted([(ip, weights.get(ip, 1.0)) for ip in serving]).pick(rng)
    return chosen, sum(weights.get(ip, 1.0) for ip in serving) / weights.get(chosen, 1.0)


def _target_status(rng: random.Random, api: bool, template: str) -> int:
    roll = rng.random()
    if roll < 0.002:
        return 500
    if roll < 0.017:
        return 404
    if api and roll < 0.027:
        return 401
    if not api and template.startswith(("/static", "/images")) and roll < 0.15:
        return 304
    return 201 if template == "/api/v1/orders" else 200


def clb_lines(scenario: Scenario, rate: float, rng: random.Random) -> Iterator[Line]:
    """legacy-web's requests: HTTP:80 and HTTPS:443 (SSL policy decides which TLS clients get in)."""
    clock = Clock()
    clients = _Clients(rng)
    initial = len(initial_world().clb.backends)
    capacity = rate / (initial * 0.35)
    for t, world in _arrivals(scenario, rate, rng, lambda w: 1.0):
        node = CLB_NODES[_below(rng, len(CLB_NODES))]
        https = rng.random() < 0.85
        protocol = CLB_PROTOCOLS.pick(rng) if https else "-"
        if https and protocol not in world.clb.protocols:
            continue  # the handshake fails; Classic ELB logs no request
        browser = LEGACY_CLIENTS[protocol].pick(rng) if protocol in LEGACY_CLIENTS else BROWSERS.pick(rng)
        cipher = rng.choice(CLB_CIPHERS[protocol]) if https else "-"
        template, base, size = LEGACY_PATHS.pick(rng)
        path = _path(template, rng)
        scheme, port = ("https", 443) if https else ("http", 80)
        backends = world.clb.backends
        backend = f"{backends[_below(rng, len(backends))]}:80"
        load = rate / (len(backends) * capacity)
        latency = base * rng.lognormvariate(0, 0.45) * _load_factor(load) / _load_factor(0.35)
        status = 500 if rng.random() < 0.002 else (404 if rng.random() < 0.015 else 200)
        sent = int(size * rng.uniform(0.6, 1.4)) if status == 200 else 210
        fields = [
            clock.iso(t), CLB_NAME, clients.pick(rng), backend, f"{rng.uniform(0.00002, 0.00009):.6f}",
            f"{latency:.6f}", f"{rng.uniform(0.00001, 0.00004):.6f}", str(status), str(status), "0", str(sent),
            f'"GET {scheme}://legacy.example.com:{port}{path} HTTP/1.1"', f'"{browser}"', cipher, protocol,
        ]  # fmt: skip
        yield Line(t, node, " ".join(fields), Served(t, None, status, False, latency))


PARTNER_NETWORKS = ("198.51.100", "203.0.113")  # the partner integration's clients: TLS 1.2 only
PARTNER_SHARE = 0.3
NLB_CIPHERS = {
    "tlsv13": ("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384"),
    "tlsv12": ("ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384"),
}


def _nlb_time(t: float) -> str:
    """NLB logs write whole seconds without a zone."""
    return (EPOCH + dt.timedelta(seconds=int(t))).strftime("%Y-%m-%dT%H:%M:%S")


def nlb_lines(scenario: Scenario, rate: float, rng: random.Random) -> Iterator[Line]:
    """tls-front's TLS connections: most clients offer TLS 1.3, the partner integration (from two
    networks) only TLS 1.2. A connection the listener's policy does not accept fails its handshake:
    NLB logs it with no handshake time, protocol or cipher."""
    clients = _Clients(rng)
    for t, world in _arrivals(scenario, rate, rng, lambda w: 1.0):
        if rng.random() < PARTNER_SHARE:
            client = f"{rng.choice(PARTNER_NETWORKS)}.{_below(rng, 40) + 10}:{_below(rng, 64511) + 1024}"
            protocol = "tlsv12"
        else:
            client, protocol = clients.pick(rng), "tlsv13"
        if protocol in world.nlb.protocols:
            handshake = max(1, round(rng.lognormvariate(1.5, 0.35)))
            connection = handshake + int(rng.lognormvariate(5.5, 0.8))
            received, sent = _below(rng, 4000) + 600, _below(rng, 40000) + 1800
            cipher = rng.choice(NLB_CIPHERS[protocol])
            exchange = "x25519" if protocol == "tlsv13" else "secp256r1"
            tls = [str(handshake), str(received), str(sent), "-", NLB_CERTIFICATE_ARN, "-", cipher, protocol, exchange]
        else:
            connection = _below(rng, 4) + 1
            tls = ["-", str(_below(rng, 120) + 220), "7", "-", "-", "-", "-", "-", "-"]
        end = t + connection / 1000
        fields = [
            "tls", "2.0", _nlb_time(end), NLB_ID, NLB_LISTENER_ID, client, f"{NLB_ADDRESS}:443", str(connection),
            *tls, "partners.example.com", "-", "-", "-", _nlb_time(t),
        ]  # fmt: skip
        failed = tls[0] == "-"
        yield Line(end, "", " ".join(fields), Served(t, PARTNER_API.name, 0, False, connection / 1000, failed))


def write_logs(
    scenario: Scenario,
    root: Path,
    rates: Rates,
    seed: int,
    file_minutes: int = FILE_MINUTES,
    only: str | None = None,
) -> list[Path]:
    """The load balancers' access logs (or `only` one's), in files of `file_minutes` per node (AWS writes
    5-minute files; tests use longer ones to load faster), under root/AWSLogs/... The NLB writes its
    logs only in an incident that hits it."""
    written: list[Path] = []
    names = random.Random(f"files:{scenario.kind}:{seed}")
    streams = [
        (ALB_ID.split("/")[1], ALB_ID.replace("/", "."), "alb", alb_lines, rates.alb),  # app.NAME.ID
        (CLB_NAME, CLB_NAME, "clb", clb_lines, rates.clb),
    ]
    if scenario.subject == NLB_NAME:
        streams.append((NLB_NAME, NLB_ID.replace("/", "."), "nlb", nlb_lines, rates.nlb))
    for name, lb_part, stream, make_lines, rate in streams:
        if only is not None and name != only:
            continue
        compressed = stream != "clb"
        lines = make_lines(scenario, rate, random.Random(f"{stream}:{scenario.kind}:{seed}"))
        files: dict[tuple[str, float], list[Line]] = {}
        for line in lines:
            end = (math.floor(line.time / (file_minutes * 60)) + 1) * file_minutes * 60
            files.setdefault((line.node, end), []).append(line)
        for node, end in sorted(files):
            batch = sorted(files[(node, end)], key=lambda line: line.time)
            end_time = EPOCH + dt.timedelta(seconds=end)
            delivered = end_time + dt.timedelta(minutes=4)
            folder = root / "AWSLogs" / ACCOUNT / "elasticloadbalancing" / REGION / delivered.strftime("%Y/%m/%d")
            random_part = "".join(names.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(8))
            node_part = f"_{node}" if node else ""  # NLB file names have no node address
            stamp = f"{end_time:%Y%m%dT%H%MZ}"
            name = f"{ACCOUNT}_elasticloadbalancing_{REGION}_{lb_part}_{stamp}{node_part}_{random_part}.log"
            data = ("\n".join(line.text for line in batch) + "\n").encode()
            if compressed:
                written.append(write_if_changed(folder / (name + ".gz"), gzip_bytes(data)))
            else:
                written.append(write_if_changed(folder / name, data))
    return written
