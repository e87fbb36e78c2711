"""A stand-in for Paraşüt's API v4: OAuth2 and the JSON:API resources Kervan posts to.

What it does, and where each rule comes from. Sources:

- **[SWAGGER]** Paraşüt's Swagger as generated into yigitkonur/parasut-node-sdk-mcp,
  ``packages/parasut-node-sdk/src/generated/operations.ts`` (paths, methods, success
  statuses) and ``generated/types.ts`` (attributes, enums, ``ListMeta``, ``ApiError``).
  apidocs.parasut.com itself could not be read from here.
- **[NODE-SDK]** the same repository's ``src/client/OAuth.ts``, ``RateLimiter.ts``,
  ``HttpTransport.ts`` and ``src/resources/*.ts`` (filters).
- **[AVVA]** AvvaMobile/AvvaMobile.Core.Parasut, ``Models/Requests/InvoiceRequest.cs``,
  ``InvoicePaymentRequest.cs``, ``Models/Responses/TokenResponse.cs``.
- **[REF]** ../shared/reference/apis-2.md §5.3 (npm ``parasut.js`` README,
  ``adilumer/parasut-api-client`` README).

Rules:

- ``POST /oauth/token`` (form): ``grant_type=password`` with ``client_id``,
  ``client_secret``, ``username``, ``password``, ``redirect_uri=urn:ietf:wg:oauth:2.0:oob``;
  ``grant_type=refresh_token`` with ``refresh_token``. Answers ``{access_token, token_type,
  expires_in, refresh_token, scope, created_at}`` [AVVA TokenResponse; NODE-SDK OAuth.ts]. A
  wrong client is 401 ``invalid_client``, a wrong user or used refresh token 400
  ``invalid_grant`` (RFC 6749 §5.2; Paraşüt's exact codes are not published). Tokens live
  7200 s and a refresh token is good once *(assumed; Doorkeeper's defaults)*.
- Every ``/v4`` call needs ``Authorization: Bearer``: a missing, unknown or expired token is a
  401 with a JSON:API error. ``/v4/me`` lists the user's companies in ``included``
  [SWAGGER showMe]; another company's path is 403.
- At most 10 requests per 10 s per company; more get 429 with ``Retry-After`` and an
  ``errors`` array [NODE-SDK RateLimiter.ts; REF]. Whether Paraşüt counts per company, user
  or client is not published.
- Bodies are ``application/vnd.api+json`` or ``application/json`` (else 415) [REF]; answers
  are ``application/vnd.api+json`` with ``data``/``attributes``/``relationships``,
  ``included`` for ``include=``, and lists with ``meta: {current_page, total_pages,
  total_count}`` [SWAGGER ListMeta]; ``page[number]`` from 1, ``page[size]`` 15 by default,
  at most 25 *(the limit is assumed)*. Errors are ``{"errors": [{"title", "detail"}]}``
  [SWAGGER ApiError]. On create ``data.id`` must be absent (403, as JSON:API prescribes),
  ``data.type`` must match (409) [REF]; an unknown filter or include is a 400.
- Contacts need ``name`` and ``account_type`` (customer|supplier) [SWAGGER
  ContactAttributes]; filters ``name`` (matches a part, *assumed*), ``email``,
  ``tax_number``, ``tax_office``, ``city``, ``account_type`` [NODE-SDK contacts.ts].
- Sales invoices need ``item_type``, ``issue_date`` [SWAGGER; AVVA ``[Required]``] and a
  ``contact`` [AVVA]; lines go as ``relationships.details.data[]`` with attributes, each
  needing ``quantity``, ``unit_price``, ``vat_rate`` [SWAGGER SalesInvoiceDetailAttributes;
  AVVA]. ``invoice_id`` is an integer [SWAGGER], 32-bit in [AVVA]; a series and number
  already held by a live invoice is refused *(inferred)*. Totals are computed here per line
  (see ``books.SalesInvoice.totals``; Paraşüt's rounding is not published). Filters
  [NODE-SDK salesInvoices.ts]: ``issue_date``, ``due_date``, ``contact_id``, ``invoice_id``,
  ``invoice_series``, ``item_type``, ``print_status``, ``payment_status``.
- ``item_type`` ``refund`` is a return [SWAGGER enum]. ``DELETE /sales_invoices/{id}/cancel``
  answers 200 and leaves the invoice as ``item_type`` cancelled; ``DELETE
  /sales_invoices/{id}`` answers 204 [SWAGGER]. Both refuse an invoice with payments
  *(inferred)*.
- ``POST /sales_invoices/{id}/payments`` takes ``description``, ``account_id`` (cash or
  bank), ``date``, ``amount``, ``exchange_rate`` [SWAGGER PaymentFormAttributes; AVVA] and
  answers a ``payments`` resource whose ``notes`` hold the description *(inferred from the
  Payment schema)* with ``payable`` and ``transaction`` relationships; an amount above what is
  left to collect is refused *(inferred)*. ``DELETE /transactions/{id}`` removes it [SWAGGER].
- Products: ``code``, ``name``, ``barcode``, ``list_price``, ``currency``, ``vat_rate``,
  ``stock_count``, ``archived`` [SWAGGER ProductAttributes]; filters ``name``, ``code``,
  ``barcode`` [NODE-SDK products.ts].
"""

from .app import (
    BANK_ACCOUNT_ID,
    CLIENT_ID,
    CLIENT_SECRET,
    COMPANY_ID,
    PASSWORD,
    TOKEN_SECONDS,
    USERNAME,
    ParasutSandbox,
)

__all__ = [
    "BANK_ACCOUNT_ID",
    "CLIENT_ID",
    "CLIENT_SECRET",
    "COMPANY_ID",
    "PASSWORD",
    "TOKEN_SECONDS",
    "USERNAME",
    "ParasutSandbox",
]
