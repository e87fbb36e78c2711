"""Amounts written out in Turkish words: ``Yalnız bin bir TL beş Kr``.

num2words (0.5.14, ``lang="tr"``) was checked first and is not used: it writes the words
run together (``binbirlirabeşkuruş``), says ``lira`` where invoices say ``TL``, and answers
``bedelsiz`` ("free of charge") for 0,05 TL in currency mode. Turkish number words are
regular, so this module spells them itself: groups of three digits, ``yüz`` and ``bin``
without a leading ``bir`` (``yüz``, ``bin``, but ``bir milyon``), words separated by spaces.
The embedded XSLT (``kervan_ubltr/xslt``) spells amounts with the same tables, and a test
holds both to the same answers.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

ONES = ("", "bir", "iki", "üç", "dört", "beş", "altı", "yedi", "sekiz", "dokuz")
TENS = ("", "on", "yirmi", "otuz", "kırk", "elli", "altmış", "yetmiş", "seksen", "doksan")
SCALES = ("", "bin", "milyon", "milyar", "trilyon", "katrilyon")
#: (major, minor) unit words as printed after the amount; other currencies print their ISO
#: code and the minor part as ``nn/100``
CURRENCY_WORDS = {
    "TRY": ("TL", "Kr"),
    "EUR": ("Avro", "Sent"),
    "USD": ("ABD Doları", "Sent"),
    "GBP": ("İngiliz Sterlini", "Peni"),
}
KURUS = Decimal("0.01")


def _below_thousand(n: int) -> list[str]:
    hundreds, rest = divmod(n, 100)
    words = []
    if hundreds:
        words += ["yüz"] if hundreds == 1 else [ONES[hundreds], "yüz"]
    tens, ones = divmod(rest, 10)
    return [w for w in (*words, TENS[tens], ONES[ones]) if w]


def number_words(n: int) -> str:
    """``1001`` → ``bin bir``; ``1000000`` → ``bir milyon``; ``0`` → ``sıfır``."""
    if n < 0:
        return "eksi " + number_words(-n)
    if n == 0:
        return "sıfır"
    groups: list[int] = []
    while n:
        n, group = divmod(n, 1000)
        groups.append(group)
    if len(groups) > len(SCALES):
        raise ValueError("amount too large to write in words")
    words: list[str] = []
    for scale in range(len(groups) - 1, -1, -1):
        group = groups[scale]
        if not group:
            continue
        if scale == 1 and group == 1:
            words.append("bin")  # "bin", never "bir bin"
            continue
        words += _below_thousand(group)
        if scale:
            words.append(SCALES[scale])
    return " ".join(words)


def amount_in_words(amount: Decimal, currency: str = "TRY") -> str:
    """The payable amount as an invoice writes it out: ``Yalnız bin bir TL beş Kr``.

    Rounded half up to kuruş; the minor unit is left out when it is zero (``Yalnız yüz TL``).
    """
    value = amount.quantize(KURUS, rounding=ROUND_HALF_UP)
    sign = "eksi " if value < 0 else ""
    whole, minor = divmod(int(abs(value) * 100), 100)
    major_word, minor_word = CURRENCY_WORDS.get(currency, (currency, ""))
    text = f"Yalnız {sign}{number_words(whole)} {major_word}"
    if minor and minor_word:
        text += f" {number_words(minor)} {minor_word}"
    elif minor:
        text += f" {minor:02d}/100"
    return text
