"""Rendering benchmark: invoice PDFs (3, 5 and 10 lines, each with its QR) on one core.

Run: ``.venv/bin/python bench/render.py [N]``. The last line is one JSON object:
``pdf_per_s`` is wall-clock throughput in this single process (one core), ``pdf_per_cpu_s``
the same per CPU second of this process (steadier when other work shares the machine).
The issue's target is 50 invoices per second per core.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "plugins/einvoice/ubltr/tests"))

from kervan_ubltr.render import render_invoice_html, render_invoice_pdf
from render_samples import earsiv_invoice


def measure(render, documents, rounds: int) -> tuple[float, float]:
    """(documents per wall second, documents per CPU second) over ``rounds`` passes."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(rounds):
        for document in documents:
            render(document)
    count = rounds * len(documents)
    return count / (time.perf_counter() - wall), count / (time.process_time() - cpu)


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    invoices = [earsiv_invoice(line_count=n) for n in (3, 5, 10)]
    render_invoice_pdf(invoices[0])  # font registration happens once per process
    pdf_wall, pdf_cpu = measure(render_invoice_pdf, invoices, rounds)
    html_wall, _ = measure(render_invoice_html, invoices, rounds)
    try:
        import _rl_accel  # noqa: F401

        accelerated = True
    except ImportError:
        accelerated = False
    size = len(render_invoice_pdf(invoices[1]))
    print(
        json.dumps(
            {
                "bench": "render",
                "invoices": rounds * len(invoices),
                "lines_per_invoice": [3, 5, 10],
                "pdf_per_s": round(pdf_wall, 1),
                "pdf_per_cpu_s": round(pdf_cpu, 1),
                "html_per_s": round(html_wall, 1),
                "pdf_bytes_5_lines": size,
                "rl_accel": accelerated,
            }
        )
    )


if __name__ == "__main__":
    main()
