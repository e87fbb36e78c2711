"""``MngSandbox``: a stand-in for MNG Kargo / DHL eCommerce's REST API behind IBM API Connect.

The package: ``state`` (orders, shipments, the timeline), ``gateway`` (API Connect: app keys,
subscriptions, jwt, plan rate limits), ``validation`` (request models), ``shapes`` (answer and
error bodies), ``commands`` / ``queries`` (the routes' handlers), ``app`` (``MngSandbox``).

Rules and their sources. "apis.md" is ../shared/reference/apis.md §8.4 and its MNG correction;
the repositories named are public code read for facts (none of their code is copied):

Gateway (IBM API Connect)
- Every call carries ``X-IBM-Client-Id`` / ``-Secret``; a wrong pair gets API Connect's
  ``401 {"httpCode", "httpMessage", "moreInformation"}`` [apis.md; body shape: IBM support,
  "Capture the 429 error when rate limit exceeds in a plan" and node/1128651]. An API product
  the app is not subscribed to gets 401 "Cannot find valid subscription for the incoming API
  request." [``tcgunel/omniship-mng`` README, gotcha 10] (``subscriptions=``; default all).
- ``POST /token`` ``{customerNumber, password, identityType: 1}`` → ``jwt`` valid 8 h,
  ``jwtExpireDate`` ``dd.MM.yyyy HH:mm:ss`` [apis.md; omniship-mng README "JWT caching"]; API
  calls need ``Authorization: Bearer`` and an expired or unknown jwt gets the same IBM 401.
  CBS Info needs no jwt [omniship-mng README; the vendor's CBS Info document declares no
  Authorization, per ``MepCity/kukaisland`` docs/DHL_ENTEGRASYONU.md]. Wrong customer number
  or password: HTTP 401 [measured on MNG's test API, ``MepCity/kukaisland``
  docs/DHL_BAKIM_HAFIZASI.md, 2026-09-04] with ``{"error": {"Code": "20013", …}}`` [the code
  from omniship-mng README gotcha 8, which saw it with HTTP 500 when the app keys belonged to
  the other environment; which status goes with which cause is uncertain].
- Plan rate limits: MNG publishes none. API Connect applies a plan's limit per app and API
  product, shared by the product's operations, and over a hard limit answers
  ``429 {"httpCode": "429", "httpMessage": "Too Many Requests", "moreInformation": "Rate Limit
  exceeded"}`` with no ``Retry-After`` [IBM support node/1128651]. The figure here,
  600/min per product (``gateway.DEFAULT_PLAN_LIMIT``), is the sandbox's own and uncertain;
  ``plan_limits={"Standard Command": PlanLimit(…), "*": …}`` changes it (None: no limit).

Errors
- MNG's own errors: ``{"error": {"Code", "Message", "Description"}}`` (PascalCase) for business
  errors (often HTTP 500); model-binding refusals come as 400 ``{"error": {"code", "message",
  "description"}}`` (camelCase) [an UNATTRIBUTED TypeScript integration's response mappers
  (public code index) noting both cases on MNG's test API (400 code 4002 camelCase, 500 code
  20001 PascalCase); ``logedosoft/DHL-Cargo-ERPNext`` reading ``Code``/``Message``/
  ``Description``]. Codes from public sources: 3002 order exists,
  20001/20011 destination not resolved, 26056 empty tax number, 20013 login [apis.md,
  omniship-mng]; 26029 ``marketPlaceShortCode`` missing, 26039 invalid e-mail, 4002 value not
  convertible [the same integration's request builders]. The sandbox's own codes: 3001, 3003–
  3009 (unknown order/shipment, already shipped, cancelled, not cancellable/updatable), 26101/
  26102 (CBS codes), 26103 (barcode ≠ referenceId), 26104 (enum value), 26105 (customerId
  with fullName), 26106 (mobile format), 26150 (date format).

Standard Command / Barcode Command
- ``createOrder`` ``{order, orderPieceList, recipient}`` [apis.md]: ``order.barcode`` equals
  ``referenceId`` ("Barcode must be same with ReferenceId", the vendor's model description as
  quoted by ``MepCity/kukaisland``'s DHL order mapper); ``content`` and ``description``
  required and not empty (400) [the TypeScript integration's builders];
  ``marketPlaceShortCode`` required, "" or TRND/GG/N11 (400 26029) [same]; enums shipmentServiceType 1/7/8, packagingType 1–4, paymentType 1/2
  ("CreateOrder does not apply to payment type 3"), deliveryType 1/2 [kukaisland mapper];
  ``desi``/``kg`` int32 [same]; recipient e-mail required and valid (26039), mobile 10 digits
  without 0 or country code, ``customerId`` and ``fullName`` exclusive [omniship-mng README
  gotchas 3, 5, 6]; ``taxNumber`` not empty (500 26056); city/district codes from the CBS lists
  (``GET cbsinfoapi/getcities`` → ``[{code, name}]``, ``getdistricts/{cityCode}`` →
  ``[{cityCode, cityName, code, name}]``) [DEKOFAR…/dekofar-hyperconnect-api CBSInfo models].
- ``createReturnOrder`` (POST standardcmdapi) ``{order, orderPieceList, shipper}``: the buyer is
  the shipper, the seller's account the recipient; answers ``[{orderInvoiceId,
  orderInvoiceDetailId, shipperBranchCode, referenceId, returnOrderLabelURL}]`` with a
  ``https://mn.tc?rtnid=…`` label link [omniship-mng ``CreateReturnShipmentRequest``/
  ``Response`` and README; ``logedosoft/DHL-Cargo-ERPNext``
  ``dhl_ecommerce_integration/utils.py``]. The shipment exists once the buyer hands the parcel
  in: ``getshipmentstatus`` answers 404 until then [the same
  ERPNext app falls back to ``plusqueryapi/checkReturnOrder`` on that 404]. Here the drop-off
  happens ``return_drop_off_after`` (1 day) after the order, or at :meth:`hand_in_return`; then the
  shipment runs the timeline below towards the seller.
- ``createbarcode``: 500 ``20001``/``20011`` until MNG has resolved the destination branch;
  real integrations retry up to 5 times, 5 min × attempt [apis.md correction; omniship-mng
  "3-stage flow"]. What tells 20001 from 20011 is unknown, so either is picked (seeded);
  ``unresolved_share`` of fresh orders is held ``unresolved_for``; :meth:`hold_destination`.
- ``updateorder`` (PUT standardcmdapi) ``{referenceId, billOfLandingId, isCOD, codAmount,
  orderPieceList}`` before createbarcode; ``updateshipment`` (PUT barcodecmdapi) the same plus
  ``shipmentId``, before the branch accepts the parcel [paths: kukaisland
  docs/DHL_ENTEGRASYONU.md, a table written from the vendor's OpenAPI documents, ``ecommerce.Cargo.Mng`` constants, DEMW client;
  bodies: kukaisland ``UpdateOrderRequest``/``UpdateShipmentRequest``]. Their answer body is
  not documented in those sources: 200 with an empty body here (uncertain).
- ``cancelshipment`` ``{referenceId, shipmentId}`` only until the branch scan, on the day the
  barcode was printed [omniship-mng README "cancelShipment"]; ``cancelorder/{ref}`` (PUT, no
  body) once the shipment is cancelled or never existed [same].

Standard Query / Bulk Query
- Answers are one-element arrays [omniship-mng gotcha 1]. ``calculate`` binds ``cityCode`` and
  ``districtCode`` as strings: an integer gets 400 4002 "could not be converted to
  System.String" although the OpenAPI says integer [that integration's calculate builder, from
  MNG's test API]; codes outside the CBS lists are refused (26101/26102).
- ``getStatusChangedShipments/{yyyyMMdd}/{yyyyMMddHHmmss}``, ``getShipmentByDate/{yyyyMMdd}``,
  ``getDeliveredShipment/{dd-MM-yyyy}``; 404 means none [apis.md]. By-date and delivered rows
  are ``{shipment, shipmentPieceList, shipper, recipient}`` [dekofar-hyperconnect-api
  BulkQuery models ``ShipmentByDateResponse``/``DeliveredShipmentResponse``; a TS client's
  ``MngBulkShipmentRow`` for ``deliveryDate``/``deliveryTo``]. Other public clients format the
  status-changed dates as ``dd.MM.yyyy`` / ``dd-MM-yyyy``; the sandbox keeps apis.md's format.

Timeline: after ``createbarcode`` (or a return's drop-off) a shipment moves on the sandbox
clock: prepared (1) → in transfer (2, picked up, 2 h) → at the delivery unit (3, 18 h) → out
to the address (4, 26 h) → delivered (5, 30 h); cancelled shipments stop; :meth:`force`.
The other endings of apis.md's status list also happen: not delivered (6, 30 h) then coming
back (7, 40 h), or support needed (8, 30 h) — per shipment with :meth:`set_outcome`, or for
``undelivered_share`` of shipments (seeded; default 0, so the demo's parcels all arrive).
"""

from __future__ import annotations

from .app import MngSandbox
from .gateway import DEFAULT_PLAN_LIMIT, PlanLimit
from .shapes import error, ibm, invalid
from .state import (
    CLIENT_ID,
    CLIENT_SECRET,
    CUSTOMER_NUMBER,
    JWT_LIFETIME,
    PASSWORD,
    PREFIX,
    PRODUCTS,
    TIMELINE,
    UNRESOLVED_CODES,
)

__all__ = [
    "CLIENT_ID",
    "CLIENT_SECRET",
    "CUSTOMER_NUMBER",
    "DEFAULT_PLAN_LIMIT",
    "JWT_LIFETIME",
    "PASSWORD",
    "PREFIX",
    "PRODUCTS",
    "TIMELINE",
    "UNRESOLVED_CODES",
    "MngSandbox",
    "PlanLimit",
    "error",
    "ibm",
    "invalid",
]
