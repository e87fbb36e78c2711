"""``NebimSandbox``: a stand-in for one Nebim V3 Integrator service (one database).

Rules and sources (``cemyeten/nebim-v3-integrator-docs``, read for facts):

- Session mode (``mode="session"``): ``GET [/(S(sid))]/IntegratorService/Connect`` answers
  ``{ModelType:0, Status:"Connection Created Successfully", StatusCode:200, SessionID}``;
  later calls carry ``/(S(sid))/`` in the path. Token mode: ``POST /IntegratorService/Connect``
  answers ``{..., Token}``; later calls carry a ``Token`` header (docs/01-2, 01-3).
- Connect succeeds whatever the credentials (docs/01-2); only ``GetUserInfo`` (GET in session,
  POST in token mode) tells. How V3 answers GetUserInfo on a session with wrong credentials is
  not documented: here the error shape with "Login failed". Credentials may sit in web.config
  (``webconfig_login=True``): Connect then needs no body (docs/01-1).
- A session idle longer than ``session_timeout`` (IIS's default, 20 minutes) is gone; the next
  call gets ``{ModelType:0, ExceptionMessage:"Boş akışın serisini kaldırma girişimi.",
  StackTrace}`` (docs/99-errors.md); a call with no session or an unknown one, "You must be
  login to use service methods" (unattributed clients, shared reference apis.md §9.1).
  ``expire_sessions()`` ends every session at once (a test's "mid-run" expiry).
- Errors are ``{ModelType:0, ExceptionMessage, StackTrace}`` with HTTP 500 (the status is not
  documented; the client reads the body whatever it is).
- ``Post`` takes ModelType 3, 6, 8, 34, 92, 98 (validated in ``validation``); the answer echoes
  the model with V3's numbers filled in (Nebim's PDF: "JSON Request works as JSON response";
  which fields come back filled is not documented: here ``OrderNumber``/``InvoiceNumber``,
  ``HeaderID``, ``Lines[].LineID``, ``CurrAccCode``). ``InvoiceService/ReturnInvoiceR`` returns
  lines of a V3 invoice by LineID (examples/Peşin Satış İade Faturası.txt).
- ``RunQuery`` knows the queries registered in ``queries`` (else "Kayıt bulunamadı",
  docs/04-call-function.md): the product query (rows per barcode and warehouse) and Kervan's
  lookup query (``Field = 'value'`` criteria). ``RunProc`` knows ``procedures``; parameter
  names must match exactly and all be given (docs/03-call-proc.md).
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from decimal import Decimal
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from kervan.scenario import Scenario
from kervan_sdk.sandbox import ErpProduct, Sandbox, SimClock

from . import validation as v
from .state import Document, Ledger, Session

EMPTY_STREAM = "Boş akışın serisini kaldırma girişimi."
NOT_LOGGED_IN = "You must be login to use service methods"
PATH = re.compile(
    r"^(?:/\(S\((?P<sid>[A-Za-z0-9]+)\)\))?/(?P<ns>IntegratorService|InvoiceService)/(?P<cmd>\w+)$"
)
PRODUCT_QUERY = "GetProductPriceAndInventory"
LOOKUP_QUERY = "KervanDocumentLookup"
PRODUCT_PROC = "sp_KervanProducts"
CRITERIA = re.compile(r"^\s*(\w+)\s*=\s*'((?:[^']|'')*)'\s*$")


def nebim_error(message: str, status: int = 500) -> JSONResponse:
    trace = base64.b64encode(f"   konum: IntegratorService ({message})".encode()).decode()
    return JSONResponse(
        {"ModelType": 0, "ExceptionMessage": message, "StackTrace": trace}, status_code=status
    )


class NebimSandbox(Sandbox):
    name: ClassVar[str] = "nebim"

    def __init__(
        self,
        *,
        clock: SimClock | None = None,
        seed: int = 0,
        mode: str = "session",
        session_timeout: float = 20 * 60,
        webconfig_login: bool = False,
    ) -> None:
        self.mode = mode
        self.session_timeout = session_timeout
        self.webconfig_login = webconfig_login
        self.credentials = {
            "DatabaseName": "KERVANV3",
            "UserGroupCode": "V3",
            "UserName": "INT",
            "Password": "sandbox-secret",
        }
        self.offices, self.stores, self.warehouses = {"M01"}, {"M01"}, {"M01"}
        self.customer_codes = {"PM-TY"}
        self.sessions: dict[str, Session] = {}
        self.ledger = Ledger()
        self.queries = {PRODUCT_QUERY, LOOKUP_QUERY}
        self.procedures = {PRODUCT_PROC: ("Skip", "Take")}
        self.connects = 0
        self._numbers = 0
        super().__init__(clock=clock, seed=seed)

    # -- hooks ----------------------------------------------------------------------------

    def demo_settings(self, base_url: str) -> dict[str, Any]:
        c = self.credentials
        return {
            "base_url": base_url,
            "mode": self.mode,
            "database_name": c["DatabaseName"],
            "user_group_code": c["UserGroupCode"],
            "user_name": c["UserName"],
            "password": c["Password"],
            "office_code": "M01",
            "store_code": "M01",
            "warehouse_code": "M01",
            "customer_code": "PM-TY",
            "post_as": "invoice",
            "settlement_account_code": "PM-TY",
            "bank_account_code": "1-6-1",
            "payments": {"ODEMEARACISI": {"payment_type": 4, "code": "1-6-1"}},
        }

    def seed_scenario(self, scenario: Scenario) -> None:
        products = []
        for card in getattr(scenario, "products", []) or []:
            products.append(
                ErpProduct(card.sku, card.name, tuple(card.barcodes), card.sale_price, {"M01": 10})
            )
        if products:
            self.ledger.products = products

    def erp_seed_products(self, products: list[ErpProduct]) -> None:
        self.ledger.products = list(products)

    def erp_postings(self, reference: str) -> dict[str, int]:
        return self.ledger.postings(reference)

    def expire_sessions(self) -> None:
        """Every session and token ends now (IIS recycled, or all idled out)."""
        self.sessions.clear()

    # -- routes ---------------------------------------------------------------------------

    def routes(self, app: FastAPI) -> None:
        @app.api_route("/{path:path}", methods=["GET", "POST"])
        async def integrator(path: str, request: Request) -> Response:
            match = PATH.match("/" + path)
            if match is None:
                return JSONResponse({"Message": "No HTTP resource was found"}, status_code=404)
            raw = await request.body()
            try:
                body = json.loads(raw) if raw.strip() else None
            except ValueError:
                return nebim_error("Invalid JSON primitive.")
            return self._dispatch(match, request, body)

    def _dispatch(self, match: re.Match[str], request: Request, body: Any) -> Response:
        ns, cmd, method = match["ns"], match["cmd"].lower(), request.method
        if ns == "IntegratorService" and cmd == "connect":
            return self._connect(method, body)
        session, problem = self._session(match["sid"], request.headers.get("Token"))
        if problem is not None:
            return problem
        assert session is not None
        if ns == "IntegratorService" and cmd == "getuserinfo":
            if method != ("GET" if self.mode == "session" else "POST"):
                return JSONResponse({"Message": "method not allowed"}, status_code=405)
            return self._user_info(session)
        if ns == "IntegratorService" and cmd == "disconnect":
            self.sessions = {k: s for k, s in self.sessions.items() if s is not session}
            return JSONResponse({"ModelType": 0, "Status": "Disconnected", "StatusCode": 200})
        if not session.valid:
            return nebim_error("Login failed: user name or password is wrong")
        if method != "POST":
            return JSONResponse({"Message": "method not allowed"}, status_code=405)
        if not isinstance(body, dict):
            return nebim_error("Attempting to deserialize an empty stream.")
        try:
            if ns == "InvoiceService" and cmd == "returninvoicer":
                return JSONResponse(self._return(body))
            handler = {"post": self._post, "runquery": self._run_query, "runproc": self._run_proc}
            if ns != "IntegratorService" or cmd not in handler:
                return JSONResponse({"Message": "No action was found"}, status_code=404)
            return JSONResponse(handler[cmd](body))
        except v.NebimRefusal as refusal:
            return nebim_error(str(refusal))

    # -- session --------------------------------------------------------------------------

    def _connect(self, method: str, body: Any) -> Response:
        if method != ("GET" if self.mode == "session" else "POST"):
            return JSONResponse({"Message": "method not allowed"}, status_code=405)
        if body is None and self.webconfig_login:
            valid, user = True, self.credentials["UserName"]
        else:
            given = body if isinstance(body, dict) else {}
            valid = all(given.get(k) == val for k, val in self.credentials.items())
            user = str(given.get("UserName") or "")
        self.connects += 1
        key = (
            "".join(self.random.choice("abcdefghijklmnopqrstuvwxyz012345") for _ in range(24))
            if self.mode == "session"
            else uuid.UUID(int=self.random.getrandbits(128)).hex.upper()
        )
        self.sessions[key] = Session(valid=valid, last_seen=self.clock.now(), user=user)
        answer = {"ModelType": 0, "Status": "Connection Created Successfully", "StatusCode": 200}
        return JSONResponse(answer | {"SessionID" if self.mode == "session" else "Token": key})

    def _session(
        self, sid: str | None, token: str | None
    ) -> tuple[Session | None, Response | None]:
        key = sid if self.mode == "session" else token
        if not key:
            return None, nebim_error(NOT_LOGGED_IN)
        session = self.sessions.get(key)
        now = self.clock.now()
        if session is None or (now - session.last_seen).total_seconds() > self.session_timeout:
            self.sessions.pop(key, None)
            return None, nebim_error(EMPTY_STREAM)
        session.last_seen = now
        return session, None

    def _user_info(self, session: Session) -> Response:
        if not session.valid:
            return nebim_error("Login failed: user name or password is wrong")
        return JSONResponse(
            {
                "UserGroupCode": self.credentials["UserGroupCode"],
                "UserName": session.user,
                "DatabaseName": self.credentials["DatabaseName"],
                "LangCode": "TR",
                "DataLangCode": "TR",
                "RecordInfo": f"V3   {session.user}",
                "IsOfficeUser": True,
                "IsStoreUser": False,
                "IsWarehouseUser": False,
                "CompanyCode": 1,
                "OfficeCode": "M01",
                "StoreCode": "",
                "WarehouseCode": "",
            }
        )

    # -- documents ------------------------------------------------------------------------

    def _number(self, process: str) -> str:
        self._numbers += 1
        return f"1-{process}-{self._numbers}"

    def _guid(self) -> str:
        return str(uuid.UUID(int=self.random.getrandbits(128), version=4)).upper()

    def _check_places(self, model: dict[str, Any], warehouse_key: str) -> None:
        for key, known in (
            ("OfficeCode", self.offices),
            ("StoreCode", self.stores),
            (warehouse_key, self.warehouses),
        ):
            value = v.ci(model, key)
            if value is not None and value not in known:
                raise v.NebimRefusal(f"{key} {value} tanımlı değil (not defined)")

    def _post(self, model: dict[str, Any]) -> dict[str, Any]:
        kind = str(v.ci(model, "ModelType"))
        if kind in {"6", "8"}:
            return self._sale(model, order=kind == "6")
        if kind == "3":
            v.retail_customer(model)
            code = self._number("4")
            self.customer_codes.add(code)
            self.ledger.documents.append(Document("customer", code, model))
            return model | {"CurrAccCode": code}
        if kind == "34":
            return self._cancel(model)
        if kind in {"92", "98"}:
            (v.other_charge if kind == "92" else v.bank_eft)(model)
            account = v.ci(model, "CurrAccCode") or (v.ci(model, "Lines") or [{}])[0].get(
                "CurrAccCode"
            )
            if account not in self.customer_codes:
                raise v.NebimRefusal(f"cari hesap bulunamadı (current account unknown) {account}")
            number = self._number("OC" if kind == "92" else "BT")
            self.ledger.documents.append(
                Document("charge" if kind == "92" else "payment", number, model)
            )
            return model
        raise v.NebimRefusal(f"ModelType {kind} bu sandbox'ta desteklenmiyor (not supported here)")

    def _sale(self, model: dict[str, Any], order: bool) -> dict[str, Any]:
        v.sale(model, self.ledger.barcodes(), order)
        self._check_places(model, "StoreWareHouseCode" if order else "WarehouseCode")
        if v.ci(model, "CustomerCode") not in self.customer_codes:
            raise v.NebimRefusal(f"müşteri bulunamadı (customer unknown) {model['CustomerCode']}")
        number = self._number("R-2" if order else "R-7")
        doc = Document("order" if order else "invoice", number, model)
        lines = []
        for line in model["Lines"]:
            line_id = self._guid()
            doc.lines[line_id] = {
                "ours": line.get("LineDescription", ""),
                "qty": Decimal(str(line["Qty1"])),
                "closed": Decimal(0),
            }
            lines.append(line | {"LineID": line_id})
        self.ledger.documents.append(doc)
        key = "OrderNumber" if order else "InvoiceNumber"
        return model | {key: number, "HeaderID": self._guid(), "Lines": lines}

    def _close_lines(self, doc_kind: str, number: str, wanted: dict[str, Decimal]) -> None:
        doc = self.ledger.sale(number)
        if doc is None or doc.kind != doc_kind:
            raise v.NebimRefusal(f"{number} bulunamadı (not found)")
        for line_id, qty in wanted.items():
            line = doc.lines.get(line_id)
            if line is None:
                raise v.NebimRefusal(f"LineID {line_id} {number} belgesinde yok (not on it)")
            if qty <= 0 or line["closed"] + qty > line["qty"]:
                raise v.NebimRefusal(f"LineID {line_id}: {qty} is more than is left")
        for line_id, qty in wanted.items():
            doc.lines[line_id]["closed"] += qty

    def _cancel(self, model: dict[str, Any]) -> dict[str, Any]:
        v.cancel_order(model)
        wanted = {ln["LineID"]: Decimal(str(ln["Qty1"])) for ln in model["Lines"]}
        self._close_lines("order", model["OrderNumber"], wanted)
        self.ledger.documents.append(Document("cancel", self._number("CO"), model))
        return model

    def _return(self, model: dict[str, Any]) -> dict[str, Any]:
        v.retail_return(model)
        self._check_places(model, "WarehouseCode")
        wanted = {i["LineID"]: Decimal(str(i["ReturnQty"])) for i in model["ReturnLineInfos"]}
        self._close_lines("invoice", model["InvoiceNumber"], wanted)
        number = self._number("R-7")
        self.ledger.documents.append(Document("return", number, model))
        return model | {"InvoiceNumber": number, "OriginalInvoiceNumber": model["InvoiceNumber"]}

    # -- queries --------------------------------------------------------------------------

    def _run_query(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        if str(body.get("ModelType")) != "32":
            raise v.NebimRefusal("RunQuery: ModelType must be 32")
        name = body.get("QueryName")
        if name not in self.queries:
            raise v.NebimRefusal("Kayıt bulunamadı")
        if name == LOOKUP_QUERY:
            match = CRITERIA.match(str(body.get("Criteria") or ""))
            if match is None:
                raise v.NebimRefusal("KervanDocumentLookup: Criteria must be Field = 'value'")
            return self.ledger.lookup(match[1], match[2].replace("''", "'"))
        return page(self.ledger.product_rows(), body.get("Skip"), body.get("Take"))

    def _run_proc(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        name = body.get("ProcName")
        if name not in self.procedures:
            raise v.NebimRefusal(f"Could not find stored procedure '{name}'.")
        params = {p.get("Name"): p.get("Value") for p in body.get("Parameters") or []}
        if set(params) != set(self.procedures[name]):
            raise v.NebimRefusal(
                f"Procedure or function '{name}' expects parameters "
                f"{', '.join(self.procedures[name])}"
            )
        if not all(isinstance(value, str) for value in params.values()):
            raise v.NebimRefusal("RunProc: parameter values must be strings")
        return page(self.ledger.product_rows(), params["Skip"], params["Take"])


def page(rows: list[dict[str, Any]], skip: Any, take: Any) -> list[dict[str, Any]]:
    start = int(skip or 0)
    count = int(take or 0)
    return rows[start : start + count] if count > 0 else rows[start:]
