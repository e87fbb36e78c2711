"""``MngSandbox``: the routes of MNG's API products behind the API Connect gateway."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response

from .commands import Commands
from .queries import Queries
from .state import PREFIX


class MngSandbox(Commands, Queries):
    """MNG Kargo / DHL eCommerce's REST API (see the package docstring for every rule)."""

    def routes(self, app: FastAPI) -> None:
        app.middleware("http")(self._gateway)
        for method, path, handler in (
            ("POST", "/token", self._token),
            ("GET", "/cbsinfoapi/getcities", self._cities),
            ("GET", "/cbsinfoapi/getdistricts/{city_code}", self._districts),
            ("POST", "/standardcmdapi/createOrder", self._create_order),
            ("POST", "/standardcmdapi/createReturnOrder", self._create_return_order),
            ("PUT", "/standardcmdapi/updateorder", self._update_order),
            ("PUT", "/standardcmdapi/cancelorder/{ref}", self._cancel_order),
            ("POST", "/barcodecmdapi/createbarcode", self._create_barcode),
            ("PUT", "/barcodecmdapi/updateshipment", self._update_shipment),
            ("PUT", "/barcodecmdapi/cancelshipment", self._cancel_shipment),
            ("GET", "/standardqueryapi/getorder/{ref}", self._get_order),
            ("GET", "/standardqueryapi/getshipment/{ref}", self._get_shipment),
            ("GET", "/standardqueryapi/getshipmentstatus/{ref}", self._get_status),
            ("GET", "/standardqueryapi/trackshipment/{ref}", self._track),
            ("POST", "/standardqueryapi/calculate", self._calculate),
            ("GET", "/bulkqueryapi/getStatusChangedShipments/{day}/{since}", self._status_changed),
            ("GET", "/bulkqueryapi/getShipmentByDate/{day}", self._by_date),
            ("GET", "/bulkqueryapi/getDeliveredShipment/{day}", self._delivered),
        ):
            app.add_api_route(PREFIX + path, handler, methods=[method])

    async def _gateway(self, request: Request, call_next: Any) -> Response:
        refused = self.gateway.check(request)
        if refused is not None:
            return refused
        self.settle()
        response: Response = await call_next(request)
        return response
