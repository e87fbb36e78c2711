"""GİB and UN/ECE codes as the words a printed invoice shows.

One table per code list, shared by the PDF/HTML views and the embedded XSLT (which is generated
from these tables, see :mod:`kervan_ubltr.xslt`), so every viewer prints the same word. A code
missing from a table prints as itself: a new code is never hidden.

Sources: GİB's UBL-TR code lists (the lists themselves ship in efatura-kontrol's ``kodlar.json``;
the names follow GİB's "Kod Listeleri" guide), UN/ECE Recommendation 19 (modes of transport),
UN/ECE Recommendation 20 (units), Incoterms 2020 with their usual Turkish names.
"""

from __future__ import annotations

#: the document's logo text by ProfileID: e-Arşiv or e-Fatura; the qualifiers below are added
PROFILE_TITLES = {"EARSIVFATURA": "e-ARŞİV FATURA"}
DEFAULT_TITLE = "e-FATURA"
PROFILE_QUALIFIERS = {"IHRACAT": "İHRACAT", "YOLCUBERABERFATURA": "YOLCU BERABER"}
#: InvoiceTypeCode qualifiers; SATIS is the plain case and adds nothing
TYPE_QUALIFIERS = {
    "IADE": "İADE",
    "TEVKIFAT": "TEVKİFAT",
    "TEVKIFATIADE": "TEVKİFAT İADE",
    "ISTISNA": "İSTİSNA",
    "OZELMATRAH": "ÖZEL MATRAH",
    "IHRACKAYITLI": "İHRAÇ KAYITLI",
    "SGK": "SGK",
    "KOMISYONCU": "KOMİSYONCU",
}

PROFILE_NAMES = {
    "TEMELFATURA": "Temel Fatura",
    "TICARIFATURA": "Ticari Fatura",
    "EARSIVFATURA": "e-Arşiv Fatura",
    "IHRACAT": "İhracat",
    "YOLCUBERABERFATURA": "Yolcu Beraber",
    "KAMU": "Kamu",
}
TYPE_NAMES = {
    "SATIS": "Satış",
    "IADE": "İade",
    "TEVKIFAT": "Tevkifat",
    "TEVKIFATIADE": "Tevkifat İade",
    "ISTISNA": "İstisna",
    "OZELMATRAH": "Özel Matrah",
    "IHRACKAYITLI": "İhraç Kayıtlı",
    "SGK": "SGK",
    "KOMISYONCU": "Komisyoncu",
}

#: cbc:TransportModeCode (UN/ECE Rec. 19), printed as "Gönderilme Şekli"
TRANSPORT_MODES = {
    "0": "Belirtilmemiş",
    "1": "Denizyolu",
    "2": "Demiryolu",
    "3": "Karayolu",
    "4": "Havayolu",
    "5": "Posta",
    "6": "Çok Araçlı",
    "7": "Sabit Taşıma Tesisi",
    "8": "İç Su Yolu",
    "9": "Uygulanamaz",
}

#: cac:DeliveryTerms/cbc:ID (Incoterms), printed as "Teslim Şartı"
INCOTERMS = {
    "EXW": "İş Yerinde Teslim",
    "FCA": "Taşıyıcıya Teslim",
    "FAS": "Gemi Doğrultusunda Teslim",
    "FOB": "Gemide Teslim",
    "CFR": "Masraflar ve Navlun",
    "CIF": "Masraflar, Sigorta ve Navlun",
    "CPT": "Taşıma Ödenmiş Olarak Teslim",
    "CIP": "Taşıma ve Sigorta Ödenmiş Olarak Teslim",
    "DAP": "Belirlenen Yerde Teslim",
    "DPU": "Belirlenen Yerde Boşaltılmış Olarak Teslim",
    "DDP": "Gümrük Vergileri Ödenmiş Olarak Teslim",
    "DAF": "Sınırda Teslim",
    "DES": "Gemide Teslim (Varış)",
    "DEQ": "Rıhtımda Teslim",
    "DDU": "Gümrük Vergileri Ödenmeden Teslim",
}

#: cbc:TaxExemptionReasonCode: the codes Kervan's flows write, with GİB's names
EXEMPTIONS = {
    "301": "11/1-a Mal İhracatı",
    "302": "11/1-a Hizmet İhracatı",
    "303": "11/1-a Roaming Hizmetleri",
    "304": "13/a Deniz, Hava ve Demiryolu Taşıma Araçlarının Teslimi ile İnşa, Tadil, "
    "Bakım ve Onarımları",
    "308": "13/d Teşvikli Yatırım Mallarının Teslimi",
    "311": "14/1 Uluslararası Taşımacılık",
    "350": "Diğerleri",
    "351": "KDV - İstisna Olmayan Diğer",
    "701": "3065 G.20/1. Madde Kapsamındaki İhraç Kayıtlı Satış",
    "702": "DİİB ve Geçici Kabul Rejimi Kapsamındaki Satışlar",
    "703": "4760 ÖTV 8/2. Madde Kapsamındaki İhraç Kayıtlı Satış",
    "704": "3065 G.20/1. ve 4760 ÖTV 8/2. Madde Kapsamındaki İhraç Kayıtlı Satış",
}

#: cbc:InvoicedQuantity/@unitCode (UN/ECE Rec. 20, GİB's UnitCodeList)
UNIT_NAMES = {
    "C62": "Adet",
    "H87": "Adet",
    "NIU": "Adet",
    "KGM": "kg",
    "GRM": "g",
    "KTM": "km",
    "LTR": "lt",
    "MLT": "ml",
    "MTR": "m",
    "CMT": "cm",
    "MTK": "m²",
    "MTQ": "m³",
    "SET": "Set",
    "PR": "Çift",
    "PA": "Paket",
    "BX": "Kutu",
    "CT": "Karton",
    "HUR": "Saat",
    "DAY": "Gün",
    "MON": "Ay",
    "ANN": "Yıl",
    "KWH": "kWh",
}

#: e-Arşiv INT_PAYMENT_METHOD values (GİB / integrator vocabulary)
PAYMENT_METHODS = {
    "KREDIKARTI/BANKAKARTI": "Kredi Kartı / Banka Kartı",
    "EFT/HAVALE": "EFT / Havale",
    "KAPIDAODEME": "Kapıda Ödeme",
    "ODEMEARACISI": "Ödeme Aracısı",
    "DIGER": "Diğer",
}


def invoice_title(profile: str, type_code: str) -> str:
    """The logo text: ``e-ARŞİV FATURA`` or ``e-FATURA``, qualified by the export profile
    and by the type (``e-FATURA (İHRACAT)``, ``e-ARŞİV FATURA (İADE)``)."""
    base = PROFILE_TITLES.get(profile, DEFAULT_TITLE)
    qualifiers = [PROFILE_QUALIFIERS.get(profile), TYPE_QUALIFIERS.get(type_code)]
    if profile == "IHRACAT" and type_code == "ISTISNA":  # every IHRACAT is ISTISNA: say it once
        qualifiers[1] = None
    words = [q for q in qualifiers if q]
    return f"{base} ({' '.join(words)})" if words else base


def named(table: dict[str, str], code: str) -> str:
    """``Karayolu`` for ``3``; an unknown code prints as itself."""
    return table.get(code, code)


def with_code(table: dict[str, str], code: str) -> str:
    """``Temel Fatura (TEMELFATURA)``: the word with GİB's code, for fields people search by."""
    name = table.get(code)
    return f"{name} ({code})" if name else code
