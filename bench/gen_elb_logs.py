#!/usr/bin/env python3
"""Synthetic AWS load balancer access logs (ALB and Classic ELB), for tests and benchmarks.

Standard library only. Output is a pure function of the arguments: the same
--seed and options give byte-identical output (gzip included: mtime 0, no name).

ALB lines carry the 30 fields of the current format, in order:

  type time elb client:port target:port request_processing_time
  target_processing_time response_processing_time elb_status_code
  target_status_code received_bytes sent_bytes "request" "user_agent"
  ssl_cipher ssl_protocol target_group_arn "trace_id" "domain_name"
  "chosen_cert_arn" matched_rule_priority request_creation_time
  "actions_executed" "redirect_url" "error_reason" "target:port_list"
  "target_status_code_list" "classification" "classification_reason"
  conn_trace_id

Classic ELB lines carry 15:

  time elb client:port backend:port request_processing_time
  backend_processing_time response_processing_time elb_status_code
  backend_status_code received_bytes sent_bytes "request" "user_agent"
  ssl_cipher ssl_protocol

What a parser meets here, as in real logs:
  * IPv6 clients written without brackets (2001:db8::1:43512), about 8 %;
  * user agents with spaces, parentheses, semicolons, and "-" for none;
  * a double quote inside a request or user agent written as \\x22 (ALB never
    writes a raw quote inside a quoted field); a rare URI with a space in it;
  * failed rows: 502/504/460/503 with -1 times, "-" target or target status,
    "-" target lists; redirects and fixed responses with no target;
  * Classic ELB TCP-listener rows: "- - - " request, "-" status codes;
  * an incident at --incident-at: for --incident-minutes, target latency on the
    first load balancer is multiplied and 5xx answers burst (mostly 502/504
    from one sick target);
  * --extra-fields K appends K unknown trailing quoted fields, as AWS does
    when it adds fields (parsers should ignore what they do not expect).

Examples:
  gen_elb_logs.py --lines 2000000 --rate 200 --out /tmp/perf/alb.log
  gen_elb_logs.py --format clb --lines 1000 --gzip --out clb.log.gz
  gen_elb_logs.py --lines 50 --incident-at 2026-11-20T14:00:10Z | less
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import gzip
import io
import itertools
import random
import sys

ACCOUNT = "123456789012"
REGION = "us-east-1"

# Load balancers: (ALB resource id, Classic ELB name, host names, weight).
LOAD_BALANCERS = [
    ("app/web-prod/50dc6c495c0c9188", "web-prod", ["www.example.com", "example.com"], 6),
    ("app/api-prod/7a1f3c9e0b2d4e6f", "api-prod", ["api.example.com"], 3),
    ("app/admin-internal/3e9b1d2c4a5f6e70", "admin-internal", ["admin.example.internal"], 1),
]

# Target groups per load balancer: (name, arn id, targets, port).
TARGET_GROUPS = [
    [
        ("web", "73e2d6bc24d8a067", [f"10.0.1.{i}" for i in (11, 12, 13, 14, 15, 16)], 80),
        ("web-static", "1c2b3a4d5e6f7081", ["10.0.1.40", "10.0.1.41"], 8080),
    ],
    [
        ("api", "9f8e7d6c5b4a3921", [f"10.0.2.{i}" for i in (21, 22, 23, 24)], 8080),
        ("api-canary", "0a1b2c3d4e5f6a7b", ["10.0.2.90"], 8080),
    ],
    [("admin", "5d4c3b2a19081726", ["10.0.3.5", "10.0.3.6"], 8443)],
]

PATHS = [
    # (path template, weight, method weights, base latency seconds, response size)
    ("/", 20, None, 0.012, 18000),
    ("/index.html", 6, None, 0.006, 18000),
    ("/static/js/app.{h}.js", 14, None, 0.002, 240000),
    ("/static/css/site.{h}.css", 8, None, 0.002, 42000),
    ("/images/{n}.png", 10, None, 0.003, 65000),
    ("/api/v1/items?page={n}&sort=desc", 10, "api", 0.045, 4200),
    ("/api/v1/items/{n}", 8, "api", 0.030, 1800),
    ("/api/v1/search?q={q}&limit=20", 6, None, 0.120, 9600),
    ("/api/v1/orders", 4, "write", 0.085, 900),
    ("/api/v1/login", 2, "write", 0.150, 600),
    ("/healthz", 3, None, 0.001, 2),
    ("/favicon.ico", 3, None, 0.001, 1150),
    ("/wp-login.php", 1, None, 0.004, 320),
    ("/.env", 1, None, 0.002, 150),
]

SEARCH_TERMS = ["shoes", "red%20dress", "caf%C3%A9", "usb-c+cable", "a%26b", "%22quoted%22", "laptop"]

USER_AGENTS = [
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",  # noqa: E501
        30,
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",  # noqa: E501
        14,
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",  # noqa: E501
        12,
    ),
    (
        "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.39 Mobile Safari/537.36",  # noqa: E501
        10,
    ),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", 5),
    ("3.20.0 (Build/1900005469; Android 33; samsung; SM-G781B) okhttp/4.11.0", 6),
    ("curl/8.5.0", 4),
    ("python-requests/2.32.3", 4),
    ("Go-http-client/2.0", 3),
    ("ELB-HealthChecker/2.0", 3),
    ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", 3),
    ("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", 2),
    (
        "aws-sdk-java/2.29.6 Linux/6.1.112 OpenJDK_64-Bit_Server_VM/21.0.5+11-LTS Java/21.0.5 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode#adaptive",  # noqa: E501
        2,
    ),
    ("Dalvik/2.1.0 (Linux; U; Android 10; Tab 10\\x22 Build/QP1A.190711.020)", 1),
    ("-", 2),
]

STATUS_NORMAL = [
    (200, 850),
    (201, 15),
    (204, 10),
    (206, 3),
    (301, 12),
    (302, 18),
    (304, 30),
    (400, 8),
    (401, 10),
    (403, 5),
    (404, 25),
    (405, 1),
    (429, 2),
    (460, 2),
    (500, 3),
    (502, 2),
    (503, 1),
    (504, 1),
]
STATUS_INCIDENT = [(502, 55), (504, 35), (503, 5), (500, 5)]

CIPHERS_TLS12 = ["ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-ECDSA-AES128-GCM-SHA256"]
CIPHERS_TLS13 = ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"]

CLASSIFICATIONS = [
    ("Acceptable", "SpaceInUri"),
    ("Acceptable", "BadContentLength"),
    ("Ambiguous", "AmbiguousUri"),
    ("Ambiguous", "UndefinedContentLengthSemantics"),
    ("Severe", "BothTeClPresent"),
]


class Weighted:
    """Fast repeated weighted choice: one random() and one bisect."""

    def __init__(self, pairs):
        self.items = [p[0] for p in pairs]
        self.cum = list(itertools.accumulate(p[1] for p in pairs))
        self.total = self.cum[-1]

    def pick(self, rng: random.Random):
        return self.items[bisect.bisect_right(self.cum, rng.random() * self.total)]


def parse_iso(value: str) -> dt.datetime:
    value = value.strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    t = dt.datetime.fromisoformat(value)
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.UTC)
    return t.astimezone(dt.UTC)


class Clock:
    """Formats epoch microseconds as ISO 8601 with a cached per-second prefix."""

    def __init__(self):
        self._sec = None
        self._prefix = ""

    def iso(self, us: int, digits: int = 6) -> str:
        sec, frac = divmod(us, 1_000_000)
        if sec != self._sec:
            self._sec = sec
            self._prefix = dt.datetime.fromtimestamp(sec, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.")
        if digits == 3:  # ALB request_creation_time: millisecond precision padded to six digits
            return f"{self._prefix}{frac // 1000:03d}000Z"
        return f"{self._prefix}{frac:06d}Z"


class Generator:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.clock = Clock()
        self.clock2 = Clock()
        rng = self.rng
        self.lb = Weighted([(i, lb[3]) for i, lb in enumerate(LOAD_BALANCERS)])
        self.paths = Weighted([(p, p[1]) for p in PATHS])
        self.ua = Weighted(USER_AGENTS)
        self.status_normal = Weighted(STATUS_NORMAL)
        self.status_incident = Weighted(STATUS_INCIDENT)
        self.type = Weighted([("https", 58), ("h2", 30), ("http", 9), ("wss", 1), ("grpcs", 2)])
        self.method_api = Weighted([("GET", 80), ("POST", 8), ("PUT", 5), ("DELETE", 3), ("PATCH", 2), ("OPTIONS", 2)])
        self.method_write = Weighted([("POST", 90), ("PUT", 6), ("OPTIONS", 4)])
        # A client population with a heavy head: a few busy clients, a long tail.
        self.clients_v4 = [
            f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
            for _ in range(4000)
        ]
        self.clients_v6 = [
            ":".join(
                [
                    "2001:db8"
                    if rng.random() < 0.3
                    else f"{rng.choice(['2a02', '2600', '2406', '2804'])}:{rng.randint(0, 0xFFFF):x}"
                ]
                + [f"{rng.randint(0, 0xFFFF):x}" for _ in range(6)]
            )
            for _ in range(600)
        ]
        self.hex_cache = [f"{rng.getrandbits(32):08x}" for _ in range(64)]
        self.start_us = int(parse_iso(args.start).timestamp() * 1_000_000)
        if args.incident_at:
            self.inc_from = int(parse_iso(args.incident_at).timestamp() * 1_000_000)
        else:  # default: one third of the way through the expected span
            self.inc_from = self.start_us + int(args.lines / args.rate / 3 * 1_000_000)
        self.inc_to = self.inc_from + int(args.incident_minutes * 60 * 1_000_000)
        self.cert = f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/3f1c8d2e-9b7a-4c6d-8e5f-1a2b3c4d5e6f"

    # -- field helpers -------------------------------------------------------

    def client(self) -> str:
        rng = self.rng
        if rng.random() < 0.08:
            ip = self.clients_v6[int(len(self.clients_v6) * rng.random() ** 2)]
        else:
            ip = self.clients_v4[int(len(self.clients_v4) * rng.random() ** 3)]
        return f"{ip}:{rng.randint(1024, 65535)}"

    def request_line(self, scheme: str, host: str, version: str):
        rng = self.rng
        tmpl, _w, mkind, base, size = self.paths.pick(rng)
        if mkind == "api":
            method = self.method_api.pick(rng)
        elif mkind == "write":
            method = self.method_write.pick(rng)
        else:
            method = "GET" if rng.random() < 0.97 else "HEAD"
        path = tmpl.format(h=self.hex_cache[rng.randrange(64)][:8], n=rng.randint(1, 50000), q=rng.choice(SEARCH_TERMS))
        r = rng.random()
        if r < 0.0005:
            path += "?x=\\x22onmouseover=alert(1)\\x22"  # ALB writes a raw quote as \x22
        elif r < 0.0008:
            path = path.split("?")[0] + "/my file.pdf"  # a space in the URI (classification SpaceInUri)
        port = 443 if scheme in ("https", "wss") else 80
        return method, f"{method} {scheme}://{host}:{port}{path} {version}", base, size

    def trace_id(self, t_us: int) -> str:
        rng = self.rng
        root = f"Root=1-{t_us // 1_000_000:08x}-{rng.getrandbits(96):024x}"
        if rng.random() < 0.05:
            return f"Self=1-{t_us // 1_000_000:08x}-{rng.getrandbits(96):024x};{root}"
        return root

    def latency(self, base: float, slow: bool) -> float:
        v = base * self.rng.lognormvariate(0.0, 0.6)
        if slow:
            v = v * self.args.incident_latency_factor + 0.25
        return v

    # -- lines ---------------------------------------------------------------

    def lines(self):
        rng = self.rng
        args = self.args
        t = self.start_us
        mean_gap_us = 1_000_000 / args.rate
        fmt = self.alb_line if args.format == "alb" else self.clb_line
        for _ in range(args.lines):
            t += int(rng.expovariate(1.0) * mean_gap_us)
            yield fmt(t)

    def common(self, t_us: int, lb_idx: int):
        """Decides what happened to one request; returns a dict of plain values."""
        rng = self.rng
        in_incident = self.inc_from <= t_us < self.inc_to and lb_idx == 0
        tgs = TARGET_GROUPS[lb_idx]
        tg = tgs[0] if len(tgs) == 1 or rng.random() < 0.85 else tgs[1]
        tname, tid, targets, tport = tg
        target_ip = targets[rng.randrange(len(targets))]
        if in_incident and rng.random() < self.args.incident_5xx_rate:
            status = self.status_incident.pick(rng)
            if status in (502, 504) and rng.random() < 0.8:
                target_ip = targets[0]  # one sick target takes most of the failures
        else:
            status = self.status_normal.pick(rng)
        return in_incident, tname, tid, target_ip, tport, status

    def alb_line(self, t_us: int) -> str:
        rng = self.rng
        lb_idx = self.lb.pick(rng)
        elb_id, _clb, hosts, _w = LOAD_BALANCERS[lb_idx]
        in_incident, tname, tid, target_ip, tport, status = self.common(t_us, lb_idx)
        ltype = self.type.pick(rng) if lb_idx != 2 else "https"
        host = hosts[rng.randrange(len(hosts))]
        if ltype == "http":
            scheme, version = "http", "HTTP/1.1"
        elif ltype in ("h2", "grpcs"):
            scheme, version = "https", "HTTP/2.0"
        elif ltype == "wss":
            scheme, version = "wss", "HTTP/1.1"
        else:
            scheme, version = "https", "HTTP/1.1"
        method, request, base, size = self.request_line(scheme, host, version)
        if "/my file.pdf" in request:
            classification = CLASSIFICATIONS[0]
        elif rng.random() < 0.0005:
            classification = CLASSIFICATIONS[rng.randrange(1, len(CLASSIFICATIONS))]
        else:
            classification = ("-", "-")
        ua = self.ua.pick(rng)
        if ltype == "http":
            cipher = proto = domain = cert = "-"
        else:
            if rng.random() < 0.7:
                cipher, proto = CIPHERS_TLS13[rng.randrange(3)], "TLSv1.3"
            else:
                cipher, proto = CIPHERS_TLS12[rng.randrange(3)], "TLSv1.2"
            domain = host
            cert = "session-reused" if rng.random() < 0.25 else self.cert
        tg_arn = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/{tname}/{tid}"
        target = f"{target_ip}:{tport}"
        req_t = 0.001 * (rng.random() < 0.3)
        resp_t = 0.0
        target_status = str(status)
        actions = "waf,forward" if rng.random() < 0.3 else "forward"
        redirect = "-"
        rule = str(rng.choice((0, 1, 2, 10, 20))) if lb_idx != 2 else "0"
        received = rng.randint(120, 900) + (rng.randint(200, 20000) if method in ("POST", "PUT", "PATCH") else 0)
        sent = int(size * (0.5 + rng.random())) + 250
        tpt = self.latency(base, in_incident)
        if status in (301, 302) and rng.random() < 0.6:
            # The load balancer answers a redirect itself: no target at all.
            actions, redirect = "redirect", f"https://{host}:443/"
            target = target_status = tg_arn = "-"
            tpt = 0.0
            sent = 320
        elif status == 404 and rng.random() < 0.1:
            actions, target, target_status, tg_arn, tpt, sent = "fixed-response", "-", "-", "-", 0.0, 180
        elif status == 460:  # client closed the connection before the response
            tpt, resp_t, target_status, sent = -1, -1, "-", 0
        elif status in (502, 504):
            tpt, resp_t, target_status = -1, -1, "-"
            sent = 270 if status == 502 else 290
        elif status == 503 and rng.random() < 0.7:  # no healthy target in the group
            target, target_status, tpt, resp_t, sent = "-", "-", -1, -1, 330
        elif status == 400 and rng.random() < 0.3:  # malformed request, refused by the LB
            target = target_status = tg_arn = "-"
            tpt, resp_t, rule, actions, sent = -1, -1, "-", "-", 272
        t_resp = t_us + int(max(tpt, 0) * 1_000_000) + rng.randint(100, 3000)
        fields = [
            ltype,
            self.clock.iso(t_resp),
            elb_id,
            self.client(),
            target,
            f"{req_t:.3f}",
            "-1" if tpt == -1 else f"{tpt:.3f}",
            "-1" if resp_t == -1 else f"{resp_t:.3f}",
            str(status),
            target_status,
            str(received),
            str(sent),
            f'"{request}"',
            f'"{ua}"',
            cipher,
            proto,
            tg_arn,
            f'"{self.trace_id(t_us)}"',
            f'"{domain}"',
            f'"{cert}"',
            rule,
            self.clock2.iso(t_us, digits=3),
            f'"{actions}"',
            f'"{redirect}"',
            '"-"',  # error_reason: only authenticate and Lambda actions set it
            f'"{target}"',
            f'"{target_status}"',
            f'"{classification[0]}"',
            f'"{classification[1]}"',
            f"TID_{rng.getrandbits(128):032x}",
        ]
        if self.args.extra_fields:
            fields.extend(['"-"'] * self.args.extra_fields)
        return " ".join(fields)

    def clb_line(self, t_us: int) -> str:
        rng = self.rng
        lb_idx = self.lb.pick(rng)
        _alb, name, hosts, _w = LOAD_BALANCERS[lb_idx]
        in_incident, _tname, _tid, target_ip, tport, status = self.common(t_us, lb_idx)
        host = hosts[rng.randrange(len(hosts))]
        https = rng.random() < 0.8
        if rng.random() < 0.005:  # a TCP listener row
            tpt = self.latency(0.002, False)
            fields = [
                self.clock.iso(t_us + int(tpt * 1e6)),
                name,
                self.client(),
                f"{target_ip}:{tport}",
                f"{rng.random() / 1000:.6f}",
                f"{tpt:.6f}",
                f"{rng.random() / 10000:.6f}",
                "-",
                "-",
                str(rng.randint(50, 4000)),
                str(rng.randint(50, 40000)),
                '"- - - "',
                '"-"',
                "-",
                "-",
            ]
            return " ".join(fields)
        method, request, base, size = self.request_line("https" if https else "http", host, "HTTP/1.1")
        ua = self.ua.pick(rng)
        backend = f"{target_ip}:{tport}"
        req_t = rng.random() / 10000
        tpt = self.latency(base, in_incident)
        resp_t = rng.random() / 20000
        bstatus = str(status)
        received = rng.randint(0, 40) + (rng.randint(200, 20000) if method in ("POST", "PUT", "PATCH") else 0)
        sent = int(size * (0.5 + rng.random()))
        if status in (502, 504, 460):
            tpt, resp_t, bstatus = -1, -1, "0"
            received, sent = 0, 0
        elif status == 503 and rng.random() < 0.7:  # no registered healthy instance
            backend, req_t, tpt, resp_t, bstatus, received, sent = "-", -1, -1, -1, "0", 0, 0
        cipher, proto = (CIPHERS_TLS12[rng.randrange(3)], "TLSv1.2") if https else ("-", "-")
        t_resp = t_us + int(max(tpt, 0) * 1_000_000) + rng.randint(10, 500)

        def f6(v):
            return "-1" if v == -1 else f"{v:.6f}"

        fields = [
            self.clock.iso(t_resp),
            name,
            self.client(),
            backend,
            f6(req_t),
            f6(tpt),
            f6(resp_t),
            str(status),
            bstatus,
            str(received),
            str(sent),
            f'"{request}"',
            f'"{ua}"',
            cipher,
            proto,
        ]
        return " ".join(fields)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    ap.add_argument("--format", choices=("alb", "clb"), default="alb", help="ALB (30 fields) or Classic ELB (15)")
    ap.add_argument("--lines", type=int, default=1000, help="number of lines (default 1000)")
    ap.add_argument(
        "--start", default="2026-11-20T14:00:00Z", help="time of the first request, ISO 8601 (UTC if no offset)"
    )
    ap.add_argument(
        "--rate", type=float, default=100.0, help="mean requests per second, Poisson arrivals (default 100)"
    )
    ap.add_argument(
        "--incident-at",
        default=None,
        help="start of the incident, ISO 8601 (default: a third of the way through the span)",
    )
    ap.add_argument("--incident-minutes", type=float, default=10.0, help="incident length (default 10)")
    ap.add_argument(
        "--incident-5xx-rate",
        type=float,
        default=0.25,
        help="share of requests to the first LB answered 5xx during the incident (default 0.25)",
    )
    ap.add_argument(
        "--incident-latency-factor",
        type=float,
        default=6.0,
        help="target latency multiplier during the incident (default 6)",
    )
    ap.add_argument("--extra-fields", type=int, default=0, help='append K unknown trailing "-" fields (ALB only)')
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--gzip", action="store_true", help="gzip the output (implied by an --out ending in .gz)")
    ap.add_argument("--out", default="-", help="output path, - for stdout (default)")
    args = ap.parse_args(argv)
    if args.lines < 0 or args.rate <= 0:
        ap.error("--lines must be >= 0 and --rate > 0")
    use_gzip = args.gzip or args.out.endswith(".gz")

    raw = sys.stdout.buffer if args.out == "-" else open(args.out, "wb")  # noqa: SIM115 - closed in finally
    try:
        sink = gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=6, mtime=0) if use_gzip else raw
        out = io.TextIOWrapper(sink, encoding="utf-8", newline="\n", write_through=False)
        gen = Generator(args)
        batch = []
        for line in gen.lines():
            batch.append(line)
            if len(batch) >= 4096:
                out.write("\n".join(batch) + "\n")
                batch.clear()
        if batch:
            out.write("\n".join(batch) + "\n")
        out.flush()
        out.detach()
        if use_gzip:
            sink.close()
    except BrokenPipeError:
        return 0
    finally:
        if raw is not sys.stdout.buffer:
            raw.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
