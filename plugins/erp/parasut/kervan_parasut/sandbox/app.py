"""``ParasutSandbox``: Paraşüt's OAuth endpoint and the v4 JSON:API resources Kervan uses."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from kervan.scenario import Scenario
from kervan_sdk.sandbox import ErpProduct, RateLimit, Sandbox, SimClock, paginate

from .books import Books
from .invoices import InvoiceRoutes
from .jsonapi import (
    ApiProblem,
    body_of,
    document,
    filters_of,
    invalid,
    page_of,
    text,
    unauthorized,
)

CLIENT_ID = "kervan-sandbox-client"
CLIENT_SECRET = "sandbox-client-secret-7f3a"  # noqa: S105 (the sandbox's own, public)
USERNAME = "muhasebe@kervan.example"
PASSWORD = "sandbox-password-91c2"  # noqa: S105
COMPANY_ID = 4242
BANK_ACCOUNT_ID = "1001"
#: a token lives two hours *(the figure clients observe; Paraşüt does not publish one)*
TOKEN_SECONDS = 7200
RATE = RateLimit(10, 10)
CONTACT_FILTERS = frozenset({"name", "email", "tax_number", "tax_office", "city", "account_type"})


class ParasutSandbox(InvoiceRoutes, Sandbox):
    """Paraşüt API v4 for one company (see the package docstring for each rule's source)."""

    name = "parasut"

    def __init__(self, *, clock: SimClock | None = None, seed: int = 0) -> None:
        self.books = Books()
        self.books.accounts[BANK_ACCOUNT_ID] = {
            "name": "Pazaryeri Banka",
            "currency": "TRL",
            "account_type": "bank",
        }
        self.clients = {CLIENT_ID: CLIENT_SECRET}
        self.users = {USERNAME: PASSWORD}
        #: access token → when it expires
        self.access_tokens: dict[str, datetime] = {}
        #: refresh tokens not yet used (each is good once: a refresh hands out a new one)
        self.refresh_tokens: set[str] = set()
        super().__init__(clock=clock, seed=seed)

    def demo_settings(self, base_url: str) -> dict[str, Any]:
        return {
            "base_url": base_url.rstrip("/"),
            "company_id": COMPANY_ID,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "username": USERNAME,
            "password": PASSWORD,
            "payment_account_id": int(BANK_ACCOUNT_ID),
        }

    def seed_scenario(self, scenario: Scenario) -> None:
        """The scenario's product cards become the company's products (its stock on hand)."""
        self.erp_seed_products(
            [
                ErpProduct(
                    stock_code=card.sku,
                    name=card.name,
                    barcodes=tuple(card.barcodes),
                    price=card.sale_price,
                    on_hand={"D1": scenario.stock.get(card.id, 0)},
                )
                for card in scenario.products
            ]
        )

    # -- the ERP suite's hooks -------------------------------------------------------------

    def erp_seed_products(self, products: list[ErpProduct]) -> None:
        """The product list, replaced: one Paraşüt product per stock code, its barcodes in
        the one ``barcode`` field (comma-separated), its stock the sum over warehouses, a
        passive product archived."""
        self.books.products.clear()
        for product in products:
            self.books.products[self.books.new_id()] = {
                "code": product.stock_code,
                "name": product.name,
                "barcode": ",".join(product.barcodes),
                "list_price": None if product.price is None else format(product.price, "f"),
                "currency": "TRL",
                "vat_rate": "20",
                "inventory_tracking": True,
                "stock_count": format(Decimal(sum((product.on_hand or {}).values())), "f"),
                "archived": not product.active,
            }

    def erp_postings(self, reference: str) -> dict[str, int]:
        """Live records per kind for ``reference``: contacts by tax number; sales invoices,
        refunds and payments by the ``kervan:<kind>:<reference>`` word their description
        carries (a cancelled or deleted invoice and a deleted payment are not live)."""
        counts: dict[str, int] = {}

        def add(kind: str) -> None:
            counts[kind] = counts.get(kind, 0) + 1

        for contact in self.books.contacts.values():
            if contact.get("tax_number") == reference:
                add("customer")
        kinds = {"invoice": "invoice", "return": "return", "voucher": "expense_voucher"}
        for invoice in self.books.invoices.values():
            if invoice.deleted or invoice.attributes.get("item_type") == "cancelled":
                continue
            words = str(invoice.attributes.get("description") or "").split()
            for tag, kind in kinds.items():
                if f"kervan:{tag}:{reference}" in words:
                    add(kind)
        for payment in self.books.payments.values():
            if payment.live and f"kervan:payment:{reference}" in payment.notes.split():
                add("payment")
        return counts

    # -- routes ----------------------------------------------------------------------------

    def routes(self, app: FastAPI) -> None:
        app.middleware("http")(self._gate)
        app.add_exception_handler(ApiProblem, self._problem)  # type: ignore[arg-type]
        app.add_api_route("/oauth/token", self._token, methods=["POST"])
        app.add_api_route("/v4/me", self._me, methods=["GET"])
        base = "/v4/{company_id}"
        for method, path, handler in (
            ("GET", "/contacts", self._list_contacts),
            ("POST", "/contacts", self._create_contact),
            ("GET", "/contacts/{contact_id}", self._show_contact),
            ("GET", "/sales_invoices", self._list_invoices),
            ("POST", "/sales_invoices", self._create_invoice),
            ("GET", "/sales_invoices/{invoice_id}", self._show_invoice),
            ("DELETE", "/sales_invoices/{invoice_id}", self._delete_invoice),
            ("DELETE", "/sales_invoices/{invoice_id}/cancel", self._cancel_invoice),
            ("POST", "/sales_invoices/{invoice_id}/payments", self._pay_invoice),
            ("DELETE", "/transactions/{transaction_id}", self._delete_transaction),
            ("GET", "/products", self._list_products),
            ("GET", "/accounts/{account_id}", self._show_account),
        ):
            app.add_api_route(base + path, handler, methods=[method])

    @staticmethod
    async def _problem(request: Request, problem: ApiProblem) -> JSONResponse:
        return problem.response()

    async def _gate(self, request: Request, call_next: Any) -> Response:
        """Every ``/v4`` call: a live bearer token, the user's company, the rate limit."""
        path = request.url.path
        if not path.startswith("/v4/"):
            response: Response = await call_next(request)
            return response
        header = request.headers.get("authorization", "")
        token = header[7:] if header.lower().startswith("bearer ") else ""
        expires = self.access_tokens.get(token)
        if not token:
            return unauthorized("no bearer token: log in at /oauth/token")
        if expires is None:
            return unauthorized("the access token is not known")
        if self.clock.now() >= expires:
            return unauthorized("the access token expired: refresh it")
        parts = path.split("/")
        if parts[2] != "me" and parts[2] != str(COMPANY_ID):
            return ApiProblem(403, "Forbidden", "the user has no such company").response()
        busy = self.throttle(f"company {COMPANY_ID}", RATE)
        if busy is not None:
            limited = ApiProblem(429, "Too Many Requests", "at most 10 requests per 10 seconds")
            answer = limited.response()
            answer.headers["Retry-After"] = busy.headers["Retry-After"]
            return answer
        response = await call_next(request)
        return response

    # -- OAuth -----------------------------------------------------------------------------

    async def _token(self, request: Request) -> JSONResponse:
        form = await request.form()
        fields = {k: str(v) for k, v in form.items()}
        if self.clients.get(fields.get("client_id", "")) != fields.get("client_secret"):
            return self._oauth_error(401, "invalid_client", "client authentication failed")
        grant = fields.get("grant_type")
        if grant == "password":
            if fields.get("redirect_uri") not in (None, "urn:ietf:wg:oauth:2.0:oob"):
                return self._oauth_error(400, "invalid_grant", "redirect_uri does not match")
            if self.users.get(fields.get("username", "")) != fields.get("password"):
                return self._oauth_error(400, "invalid_grant", "wrong e-mail or password")
        elif grant == "refresh_token":
            refresh = fields.get("refresh_token", "")
            if refresh not in self.refresh_tokens:
                return self._oauth_error(400, "invalid_grant", "the refresh token is not valid")
            self.refresh_tokens.discard(refresh)
        else:
            return self._oauth_error(400, "unsupported_grant_type", f"grant_type {grant!r}")
        access, refresh = secrets.token_hex(24), secrets.token_hex(24)
        self.access_tokens[access] = self.clock.now() + timedelta(seconds=TOKEN_SECONDS)
        self.refresh_tokens.add(refresh)
        return JSONResponse(
            {
                "access_token": access,
                "token_type": "bearer",
                "expires_in": TOKEN_SECONDS,
                "refresh_token": refresh,
                "scope": "public",
                "created_at": int(self.clock.now().timestamp()),
            }
        )

    @staticmethod
    def _oauth_error(status: int, error: str, description: str) -> JSONResponse:
        return JSONResponse({"error": error, "error_description": description}, status_code=status)

    def expire_tokens(self) -> None:
        """Every access token expires now (tests: a session that ends mid-run)."""
        for token in self.access_tokens:
            self.access_tokens[token] = self.clock.now()

    async def _me(self) -> JSONResponse:
        company = {"id": str(COMPANY_ID), "type": "companies", "attributes": {"name": "Kervan"}}
        return document(
            {
                "data": {
                    "id": "1",
                    "type": "users",
                    "attributes": {"email": USERNAME, "name": "Kervan Muhasebe"},
                    "relationships": {
                        "companies": {"data": [{"id": str(COMPANY_ID), "type": "companies"}]}
                    },
                },
                "included": [company],
            }
        )

    # -- lists -----------------------------------------------------------------------------

    def _page(
        self, request: Request, resources: list[dict[str, Any]], included: list[Any]
    ) -> JSONResponse:
        page, size = page_of(request)
        rows = paginate(self, request.url.path, resources, page - 1, size)
        total_pages = max(1, -(-len(resources) // size))
        body: dict[str, Any] = {
            "data": rows,
            "meta": {
                "current_page": page,
                "total_pages": total_pages,
                "total_count": len(resources),
            },
        }
        if included:
            body["included"] = included
        return document(body)

    # -- contacts --------------------------------------------------------------------------

    async def _list_contacts(self, request: Request) -> JSONResponse:
        wanted = filters_of(request, CONTACT_FILTERS)
        rows = []
        for contact_id, attrs in self.books.contacts.items():
            ok = True
            for name, value in wanted.items():
                have = str(attrs.get(name) or "")
                if name == "name":  # the name filter matches a part of the name *(assumed)*
                    ok = ok and value.casefold() in have.casefold()
                else:
                    ok = ok and have.casefold() == value.casefold()
            if ok:
                rows.append(self.books.contact_resource(contact_id))
        return self._page(request, rows, [])

    async def _create_contact(self, request: Request) -> JSONResponse:
        data = await body_of(request, "contacts", creating=True)
        attrs = dict(data["attributes"])
        text(attrs, "name", required=True)
        if attrs.get("account_type") not in ("customer", "supplier"):
            raise invalid("account_type", "must be customer or supplier")
        if attrs.get("contact_type") not in (None, "person", "company"):
            raise invalid("contact_type", "must be person or company")
        tax = text(attrs, "tax_number")
        if tax is not None and not (tax.isdigit() and len(tax) in (10, 11)):
            raise invalid("tax_number", "must be a 10-digit VKN or an 11-digit TCKN")
        email = text(attrs, "email")
        if email is not None and "@" not in email:
            raise invalid("email", "is not an e-mail address")
        contact_id = self.books.new_id()
        self.books.contacts[contact_id] = attrs
        return document({"data": self.books.contact_resource(contact_id)}, 201)

    async def _show_contact(self, contact_id: str) -> JSONResponse:
        if contact_id not in self.books.contacts:
            raise ApiProblem(404, "Not Found", f"no contact {contact_id}")
        return document({"data": self.books.contact_resource(contact_id)})
