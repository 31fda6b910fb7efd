"""Country and US state names → codes, for reading places out of location strings.

Country codes are ISO 3166-1 alpha-2 (names from the tz database's iso3166.tab, a few made
plainer); aliases cover the spellings seen in real feeds (USA, UK, GBR, Deutschland, ...).
"""

COUNTRIES = (
    "AD Andorra|AE United Arab Emirates|AF Afghanistan|AG Antigua & Barbuda|AI Anguilla|AL Albania|AM "
    "Armenia|AO Angola|AQ Antarctica|AR Argentina|AS Samoa (American)|AT Austria|AU Australia|AW Aruba|AX "
    "Åland Islands|AZ Azerbaijan|BA Bosnia & Herzegovina|BB Barbados|BD Bangladesh|BE Belgium|BF Burkina "
    "Faso|BG Bulgaria|BH Bahrain|BI Burundi|BJ Benin|BL St Barthelemy|BM Bermuda|BN Brunei|BO Bolivia|BQ "
    "Caribbean NL|BR Brazil|BS Bahamas|BT Bhutan|BV Bouvet Island|BW Botswana|BY Belarus|BZ Belize|CA "
    "Canada|CC Cocos (Keeling) Islands|CD Democratic Republic of the Congo|CF Central African Rep.|CG "
    "Republic of the Congo|CH Switzerland|CI Côte d'Ivoire|CK Cook Islands|CL Chile|CM Cameroon|CN "
    "China|CO Colombia|CR Costa Rica|CU Cuba|CV Cape Verde|CW Curaçao|CX Christmas Island|CY Cyprus|CZ "
    "Czech Republic|DE Germany|DJ Djibouti|DK Denmark|DM Dominica|DO Dominican Republic|DZ Algeria|EC "
    "Ecuador|EE Estonia|EG Egypt|EH Western Sahara|ER Eritrea|ES Spain|ET Ethiopia|FI Finland|FJ Fiji|FK "
    "Falkland Islands|FM Micronesia|FO Faroe Islands|FR France|GA Gabon|GB United Kingdom|GD Grenada|GE "
    "Georgia|GF French Guiana|GG Guernsey|GH Ghana|GI Gibraltar|GL Greenland|GM Gambia|GN Guinea|GP "
    "Guadeloupe|GQ Equatorial Guinea|GR Greece|GS South Georgia & the South Sandwich Islands|GT "
    "Guatemala|GU Guam|GW Guinea-Bissau|GY Guyana|HK Hong Kong|HM Heard Island & McDonald Islands|HN "
    "Honduras|HR Croatia|HT Haiti|HU Hungary|ID Indonesia|IE Ireland|IL Israel|IM Isle of Man|IN India|IO "
    "British Indian Ocean Territory|IQ Iraq|IR Iran|IS Iceland|IT Italy|JE Jersey|JM Jamaica|JO Jordan|JP "
    "Japan|KE Kenya|KG Kyrgyzstan|KH Cambodia|KI Kiribati|KM Comoros|KN St Kitts & Nevis|KP North "
    "Korea|KR South Korea|KW Kuwait|KY Cayman Islands|KZ Kazakhstan|LA Laos|LB Lebanon|LC St Lucia|LI "
    "Liechtenstein|LK Sri Lanka|LR Liberia|LS Lesotho|LT Lithuania|LU Luxembourg|LV Latvia|LY Libya|MA "
    "Morocco|MC Monaco|MD Moldova|ME Montenegro|MF St Martin (French)|MG Madagascar|MH Marshall "
    "Islands|MK North Macedonia|ML Mali|MM Myanmar (Burma)|MN Mongolia|MO Macau|MP Northern Mariana "
    "Islands|MQ Martinique|MR Mauritania|MS Montserrat|MT Malta|MU Mauritius|MV Maldives|MW Malawi|MX "
    "Mexico|MY Malaysia|MZ Mozambique|NA Namibia|NC New Caledonia|NE Niger|NF Norfolk Island|NG "
    "Nigeria|NI Nicaragua|NL Netherlands|NO Norway|NP Nepal|NR Nauru|NU Niue|NZ New Zealand|OM Oman|PA "
    "Panama|PE Peru|PF French Polynesia|PG Papua New Guinea|PH Philippines|PK Pakistan|PL Poland|PM St "
    "Pierre & Miquelon|PN Pitcairn|PR Puerto Rico|PS Palestine|PT Portugal|PW Palau|PY Paraguay|QA "
    "Qatar|RE Réunion|RO Romania|RS Serbia|RU Russia|RW Rwanda|SA Saudi Arabia|SB Solomon Islands|SC "
    "Seychelles|SD Sudan|SE Sweden|SG Singapore|SH St Helena|SI Slovenia|SJ Svalbard & Jan Mayen|SK "
    "Slovakia|SL Sierra Leone|SM San Marino|SN Senegal|SO Somalia|SR Suriname|SS South Sudan|ST Sao Tome "
    "& Principe|SV El Salvador|SX St Maarten (Dutch)|SY Syria|SZ Eswatini|TC Turks & Caicos Is|TD Chad|TF "
    "French S. Terr.|TG Togo|TH Thailand|TJ Tajikistan|TK Tokelau|TL East Timor|TM Turkmenistan|TN "
    "Tunisia|TO Tonga|TR Turkey|TT Trinidad & Tobago|TV Tuvalu|TW Taiwan|TZ Tanzania|UA Ukraine|UG "
    "Uganda|UM US minor outlying islands|US United States|UY Uruguay|UZ Uzbekistan|VA Vatican City|VC St "
    "Vincent|VE Venezuela|VG Virgin Islands (UK)|VI Virgin Islands (US)|VN Vietnam|VU Vanuatu|WF Wallis & "
    "Futuna|WS Samoa (western)|YE Yemen|YT Mayotte|ZA South Africa|ZM Zambia|ZW Zimbabwe"
)
COUNTRY_ALIASES = {
    "usa": "US",
    "u.s.": "US",
    "u.s.a.": "US",
    "us": "US",
    "united states of america": "US",
    "uk": "GB",
    "u.k.": "GB",
    "gbr": "GB",
    "great britain": "GB",
    "britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "deutschland": "DE",
    "deu": "DE",
    "fra": "FR",
    "esp": "ES",
    "españa": "ES",
    "ita": "IT",
    "italia": "IT",
    "can": "CA",
    "aus": "AU",
    "nld": "NL",
    "the netherlands": "NL",
    "holland": "NL",
    "brasil": "BR",
    "méxico": "MX",
    "czechia": "CZ",
    "korea": "KR",
    "uae": "AE",
    "türkiye": "TR",
    "turkey": "TR",
    "russian federation": "RU",
}
US_STATES = (
    "AL Alabama|AK Alaska|AZ Arizona|AR Arkansas|CA California|CO Colorado|CT Connecticut|DE Delaware|FL "
    "Florida|GA Georgia|HI Hawaii|ID Idaho|IL Illinois|IN Indiana|IA Iowa|KS Kansas|KY Kentucky|LA "
    "Louisiana|ME Maine|MD Maryland|MA Massachusetts|MI Michigan|MN Minnesota|MS Mississippi|MO "
    "Missouri|MT Montana|NE Nebraska|NV Nevada|NH New Hampshire|NJ New Jersey|NM New Mexico|NY New "
    "York|NC North Carolina|ND North Dakota|OH Ohio|OK Oklahoma|OR Oregon|PA Pennsylvania|RI Rhode "
    "Island|SC South Carolina|SD South Dakota|TN Tennessee|TX Texas|UT Utah|VT Vermont|VA Virginia|WA "
    "Washington|WV West Virginia|WI Wisconsin|WY Wyoming|DC District of Columbia|PR Puerto Rico"
)


def _table(entries: str) -> dict[str, str]:
    return {name.casefold(): code for code, _, name in (entry.partition(" ") for entry in entries.split("|"))}


COUNTRY_BY_NAME = _table(COUNTRIES) | COUNTRY_ALIASES
COUNTRY_CODES = frozenset(COUNTRY_BY_NAME.values())
US_STATE_BY_NAME = _table(US_STATES)
US_STATE_CODES = frozenset(US_STATE_BY_NAME.values())
