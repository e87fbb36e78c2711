"""Domain documents → :class:`~.view.DocumentView`: the wording of each printed document.

Labels follow the GİB e-Fatura / e-Arşiv / e-İrsaliye viewers Turkish readers know
(``Özelleştirme No``, ``Senaryo``, ``Mal Hizmet Toplam Tutarı`` ...). Pure functions, no I/O.
"""

from __future__ import annotations

from decimal import Decimal

from kervan.domain.documents import (
    DespatchAdvice,
    DocumentKind,
    ExpenseVoucher,
    InternetSale,
    Invoice,
    TaxSubtotal,
)
from kervan.domain.party import Party

from . import codes, text
from .qr import VAT, despatch_qr_payload, qr_payload
from .view import Block, Column, DocumentView, TotalRow
from .words import amount_in_words

CUSTOMIZATION_ID = "TR1.2"
INTERNET_SALE_LINE = "Bu satış internet üzerinden yapılmıştır."
#: GİB's e-Arşiv viewer prints this when the send type is ELEKTRONIK, which the builder always
#: writes for e-Arşiv (internet sales must be delivered electronically).
EARSIV_ELECTRONIC_LINE = "e-Arşiv izni kapsamında elektronik ortamda iletilmiştir."

INVOICE_COLUMNS = [
    Column("Sıra No", 0.05, "center"),
    Column("Mal Hizmet", 0.27),
    Column("Miktar", 0.08, "right"),
    Column("Birim Fiyat", 0.13, "right"),
    Column("İskonto", 0.11, "right"),
    Column("KDV Oranı", 0.06, "right"),
    Column("KDV Tutarı", 0.12, "right"),
    Column("Mal Hizmet Tutarı", 0.18, "right"),
]

DESPATCH_COLUMNS = [
    Column("Sıra No", 0.07, "center"),
    Column("Mal Hizmet", 0.58),
    Column("Barkod", 0.18),
    Column("Miktar", 0.17, "right"),
]

VOUCHER_COLUMNS = [
    Column("Sıra No", 0.05, "center"),
    Column("Cinsi", 0.26),
    Column("Miktar", 0.08, "right"),
    Column("Birim Fiyat", 0.12, "right"),
    Column("KDV Oranı", 0.09, "right"),
    Column("KDV Tutarı", 0.12, "right"),
    Column("KDV Hariç Tutar", 0.13, "right"),
    Column("Tutarı (KDV Dahil)", 0.15, "right"),
]
#: VUK 234 asks for the nature of the transaction ("işin mahiyeti")
VOUCHER_NATURE = "Satılan malın iadesi"

TAX_NAMES = {VAT: "KDV", "0071": "ÖTV", "9015": "KDV Tevkifatı", "0003": "Gelir Vergisi Stopajı"}


def _party(title: str, party: Party) -> Block:
    return Block(title=title, heading=party.display_name, lines=text.party_lines(party))


def invoice_title(invoice: Invoice) -> str:
    """The logo text, from the profile and type written in the XML (not the routing kind: a
    micro-export goes out as EARSIVFATURA and is titled e-Arşiv)."""
    return codes.invoice_title(invoice.profile, invoice.type_code)


def invoice_view(invoice: Invoice) -> DocumentView:
    """The printed form of a sales, return or export invoice."""
    cur = invoice.currency
    rows = [
        [
            str(line.id),
            line.name,
            text.quantity(line.quantity, line.unit_code),
            text.unit_price(line.unit_price, cur),
            text.money(line.discount, cur),
            text.percent(line.vat_rate),
            text.money(line.vat_amount, cur),
            text.money(line.line_extension, cur),
        ]
        for line in invoice.lines
    ]
    return DocumentView(
        title=invoice_title(invoice),
        number=invoice.number or "TASLAK",
        issuer=_party("", invoice.seller),
        counterpart=_party("SAYIN", invoice.buyer),
        info=_invoice_info(invoice),
        columns=INVOICE_COLUMNS,
        rows=rows,
        qr_payload=qr_payload(invoice),
        totals=_invoice_totals(invoice),
        notes=[*invoice.notes, *_exemption_notes(invoice.tax_subtotals)],
        sections=_invoice_sections(invoice),
        ettn=invoice.uuid,
        amount_words=amount_in_words(invoice.totals.payable, cur),
    )


def _invoice_info(invoice: Invoice) -> list[tuple[str, str]]:
    info = [
        ("Özelleştirme No", CUSTOMIZATION_ID),
        ("Senaryo", codes.with_code(codes.PROFILE_NAMES, invoice.profile)),
        ("Fatura Tipi", codes.with_code(codes.TYPE_NAMES, invoice.type_code)),
        ("Fatura No", invoice.number or "TASLAK"),
        ("Fatura Tarihi", text.day(invoice.issued_at)),
        ("Fatura Saati", text.clock(invoice.issued_at)),
    ]
    if invoice.order_number:
        info.append(("Sipariş No", invoice.order_number))
    if invoice.order_date:
        info.append(("Sipariş Tarihi", text.day(invoice.order_date)))
    if invoice.billing_reference:
        ref = invoice.billing_reference
        info.append(("İade Edilen Fatura No", ref.number))
        info.append(("İade Edilen Fatura Tarihi", text.day(ref.issue_date)))
    if invoice.currency != "TRY":
        info.append(("Para Birimi", invoice.currency))
        if invoice.exchange_rate is not None:
            info.append(("Döviz Kuru", text.number(invoice.exchange_rate, 2, 6)))
    info.append(("ETTN", invoice.uuid))
    return info


def _tax_label(subtotal: TaxSubtotal) -> str:
    name = TAX_NAMES.get(subtotal.tax_type_code, f"Vergi {subtotal.tax_type_code}")
    return f"Hesaplanan {name} ({text.percent(subtotal.rate)})"


def _invoice_totals(invoice: Invoice) -> list[TotalRow]:
    cur, totals = invoice.currency, invoice.totals
    rows = [
        TotalRow("Mal Hizmet Toplam Tutarı", text.money(totals.line_extension, cur)),
        TotalRow("Toplam İskonto", text.money(discount_total(invoice), cur)),
    ]
    for subtotal in invoice.tax_subtotals:
        if subtotal.tax_type_code == VAT:
            label = f"KDV Matrahı ({text.percent(subtotal.rate)})"
            rows.append(TotalRow(label, text.money(subtotal.taxable_amount, cur)))
        rows.append(TotalRow(_tax_label(subtotal), text.money(subtotal.tax_amount, cur)))
    rows.append(TotalRow("Vergiler Dahil Toplam Tutar", text.money(totals.tax_inclusive, cur)))
    rows.append(TotalRow("Ödenecek Tutar", text.money(totals.payable, cur), strong=True))
    return rows


def discount_total(invoice: Invoice) -> Decimal:
    """Σ line discounts plus any document-level allowance: what "Toplam İskonto" means to a
    reader. UBL-TR's AllowanceTotalAmount carries only the document-level part (line
    discounts are already inside each LineExtensionAmount), so it alone would print 0,00
    next to discounted lines."""
    return sum((line.discount for line in invoice.lines), invoice.totals.allowance_total)


def exemption_text(code: str, reason: str | None) -> str:
    """``351 - KDV - İstisna Olmayan Diğer``: GİB's name when the XML repeats only the code."""
    name = reason if reason and reason != code else codes.EXEMPTIONS.get(code)
    return f"{code} - {name}" if name else code


def _exemption_notes(subtotals: list[TaxSubtotal]) -> list[str]:
    return [
        "Vergi İstisna Muafiyet Sebebi: " + exemption_text(s.exemption_code, s.exemption_reason)
        for s in subtotals
        if s.exemption_code
    ]


def _invoice_sections(invoice: Invoice) -> list[Block]:
    sections = []
    if invoice.internet_sale is not None:
        sections.append(internet_sale_block(invoice.internet_sale))
    if invoice.kind is DocumentKind.EARSIV:
        sections.append(Block(title=EARSIV_ELECTRONIC_LINE, lines=[]))
    if invoice.export_terms is not None:
        terms = invoice.export_terms
        lines = [
            f"Teslim Şartı: {codes.with_code(codes.INCOTERMS, terms.incoterms)}",
            f"Gönderilme Şekli: {codes.named(codes.TRANSPORT_MODES, terms.transport_mode)}",
        ]
        if terms.delivery_address is not None:
            lines.append("Teslim Adresi: " + ", ".join(text.address_lines(terms.delivery_address)))
        sections.append(Block(title="İhracat Bilgileri", lines=lines))
    return sections


def internet_sale_block(sale: InternetSale) -> Block:
    """The e-Arşiv internet-sale box: website, payment and carrier details."""
    lines = [
        f"Web Adresi: {sale.website}",
        f"Ödeme Şekli: {text.PAYMENT_METHOD_NAMES.get(sale.payment_method, sale.payment_method)}",
    ]
    if sale.payment_agent:
        lines.append(f"Ödeme Aracısı: {sale.payment_agent}")
    lines.append(f"Ödeme Tarihi: {text.day(sale.payment_date)}")
    if sale.carrier_name:
        lines.append(f"Taşıyıcı Unvanı: {sale.carrier_name}")
    if sale.carrier_tax_id:
        lines.append(f"Taşıyıcı VKN/TCKN: {sale.carrier_tax_id}")
    if sale.send_date:
        lines.append(f"Gönderim Tarihi: {text.day(sale.send_date)}")
    return Block(title=INTERNET_SALE_LINE, lines=lines)


def despatch_view(advice: DespatchAdvice) -> DocumentView:
    """The printed form of an e-İrsaliye; its notes (e.g. "Sevk amaçlıdır ...") are printed."""
    rows = [
        [str(line.id), line.name, line.barcode or "", text.quantity(line.quantity, line.unit_code)]
        for line in advice.lines
    ]
    info = [
        ("Özelleştirme No", CUSTOMIZATION_ID),
        ("Senaryo", advice.profile),
        ("İrsaliye Tipi", advice.type_code),
        ("İrsaliye No", advice.number),
        ("İrsaliye Tarihi", text.day(advice.issued_at)),
        ("Düzenleme Zamanı", text.clock(advice.issued_at)),
        ("Sevk Tarihi", text.day(advice.despatched_at)),
        ("Sevk Zamanı", text.clock(advice.despatched_at)),
    ]
    if advice.order_number:
        info.append(("Sipariş No", advice.order_number))
    if advice.invoice_number:
        info.append(("İlgili Fatura No", advice.invoice_number))
    info.append(("ETTN", advice.uuid))
    return DocumentView(
        title="e-İRSALİYE",
        number=advice.number,
        issuer=_party("", advice.seller),
        counterpart=_party("SAYIN", advice.receiver),
        info=info,
        columns=DESPATCH_COLUMNS,
        rows=rows,
        qr_payload=despatch_qr_payload(advice),
        extra_blocks=_shipment_blocks(advice),
        notes=list(advice.notes),
        ettn=advice.uuid,
    )


def _shipment_blocks(advice: DespatchAdvice) -> list[Block]:
    blocks = [Block(title="Teslimat Adresi", lines=text.address_lines(advice.delivery_address))]
    if advice.carrier is not None:
        carrier = advice.carrier
        blocks.append(
            Block(title="Taşıyıcı", heading=carrier.display_name, lines=[text.tax_id_line(carrier)])
        )
    if advice.driver is not None:
        driver = advice.driver
        lines = [f"TCKN: {driver.national_id}", f"Plaka: {text.plate(driver.plate)}"]
        heading = f"{driver.first_name} {driver.last_name}"
        blocks.append(Block(title="Şoför / Araç", heading=heading, lines=lines))
    return blocks


def voucher_view(voucher: ExpenseVoucher) -> DocumentView:
    """The printed gider pusulası: what the seller refunded an individual for returned goods.

    What VUK 234 asks of it (the article's text at mevzuat.gov.tr, law 213; summarised at
    formatlar.com/belge/gider-pusulasi-yasal-dayanagi-vuk-madde-234 and
    birfatura.com/gider-pusulasi-nedir): the nature of the transaction, the goods and the amount
    paid, the name, surname and address of the person who sold (here: returned) them, the
    date and the document's serial number, signed by both sides (two copies, one to the
    person). Their TCKN is printed with the party; the refund's VAT is shown per line and per
    rate (the KDV circulars of apis-2 §8: the VAT is shown separately so it can be deducted).
    A voucher written before VAT was kept leaves the VAT columns empty.
    """
    rows = [
        [
            str(index),
            line.name,
            text.quantity(line.quantity, line.unit_code),
            text.money(line.unit_price),
            text.percent(line.vat_rate) if line.vat_rate is not None else "",
            text.money(line.vat_amount) if line.vat_amount is not None else "",
            text.money(line.net) if line.net is not None else "",
            text.money(line.amount),
        ]
        for index, line in enumerate(voucher.lines, start=1)
    ]
    info = [
        ("Belge No", voucher.number),
        ("Düzenleme Tarihi", text.day(voucher.issued_at)),
        ("Düzenleme Saati", text.clock(voucher.issued_at)),
        ("İşin Mahiyeti", VOUCHER_NATURE),
    ]
    if voucher.order_number or voucher.order_id:
        info.append(("Sipariş No", voucher.order_number or voucher.order_id or ""))
    if voucher.claim_id:
        info.append(("İade Talep No", voucher.claim_id))
    paid = voucher.total - voucher.withholding
    return DocumentView(
        title="GİDER PUSULASI",
        number=voucher.number,
        issuer=_party("DÜZENLEYEN", voucher.seller),
        counterpart=_party("MALI SATAN / İŞİ YAPAN", voucher.person),
        info=info,
        columns=VOUCHER_COLUMNS,
        rows=rows,
        totals=_voucher_totals(voucher),
        notes=list(voucher.notes),
        signatures=["Düzenleyen (Kaşe / İmza)", "Malı Satan / İşi Yapan (İmza)"],
        amount_words=amount_in_words(paid, "TRY"),
    )


def _voucher_totals(voucher: ExpenseVoucher) -> list[TotalRow]:
    rows = []
    for sub in voucher.vat_subtotals:
        rate = text.percent(sub.rate)
        rows.append(TotalRow(f"KDV Matrahı ({rate})", text.money(sub.net)))
        rows.append(TotalRow(f"KDV ({rate})", text.money(sub.vat)))
    if voucher.vat_total is not None:
        rows.append(TotalRow("Toplam KDV", text.money(voucher.vat_total)))
    rows += [
        TotalRow("Toplam Tutar", text.money(voucher.total)),
        TotalRow("Gelir Vergisi Stopajı", text.money(voucher.withholding)),
        TotalRow("Ödenen Net Tutar", text.money(voucher.total - voucher.withholding), strong=True),
    ]
    return rows
