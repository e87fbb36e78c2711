<?xml version="1.0" encoding="UTF-8"?>
<!-- Kervan's UBL-TR invoice view (XSLT 1.0, GENERATED: edit render/invoice_template.xslt and
     run `python -m kervan_ubltr.render.stylesheet`; the code tables come from render/codes.py).
     Lays the invoice out like Kervan's PDF: issuer, title, buyer and document info, lines,
     totals, the payable amount in words, notes, internet-sale and export details. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
  xmlns:n1="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
  xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
  xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
  exclude-result-prefixes="n1 cac cbc">
<xsl:output method="html" encoding="UTF-8" indent="no"/>
<xsl:decimal-format name="tr" decimal-separator="," grouping-separator="."/>
<xsl:variable name="PROFILES" select="'@@PROFILES@@'"/>
<xsl:variable name="TYPES" select="'@@TYPES@@'"/>
<xsl:variable name="TYPE_Q" select="'@@TYPE_Q@@'"/>
<xsl:variable name="UNITS" select="'@@UNITS@@'"/>
<xsl:variable name="MODES" select="'@@MODES@@'"/>
<xsl:variable name="INCOTERMS" select="'@@INCOTERMS@@'"/>
<xsl:variable name="EXEMPTIONS" select="'@@EXEMPTIONS@@'"/>
<xsl:variable name="PAYMENTS" select="'@@PAYMENTS@@'"/>
<xsl:variable name="TAXES" select="'@@TAXES@@'"/>
<xsl:variable name="MAJOR" select="'@@MAJOR@@'"/>
<xsl:variable name="MINOR" select="'@@MINOR@@'"/>
<xsl:variable name="ONES" select="'@@ONES@@'"/>
<xsl:variable name="TENS" select="'@@TENS@@'"/>
<xsl:variable name="SCALES" select="'@@SCALES@@'"/>
<xsl:variable name="inv" select="/n1:Invoice"/>
<xsl:variable name="cur" select="$inv/cbc:DocumentCurrencyCode"/>
<xsl:variable name="sign"><xsl:choose><xsl:when test="$cur='TRY'">TL</xsl:when><xsl:otherwise><xsl:value-of select="$cur"/></xsl:otherwise></xsl:choose></xsl:variable>
<xsl:variable name="profile" select="$inv/cbc:ProfileID"/>
<xsl:variable name="type" select="$inv/cbc:InvoiceTypeCode"/>

<xsl:template name="look"><xsl:param name="table"/><xsl:param name="code"/><xsl:param name="fallback" select="$code"/>
<xsl:variable name="hit" select="substring-before(substring-after($table, concat('|', $code, '=')), '|')"/>
<xsl:choose><xsl:when test="$hit != ''"><xsl:value-of select="$hit"/></xsl:when><xsl:otherwise><xsl:value-of select="$fallback"/></xsl:otherwise></xsl:choose></xsl:template>

<xsl:template name="withcode"><xsl:param name="table"/><xsl:param name="code"/>
<xsl:variable name="hit" select="substring-before(substring-after($table, concat('|', $code, '=')), '|')"/>
<xsl:choose><xsl:when test="$hit != ''"><xsl:value-of select="concat($hit, ' (', $code, ')')"/></xsl:when><xsl:otherwise><xsl:value-of select="$code"/></xsl:otherwise></xsl:choose></xsl:template>

<xsl:template name="money"><xsl:param name="v"/><xsl:value-of select="concat(format-number($v, '#.##0,00', 'tr'), ' ', $sign)"/></xsl:template>
<xsl:template name="day"><xsl:param name="d"/><xsl:value-of select="concat(substring($d, 9, 2), '-', substring($d, 6, 2), '-', substring($d, 1, 4))"/></xsl:template>

<xsl:template name="title">
<xsl:variable name="base"><xsl:choose><xsl:when test="$profile='EARSIVFATURA'">e-ARŞİV FATURA</xsl:when><xsl:otherwise>e-FATURA</xsl:otherwise></xsl:choose></xsl:variable>
<xsl:variable name="pq"><xsl:choose><xsl:when test="$profile='IHRACAT'">İHRACAT</xsl:when><xsl:when test="$profile='YOLCUBERABERFATURA'">YOLCU BERABER</xsl:when></xsl:choose></xsl:variable>
<xsl:variable name="tq"><xsl:if test="not($profile='IHRACAT' and $type='ISTISNA')"><xsl:call-template name="look"><xsl:with-param name="table" select="$TYPE_Q"/><xsl:with-param name="code" select="$type"/><xsl:with-param name="fallback" select="''"/></xsl:call-template></xsl:if></xsl:variable>
<xsl:variable name="q" select="normalize-space(concat($pq, ' ', $tq))"/>
<xsl:value-of select="$base"/><xsl:if test="$q != ''"><xsl:value-of select="concat(' (', $q, ')')"/></xsl:if></xsl:template>

<xsl:template name="three"><xsl:param name="g"/>
<xsl:variable name="h" select="floor($g div 100)"/><xsl:variable name="t" select="floor(($g mod 100) div 10)"/><xsl:variable name="o" select="$g mod 10"/>
<xsl:if test="$h &gt; 1"><xsl:call-template name="look"><xsl:with-param name="table" select="$ONES"/><xsl:with-param name="code" select="$h"/></xsl:call-template><xsl:text> </xsl:text></xsl:if>
<xsl:if test="$h &gt; 0">yüz </xsl:if>
<xsl:if test="$t &gt; 0"><xsl:call-template name="look"><xsl:with-param name="table" select="$TENS"/><xsl:with-param name="code" select="$t"/></xsl:call-template><xsl:text> </xsl:text></xsl:if>
<xsl:if test="$o &gt; 0"><xsl:call-template name="look"><xsl:with-param name="table" select="$ONES"/><xsl:with-param name="code" select="$o"/></xsl:call-template><xsl:text> </xsl:text></xsl:if></xsl:template>

<xsl:template name="scaled"><xsl:param name="n"/><xsl:param name="level" select="0"/>
<xsl:if test="$n &gt; 0">
<xsl:call-template name="scaled"><xsl:with-param name="n" select="floor($n div 1000)"/><xsl:with-param name="level" select="$level + 1"/></xsl:call-template>
<xsl:variable name="g" select="$n mod 1000"/>
<xsl:if test="$g &gt; 0">
<xsl:if test="not($level = 1 and $g = 1)"><xsl:call-template name="three"><xsl:with-param name="g" select="$g"/></xsl:call-template></xsl:if>
<xsl:if test="$level &gt; 0"><xsl:call-template name="look"><xsl:with-param name="table" select="$SCALES"/><xsl:with-param name="code" select="$level"/></xsl:call-template><xsl:text> </xsl:text></xsl:if>
</xsl:if></xsl:if></xsl:template>

<xsl:template name="words"><xsl:param name="n"/>
<xsl:choose><xsl:when test="$n = 0">sıfır</xsl:when><xsl:otherwise><xsl:variable name="w"><xsl:call-template name="scaled"><xsl:with-param name="n" select="$n"/></xsl:call-template></xsl:variable><xsl:value-of select="normalize-space($w)"/></xsl:otherwise></xsl:choose></xsl:template>

<xsl:template name="amount-words"><xsl:param name="p"/>
<xsl:variable name="whole" select="number(substring-before(concat($p, '.'), '.'))"/>
<xsl:variable name="minor" select="number(substring(concat(substring-after($p, '.'), '00'), 1, 2))"/>
<xsl:variable name="major"><xsl:call-template name="look"><xsl:with-param name="table" select="$MAJOR"/><xsl:with-param name="code" select="$cur"/></xsl:call-template></xsl:variable>
<xsl:variable name="minorname"><xsl:call-template name="look"><xsl:with-param name="table" select="$MINOR"/><xsl:with-param name="code" select="$cur"/><xsl:with-param name="fallback" select="''"/></xsl:call-template></xsl:variable>
<xsl:text>Yalnız </xsl:text><xsl:call-template name="words"><xsl:with-param name="n" select="$whole"/></xsl:call-template><xsl:value-of select="concat(' ', $major)"/>
<xsl:if test="$minor &gt; 0"><xsl:choose>
<xsl:when test="$minorname != ''"><xsl:text> </xsl:text><xsl:call-template name="words"><xsl:with-param name="n" select="$minor"/></xsl:call-template><xsl:value-of select="concat(' ', $minorname)"/></xsl:when>
<xsl:otherwise><xsl:value-of select="concat(' ', format-number($minor, '00'), '/100')"/></xsl:otherwise></xsl:choose></xsl:if></xsl:template>

<xsl:template name="party"><xsl:param name="p"/><xsl:param name="title" select="''"/>
<div><xsl:if test="$title != ''"><h2><xsl:value-of select="$title"/></h2></xsl:if>
<div class="name"><xsl:choose>
<xsl:when test="$p/cac:PartyName/cbc:Name"><xsl:value-of select="$p/cac:PartyName/cbc:Name"/></xsl:when>
<xsl:when test="$p/cac:PartyLegalEntity/cbc:RegistrationName"><xsl:value-of select="$p/cac:PartyLegalEntity/cbc:RegistrationName"/></xsl:when>
<xsl:otherwise><xsl:value-of select="concat($p/cac:Person/cbc:FirstName, ' ', $p/cac:Person/cbc:FamilyName)"/></xsl:otherwise></xsl:choose></div>
<xsl:for-each select="$p/cac:PostalAddress"><div><xsl:value-of select="cbc:StreetName"/></div>
<xsl:if test="cbc:District"><div><xsl:value-of select="cbc:District"/></div></xsl:if>
<div><xsl:if test="cbc:PostalZone"><xsl:value-of select="concat(cbc:PostalZone, ' ')"/></xsl:if><xsl:value-of select="concat(cbc:CitySubdivisionName, ' / ', cbc:CityName)"/></div>
<xsl:if test="cac:Country/cbc:IdentificationCode != 'TR'"><div><xsl:value-of select="cac:Country/cbc:Name"/></div></xsl:if></xsl:for-each>
<xsl:if test="$p/cac:Contact/cbc:Telephone"><div>Tel: <xsl:value-of select="$p/cac:Contact/cbc:Telephone"/></div></xsl:if>
<xsl:if test="$p/cac:Contact/cbc:ElectronicMail"><div>E-Posta: <xsl:value-of select="$p/cac:Contact/cbc:ElectronicMail"/></div></xsl:if>
<xsl:if test="$p/cac:PartyTaxScheme/cac:TaxScheme/cbc:Name"><div>Vergi Dairesi: <xsl:value-of select="$p/cac:PartyTaxScheme/cac:TaxScheme/cbc:Name"/></div></xsl:if>
<xsl:for-each select="$p/cac:PartyIdentification/cbc:ID[@schemeID='VKN' or @schemeID='TCKN']"><div><xsl:value-of select="concat(@schemeID, ': ', .)"/></div></xsl:for-each>
<xsl:for-each select="$p/cac:PartyIdentification/cbc:ID[@schemeID='MERSISNO']"><div>MERSİS No: <xsl:value-of select="."/></div></xsl:for-each>
<xsl:for-each select="$p/cac:PartyIdentification/cbc:ID[@schemeID='TICARETSICILNO']"><div>Ticaret Sicil No: <xsl:value-of select="."/></div></xsl:for-each>
</div></xsl:template>

<xsl:template name="row"><xsl:param name="k"/><xsl:param name="v"/><tr><th><xsl:value-of select="$k"/></th><td><xsl:value-of select="$v"/></td></tr></xsl:template>
<xsl:template name="ref"><xsl:param name="code"/><xsl:value-of select="$inv/cac:AdditionalDocumentReference[cbc:DocumentTypeCode=$code]/cbc:ID"/></xsl:template>

<xsl:template match="/">
<xsl:variable name="title"><xsl:call-template name="title"/></xsl:variable>
<html lang="tr"><head><meta charset="utf-8"/><title><xsl:value-of select="concat($title, ' ', $inv/cbc:ID)"/></title><style>@@CSS@@</style></head>
<body><div class="page">
<div class="top"><xsl:call-template name="party"><xsl:with-param name="p" select="$inv/cac:AccountingSupplierParty/cac:Party"/></xsl:call-template>
<div class="logo"><h1 id="title"><xsl:value-of select="$title"/></h1></div><div></div></div>
<div class="mid"><xsl:call-template name="party"><xsl:with-param name="title" select="'SAYIN'"/><xsl:with-param name="p" select="($inv/cac:BuyerCustomerParty/cac:Party | $inv/cac:AccountingCustomerParty[not(../cac:BuyerCustomerParty)]/cac:Party)[1]"/></xsl:call-template>
<table class="info">
<xsl:call-template name="row"><xsl:with-param name="k" select="'Özelleştirme No'"/><xsl:with-param name="v" select="$inv/cbc:CustomizationID"/></xsl:call-template>
<tr><th>Senaryo</th><td><xsl:call-template name="withcode"><xsl:with-param name="table" select="$PROFILES"/><xsl:with-param name="code" select="$profile"/></xsl:call-template></td></tr>
<tr><th>Fatura Tipi</th><td><xsl:call-template name="withcode"><xsl:with-param name="table" select="$TYPES"/><xsl:with-param name="code" select="$type"/></xsl:call-template></td></tr>
<tr><th>Fatura No</th><td id="number"><xsl:value-of select="$inv/cbc:ID"/></td></tr>
<tr><th>Fatura Tarihi</th><td><xsl:call-template name="day"><xsl:with-param name="d" select="$inv/cbc:IssueDate"/></xsl:call-template></td></tr>
<xsl:call-template name="row"><xsl:with-param name="k" select="'Fatura Saati'"/><xsl:with-param name="v" select="substring($inv/cbc:IssueTime, 1, 8)"/></xsl:call-template>
<xsl:for-each select="$inv/cac:OrderReference"><xsl:call-template name="row"><xsl:with-param name="k" select="'Sipariş No'"/><xsl:with-param name="v" select="cbc:ID"/></xsl:call-template>
<tr><th>Sipariş Tarihi</th><td><xsl:call-template name="day"><xsl:with-param name="d" select="cbc:IssueDate"/></xsl:call-template></td></tr></xsl:for-each>
<xsl:for-each select="$inv/cac:BillingReference/cac:InvoiceDocumentReference"><xsl:call-template name="row"><xsl:with-param name="k" select="'İade Edilen Fatura No'"/><xsl:with-param name="v" select="cbc:ID"/></xsl:call-template>
<tr><th>İade Edilen Fatura Tarihi</th><td><xsl:call-template name="day"><xsl:with-param name="d" select="cbc:IssueDate"/></xsl:call-template></td></tr></xsl:for-each>
<xsl:if test="$cur != 'TRY'"><xsl:call-template name="row"><xsl:with-param name="k" select="'Para Birimi'"/><xsl:with-param name="v" select="$cur"/></xsl:call-template>
<xsl:for-each select="$inv/cac:PricingExchangeRate"><xsl:call-template name="row"><xsl:with-param name="k" select="'Döviz Kuru'"/><xsl:with-param name="v" select="format-number(cbc:CalculationRate, '#.##0,00####', 'tr')"/></xsl:call-template></xsl:for-each></xsl:if>
<xsl:call-template name="row"><xsl:with-param name="k" select="'ETTN'"/><xsl:with-param name="v" select="$inv/cbc:UUID"/></xsl:call-template>
</table></div>
<table class="lines"><thead><tr><th class="c">Sıra No</th><th>Mal Hizmet</th><th class="r">Miktar</th><th class="r">Birim Fiyat</th><th class="r">İskonto</th><th class="r">KDV Oranı</th><th class="r">KDV Tutarı</th><th class="r">Mal Hizmet Tutarı</th></tr></thead><tbody>
<xsl:for-each select="$inv/cac:InvoiceLine"><tr><td class="c"><xsl:value-of select="cbc:ID"/></td><td><xsl:value-of select="cac:Item/cbc:Name"/></td>
<td class="r"><xsl:value-of select="format-number(cbc:InvoicedQuantity, '#.##0,######', 'tr')"/><xsl:text> </xsl:text><xsl:call-template name="look"><xsl:with-param name="table" select="$UNITS"/><xsl:with-param name="code" select="cbc:InvoicedQuantity/@unitCode"/></xsl:call-template></td>
<td class="r"><xsl:value-of select="concat(format-number(cac:Price/cbc:PriceAmount, '#.##0,00##', 'tr'), ' ', $sign)"/></td>
<td class="r"><xsl:call-template name="money"><xsl:with-param name="v" select="sum(cac:AllowanceCharge[cbc:ChargeIndicator='false']/cbc:Amount)"/></xsl:call-template></td>
<td class="r"><xsl:value-of select="concat('%', format-number(cac:TaxTotal/cac:TaxSubtotal[1]/cbc:Percent, '#.##0,####', 'tr'))"/></td>
<td class="r"><xsl:call-template name="money"><xsl:with-param name="v" select="cac:TaxTotal/cbc:TaxAmount"/></xsl:call-template></td>
<td class="r"><xsl:call-template name="money"><xsl:with-param name="v" select="cbc:LineExtensionAmount"/></xsl:call-template></td></tr></xsl:for-each>
</tbody></table>
<xsl:variable name="t" select="$inv/cac:LegalMonetaryTotal"/>
<table class="totals" id="totals">
<tr><th>Mal Hizmet Toplam Tutarı</th><td class="r"><xsl:call-template name="money"><xsl:with-param name="v" select="$t/cbc:LineExtensionAmount"/></xsl:call-template></td></tr>
<tr><th>Toplam İskonto</th><td class="r"><xsl:call-template name="money"><xsl:with-param name="v" select="sum($inv/cac:InvoiceLine/cac:AllowanceCharge[cbc:ChargeIndicator='false']/cbc:Amount) + sum($t/cbc:AllowanceTotalAmount)"/></xsl:call-template></td></tr>
<xsl:for-each select="$inv/cac:TaxTotal/cac:TaxSubtotal"><xsl:variable name="rate" select="concat('%', format-number(cbc:Percent, '#.##0,####', 'tr'))"/>
<xsl:if test="cac:TaxCategory/cac:TaxScheme/cbc:TaxTypeCode='0015'"><tr><th><xsl:value-of select="concat('KDV Matrahı (', $rate, ')')"/></th><td class="r"><xsl:call-template name="money"><xsl:with-param name="v" select="cbc:TaxableAmount"/></xsl:call-template></td></tr></xsl:if>
<tr><th>Hesaplanan <xsl:call-template name="look"><xsl:with-param name="table" select="$TAXES"/><xsl:with-param name="code" select="cac:TaxCategory/cac:TaxScheme/cbc:TaxTypeCode"/></xsl:call-template><xsl:value-of select="concat(' (', $rate, ')')"/></th><td class="r"><xsl:call-template name="money"><xsl:with-param name="v" select="cbc:TaxAmount"/></xsl:call-template></td></tr></xsl:for-each>
<tr><th>Vergiler Dahil Toplam Tutar</th><td class="r"><xsl:call-template name="money"><xsl:with-param name="v" select="$t/cbc:TaxInclusiveAmount"/></xsl:call-template></td></tr>
<tr class="strong"><th>Ödenecek Tutar</th><td class="r" id="payable"><xsl:call-template name="money"><xsl:with-param name="v" select="$t/cbc:PayableAmount"/></xsl:call-template></td></tr>
</table>
<p class="words" id="words"><xsl:call-template name="amount-words"><xsl:with-param name="p" select="normalize-space($t/cbc:PayableAmount)"/></xsl:call-template></p>
<xsl:variable name="exempt" select="$inv/cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory[cbc:TaxExemptionReasonCode]"/>
<xsl:if test="$inv/cbc:Note or $exempt"><div class="notes"><h2>Notlar</h2><ul>
<xsl:for-each select="$inv/cbc:Note"><li><xsl:value-of select="."/></li></xsl:for-each>
<xsl:for-each select="$exempt"><xsl:variable name="code" select="cbc:TaxExemptionReasonCode"/>
<li>Vergi İstisna Muafiyet Sebebi: <xsl:value-of select="$code"/> - <xsl:choose><xsl:when test="cbc:TaxExemptionReason and cbc:TaxExemptionReason != $code"><xsl:value-of select="cbc:TaxExemptionReason"/></xsl:when><xsl:otherwise><xsl:call-template name="look"><xsl:with-param name="table" select="$EXEMPTIONS"/><xsl:with-param name="code" select="$code"/></xsl:call-template></xsl:otherwise></xsl:choose></li></xsl:for-each>
</ul></div></xsl:if>
<xsl:if test="$inv/cac:AdditionalDocumentReference[cbc:DocumentTypeCode='IS_INTERNET']"><xsl:variable name="pay" select="$inv/cac:AdditionalDocumentReference[cbc:DocumentTypeCode='INT_PAYMENT_METHOD']"/>
<div class="notes"><h2>Bu satış internet üzerinden yapılmıştır.</h2>
<div>Web Adresi: <xsl:call-template name="ref"><xsl:with-param name="code" select="'INT_WEBSITE'"/></xsl:call-template></div>
<div>Ödeme Şekli: <xsl:call-template name="look"><xsl:with-param name="table" select="$PAYMENTS"/><xsl:with-param name="code" select="$pay/cbc:ID"/></xsl:call-template></div>
<xsl:if test="$pay/cbc:DocumentDescription"><div>Ödeme Aracısı: <xsl:value-of select="$pay/cbc:DocumentDescription"/></div></xsl:if>
<div>Ödeme Tarihi: <xsl:call-template name="day"><xsl:with-param name="d" select="$inv/cac:AdditionalDocumentReference[cbc:DocumentTypeCode='INT_PAYMENTDATE']/cbc:ID"/></xsl:call-template></div>
<xsl:for-each select="$inv/cac:Delivery/cac:CarrierParty"><xsl:if test="cac:PartyName/cbc:Name != ''"><div>Taşıyıcı Unvanı: <xsl:value-of select="cac:PartyName/cbc:Name"/></div></xsl:if>
<xsl:if test="cac:PartyIdentification/cbc:ID != ''"><div>Taşıyıcı VKN/TCKN: <xsl:value-of select="cac:PartyIdentification/cbc:ID"/></div></xsl:if></xsl:for-each>
<xsl:for-each select="$inv/cac:Delivery/cac:Despatch/cbc:ActualDespatchDate"><div>Gönderim Tarihi: <xsl:call-template name="day"><xsl:with-param name="d" select="."/></xsl:call-template></div></xsl:for-each></div></xsl:if>
<xsl:if test="$profile='EARSIVFATURA'"><div class="notes"><h2>e-Arşiv izni kapsamında elektronik ortamda iletilmiştir.</h2></div></xsl:if>
<xsl:for-each select="$inv/cac:Delivery[cac:DeliveryTerms]"><div class="notes"><h2>İhracat Bilgileri</h2>
<div>Teslim Şartı: <xsl:call-template name="withcode"><xsl:with-param name="table" select="$INCOTERMS"/><xsl:with-param name="code" select="cac:DeliveryTerms/cbc:ID"/></xsl:call-template></div>
<div>Gönderilme Şekli: <xsl:call-template name="look"><xsl:with-param name="table" select="$MODES"/><xsl:with-param name="code" select="cac:Shipment/cac:ShipmentStage/cbc:TransportModeCode"/></xsl:call-template></div>
<xsl:for-each select="cac:DeliveryAddress"><div>Teslim Adresi: <xsl:value-of select="concat(cbc:StreetName, ', ', cbc:CitySubdivisionName, ' / ', cbc:CityName, ', ', cac:Country/cbc:Name)"/></div></xsl:for-each></div></xsl:for-each>
</div></body></html>
</xsl:template>
</xsl:stylesheet>
