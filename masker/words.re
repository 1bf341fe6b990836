/*
 * words.re - what a name or a label says a field holds:
 *   card_like()        a field's name or id means a card number, CVC or
 *                      expiry ("cardNumber", "payment[cc_cid]", "CV2");
 *   card_label_like()  its accessible label or placeholder says so
 *                      ("Card number", "Security code", "MM / YY",
 *                      "Numéro de carte");
 *   secret_name_like() a field or parameter name means a secret
 *                      ("password", "access_token", "X-Api-Key", "pin",
 *                      "passwort", "contraseña", "пароль");
 *   value_name_like()  a parameter's, a member's or a pair's name means a
 *                      secret, a card field or an identity number
 *                      ("password", "cc_cid", "cpf");
 *   pii_name_like()    a field's name or id means an email address or a
 *                      phone number ("email", "mobilePhone", "tel");
 *   pii_label_like()   its label says so ("Email", "Teléfono", "電話番号").
 *
 * Input contract: any bytes, JSON escapes in them undone first (at most 512
 * bytes of an escaped name are read). They are then copied, lowercased, into a
 * NUL-terminated buffer of at most WORDS_MAX bytes (the rest is ignored):
 * letters and digits only ("compact"), or with '_' where a word ends
 * ("worded": at punctuation, spaces and camelCase humps, and at both ends).
 * Accented Latin letters (Latin-1 and Latin Extended-A: "é", "č", "ł") are
 * folded to their base letter. Each scanner below reads only that copy and
 * stops at its NUL.
 */
#include "internal.h"

#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <strings.h>

enum { WORDS_MAX = 128 };

/*!re2c
    re2c:define:YYCTYPE = "unsigned char";
    re2c:yyfill:enable = 0;
*/

/* The ASCII letter an accented Latin-1 letter (the byte after 0xC3) reads as, or 0. */
static unsigned char fold_latin1(unsigned char second)
{
    static const char base[64] = "aaaaaaaceeeeiiiidnooooo ouuuuyts"
                                 "aaaaaaaceeeeiiiidnooooo ouuuuyty";
    unsigned char ch = (unsigned char)base[(second - 0x80) & 63];
    return ch == ' ' ? 0 : ch;
}

/* The ASCII letter a Latin Extended-A letter (U+0100-U+017F: the bytes
 * 0xC4 or 0xC5, then `second`) reads as: "č" c, "ł" l, "ı" i, "ń" n. */
static unsigned char fold_latin_extended(unsigned char lead, unsigned char second)
{
    static const char base[128] = "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiiiiijjkkklllllll"
                                  "lllnnnnnnnnnoooooooorrrrrrssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs";
    return (unsigned char)base[(lead & 1) * 64 + ((second - 0x80) & 63)];
}

enum { UNESCAPED_MAX = 512 };

/*
 * v with its JSON escapes undone, as UTF-8 in buf (UNESCAPED_MAX bytes; v
 * is read that far), or v itself when it has none. Names and labels arrive
 * as raw JSON string bytes, or as JSON held in a string, and a serializer
 * that escapes what is not ASCII (Python's and PHP's defaults: "Num\u00e9ro
 * de carte", "contrase\u00f1a") must not hide the word. A backslash before
 * another is dropped, so an escape nested at any depth ("\\u00e9") is
 * read too; \n, \t and the like read as a space.
 */
static const char *unescaped(const char *v, size_t *len, char *buf)
{
    if (!memchr(v, '\\', *len))
        return v;
    size_t n = 0, end = *len < UNESCAPED_MAX ? *len : UNESCAPED_MAX;
    for (size_t k = 0; k < end;) {
        uint32_t cp = 0;
        int d = 0;
        if (v[k] != '\\' || k + 1 == end) {
            buf[n++] = v[k++];
        } else if (v[k + 1] != 'u') {
            bool blank = strchr("bfnrt", v[k + 1]) != NULL;
            if (blank)
                buf[n++] = ' ';
            k += blank ? 2 : 1;
        } else {
            size_t h = k + 2;
            for (; h < k + 6 && h < end && (d = hex_value((unsigned char)v[h])) >= 0; h++)
                cp = cp << 4 | (uint32_t)d;
            if (h < k + 6) { /* not an escape: read as written */
                buf[n++] = v[k++];
                continue;
            }
            n += utf8_put((uint8_t *)buf + n, cp);
            k += 6;
        }
    }
    *len = n;
    return buf;
}

/* Lowercase letters and digits of v; with `worded`, '_' between words. */
static size_t normalize(const char *v, size_t len, bool worded, unsigned char *out)
{
    size_t n = 0;
    bool gap = worded; /* a word boundary is pending */
    if (worded)
        out[n++] = '_';
    for (size_t i = 0; i < len && n < WORDS_MAX - 3; i++) { /* each adds 2 at most; then "_\0" */
        unsigned char ch = (unsigned char)v[i], folded = 0;
        if ((unsigned)(ch - 0xc3) <= 2 && i + 1 < len) /* 0xC3-0xC5: Latin-1, Extended-A */
            folded = ch == 0xc3 ? fold_latin1((unsigned char)v[++i])
                                : fold_latin_extended(ch, (unsigned char)v[++i]);
        if (ch >= 'A' && ch <= 'Z') {
            if (worded && i > 0 && v[i - 1] >= 'a' && v[i - 1] <= 'z')
                gap = true; /* camelCase */
            ch = (unsigned char)(ch | 0x20);
        } else if (folded) {
            ch = folded;
        } else if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'))) {
            gap = worded;
            continue;
        }
        if (gap && n > 0 && out[n - 1] != '_')
            out[n++] = '_';
        gap = false;
        out[n++] = ch;
    }
    if (worded && out[n - 1] != '_')
        out[n++] = '_';
    out[n] = '\0';
    return n;
}

/* v[0, len) with each '+' read as the blank form encoding writes it for
 * ("Mật+khẩu"): v itself when it has none or is longer than WORDS_MAX,
 * else a copy in buf (WORDS_MAX bytes). */
static const char *plus_as_blank(const char *v, size_t len, char *buf)
{
    if (len > WORDS_MAX || !memchr(v, '+', len))
        return v;
    for (size_t k = 0; k < len; k++)
        buf[k] = v[k] == '+' ? ' ' : v[k];
    return buf;
}

/* Whether v holds one of the words (UTF-8, not ASCII) in list[0..n), a '+'
 * read as a blank (plus_as_blank()). */
static bool native_word(const char *v, size_t len, const char *const *list, size_t n)
{
    size_t k = 0;
    while (k < len && (unsigned char)v[k] < 0x80)
        k++;
    if (k == len) /* ASCII: nearly every name */
        return false;
    char spaced[WORDS_MAX];
    v = plus_as_blank(v, len, spaced);
    for (size_t w = 0; w < n; w++)
        if (memmem(v, len, list[w], strlen(list[w])))
            return true;
    return false;
}

/* ---- card fields ---------------------------------------------------------- */

/*!re2c
    // Card number and verification code in German, French, Spanish,
    // Portuguese, Italian, Dutch, Polish, the Nordic languages, Finnish,
    // Turkish, Czech, Hungarian and Romanian, with and without the small words ("Code de sécurité",
    // "codigo_seguridad", "kartenpruefnummer", "Číslo karty"); the security
    // code also as payment forms localized for Croatian and Serbian,
    // Slovenian, Slovak, Estonian, Lithuanian, Latvian, Indonesian and Malay
    // write it ("Sigurnosni kod", "Drošības kods", "Kode keamanan").
    LOCAL_CARD_WORDS = "kartennummer" | "pr" "u" "e"? "f" ("nummer" | "ziffer") | "sicherheitscode"
      | "numero" "de"? "carte" | "cryptogramme" | "code" "de"? "securite"
      | "numero" "de"? "tarjeta" | "codigo" "de"? "seguridad"
      | "numero" ("do" | "da")? "cartao" | ("codigo" | "cod") "de"? "seguranca"
      | "numero" "di"? "carta" | "codice" "di"? "sicurezza"
      | "kaartnummer" | "beveiligingscode" | "veiligheidscode" | "numerodecontrole"
      | "numerkarty" | "kodbezpieczenstwa" | "kortnummer" | "kortinnumero"
      | "kartnumarasi" | "guvenlikkodu" | "guvenliknumarasi" | "cislokarty" | "kontrolnikod"
      | "sakerhetskod" | "sikkerhe" [dt] "skode" | "kontrolcifre" | "kontrollsiff" ("er" | "ra" | "ror")
      | "turvakoodi" | "tarkistusnumero" | "bezpecnostnikod"
      | "biztonsagikod" | "kartyaszam" | "cod" "de"? "securitate" | "numarulcardului"
      | "kodzabezpieczajacy" | "sigurnosnikod" | "varnostnakoda" | "bezpecnostnykod" | "turvakood"
      | "apsaugoskodas" | "drosibaskods" | "kodekeamanan" | "kodkeselamatan"
      | "nambariyausalama";
*/

/* What a card word that starts at p (in a compact copy) says. A word of a
 * card's number, code or holder is one in any name; the expiry's words
 * ("expiry", "validUntil") and "cardNo" run on into a longer word
 * ("cardNotes") name a card only on a form's field: as a request's
 * parameter or a JSON member they name a token's expiry as often. */
enum card_word { CARD_WORD_NONE, CARD_WORD, CARD_WORD_ON_FIELDS };

static enum card_word card_word_at(const unsigned char *p)
{
    const unsigned char *YYCURSOR = p, *YYMARKER;
    /*!re2c
        "card" ("number" | "num" | "no" [^a-z] | "code" | "cid" | "security" | "secval" | "exp"
                | "holder" | "verification" | "cvv" | "cvc" | "cvd")
      | "cc" ("num" | "number" | "exp" | "cid" | "cvv" | "cvc" | "csc" | "cvd" | "name" | "holder"
              | "month" | "year" | "code" | "checkcode" | "sec")
      | "cidcode" | "seccode"
      | "nameoncard"
      | "creditcard" | "debitcard" | "paymentcard" | "bankcard"
      | "cvc" | "cvv" | "csc" | "cvn" | "cv2" | "ccv" | "cav2" | "cavv" | "cryptogram"
      | "cvd" ("value" | "number" | "code")
      | "securitycode" | "securitynumber" | "verificationvalue"
      | "cardaccountnumber"
      | LOCAL_CARD_WORDS
            { return CARD_WORD; }
        "cardno"
      | "exp" ("iry" | "iration" | "date" | "month" | "year" | "yr" | "mo" | "mm" | "yy")
      | "validthru" | "validuntil" | "mmyy" | "mmaa"
            { return CARD_WORD_ON_FIELDS; }
        [^] { return CARD_WORD_NONE; }
    */
}

/* Does a card label word start at p? (p points into a compact copy.) */
static bool card_label_word_at(const unsigned char *p)
{
    const unsigned char *YYMARKER, *YYCURSOR = p;
    /*!re2c
        "cardnumber" | "cardno" | "creditcard" | "debitcard" | "numberoncard"
      | "nameoncard" | "cardholder" | "securitycode" | "cardverification"
      | "cvc" | "cvv" | "csc" | "cvn" | "cv2" | "cav2"
      | "expiry" | "expiration" | "expdate" | "validthru" | "validuntil" | "mmyy" | "mmaa"
      | "ablaufdatum" | "gultigbis" | "datedexpiration" | "dateexpiration"
      | "fechadevencimiento" | "vencimiento" | "fechadecaducidad" | "scadenza"
      | "datadevalidade" | "vervaldatum" | "karteninhaber" | "titulairedelacarte"
      | "validade" | "valablejusqu" | "mmjj" | "mmrr" | "digitsonback" | "digitsontheback"
      | "datawaznosci" | "platnostdo" | "datumisteka" | "datumpoteka" | "lejaratidatum"
      | "dataexpirarii" | "sonkullanmatarihi" | "tanggalkedaluwarsa" | "masaberlaku"
      | "tarikhluput" | "utgangsdatum" | "udlobsdato" | "utlopsdato" | "voimassaoloaika"
      | "nombreenlatarjeta" | "nombredeltitular" | "titulardelatarjeta" | "titulardocartao"
      | "nomenocartao" | "intestatariodellacarta" | "titolaredellacarta" | "nomesullacarta"
      | "naamopkaart" | "naamopdekaart" | "kaarthouder" | "nakarcie" | "wlascicielkarty"
      | "jmenonakarte" | "menonakarte" | "drzitelkarty" | "kortinnehaver" | "kortindehaver"
      | "kortholder" | "kortinnehavare" | "navnpakortet" | "kortinhaltija" | "kartyabirtokos"
      | "numeledepecard" | "titularulcardului" | "kartsahibi" | "kartuzerindekiisim"
      | "namapemegangkartu" | "namapadakartu" | "namapadakad" | "pemegangkad" | "jinakwenyekadi"
      | "imenakartici" | "vlasnikkartice" | "imetnikakartice" | "imetnikkartice" | "kaardiomanik"
      | "kortelessavinink" | "kartesipasniek"
      | "galiojaiki" | "derigumatermins" | "kehtivkuni" | "lejarat" | "voimassa"
      | "vanhenemispaiva" | "giltigtill" | "terminwaznosci" | "dobaplatnosti" | "expira"
      | "tareheyakuisha"
      | "on" "the"? ("back" | "front") "of" ("your" | "the")? "card"
      | "appears" "on" "the"? "card" | "shownon" "the"? "card"
      | "securitynumber" | "verificationnumber" | "signaturestrip" | "signaturepanel"
      | LOCAL_CARD_WORDS
            { return true; }
        [^] { return false; }
    */
}

/* Does the word at p (in a worded copy, just past a '_') name what stands
 * beside a field and tells about it, rather than the field? */
static bool describing_word_at(const unsigned char *p)
{
    const unsigned char *YYMARKER, *YYCURSOR = p;
    /*!re2c
        ("label" | "lbl" | "error" "s"? | "err" | "help" | "helper" | "hint" | "tooltip"
         | "description" | "desc" | "icon" | "img" | "caption" | "legend" | "title"
         | "message" | "msg" | "feedback" | "instructions") "_"
            { return true; }
        [^] { return false; }
    */
}

/*
 * Whether a name's first or last word says it names the label, the error or
 * help text or the icon of a field ("cardNumber-label", "cvc_error",
 * "label-cc-number", "cc-number-helper-text", "cvc-hint-2"): what such an
 * element shows is the page's own words, and a form's replay without them
 * cannot be read. A last word that is a number or "text" is looked past.
 */
static bool names_what_describes_a_field(const char *v, size_t len)
{
    unsigned char w[WORDS_MAX];
    size_t n = normalize(v, len, true, w);
    if (n < 3)
        return false;
    if (describing_word_at(w + 1))
        return true;
    size_t last = n - 1; /* the '_' that ends the last word */
    for (int words = 0; words < 2; words++) {
        size_t at = last;
        while (at > 0 && w[at - 1] != '_')
            at--;
        if (at == 0)
            return false;
        if (describing_word_at(w + at))
            return true;
        bool digits = true;
        for (size_t k = at; k < last; k++)
            digits &= w[k] >= '0' && w[k] <= '9';
        if (!digits && !(last - at == 4 && !memcmp(w + at, "text", 4)))
            return false;
        last = at - 1;
    }
    return false;
}

bool card_like(const char *v, size_t len)
{
    char buf[UNESCAPED_MAX];
    v = unescaped(v, &len, buf);
    unsigned char norm[WORDS_MAX];
    size_t n = normalize(v, len, false, norm);
    /* "pan", "ccn", "cid" and "cvd" (Canadian schemes' card verification
     * digits), and 2Checkout's "ccNo", only as the whole name: "panel",
     * "accnt", "decide", "cvDocument" and "acc_notes" are not cards */
    if ((n == 3 && (!memcmp(norm, "pan", 3) || !memcmp(norm, "ccn", 3) ||
                    !memcmp(norm, "cid", 3) || !memcmp(norm, "cvd", 3))) ||
        (n == 4 && !memcmp(norm, "ccno", 4)))
        return true;
    for (size_t at = 0; at < n; at++)
        if (card_word_at(norm + at) != CARD_WORD_NONE)
            return !names_what_describes_a_field(v, len);
    return false;
}


/* Card number, security code, expiry and holder in scripts normalize()
 * drops, as UTF-8 (Japanese, Chinese, Korean, Vietnamese, Russian,
 * Ukrainian, Bulgarian, Greek, Arabic, Hebrew, Thai, Hindi, Bengali, Tamil;
 * Cyrillic and Greek without their first letter, which may be a capital). The first
 * NATIVE_CARD_CODE_WORDS name the security code, as payment forms
 * localized for those languages label it. */
enum { NATIVE_CARD_CODE_WORDS = 19 };
static const char *const NATIVE_CARD_WORDS[] = {
    /* セキュリティコード, セキュリティーコード, 安全码, 安全碼 (Japanese, Chinese) */
    ("\xe3\x82\xbb\xe3\x82\xad\xe3\x83\xa5\xe3\x83\xaa\xe3"
     "\x83\x86\xe3\x82\xa3\xe3\x82\xb3\xe3\x83\xbc\xe3\x83\x89"),
    ("\xe3\x82\xbb\xe3\x82\xad\xe3\x83\xa5\xe3\x83\xaa\xe3\x83\x86"
     "\xe3\x82\xa3\xe3\x83\xbc\xe3\x82\xb3\xe3\x83\xbc\xe3\x83\x89"),
    "\xe5\xae\x89\xe5\x85\xa8\xe7\xa0\x81",
    "\xe5\xae\x89\xe5\x85\xa8\xe7\xa2\xbc",
    /* 보안코드, 보안 코드 (Korean), (M|m)ã bảo mật (Vietnamese) */
    "\xeb\xb3\xb4\xec\x95\x88\xec\xbd\x94\xeb\x93\x9c",
    "\xeb\xb3\xb4\xec\x95\x88 \xec\xbd\x94\xeb\x93\x9c",
    "\xc3\xa3 b\xe1\xba\xa3o m\xe1\xba\xadt",
    /* (К|к)од безопасности, (К|к)од безпеки, (К|к)од за сигурност (Russian,
     * Ukrainian, Bulgarian) */
    ("\xd0\xbe\xd0\xb4 \xd0\xb1\xd0\xb5\xd0\xb7\xd0\xbe\xd0"
     "\xbf\xd0\xb0\xd1\x81\xd0\xbd\xd0\xbe\xd1\x81\xd1\x82\xd0\xb8"),
    "\xd0\xbe\xd0\xb4 \xd0\xb1\xd0\xb5\xd0\xb7\xd0\xbf\xd0\xb5\xd0\xba\xd0\xb8",
    ("\xd0\xbe\xd0\xb4 \xd0\xb7\xd0\xb0 \xd1\x81\xd0\xb8"
     "\xd0\xb3\xd1\x83\xd1\x80\xd0\xbd\xd0\xbe\xd1\x81\xd1\x82"),
    /* (Κ|κ)ωδικός ασφαλείας (Greek), קוד אבטחה (Hebrew), رمز الأمان (Arabic) */
    ("\xcf\x89\xce\xb4\xce\xb9\xce\xba\xcf\x8c\xcf\x82 \xce\xb1"
     "\xcf\x83\xcf\x86\xce\xb1\xce\xbb\xce\xb5\xce\xaf\xce\xb1\xcf\x82"),
    "\xd7\xa7\xd7\x95\xd7\x93 \xd7\x90\xd7\x91\xd7\x98\xd7\x97\xd7\x94",
    "\xd8\xb1\xd9\x85\xd8\xb2 \xd8\xa7\xd9\x84\xd8\xa3\xd9\x85\xd8\xa7\xd9\x86",
    /* รหัสความปลอดภัย (Thai), सुरक्षा कोड (Hindi) */
    ("\xe0\xb8\xa3\xe0\xb8\xab\xe0\xb8\xb1\xe0\xb8\xaa\xe0\xb8\x84\xe0\xb8\xa7\xe0\xb8\xb2\xe0"
     "\xb8\xa1\xe0\xb8\x9b\xe0\xb8\xa5\xe0\xb8\xad\xe0\xb8\x94\xe0\xb8\xa0\xe0\xb8\xb1\xe0\xb8\xa2"),
    ("\xe0\xa4\xb8\xe0\xa5\x81\xe0\xa4\xb0\xe0\xa4\x95\xe0\xa5\x8d"
     "\xe0\xa4\xb7\xe0\xa4\xbe \xe0\xa4\x95\xe0\xa5\x8b\xe0\xa4\xa1"),
    /* カード確認番号 (Japanese), সিভিভি, নিরাপত্তা কোড (Bengali),
     * பாதுகாப்பு குறியீடு (Tamil) */
    "\xe3\x82\xab\xe3\x83\xbc\xe3\x83\x89\xe7\xa2\xba\xe8\xaa\x8d\xe7\x95\xaa\xe5\x8f\xb7",
    "\xe0\xa6\xb8\xe0\xa6\xbf\xe0\xa6\xad\xe0\xa6\xbf\xe0\xa6\xad\xe0\xa6\xbf",
    ("\xe0\xa6\xa8\xe0\xa6\xbf\xe0\xa6\xb0\xe0\xa6\xbe\xe0\xa6\xaa\xe0\xa6\xa4\xe0\xa7\x8d"
     "\xe0\xa6\xa4\xe0\xa6\xbe \xe0\xa6\x95\xe0\xa7\x8b\xe0\xa6\xa1"),
    ("\xe0\xae\xaa\xe0\xae\xbe\xe0\xae\xa4\xe0\xaf\x81\xe0\xae\x95\xe0\xae\xbe\xe0\xae\xaa"
     "\xe0\xaf\x8d\xe0\xae\xaa\xe0\xaf\x81 \xe0\xae\x95\xe0\xaf\x81\xe0\xae\xb1\xe0\xae\xbf"
     "\xe0\xae\xaf\xe0\xaf\x80\xe0\xae\x9f\xe0\xaf\x81"),
    /* カード番号, 有効期限 */
    "\xe3\x82\xab\xe3\x83\xbc\xe3\x83\x89\xe7\x95\xaa\xe5\x8f\xb7",
    "\xe6\x9c\x89\xe5\x8a\xb9\xe6\x9c\x9f\xe9\x99\x90",
    /* 卡号, 卡號, 有效期 */
    "\xe5\x8d\xa1\xe5\x8f\xb7",
    "\xe5\x8d\xa1\xe8\x99\x9f",
    "\xe6\x9c\x89\xe6\x95\x88\xe6\x9c\x9f",
    /* 카드번호, 카드 번호, 유효기간 */
    "\xec\xb9\xb4\xeb\x93\x9c\xeb\xb2\x88\xed\x98\xb8",
    "\xec\xb9\xb4\xeb\x93\x9c \xeb\xb2\x88\xed\x98\xb8",
    "\xec\x9c\xa0\xed\x9a\xa8\xea\xb8\xb0\xea\xb0\x84",
    /* (Н|н)омер карт(ы|и|ки), (С|с)рок действ(ия) */
    "\xd0\xbe\xd0\xbc\xd0\xb5\xd1\x80 \xd0\xba\xd0\xb0\xd1\x80\xd1\x82",
    "\xd1\x80\xd0\xbe\xd0\xba \xd0\xb4\xd0\xb5\xd0\xb9\xd1\x81\xd1\x82\xd0\xb2",
    /* ММ/ГГ, мм/гг: an expiry's month and year in Russian */
    "\xd0\x9c\xd0\x9c/\xd0\x93\xd0\x93",
    "\xd0\x9c\xd0\x9c / \xd0\x93\xd0\x93",
    "\xd0\xbc\xd0\xbc/\xd0\xb3\xd0\xb3",
    /* an expiry: (Η|η)μερομηνία λήξης, (Т|т)ермін дії, (В|в)алидност, (N|n)gày hết hạn */
    ("\xce\xbc\xce\xb5\xcf\x81\xce\xbf\xce\xbc\xce\xb7\xce\xbd"
     "\xce\xaf\xce\xb1 \xce\xbb\xce\xae\xce\xbe\xce\xb7\xcf\x82"),
    "\xd0\xb5\xd1\x80\xd0\xbc\xd1\x96\xd0\xbd \xd0\xb4\xd1\x96\xd1\x97",
    "\xd0\xb0\xd0\xbb\xd0\xb8\xd0\xb4\xd0\xbd\xd0\xbe\xd1\x81\xd1\x82",
    "g\xc3\xa0y h\xe1\xba\xbft h\xe1\xba\xa1n",
    /* วันหมดอายุ, تاريخ الانتهاء, תוקף, समाप्ति तिथि */
    ("\xe0\xb8\xa7\xe0\xb8\xb1\xe0\xb8\x99\xe0\xb8\xab\xe0\xb8\xa1"
     "\xe0\xb8\x94\xe0\xb8\xad\xe0\xb8\xb2\xe0\xb8\xa2\xe0\xb8\xb8"),
    ("\xd8\xaa\xd8\xa7\xd8\xb1\xd9\x8a\xd8\xae \xd8\xa7"
     "\xd9\x84\xd8\xa7\xd9\x86\xd8\xaa\xd9\x87\xd8\xa7\xd8\xa1"),
    "\xd7\xaa\xd7\x95\xd7\xa7\xd7\xa3",
    ("\xe0\xa4\xb8\xe0\xa4\xae\xe0\xa4\xbe\xe0\xa4\xaa\xe0\xa5\x8d\xe0\xa4"
     "\xa4\xe0\xa4\xbf \xe0\xa4\xa4\xe0\xa4\xbf\xe0\xa4\xa5\xe0\xa4\xbf"),
    /* মেয়াদ শেষ (Bengali, its য় as Unicode's normal form writes it), காலாவதி தேதி (Tamil) */
    ("\xe0\xa6\xae\xe0\xa7\x87\xe0\xa6\xaf\xe0\xa6\xbc"
     "\xe0\xa6\xbe\xe0\xa6\xa6 \xe0\xa6\xb6\xe0\xa7\x87\xe0\xa6\xb7"),
    ("\xe0\xae\x95\xe0\xae\xbe\xe0\xae\xb2\xe0\xae\xbe\xe0\xae\xb5\xe0\xae\xa4"
     "\xe0\xae\xbf \xe0\xae\xa4\xe0\xaf\x87\xe0\xae\xa4\xe0\xae\xbf"),
    /* رقم البطاقة, מספר כרטיס */
    "\xd8\xb1\xd9\x82\xd9\x85 \xd8\xa7\xd9\x84\xd8\xa8\xd8\xb7\xd8\xa7\xd9\x82\xd8\xa9",
    "\xd7\x9e\xd7\xa1\xd7\xa4\xd7\xa8 \xd7\x9b\xd7\xa8\xd7\x98\xd7\x99\xd7\xa1",
    /* the cardholder's name: (Ό|ό)νομα κατόχου (Greek), (И|и)мя на карте, (И|и)мя
     * владельца (Russian), (В|в)ласника картки (Ukrainian), カード名義, 持卡人,
     * 카드 소유자, حامل البطاقة, בעל הכרטיס, ผู้ถือบัตร, कार्डधारक, (T|t)ên chủ thẻ */
    ("\xce\xbd\xce\xbf\xce\xbc\xce\xb1 \xce\xba"
     "\xce\xb1\xcf\x84\xcf\x8c\xcf\x87\xce\xbf\xcf\x85"),
    "\xd0\xbc\xd1\x8f \xd0\xbd\xd0\xb0 \xd0\xba\xd0\xb0\xd1\x80\xd1\x82\xd0\xb5",
    ("\xd0\xbc\xd1\x8f \xd0\xb2\xd0\xbb\xd0\xb0"
     "\xd0\xb4\xd0\xb5\xd0\xbb\xd1\x8c\xd1\x86\xd0\xb0"),
    ("\xd0\xbb\xd0\xb0\xd1\x81\xd0\xbd\xd0\xb8\xd0\xba\xd0"
     "\xb0 \xd0\xba\xd0\xb0\xd1\x80\xd1\x82\xd0\xba\xd0\xb8"),
    "\xe3\x82\xab\xe3\x83\xbc\xe3\x83\x89\xe5\x90\x8d\xe7\xbe\xa9",
    "\xe6\x8c\x81\xe5\x8d\xa1\xe4\xba\xba",
    "\xec\xb9\xb4\xeb\x93\x9c \xec\x86\x8c\xec\x9c\xa0\xec\x9e\x90",
    ("\xd8\xad\xd8\xa7\xd9\x85\xd9\x84 \xd8\xa7"
     "\xd9\x84\xd8\xa8\xd8\xb7\xd8\xa7\xd9\x82\xd8\xa9"),
    "\xd7\x91\xd7\xa2\xd7\x9c \xd7\x94\xd7\x9b\xd7\xa8\xd7\x98\xd7\x99\xd7\xa1",
    ("\xe0\xb8\x9c\xe0\xb8\xb9\xe0\xb9\x89\xe0\xb8\x96\xe0\xb8\xb7"
     "\xe0\xb8\xad\xe0\xb8\x9a\xe0\xb8\xb1\xe0\xb8\x95\xe0\xb8\xa3"),
    ("\xe0\xa4\x95\xe0\xa4\xbe\xe0\xa4\xb0\xe0\xa5\x8d\xe0"
     "\xa4\xa1\xe0\xa4\xa7\xe0\xa4\xbe\xe0\xa4\xb0\xe0\xa4\x95"),
    "\xc3\xaan ch\xe1\xbb\xa7 th\xe1\xba\xbb",
};

/*
 * The slots of a placeholder drawn as a number: digits (also counted in
 * *digits), x, *, # and bullets (U+2022, U+25CF), with spaces and hyphens
 * between them; -1 when anything else stands in it.
 */
static int drawn_slots(const char *v, size_t len, size_t *digits)
{
    int slots = 0;
    *digits = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)v[i];
        if (ch >= '0' && ch <= '9')
            slots++, (*digits)++;
        else if (ch == 'x' || ch == 'X' || ch == '*' || ch == '#')
            slots++;
        else if (ch == 0xe2 && i + 2 < len &&
                 ((v[i + 1] == '\x80' && v[i + 2] == '\xa2') || /* U+2022 BULLET */
                  (v[i + 1] == '\x97' && v[i + 2] == '\x8f')))  /* U+25CF BLACK CIRCLE */
            slots++, i += 2;
        else if (ch != ' ' && ch != '-')
            return -1;
    }
    return slots;
}

/* The slots of a placeholder (its escapes undone) that draws a value
 * hidden: bullets or '*', no digit, x or # (which draw a number's shape);
 * 0 for any other. */
static int hidden_slots_of(const char *v, size_t len)
{
    size_t digits;
    int slots = drawn_slots(v, len, &digits);
    bool hidden = !digits && !memchr(v, 'x', len) && !memchr(v, 'X', len) && !memchr(v, '#', len);
    return hidden && slots > 0 ? slots : 0;
}

bool password_placeholder(const char *v, size_t len)
{
    char buf[UNESCAPED_MAX];
    v = unescaped(v, &len, buf); /* "\u2022" as Python's and PHP's JSON writes it */
    int slots = hidden_slots_of(v, len);
    return slots >= 5 && slots <= 32;
}

/* The length of a value drawn hidden but for a few characters of its own,
 * as pages show a key's or an account's end: "••••6789", "•••• 4242",
 * "sk_live_••••••••4242", "****Zr8L" (a run of four bullets or '*' at
 * least, and no more than 16 other characters, blanks, dots and hyphens
 * aside); 0 for any other text. */
static int partly_hidden_length(const char *v, size_t len)
{
    int run = 0, longest = 0, hidden = 0, shown = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)v[i];
        bool bullet = ch == 0xe2 && i + 2 < len &&
                      ((v[i + 1] == '\x80' && v[i + 2] == '\xa2') ||
                       (v[i + 1] == '\x97' && v[i + 2] == '\x8f'));
        if (bullet || ch == '*') {
            i += bullet ? 2 : 0;
            hidden++;
            longest = ++run > longest ? run : longest;
        } else if (ch == ' ' || ch == '.' || ch == '-') {
            run = 0;
        } else if (ch < 0x80 && ++shown <= 16) {
            run = 0;
        } else {
            return 0;
        }
    }
    return longest >= 4 ? hidden + shown : 0;
}

#if defined(__SSE2__)
/* A bit for each byte of v[i, i + 16) that may start a hiding mark (see
 * below): a '*', a bullet's middle byte, or an escape's backslash. Reads
 * v[i + 16] too. */
static inline unsigned hiding_marks_at(const char *v, size_t i)
{
    const __m128i x = _mm_loadu_si128((const __m128i *)(v + i));
    const __m128i next = _mm_loadu_si128((const __m128i *)(v + i + 1));
#define PAIR(a, b)                                                                                 \
    _mm_and_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8((char)(a))),                                     \
                  _mm_cmpeq_epi8(next, _mm_set1_epi8((char)(b))))
    __m128i pairs = _mm_or_si128(_mm_or_si128(PAIR(0x80, 0xa2), PAIR(0x97, 0x8f)), PAIR('\\', 'u'));
#undef PAIR
    return (unsigned)_mm_movemask_epi8(_mm_or_si128(pairs, _mm_cmpeq_epi8(x, _mm_set1_epi8('*'))));
}
#endif

/* Whether the n raw bytes at v hold a bullet (U+2022, U+25CF), raw or
 * escaped ("\u2022"), or a '*': nearly no short text does. A bullet is
 * looked for by its last two bytes, which a quote or a dash of the same
 * block (U+2019, U+2014: "\xe2\x80\x99") does not share. */
static bool holds_hiding_mark(const char *v, size_t n)
{
    size_t i = 0;
#if defined(__SSE2__) /* most texts asked are code and prose: 16 bytes a look */
    bool marked = false;
    for (; i + 17 <= n && !(marked = hiding_marks_at(v, i)); i += 16)
        ;
    if (!marked && n >= 17) { /* the rest, in a look that ends at the end */
        i = n - 17;
        if (!hiding_marks_at(v, i))
            return v[n - 1] == '*'; /* read only as the byte after */
    }
#endif
    for (; i < n; i++) {
        const unsigned char *p = (const unsigned char *)v + i;
        if (*p == '*' ||
            (i + 2 < n && ((p[0] == 0xe2 && p[1] == 0x80 && p[2] == 0xa2) ||
                           (p[0] == 0xe2 && p[1] == 0x97 && p[2] == 0x8f) ||
                           (p[0] == '\\' && p[1] == 'u' && p[2] == '2'))))
            return true;
    }
    return false;
}

int hidden_slots(const char *v, size_t len)
{
    if (len < 3 || len > 96 || !holds_hiding_mark(v, len))
        return 0;
    char buf[UNESCAPED_MAX];
    v = unescaped(v, &len, buf); /* "\u2022" as Python's and PHP's JSON writes it */
    int slots = hidden_slots_of(v, len);
    if (!slots)
        slots = partly_hidden_length(v, len);
    return slots >= 3 && slots <= 32 ? slots : 0;
}

bool password_class(const char *v, size_t len)
{
    for (size_t i = 0; i + 5 <= len; i++)
        if (!strncasecmp(v + i, "passw", 5)) /* password, passwd, passwort */
            return true;
    return false;
}

/*
 * A placeholder drawn as a card number, 13 to 19 slots ("1234 1234 1234
 * 1234", as Stripe writes it; "XXXX-XXXX-XXXX-XXXX", "•••• •••• •••• ••••"),
 * or as a security code or PIN, three or four slots that are no digits
 * ("•••", "***", "XXX": "123" could be a quantity's).
 */
static bool card_shaped(const char *v, size_t len)
{
    size_t digits;
    int slots = drawn_slots(v, len, &digits);
    return (slots >= 13 && slots <= 19) || (slots >= 3 && slots <= 4 && !digits);
}

bool card_label_like(const char *v, size_t len)
{
    char buf[UNESCAPED_MAX];
    v = unescaped(v, &len, buf);
    if (card_shaped(v, len) || native_word(v, len, NATIVE_CARD_WORDS,
                                          sizeof NATIVE_CARD_WORDS / sizeof NATIVE_CARD_WORDS[0]))
        return true;
    unsigned char norm[WORDS_MAX];
    size_t n = normalize(v, len, false, norm);
    if (n == 3 && (!memcmp(norm, "cid", 3) || !memcmp(norm, "cvd", 3)))
        return true;
    for (size_t at = 0; at < n; at++)
        if (card_label_word_at(norm + at))
            return true;
    return false;
}

bool pair_name_key(const char *name, size_t len)
{
    static const char *const KEYS[] = {
        "name",       "key",           "field",         "header",       "param",
        "parameter",  "label",         "id",            "type",         "path",
        "attribute",  "fieldname",     "attributename", "propertyname", "parameterkey",
        "paramname",  "parametername", "inputname"};
    return ascii_word_in(name, len, KEYS, sizeof KEYS / sizeof KEYS[0]);
}

bool pair_value_key(const char *name, size_t len)
{
    static const char *const KEYS[] = {"value",          "val",           "text",
                                       "content",        "fieldvalue",    "attributevalue",
                                       "propertyvalue",  "parametervalue", "paramvalue",
                                       "inputvalue"};
    return ascii_word_in(name, len, KEYS, sizeof KEYS / sizeof KEYS[0]);
}

/* Does a word of a remote call's method that signs in or unlocks start at
 * p, just after a '_' of a worded copy? */
static bool sign_in_word_at(const unsigned char *p)
{
    const unsigned char *YYMARKER, *YYCURSOR = p;
    /*!re2c
        ("login" | "logon" | "log_in" | "signin" | "sign_in" | "authenticate" | "auth"
      | "unlock") "_" { return true; }
        [^]             { return false; }
    */
}

/* Whether a JSON-RPC method's name v[0, len) says its parameters hold a
 * secret: it signs in or unlocks (Deluge's "auth.login", Ethereum's
 * "personal_unlockAccount") or names one ("auth.change_password",
 * Bitcoin's "walletpassphrase"). */
static bool method_takes_secret(const char *v, size_t len)
{
    unsigned char norm[WORDS_MAX];
    if (secret_name_like(v, len))
        return true;
    size_t n = normalize(v, len, true, norm);
    for (size_t at = 0; at + 1 < n; at++)
        if (norm[at] == '_' && sign_in_word_at(norm + at + 1))
            return true;
    return false;
}

/* Members that hold a secret only beside a sibling of one of these names,
 * and, when `says` is set, only when that sibling's string value passes it:
 * an OAuth authorization response's or token request's "code" ({"code":
 * "...", "state": "..."}, which a single-page app posts to its server), a
 * security question's "answer" ({"question": "First pet?", "answer":
 * "..."}), a remote call's parameters, which JSON-RPC passes by their place
 * ({"method": "auth.login", "params": ["..."]}). Lowercase, read in any
 * case; each list ends in NULL. */
static const sibling_secret SIBLING_SECRETS[] = {
    {"code",
     {"state", "session_state", "redirect_uri", "grant_type", "code_verifier", NULL},
     NULL},
    {"answer", {"question", "securityquestion", "security_question", NULL}, NULL},
    {"params", {"method", NULL}, method_takes_secret},
    {"args", {"method", NULL}, method_takes_secret},
};

const sibling_secret *sibling_secret_of(const char *name, size_t len)
{
    for (size_t k = 0; k < sizeof SIBLING_SECRETS / sizeof *SIBLING_SECRETS; k++)
        if (ascii_word_is(name, len, SIBLING_SECRETS[k].name))
            return &SIBLING_SECRETS[k];
    return NULL;
}

/* Attribute names that hold a field's name for a framework or a test
 * rather than for the form: Angular, AngularJS, Knockout, Alpine and
 * Livewire bindings (the last two with modifiers: "x-model.lazy",
 * "wire:model.defer"), test ids, and Chrome's old autocompletetype. */
static const char *const BINDING_ATTRIBUTES[] = {
    "formcontrolname", "ng-model",      "data-ng-model", "ng-reflect-name",   "data-bind",
    "x-model",         "wire:model",    "data-testid",   "data-test-id",      "data-test",
    "data-cy",         "data-qa",       "data-e2e",      "data-automation-id", "autocompletetype",
    "x-autocompletetype"};

/* Payment libraries' field attributes: Stripe.js v2, Recurly, Braintree,
 * Adyen's client-side encryption, Worldpay, Conekta, Openpay, Culqi,
 * Mercado Pago. */
static const char *const PAYMENT_ATTRIBUTES[] = {
    "data-stripe",   "data-recurly",      "data-braintree-name", "data-encrypted-name",
    "data-worldpay", "data-conekta",      "data-openpay-card",   "data-culqi",
    "data-checkout"};

/* Whether name is word, or word and a modifier after a dot. */
static bool word_or_modified(const char *name, size_t len, const char *word)
{
    size_t n = strlen(word);
    return len >= n && ascii_word_is(name, n, word) && (len == n || name[n] == '.');
}

enum field_hint field_hint_of(const char *name, size_t len)
{
    if (ascii_word_is(name, len, "title"))
        return HINT_TITLE;
    for (size_t k = 0; k < sizeof PAYMENT_ATTRIBUTES / sizeof PAYMENT_ATTRIBUTES[0]; k++)
        if (ascii_word_is(name, len, PAYMENT_ATTRIBUTES[k]))
            return HINT_PAYMENT;
    for (size_t k = 0; k < sizeof BINDING_ATTRIBUTES / sizeof BINDING_ATTRIBUTES[0]; k++)
        if (word_or_modified(name, len, BINDING_ATTRIBUTES[k]))
            return HINT_BINDING;
    return HINT_NONE;
}

/* The attributes that name a cell's column on the cell: a responsive
 * table's (`<td data-label="Phone">`, drawn as the row's label on a
 * phone's screen, also data-title and data-th), MUI's DataGrid's
 * data-field, AG Grid's col-id, and data-column. */
static const char *const CELL_NAME_ATTRIBUTES[] = {"data-label", "data-title", "data-th",
                                                   "data-field", "col-id",     "data-column"};

bool cell_name_attribute(const char *name, size_t len)
{
    for (size_t k = 0; k < sizeof CELL_NAME_ATTRIBUTES / sizeof CELL_NAME_ATTRIBUTES[0]; k++)
        if (ascii_word_is(name, len, CELL_NAME_ATTRIBUTES[k]))
            return true;
    return false;
}

uint8_t grid_role_form(const char *role, size_t len)
{
    static const struct {
        const char *role;
        uint8_t form;
    } roles[] = {{"table", FORM_TABLE},         {"grid", FORM_TABLE},
                 {"treegrid", FORM_TABLE},      {"row", FORM_ROW},
                 {"columnheader", FORM_HEADER_CELL}, {"rowheader", FORM_HEADER_CELL},
                 {"cell", FORM_CELL},           {"gridcell", FORM_CELL}};
    for (size_t k = 0; k < sizeof roles / sizeof roles[0]; k++)
        if (ascii_word_is(role, len, roles[k].role))
            return roles[k].form;
    return FORM_NONE;
}

/*
 * What other session recorders are told to mask or leave out, by the
 * attributes and classes their documentation gives: rrweb's own classes
 * (which Veil's snippet records with, and which a recorder configured
 * otherwise ignores), Sentry's, FullStory's and PostHog's classes, and the
 * attributes of LogRocket, Hotjar, Sentry, Microsoft Clarity, Datadog and
 * OpenReplay. A site moving to Veil keeps them in its markup and expects
 * them kept to.
 */
static const char *const PRIVACY_CLASSES[] = {
    "rr-block",      "rr-mask",  "rr-ignore",  "sentry-block", "sentry-mask",
    "sentry-ignore", "fs-mask",  "fs-exclude", "ph-no-capture"};
static const char *const PRIVACY_ATTRIBUTES[] = {
    "data-private",      "data-hj-suppress", "data-sentry-block",        "data-sentry-mask",
    "data-clarity-mask", "data-dd-privacy",  "data-openreplay-obscured", "data-openreplay-hidden"};

/* Widgets that draw a one-time code's characters as page text, one box
 * each, beside an input the visitor never sees: input-otp (shadcn/ui's
 * InputOTP and its ports) marks its container so. What is drawn there is
 * the code: the container is masked as another recorder's marker is. */
static const char *const DRAWN_CODE_ATTRIBUTES[] = {"data-input-otp-container"};

bool privacy_attribute(const char *name, size_t len)
{
    for (size_t k = 0; k < sizeof PRIVACY_ATTRIBUTES / sizeof PRIVACY_ATTRIBUTES[0]; k++)
        if (ascii_word_is(name, len, PRIVACY_ATTRIBUTES[k]))
            return true;
    for (size_t k = 0; k < sizeof DRAWN_CODE_ATTRIBUTES / sizeof DRAWN_CODE_ATTRIBUTES[0]; k++)
        if (ascii_word_is(name, len, DRAWN_CODE_ATTRIBUTES[k]))
            return true;
    return false;
}

/* Whether the class of n bytes at c is one of PRIVACY_CLASSES: each is
 * 7-13 letters with a '-' third or seventh, which most classes fail. */
static bool privacy_class_named(const char *c, size_t n)
{
    if (n < 7 || n > 13 || (c[2] != '-' && c[6] != '-'))
        return false;
    for (size_t k = 0; k < sizeof PRIVACY_CLASSES / sizeof PRIVACY_CLASSES[0]; k++)
        if ((PRIVACY_CLASSES[k][0] | 0x20) == (c[0] | 0x20) && ascii_word_is(c, n, PRIVACY_CLASSES[k]))
            return true;
    return false;
}

/* What copy buttons hold for the clipboard (clipboard.js's
 * data-clipboard-text, and the names other scripts and frameworks give
 * it): the API key, password, recovery code or wallet address the page
 * shows, or hides, beside the button. Not drawn, so masking it costs a
 * replay nothing. */
static const char *const CLIPBOARD_ATTRIBUTES[] = {
    "data-clipboard-text", "data-clipboard", "data-clipboard-value", "data-copy",
    "data-copy-text",      "data-copy-value", "data-to-copy",        "data-copytext"};

bool clipboard_attribute(const char *name, size_t len)
{
    for (size_t k = 0; k < sizeof CLIPBOARD_ATTRIBUTES / sizeof CLIPBOARD_ATTRIBUTES[0]; k++)
        if (ascii_word_is(name, len, CLIPBOARD_ATTRIBUTES[k]))
            return true;
    return false;
}

/* Classes are separated by HTML's blanks: space, tab, line breaks, form feed. */
bool privacy_class(const char *list, size_t len)
{
    for (size_t from = 0, i = 0; i <= len; i++) {
        if (i < len && list[i] != ' ' && (list[i] < '\t' || list[i] > '\r'))
            continue;
        if (privacy_class_named(list + from, i - from))
            return true;
        from = i + 1;
    }
    return false;
}

bool card_attribute_like(const char *v, size_t len)
{
    static const char *const parts[] = {"number", "month", "year", "exp"};
    for (size_t k = 0; k < sizeof parts / sizeof parts[0]; k++)
        if (ascii_word_is(v, len, parts[k]))
            return true;
    return card_like(v, len);
}

/* ---- secrets named by their field ------------------------------------------- */

/* Does a secret word start at p, anywhere in a compact copy? */
static bool secret_part_at(const unsigned char *p)
{
    const unsigned char *YYMARKER, *YYCURSOR = p;
    /*!re2c
        "password" | "passwd" | "passwrd" | "pasword" | "passphrase" | "passcode" | "secret" | "token"
      | "apikey" | "accesskey" | "privatekey" | "credential" | "signature"
      | "authorization" | "authtoken" | "bearer" | "cookie" | "sessionid" | "sessid"
      | "csrf" | "xsrf" | "nonce" | "jwt" | "creditcard" | "cardnumber" | "ccnumber"
      | "cvv" | "cvc" | "cvn" | "ccv" | "cav2" | "cardcode" | "securitycode" | "cryptogram"
      | "cardholder" | "nameoncard" | "ccname" | "ccexp" | "cardexp" | "expmonth" | "expyear"
      | "expirymonth" | "expiryyear" | "expirationmonth" | "expirationyear" | "expdate"
      | "cardverification" | "verificationvalue" | "iban" | "socialsecurity"
      | "totp" | "twofactor" | "verificationcode" | "smscode" | "recoverycode"
      | "verifycode" | "smsverif" | "emailcode" | "devicecode" | "privkey" | "twofa" | "passkey"
      | "challengeanswer"
      | "backupcode" | "recoverykey" | "backupkey" | "setupkey" | "securityanswer"
      | "securityquestionanswer" | "onetimecode"
      | "accesscode" | "unlockcode" | "verifier" | "creds"
      | "subscriptionkey" | "licensekey" | "licencekey" | "productkey" | "activationkey"
      | "activationcode" | "sessionkey" | "signingkey" | "encryptionkey" | "masterkey"
      | "memorableword" | "memorableinformation" | "maidenname"
      | "logincode" | "signincode" | "authcode" | "authenticationcode"
      | "oobcode" | "resetcode" | "resetkey" | "invitecode" | "invitationcode" | "invitekey"
      | "enrollmentcode" | "enrolmentcode" | "claimcode" | "pairingcode"
      | "samlresponse" | "samlrequest" | "samlart" | "hmac" | "functionskey" | "accountkey"
      | "confirmationcode" | "authenticator" | "codewesent" | "codewejustsent" | "codesentto"
      | "codewetexted" | "codeweemailed" | "securecode" | "challengedataentry"
      | "smstan" | "pushtan" | "mobiletan" | "chiptan" | "phototan" | "tancode"
      | "transaktionsnummer" | "freigabecode"
      | "bestatigungscode" | "verifizierungscode" | "authentifizierungscode" | "einmalcode"
      | "codede" ("verification" | "confirmation" | "validation") | "codeausageunique"
      | "codigode" ("verificacion" | "confirmacion" | "verificacao" | "confirmacao")
      | "codicedi" ("verifica" | "conferma") | "coddeverificare" | "coddeconfirmare"
      | "verificatiecode" | "bevestigingscode" | "eenmaligecode"
      | "kodweryfikacyjny" | "kodpotwierdzajacy" | "kodautoryzacyjny" | "kodjednorazowy"
      | "overovacikod" | "potvrzovacikod" | "jednorazovykod" | "ellenorzokod" | "megerositokod"
      | "dogrulamakodu" | "onaykodu" | "engangskod" | "bekraftelse" "s"? "kod"
      | "bekreftelseskode" | "verifikationskode" | "verifikasjonskode"
      | "vahvistuskoodi" | "kertakayttokoodi" | "kodeverifikasi" | "kodpengesahan"
      | "verifikacijskikod" | "kodzaprovjeru" | "kodzapotvrdu" | "potrditvenakoda"
      | "verifikacijskakoda" | "kinnituskood" | "patvirtinimokodas" | "verifikacijaskods"
      | "apstiprinajumakods" | "msimbowauthibitisho"
      | ("code" | "codigo" | "codice" | "kod" | "cod") "sms"
      | "mnemonic" | "seedphrase" | "seedwords" | "recoveryphrase" | "secretphrase" | "walletseed"
      | "bankaccount" | "accountnumber" | "routingnumber" | "sortcode"
      | "kontonummer" | "kontonr" | "rekeningnummer" | "rekeningnr"
      | "numerodecuenta" | "numerodecompte"
      | "numerod" [ae] "conta" | "numerodelconto" | "numerrachunku" | "bankleitzahl"
      | "passportnumber" | "passportno" | "nationalinsurance" | "nationalid" | "aadhaar"
      | "driverslicense" | "driverlicense" | "drivinglicence"
      | "passwort" | "kennwort" | "motdepasse" | "contrasena" | "wachtwoord" | "salasana"
      | "losenord" | "adgangskode" | "passord" | "jelszo" | "jelszav" | "matkhau" | "parole"
      | "geheimzahl" | "wagwoord" | "cyfrinair" | "pasfhocal" | "phasiwedi" | "kalmarsirri"
      | "lozinka" | "zaporka" | "slaptazodis" | "katasandi" | "katalaluan" | "lykilord"
      | "contrasenya" | "contrasinal" | "pasahitza" | "pasvorto" | "passwuert" | "fjalekalimi"
      | "nenosiri"
            { return true; }
        [^] { return false; }
    */
}

/* Does a whole secret word start at p, just after a '_' of a worded copy?
 * A number may follow it: "pass1" and "pass2", "pin2", as a form names a
 * secret and its confirmation (WordPress's profile page posts pass1).
 * "pass" ends a word whose start says whose it is ("userpass", "dbpass",
 * "newpass", as scripts and installers name their fields); not "bypass",
 * "compass" or "newPassenger". So does "pin" ("newpin", "atmpin"; not
 * "repin", Pinterest's, nor "shipping"), and a code's noun ends one whose
 * start is a code's name ("otpcode", "pinnumber", "mfacode"; not
 * "pincode", India's postal code). A German bank's one-time code is a
 * "tan". */
static bool secret_word_at(const unsigned char *p)
{
    const unsigned char *YYMARKER, *YYCURSOR = p;
    /*!re2c
        ("pin" | "otp" | "ssn" | "pan" | "pwd" | "pass" | "auth" | "sid" | "sig" | "cv2"
         | "csc" | "cvd" | "mfa" | "2fa" | "mdp" | "senha" | "haslo" | "heslo" | "sifre"
         | "clave" | "parola" | "pw" | "pword" | "geslo" | "parool" | "parol" | "sifra" | "mtan"
         | "itan" | "tfa" | "tpin" | "mpin" | "vcode" | "psw" | "pswd" | "passw" | "mmn"
         | ("user" | "login" | "admin" | "db" | "root" | "new" | "old" | "confirm" | "current"
           | "retype" | "re" | "my" | "u" | "smtp" | "ftp" | "mail" | "wifi" | "sql" | "app"
           | "ssh" | "vnc" | "api" | "acct" | "account") "pass"
         | ("user" | "login" | "new" | "old" | "confirm" | "current" | "retype" | "my" | "card"
           | "atm" | "debit" | "sim" | "wallet" | "account" | "acct" | "app" | "security"
           | "transaction" | "txn" | "payment" | "mobile" | "phone") "pin"
         | ("otp" | "mfa" | "tfa" | "2fa" | "totp" | "tan") "code"
         | ("pin" | "otp" | "mfa" | "tfa" | "2fa" | "totp" | "tan")
           ("number" | "num" | "no" | "nr" | "input" | "field" | "value" | "digits")
         | "tan") [0-9]* "_"
            { return true; }
        [^] { return false; }
    */
}

/* Whether a part starts anywhere in the compact copy of v, or a whole word
 * just after a '_' of its worded copy, or `last` (when given) says so of
 * the worded copy's last words. */
static bool name_has(const char *v, size_t len, bool (*part_at)(const unsigned char *),
                     bool (*word_at)(const unsigned char *),
                     bool (*last)(const unsigned char *, size_t))
{
    unsigned char norm[WORDS_MAX];
    size_t n = normalize(v, len, false, norm);
    for (size_t at = 0; at < n; at++)
        if (part_at(norm + at))
            return true;
    n = normalize(v, len, true, norm);
    for (size_t at = 0; at + 1 < n; at++)
        if (norm[at] == '_' && word_at(norm + at + 1))
            return true;
    return last && last(norm, n);
}

/* "Password" in scripts normalize() drops, as UTF-8 (Russian and Ukrainian,
 * Chinese, Japanese, Korean, Hebrew, Arabic, Turkish, Polish, Vietnamese,
 * Thai, Hindi, Persian, Greek, Bulgarian, Serbian and Macedonian, Georgian,
 * Armenian, Kazakh, Bengali, Tamil, Punjabi, and Arabic's, Korean's and
 * Chinese's other words for it and Japanese's for a PIN, then Telugu,
 * Gujarati, Kannada, Malayalam, Urdu, Sinhala, Burmese, Khmer, Lao,
 * Mongolian, Amharic, Azerbaijani, Kyrgyz: the first NATIVE_PASSWORD_WORDS),
 * then "verification code" (the label of a one-time code's box) in those
 * that have a word for it. */
enum { NATIVE_PASSWORD_WORDS = 47 };
static const char *const NATIVE_SECRET_WORDS[] = {
    "\xd0\xb0\xd1\x80\xd0\xbe\xd0\xbb\xd1\x8c", /* (П|п)ароль: the first letter may be a capital */
    "\xe5\xaf\x86\xe7\xa0\x81",                                         /* 密码 */
    "\xe5\xaf\x86\xe7\xa2\xbc",                                         /* 密碼 */
    "\xe3\x83\x91\xe3\x82\xb9\xe3\x83\xaf\xe3\x83\xbc\xe3\x83\x89",     /* パスワード */
    "\xeb\xb9\x84\xeb\xb0\x80\xeb\xb2\x88\xed\x98\xb8",                 /* 비밀번호 */
    "\xd7\xa1\xd7\x99\xd7\xa1\xd7\x9e",                                 /* סיסמ(ה|א) */
    "\xd8\xa7\xd9\x84\xd9\x85\xd8\xb1\xd9\x88\xd8\xb1",                 /* (كلمة) المرور */
    "\xc5\x9fifre",                                                     /* şifre */
    "\xc5\x9eifre",                                                     /* Şifre */
    "has\xc5\x82o",                                                     /* hasło */
    "Has\xc5\x82o",                                                     /* Hasło */
    "\xe1\xba\xadt kh\xe1\xba\xa9u", /* (M|m)ật khẩu */
    "\xe1\xba\xadt_kh\xe1\xba\xa9u", /* (M|m)ật_khẩu */
    /* รหัสผ่าน (Thai), पासवर्ड (Hindi), رمز عبور (Persian) */
    ("\xe0\xb8\xa3\xe0\xb8\xab\xe0\xb8\xb1\xe0\xb8\xaa"
     "\xe0\xb8\x9c\xe0\xb9\x88\xe0\xb8\xb2\xe0\xb8\x99"),
    "\xe0\xa4\xaa\xe0\xa4\xbe\xe0\xa4\xb8\xe0\xa4\xb5\xe0\xa4\xb0\xe0\xa5\x8d\xe0\xa4\xa1",
    "\xd8\xb1\xd9\x85\xd8\xb2 \xd8\xb9\xd8\xa8\xd9\x88\xd8\xb1",
    /* (Κ|κ)ωδικός πρόσβ(ασης) (Greek), (П|п)арола (Bulgarian) */
    "\xcf\x89\xce\xb4\xce\xb9\xce\xba\xcf\x8c\xcf\x82 \xcf\x80\xcf\x81\xcf\x8c\xcf\x83\xce\xb2",
    "\xd0\xb0\xd1\x80\xd0\xbe\xd0\xbb\xd0\xb0",
    /* (Л|л)озинка (Serbian, Macedonian), პაროლი (Georgian), (Գ|գ)աղտնաբառ (Armenian) */
    "\xd0\xbe\xd0\xb7\xd0\xb8\xd0\xbd\xd0\xba\xd0\xb0",
    "\xe1\x83\x9e\xe1\x83\x90\xe1\x83\xa0\xe1\x83\x9d\xe1\x83\x9a\xe1\x83\x98",
    "\xd5\xa1\xd5\xb2\xd5\xbf\xd5\xb6\xd5\xa1\xd5\xa2\xd5\xa1\xd5\xbc",
    /* (Қ|қ)ұпия сөз, (Қ|қ)ұпиясөз (Kazakh) */
    "\xd2\xb1\xd0\xbf\xd0\xb8\xd1\x8f \xd1\x81\xd3\xa9\xd0\xb7",
    "\xd2\xb1\xd0\xbf\xd0\xb8\xd1\x8f\xd1\x81\xd3\xa9\xd0\xb7",
    /* كلمة السر (Arabic), 암호 (Korean), 口令 (Chinese), 暗証番号 (Japanese: a PIN) */
    "\xd9\x83\xd9\x84\xd9\x85\xd8\xa9 \xd8\xa7\xd9\x84\xd8\xb3\xd8\xb1",
    "\xec\x95\x94\xed\x98\xb8",
    "\xe5\x8f\xa3\xe4\xbb\xa4",
    "\xe6\x9a\x97\xe8\xa8\xbc\xe7\x95\xaa\xe5\x8f\xb7",
    /* পাসওয়ার্ড (Bengali), கடவுச்சொல் (Tamil), ਪਾਸਵਰਡ (Punjabi) */
    ("\xe0\xa6\xaa\xe0\xa6\xbe\xe0\xa6\xb8\xe0\xa6\x93\xe0\xa6\xaf\xe0\xa6\xbc"
     "\xe0\xa6\xbe\xe0\xa6\xb0\xe0\xa7\x8d\xe0\xa6\xa1"),
    ("\xe0\xae\x95\xe0\xae\x9f\xe0\xae\xb5\xe0\xaf\x81\xe0\xae\x9a\xe0\xaf\x8d"
     "\xe0\xae\x9a\xe0\xaf\x8a\xe0\xae\xb2\xe0\xaf\x8d"),
    "\xe0\xa8\xaa\xe0\xa8\xbe\xe0\xa8\xb8\xe0\xa8\xb5\xe0\xa8\xb0\xe0\xa8\xa1",
    /* పాస్‌వర్డ్ (Telugu, with and without its joiner), પાસવર્ડ (Gujarati), ಪಾಸ್‌ವರ್ಡ್ (Kannada),
     * പാസ്‌വേഡ് (Malayalam), پاس ورڈ (Urdu), මුරපදය (Sinhala), စကားဝှက် (Burmese),
     * ពាក្យសម្ងាត់ (Khmer), ລະຫັດຜ່ານ (Lao), (Н|н)ууц үг (Mongolian), የይለፍ ቃል (Amharic),
     * (Ş|ş)ifrə (Azerbaijani), (С|с)ырсөз (Kyrgyz) */
    ("\xe0\xb0\xaa\xe0\xb0\xbe\xe0\xb0\xb8\xe0\xb1\x8d\xe2\x80\x8c"
     "\xe0\xb0\xb5\xe0\xb0\xb0\xe0\xb1\x8d\xe0\xb0\xa1\xe0\xb1\x8d"),
    ("\xe0\xb0\xaa\xe0\xb0\xbe\xe0\xb0\xb8\xe0\xb1\x8d\xe0"
     "\xb0\xb5\xe0\xb0\xb0\xe0\xb1\x8d\xe0\xb0\xa1\xe0\xb1\x8d"),
    "\xe0\xaa\xaa\xe0\xaa\xbe\xe0\xaa\xb8\xe0\xaa\xb5\xe0\xaa\xb0\xe0\xab\x8d\xe0\xaa\xa1",
    ("\xe0\xb2\xaa\xe0\xb2\xbe\xe0\xb2\xb8\xe0\xb3\x8d\xe2\x80\x8c"
     "\xe0\xb2\xb5\xe0\xb2\xb0\xe0\xb3\x8d\xe0\xb2\xa1\xe0\xb3\x8d"),
    ("\xe0\xb2\xaa\xe0\xb2\xbe\xe0\xb2\xb8\xe0\xb3\x8d\xe0"
     "\xb2\xb5\xe0\xb2\xb0\xe0\xb3\x8d\xe0\xb2\xa1\xe0\xb3\x8d"),
    ("\xe0\xb4\xaa\xe0\xb4\xbe\xe0\xb4\xb8\xe0\xb5\x8d\xe2"
     "\x80\x8c\xe0\xb4\xb5\xe0\xb5\x87\xe0\xb4\xa1\xe0\xb5\x8d"),
    ("\xe0\xb4\xaa\xe0\xb4\xbe\xe0\xb4\xb8\xe0\xb5\x8d"
     "\xe0\xb4\xb5\xe0\xb5\x87\xe0\xb4\xa1\xe0\xb5\x8d"),
    "\xd9\xbe\xd8\xa7\xd8\xb3 \xd9\x88\xd8\xb1\xda\x88",
    "\xe0\xb6\xb8\xe0\xb7\x94\xe0\xb6\xbb\xe0\xb6\xb4\xe0\xb6\xaf\xe0\xb6\xba",
    ("\xe1\x80\x85\xe1\x80\x80\xe1\x80\xac\xe1\x80\xb8"
     "\xe1\x80\x9d\xe1\x80\xbe\xe1\x80\x80\xe1\x80\xba"),
    ("\xe1\x9e\x96\xe1\x9e\xb6\xe1\x9e\x80\xe1\x9f\x92\xe1\x9e\x99\xe1\x9e\x9f"
     "\xe1\x9e\x98\xe1\x9f\x92\xe1\x9e\x84\xe1\x9e\xb6\xe1\x9e\x8f\xe1\x9f\x8b"),
    ("\xe0\xba\xa5\xe0\xba\xb0\xe0\xba\xab\xe0\xba\xb1\xe0"
     "\xba\x94\xe0\xba\x9c\xe0\xbb\x88\xe0\xba\xb2\xe0\xba\x99"),
    "\xd1\x83\xd1\x83\xd1\x86 \xd2\xaf\xd0\xb3",
    "\xe1\x8b\xa8\xe1\x8b\xad\xe1\x88\x88\xe1\x8d\x8d \xe1\x89\x83\xe1\x88\x8d",
    "\xc5\x9fifr\xc9\x99",
    "\xc5\x9eifr\xc9\x99",
    "\xd1\x8b\xd1\x80\xd1\x81\xd3\xa9\xd0\xb7",
    /* one-time codes: (К|к)од подтверждения, (К|к)од из (СМС|смс), (П|п)роверочный код
     * (Russian), (К|к)од підтвердження (Ukrainian) */
    "\xd0\xbe\xd0\xb4 \xd0\xbf\xd0\xbe\xd0\xb4\xd1\x82\xd0\xb2\xd0\xb5\xd1\x80\xd0\xb6"
    "\xd0\xb4\xd0\xb5\xd0\xbd\xd0\xb8\xd1\x8f",
    "\xd0\xbe\xd0\xb4 \xd0\xb8\xd0\xb7 \xd0\xa1\xd0\x9c\xd0\xa1",
    "\xd0\xbe\xd0\xb4 \xd0\xb8\xd0\xb7 \xd1\x81\xd0\xbc\xd1\x81",
    "\xd1\x80\xd0\xbe\xd0\xb2\xd0\xb5\xd1\x80\xd0\xbe\xd1\x87\xd0\xbd\xd1\x8b\xd0\xb9 "
    "\xd0\xba\xd0\xbe\xd0\xb4",
    "\xd0\xbe\xd0\xb4 \xd0\xbf\xd1\x96\xd0\xb4\xd1\x82\xd0\xb2\xd0\xb5\xd1\x80\xd0\xb4"
    "\xd0\xb6\xd0\xb5\xd0\xbd\xd0\xbd\xd1\x8f",
    /* 認証コード, 確認コード, 認証番号, ワンタイム (Japanese) */
    "\xe8\xaa\x8d\xe8\xa8\xbc\xe3\x82\xb3\xe3\x83\xbc\xe3\x83\x89",
    "\xe7\xa2\xba\xe8\xaa\x8d\xe3\x82\xb3\xe3\x83\xbc\xe3\x83\x89",
    "\xe8\xaa\x8d\xe8\xa8\xbc\xe7\x95\xaa\xe5\x8f\xb7",
    "\xe3\x83\xaf\xe3\x83\xb3\xe3\x82\xbf\xe3\x82\xa4\xe3\x83\xa0",
    /* 验证码, 驗證碼, 动态码, 動態碼 (Chinese) */
    "\xe9\xaa\x8c\xe8\xaf\x81\xe7\xa0\x81",
    "\xe9\xa9\x97\xe8\xad\x89\xe7\xa2\xbc",
    "\xe5\x8a\xa8\xe6\x80\x81\xe7\xa0\x81",
    "\xe5\x8b\x95\xe6\x85\x8b\xe7\xa2\xbc",
    /* 인증번호, 인증 번호, 인증코드, 인증 코드 (Korean) */
    "\xec\x9d\xb8\xec\xa6\x9d\xeb\xb2\x88\xed\x98\xb8",
    "\xec\x9d\xb8\xec\xa6\x9d \xeb\xb2\x88\xed\x98\xb8",
    "\xec\x9d\xb8\xec\xa6\x9d\xec\xbd\x94\xeb\x93\x9c",
    "\xec\x9d\xb8\xec\xa6\x9d \xec\xbd\x94\xeb\x93\x9c",
    /* קוד אימות, קוד האימות (Hebrew), رمز التحقق, رمز التأكيد (Arabic) */
    "\xd7\xa7\xd7\x95\xd7\x93 \xd7\x90\xd7\x99\xd7\x9e\xd7\x95\xd7\xaa",
    "\xd7\xa7\xd7\x95\xd7\x93 \xd7\x94\xd7\x90\xd7\x99\xd7\x9e\xd7\x95\xd7\xaa",
    "\xd8\xb1\xd9\x85\xd8\xb2 \xd8\xa7\xd9\x84\xd8\xaa\xd8\xad\xd9\x82\xd9\x82",
    "\xd8\xb1\xd9\x85\xd8\xb2 \xd8\xa7\xd9\x84\xd8\xaa\xd8\xa3\xd9\x83\xd9\x8a\xd8\xaf",
    /* รหัสยืนยัน (Thai), सत्यापन कोड (Hindi), (M|m)ã xác (nhận|thực) (Vietnamese) */
    "\xe0\xb8\xa3\xe0\xb8\xab\xe0\xb8\xb1\xe0\xb8\xaa\xe0\xb8\xa2\xe0\xb8\xb7\xe0\xb8\x99"
    "\xe0\xb8\xa2\xe0\xb8\xb1\xe0\xb8\x99",
    "\xe0\xa4\xb8\xe0\xa4\xa4\xe0\xa5\x8d\xe0\xa4\xaf\xe0\xa4\xbe\xe0\xa4\xaa\xe0\xa4\xa8 "
    "\xe0\xa4\x95\xe0\xa5\x8b\xe0\xa4\xa1",
    "\xc3\xa3 x\xc3\xa1" "c nh\xe1\xba\xadn",
    "\xc3\xa3 x\xc3\xa1" "c th\xe1\xbb\xb1" "c",
    /* (Κ|κ)ωδικός επαλήθευσης (Greek), (К|к)од за потвърждение (Bulgarian), (К|к)од за
     * потврду (Serbian) */
    "\xcf\x89\xce\xb4\xce\xb9\xce\xba\xcf\x8c\xcf\x82 \xce\xb5\xcf\x80"
    "\xce\xb1\xce\xbb\xce\xae\xce\xb8\xce\xb5\xcf\x85\xcf\x83\xce\xb7\xcf\x82",
    "\xd0\xbe\xd0\xb4 \xd0\xb7\xd0\xb0 \xd0\xbf\xd0\xbe\xd1\x82\xd0"
    "\xb2\xd1\x8a\xd1\x80\xd0\xb6\xd0\xb4\xd0\xb5\xd0\xbd\xd0\xb8\xd0\xb5",
    "\xd0\xbe\xd0\xb4 \xd0\xb7\xd0\xb0 \xd0\xbf"
    "\xd0\xbe\xd1\x82\xd0\xb2\xd1\x80\xd0\xb4\xd1\x83",
    /* کد تایید, کد تأیید (Persian) */
    "\xda\xa9\xd8\xaf \xd8\xaa\xd8\xa7\xdb\x8c\xdb\x8c\xd8\xaf",
    "\xda\xa9\xd8\xaf \xd8\xaa\xd8\xa3\xdb\x8c\xdb\x8c\xd8\xaf",
    /* کد یکبار مصرف (Persian: a one-time code), ओटीपी (Hindi: OTP), যাচাইকরণ কোড
     * (Bengali), சரிபார்ப்புக் குறியீடு (Tamil), (M|m)ã xác minh (Vietnamese) */
    "\xda\xa9\xd8\xaf \xdb\x8c\xda\xa9\xd8\xa8\xd8\xa7\xd8\xb1 \xd9\x85\xd8\xb5\xd8\xb1\xd9\x81",
    "\xe0\xa4\x93\xe0\xa4\x9f\xe0\xa5\x80\xe0\xa4\xaa\xe0\xa5\x80",
    ("\xe0\xa6\xaf\xe0\xa6\xbe\xe0\xa6\x9a\xe0\xa6\xbe\xe0\xa6\x87\xe0\xa6\x95\xe0\xa6\xb0"
     "\xe0\xa6\xa3 \xe0\xa6\x95\xe0\xa7\x8b\xe0\xa6\xa1"),
    ("\xe0\xae\x9a\xe0\xae\xb0\xe0\xae\xbf\xe0\xae\xaa\xe0\xae\xbe\xe0\xae\xb0\xe0\xaf\x8d"
     "\xe0\xae\xaa\xe0\xaf\x8d\xe0\xae\xaa\xe0\xaf\x81\xe0\xae\x95\xe0\xaf\x8d \xe0\xae\x95"
     "\xe0\xaf\x81\xe0\xae\xb1\xe0\xae\xbf\xe0\xae\xaf\xe0\xaf\x80\xe0\xae\x9f\xe0\xaf\x81"),
    "\xc3\xa3 x\xc3\xa1" "c minh",
};

/* Does a secret word or a word of a card's number, code or holder start
 * at p, anywhere in a compact copy? */
static bool secret_or_card_part_at(const unsigned char *p)
{
    return secret_part_at(p) || card_word_at(p) == CARD_WORD;
}

/* Whether the words norm[a, a_end) and norm[b, b_end), read as one, name an
 * identity number ("Tax ID", "codice_fiscale"). */
static bool id_noun_words(const unsigned char *norm, size_t a, size_t a_end, size_t b, size_t b_end)
{
    char two[WORDS_MAX];
    if (a_end == a || b_end == b || (a_end - a) + (b_end - b) > sizeof two)
        return false;
    memcpy(two, norm + a, a_end - a);
    memcpy(two + (a_end - a), norm + b, b_end - b);
    return id_noun_word(two, (a_end - a) + (b_end - b));
}

/* Where the word of a worded copy that ends at norm[end] ('_' or the end)
 * starts. */
static size_t word_start(const unsigned char *norm, size_t end)
{
    while (end > 0 && norm[end - 1] != '_')
        end--;
    return end;
}

/* Whether the worded copy norm[0, n) of a name ("_billing_cpf_") ends in
 * an identity number's name (id_noun_word()) of one or two words, maybe
 * with a number's word after it: "cpf", "billing_cpf", "dniNumber",
 * "codice_fiscale", "customer_tax_id", "pesel_nr"; "idNumber" is not. */
static bool id_name(const unsigned char *norm, size_t n)
{
    static const char *const TAILS[] = {"_number_", "_nummer_", "_numero_", "_no_", "_nr_"};
    for (size_t k = 0; k < sizeof TAILS / sizeof TAILS[0]; k++) {
        size_t tail = strlen(TAILS[k]);
        if (n > tail && !memcmp(norm + n - tail, TAILS[k], tail)) {
            n -= tail - 1; /* keep its leading '_' as the end */
            break;
        }
    }
    if (n < 3 || norm[n - 1] != '_')
        return false;
    size_t end = n - 1, last = word_start(norm, end); /* the last word: norm[last, end) */
    if (id_noun_word((const char *)norm + last, end - last))
        return true;
    if (last < 2) /* no word before it */
        return false;
    size_t before = word_start(norm, last - 1); /* the word before it: norm[before, last - 1) */
    return id_noun_words(norm, before, last - 1, last, end);
}

/* Words id_noun_word() reads that a label may hold as a word of its own
 * language: Spanish "sin" (without) and "niño", German "nie" (never),
 * English "tin". */
static bool id_word_of_prose(const unsigned char *w, size_t n)
{
    static const char *const WORDS[] = {"sin", "nino", "nie", "tin"};
    return ascii_word_in((const char *)w, n, WORDS, sizeof WORDS / sizeof WORDS[0]);
}

bool id_label_like(const char *v, size_t len)
{
    char buf[UNESCAPED_MAX];
    v = unescaped(v, &len, buf);
    unsigned char norm[WORDS_MAX];
    size_t n = normalize(v, len, true, norm); /* "_your_cpf_" */
    for (size_t at = 0; at + 1 < n; at++) {
        if (norm[at] != '_' || norm[at + 1] == '_')
            continue;
        size_t w = at + 1, e = w, e2;
        while (e < n && norm[e] != '_')
            e++;
        if (id_noun_word((const char *)norm + w, e - w) && !id_word_of_prose(norm + w, e - w))
            return true;
        for (e2 = e + 1; e2 < n && norm[e2] != '_';)
            e2++;
        if (e2 < n && id_noun_words(norm, w, e, e + 1, e2)) /* "Tax ID", "Codice fiscale" */
            return true;
    }
    return false;
}

/* secret_name_like(), value_name_like(): a secret's name; for a value's,
 * also the card words of any name and an identity number's name. */
static bool names_secret(const char *v, size_t len, bool value)
{
    char buf[UNESCAPED_MAX];
    v = unescaped(v, &len, buf);
    return name_has(v, len, value ? secret_or_card_part_at : secret_part_at, secret_word_at,
                    value ? id_name : NULL) ||
           native_word(v, len, NATIVE_SECRET_WORDS,
                       sizeof NATIVE_SECRET_WORDS / sizeof NATIVE_SECRET_WORDS[0]);
}

bool secret_name_like(const char *v, size_t len)
{
    return names_secret(v, len, false);
}

bool value_name_like(const char *v, size_t len)
{
    return names_secret(v, len, true);
}

/*!re2c
    // A code's noun, as it starts: "code", "código", "codice", "kod",
    // "kode", "koodi", "PIN", "OTP", "TAN", "Transaktionsnummer", and a
    // number's ("Account number", "número de cuenta", "Geheimzahl").
    CODE_NOUN = "cod" | "kod" | "kood" | "pin" | "otp" | "tan" | "nummer" | "number" | "numero"
              | "zahl";
*/

/* Does a code's noun start at p, anywhere in a compact copy? */
static bool code_part_at(const unsigned char *p)
{
    const unsigned char *YYMARKER, *YYCURSOR = p;
    /*!re2c
        CODE_NOUN { return true; }
        [^]       { return false; }
    */
}

/* A code's noun in scripts normalize() drops, as UTF-8: Chinese 码 and 碼,
 * Japanese コード and 番号, Korean 번호 and 코드, Russian and Ukrainian
 * (К|к)од, Arabic رمز, Hebrew קוד, Thai รหัส, Hindi कोड. */
static const char *const NATIVE_CODE_WORDS[] = {
    "\xe7\xa0\x81", "\xe7\xa2\xbc", "\xe3\x82\xb3\xe3\x83\xbc\xe3\x83\x89",
    "\xe7\x95\xaa\xe5\x8f\xb7", "\xeb\xb2\x88\xed\x98\xb8", "\xec\xbd\x94\xeb\x93\x9c",
    "\xd0\xbe\xd0\xb4", "\xd8\xb1\xd9\x85\xd8\xb2", "\xd7\xa7\xd7\x95\xd7\x93",
    "\xe0\xb8\xa3\xe0\xb8\xab\xe0\xb8\xb1\xe0\xb8\xaa", "\xe0\xa4\x95\xe0\xa5\x8b\xe0\xa4\xa1",
};

bool label_names_code(const char *v, size_t len)
{
    char buf[UNESCAPED_MAX];
    unsigned char norm[WORDS_MAX];
    v = unescaped(v, &len, buf);
    size_t n = normalize(v, len, false, norm);
    for (size_t at = 0; at < n; at++)
        if (code_part_at(norm + at))
            return true;
    return native_word(v, len, NATIVE_CODE_WORDS,
                       sizeof NATIVE_CODE_WORDS / sizeof NATIVE_CODE_WORDS[0]);
}

/* ---- what tells a secret in prose ---------------------------------------- */

enum { PROSE_WORD_MAX = 32 };

/* The n bytes at v, ASCII letters lowercased, NUL-terminated in out
 * (PROSE_WORD_MAX bytes); false when they do not fit. */
static bool folded_copy(const char *v, size_t n, unsigned char *out)
{
    if (n == 0 || n >= PROSE_WORD_MAX)
        return false;
    for (size_t k = 0; k < n; k++) {
        unsigned char ch = (unsigned char)v[k];
        out[k] = ch >= 'A' && ch <= 'Z' ? ch | 0x20 : ch;
    }
    out[n] = '\0';
    return true;
}

bool telling_word(const char *v, size_t n)
{
    unsigned char w[PROSE_WORD_MAX];
    if (!folded_copy(v, n, w))
        return false;
    const unsigned char *YYMARKER, *YYCURSOR = w;
    /*!re2c
        // "is" and "was": German, French (était), Spanish, Catalan (és),
        // Italian (è), Portuguese (é), Polish, Czech and the South Slavic
        // languages (Serbian's Cyrillic је too), Swedish (är), Danish and
        // Norwegian, Romanian, Albanian (është), Lithuanian (yra), Latvian
        // (ir), Greek (είναι), Ukrainian (є), Russian (был, была: its "is"
        // goes unsaid), Indonesian and Malay, Swahili (ni), Vietnamese
        // (là), and the pronouns Hebrew and Arabic tell it with (היא, הוא,
        // هي, هو). Not Finnish and Estonian "on", which in English tells a
        // date: "password changed on 2024-03-12".
        ( "ist" | "lautet" | "war" | "est" | "\xc3\xa9tait" | "es" | "era" | "fue"
        | "\xc3\xa8" | "\xc3\xa9" | "foi" | "jest" | "wynosi" | "je" | "byl" | "\xc3\xa4r"
        | "var" | "er" | "ble" | "este" | "adalah" | "l\xc3\xa0" | "\xc3\xa9s" | "\xd1\x98\xd0\xb5"
        | "\xc3\xabsht\xc3\xab" | "yra" | "ir" | "\xce\xb5\xce\xaf\xce\xbd\xce\xb1\xce\xb9"
        | "\xd1\x94" | "\xd0\xb1\xd1\x8b\xd0\xbb" "\xd0\xb0"? | "ni"
        | "\xd7\x94\xd7\x99\xd7\x90" | "\xd7\x94\xd7\x95\xd7\x90"
        | "\xd9\x87\xd9\x88" | "\xd9\x87\xd9\x8a" ) "\x00"
            { return true; }
        [^] { return false; }
    */
}

bool code_noun_word(const char *v, size_t n)
{
    unsigned char w[PROSE_WORD_MAX];
    if (!folded_copy(v, n, w))
        return false;
    const unsigned char *YYMARKER, *YYCURSOR = w;
    /*!re2c
        [^\x00]* CODE_NOUN [ei]? "\x00" { return true; }
        [^] { return false; }
    */
}

bool password_word(const char *v, size_t len)
{
    unsigned char norm[WORDS_MAX];
    bool ascii = true;
    for (size_t k = 0; k < len && ascii; k++)
        ascii = (unsigned char)v[k] < 0x80;
    /* an ASCII word, nearly every one before a number, is only lowercased;
     * another's letters are folded, or dropped (then native_word() reads it) */
    if (ascii ? !folded_copy(v, len, norm) : len > PROSE_WORD_MAX)
        return false;
    if (!ascii)
        normalize(v, len, false, norm);
    const unsigned char *YYMARKER, *YYCURSOR = norm;
    /*!re2c
        ( "password" | "passwd" | "pwd" | "pw" | "passcode" | "passphrase" | "passwort"
        | "kennwort" | "contrasena" | "senha" | "wachtwoord" | "losenord" | "adgangskode"
        | "passord" | "salasana" | "haslo" | "heslo" | "sifre" | "jelszo" | "lozinka"
        | "geslo" | "parool" | "parola" | "parole" | "geheimzahl" | "wagwoord" | "cyfrinair"
        | "pasfhocal" | "phasiwedi" | "iphasiwedi"
        // Hungarian's with its owner's ending: jelszavam, jelszavad, jelszava
        | "jelszav" [a-z]*
        // Redis's, in its configuration and CONFIG SET
        | "requirepass" | "masterauth" ) "\x00"
            { return true; }
        [^] { return !ascii && native_word(v, len, NATIVE_SECRET_WORDS, NATIVE_PASSWORD_WORDS); }
    */
}

bool id_noun_word(const char *v, size_t n)
{
    unsigned char w[WORDS_MAX];
    bool ascii = true;
    for (size_t k = 0; k < n && ascii; k++)
        ascii = (unsigned char)v[k] < 0x80;
    if (n < 3 || n >= PROSE_WORD_MAX ||
        !(ascii ? folded_copy(v, n, w) : normalize(v, n, false, w) >= 3)) /* "Cédula", "EMŠO" */
        return false;
    const unsigned char *YYMARKER, *YYCURSOR = w;
    /*!re2c
        // the US's and the Netherlands' social security numbers, Brazil's
        // CPF, India's Aadhaar, the Nordic and Baltic personal identity
        // numbers, Poland's PESEL, Spain's DNI, NIE and NIF, France's NIR,
        // Mexico's CURP, Singapore's NRIC, Hong Kong's HKID, Turkey's TCKN,
        // Croatia's OIB, Serbia's JMBG, Bulgaria's EGN, Greece's AMKA,
        // Chile's RUT, Argentina's CUIL and CUIT, Mexico's RFC, Canada's
        // SIN, Australia's TFN, the UK's NINO, Austria's SVNR, Romania's
        // CNP, Slovenia's EMŠO, Greece's AFM, the Czech and Slovak rodné
        // číslo, Latvia's personas kods, Malaysia's MyKad, Latin America's
        // cédula, tax identification numbers (TIN, ITIN, "Tax ID"), Pakistan's
        // CNIC, Indonesia's NIK, Nigeria's NIN, Bangladesh's NID, and
        // passports; two words read as one ("Social Security", "Steuer-ID")
        ( "ssn" | "bsn" | "cpf" | "aadhaar" | "aadhar" | "personnummer" | "personnr"
        | "personnummeret" | "fodselsnummer" | "henkilotunnus" | "hetu"
        | "isikukood" | "asmenskodas" | "pesel" | "dni" | "nie" | "nif" | "nir" | "curp"
        | "nric" | "hkid" | "tckn" | "tckimlik" | "oib" | "jmbg" | "egn" | "amka" | "cpr"
        | "kennitala" | "passport" | "passeport" | "reisepass" | "pasaporte" | "passaporto"
        | "paszport" | "socialsecurity" | "steuerid" | "steueridentifikationsnummer"
        | "sozialversicherungsnummer" | "burgerservicenummer" | "rijksregisternummer"
        | "nationalid" | "codicefiscale" | "rut" | "cuil" | "cuit" | "rfc" | "sin" | "tfn"
        | "nino" | "svnr" | "cnp" | "emso" | "afm" | "rodnecislo" | "personaskods" | "mykad"
        | "cedula" | "tin" | "itin" | "taxid" | "taxpayerid"
        | "cnic" | "nik" | "nin" | "nid" ) "\x00"
            { return true; }
        [^] { return false; }
    */
}

/* ---- a card's security code named in prose -------------------------------- */

/*!re2c
    // the schemes' short names as words ("CVV2"; not Amex's "CID", a
    // customer's id as often); the names other languages write as one
    // word, also at a compound's end ("Kartenprüfnummer"); those written as
    // several words; and the nouns that may follow a name ("CVV code",
    // "cvv no.")
    CODE_SHORT = "cvv" "2"? | "cvc" "2"? | "cv2" | "csc" | "cvn" | "cvd" | "cav2" | "ccv" | "pin";
    CODE_COMPOUND = "pr" "u" "e"? "f" ("nummer" | "ziffer") | "sicherheitscode" | "securitycode"
      | "cardcode" | "cryptogramme" | "cryptogram" | "veiligheidscode" | "beveiligingscode"
      | "sakerhetskod" | "sikkerhe" [dt] "skode" | "kontrolcifre" | "kontrollsiff" ("er" | "ra" | "ror")
      | "turvakood" "i"? | "tarkistusnumero" | "guvenlikkodu" | "guvenliknumarasi";
    CODE_WORDS = "security_code" | "card_code" | "card_verification" | "verification_value"
      | "cryptogramme_visuel" | "codigo_" ("de_")? ("seguridad" | "seguranca")
      | "codice_" ("di_")? "sicurezza" | "code_" ("de_")? "securite" | "cod_" ("de_")? "securitate"
      | "kod_bezpieczenstwa" | "kod_zabezpieczajacy" | "bezpecnostn" [iy] "_kod" | "biztonsagi_kod"
      | "sigurnosni_kod" | "varnostna_koda" | "apsaugos_kodas" | "drosibas_kods"
      | "kode_keamanan" | "kod_keselamatan" | "guvenlik_numarasi" | "kontroln" [iy] "_kod"
      | "numero_" ("de_")? "controle";
    CODE_TAIL = "code" | "number" | "num" | "no" | "nr" | "nummer" | "numero" | "kod" | "kodu"
      | "koodi" | "value";
    // how the words above end
    CODE_WORD_END = CODE_TAIL | "ziffer" | "kode" | "cryptogramme" | "cryptogram" | "cifre"
      | "verification" | "visuel" | "seguridad" | "seguranca" | "sicurezza" | "securitate"
      | "bezpieczenstwa" | "zabezpieczajacy" | "kood" | "koda" | "kodas" | "kods" | "keamanan"
      | "keselamatan" | "siffer" | "siffra" | "siffror" | "numarasi" | "controle";
*/

/* A letter or digit, or a byte of a character of another script. */
static bool word_byte(unsigned char ch)
{
    return (unsigned)((ch | 0x20) - 'a') < 26 || (unsigned)(ch - '0') < 10 || ch >= 0x80;
}

/* Does a word that may end a card code's name (CODE_WORD_END, or
 * CODE_SHORT with `whole`) start at p and run to the NUL? */
static bool card_code_end_at(const unsigned char *p, bool whole)
{
    const unsigned char *YYMARKER, *YYCURSOR = p;
    /*!re2c
        CODE_WORD_END "\x00" { return true; }
        CODE_SHORT "\x00"    { return whole; }
        [^]                  { return false; }
    */
}

/* Whether the last word of the n bytes at v may end a card code's name:
 * nearly every word before a number ("order 1234", "in 2024") is turned
 * away here, before the label is normalized. A word with a letter of
 * another script ("Prüfnummer", "sécurité") is read whole (*ascii false). */
static bool card_code_last_word(const char *v, size_t n, bool *ascii)
{
    size_t w = n;
    *ascii = true;
    for (; w > 0 && n - w < PROSE_WORD_MAX - 1 && word_byte((unsigned char)v[w - 1]); w--)
        *ascii &= (unsigned char)v[w - 1] < 0x80;
    unsigned char word[PROSE_WORD_MAX];
    if (!*ascii)
        return true;
    if (!folded_copy(v + w, n - w, word))
        return false;
    for (size_t at = 0; word[at]; at++)
        if (card_code_end_at(word + at, at == 0))
            return true;
    return false;
}

/* Does a card code's name start at p in a worded copy (at a word's start,
 * or inside a compound word) and end the copy, maybe followed by a noun? */
static bool card_code_label_at(const unsigned char *p)
{
    const unsigned char *YYMARKER, *YYCURSOR = p;
    /*!re2c
        ("_" (CODE_SHORT | CODE_WORDS) | CODE_COMPOUND) "_" (CODE_TAIL "_")? "\x00"
            { return true; }
        [^] { return false; }
    */
}

/* Whether the n bytes at v end with one of the words in list[0..count). */
static bool ends_with_word(const char *v, size_t n, const char *const *list, size_t count)
{
    for (size_t w = 0; w < count; w++) {
        size_t len = strlen(list[w]);
        if (len <= n && !memcmp(v + n - len, list[w], len))
            return true;
    }
    return false;
}

bool card_code_label(const char *v, size_t len)
{
    bool ascii;
    if (!card_code_last_word(v, len, &ascii))
        return false;
    char spaced[WORDS_MAX];
    if (!ascii) /* a site search's "Код+безопасности%3A+737" */
        v = plus_as_blank(v, len, spaced);
    if (!ascii && ends_with_word(v, len, NATIVE_CARD_WORDS, NATIVE_CARD_CODE_WORDS))
        return true; /* "Код безопасности: 737" */
    unsigned char norm[WORDS_MAX];
    size_t n = normalize(v, len, true, norm);
    for (size_t at = 0; at + 1 < n; at++)
        if (card_code_label_at(norm + at))
            return true;
    return false;
}

/* The lengths of link_action_word()'s words by their first letter, as bits
 * (keep in step with its list): nearly every word of a path is turned away
 * here, before its copy is folded. */
static const uint16_t LINK_ACTION_LENGTHS[26] = {
    ['a' - 'a'] = 1 << 4 | 1 << 6 | 1 << 8 | 1 << 10, /* auth accept activate activation */
    ['c' - 'a'] = 1 << 7 | 1 << 12,                   /* confirm confirmation */
    ['h' - 'a'] = 1 << 4 | 1 << 5,                    /* hook hooks */
    ['i' - 'a'] = 1 << 6 | 1 << 7 | 1 << 10 | 1 << 11, /* invite(s) invitation(s) */
    ['j' - 'a'] = 1 << 4,                             /* join */
    ['l' - 'a'] = 1 << 5,                             /* login */
    ['m' - 'a'] = 1 << 5,                             /* magic */
    ['p' - 'a'] = 1 << 8 | 1 << 9 | 1 << 12,          /* password(s) passwordless */
    ['r' - 'a'] = 1 << 5 | 1 << 7 | 1 << 8,           /* reset recover recovery */
    ['s' - 'a'] = 1 << 3 | 1 << 6,                    /* sso signin signup */
    ['t' - 'a'] = 1 << 5 | 1 << 6,                    /* token(s) */
    ['u' - 'a'] = 1 << 6 | 1 << 11,                   /* unlock unsubscribe */
    ['v' - 'a'] = 1 << 6 | 1 << 12,                   /* verify verification */
    ['w' - 'a'] = 1 << 7 | 1 << 8,                    /* webhook(s) */
};

bool link_action_word(const char *v, size_t n)
{
    unsigned first = ((unsigned char)v[0] | 0x20) - 'a';
    if (n > 15 || first >= 26 || !(LINK_ACTION_LENGTHS[first] >> n & 1))
        return false;
    unsigned char w[PROSE_WORD_MAX];
    if (!folded_copy(v, n, w))
        return false;
    const unsigned char *YYMARKER, *YYCURSOR = w;
    /*!re2c
        ( "reset" | "verify" | "verification" | "confirm" | "confirmation" | "activate"
        | "activation" | "invite" "s"? | "invitation" "s"? | "magic" | "unlock" | "recover"
        | "recovery" | "password" "s"? | "passwordless" | "token" "s"? | "login" | "signin"
        | "signup" | "accept" | "join" | "auth" | "sso" | "unsubscribe"
        | "webhook" "s"? | "hook" "s"? ) "\x00"
            { return true; }
        [^] { return false; }
    */
}

/* ---- email and phone fields ----------------------------------------------- */

/* Does an email or phone word start at p, anywhere in a compact copy? */
static bool pii_part_at(const unsigned char *p)
{
    const unsigned char *YYMARKER, *YYCURSOR = p;
    /*!re2c
        "email" | "phone" | "mobile" | "msisdn" | "whatsapp" | "courriel" | "telefon"
      | "telefono" | "telefoon" | "telepon" | "telemovel" | "celular" | "cellulare" | "puhelin"
      | "handynummer" | "mobilnummer" | "correo" | "eposta" | "epostadress" | "sahkoposti"
      | "netfang" | "epasts" | "postaelettronica" | "elektroninispastas" | "viber"
      // Latvian tālrunis and e-pasta, Polish komórka, Estonian e-posti,
      // Lithuanian el. pašto, Swahili barua pepe, Hungarian mobilszám
      | "talrun" | "komork" | "epasta" | "eposti" | "elpasto" | "baruapepe" | "mobilszam"
            { return true; }
        [^] { return false; }
    */
}

/* Does a whole email or phone word start at p, just after a '_' of a worded
 * copy? With the abbreviations of "telephone" forms and addresses write:
 * Norwegian and Danish "tlf", Spanish "telf" and "tfno", "cel" for celular;
 * and Malay's e-mel, Swahili's simu. */
static bool pii_word_at(const unsigned char *p)
{
    const unsigned char *YYMARKER, *YYCURSOR = p;
    /*!re2c
        ("tel" | "cell" | "fax" | "mail" | "sms" | "mob" | "handy" | "mobil" | "movil" | "gsm"
         | "epost" | "e_post" | "emel" | "e_mel" | "simu" | "tlf" | "tlfn" | "telf" | "tfno"
         | "cel") "_"
            { return true; }
        [^] { return false; }
    */
}

bool pii_name_like(const char *v, size_t len)
{
    char buf[UNESCAPED_MAX];
    v = unescaped(v, &len, buf);
    return name_has(v, len, pii_part_at, pii_word_at, NULL);
}

/* Email and phone in scripts normalize() drops, as UTF-8, as a form's
 * labels write them (Cyrillic and Greek without their first letter, which
 * may be a capital; not "почта" alone, which a postcode's label holds). */
static const char *const NATIVE_PII_WORDS[] = {
    /* メール, 邮箱, 电子邮件, 電子郵件, 이메일 (Japanese, Chinese, Korean) */
    "\xe3\x83\xa1\xe3\x83\xbc\xe3\x83\xab",
    "\xe9\x82\xae\xe7\xae\xb1",
    "\xe7\x94\xb5\xe5\xad\x90\xe9\x82\xae\xe4\xbb\xb6",
    "\xe9\x9b\xbb\xe5\xad\x90\xe9\x83\xb5\xe4\xbb\xb6",
    "\xec\x9d\xb4\xeb\xa9\x94\xec\x9d\xbc",
    /* 電話, 电话, 手机, 手機, 携帯, 전화, 휴대폰, 핸드폰 */
    "\xe9\x9b\xbb\xe8\xa9\xb1",
    "\xe7\x94\xb5\xe8\xaf\x9d",
    "\xe6\x89\x8b\xe6\x9c\xba",
    "\xe6\x89\x8b\xe6\xa9\x9f",
    "\xe6\x90\xba\xe5\xb8\xaf",
    "\xec\xa0\x84\xed\x99\x94",
    "\xed\x9c\xb4\xeb\x8c\x80\xed\x8f\xb0",
    "\xed\x95\xb8\xeb\x93\x9c\xed\x8f\xb0",
    /* (Э|э)лектронная почта, (Е|е)лектронна пошта, эл. почта, (И|и)мейл, (Т|т)елефон
     * (Russian, Ukrainian, Bulgarian, Serbian) */
    ("\xd0\xbb\xd0\xb5\xd0\xba\xd1\x82\xd1\x80\xd0\xbe\xd0\xbd\xd0"
     "\xbd\xd0\xb0\xd1\x8f \xd0\xbf\xd0\xbe\xd1\x87\xd1\x82\xd0\xb0"),
    ("\xd0\xbb\xd0\xb5\xd0\xba\xd1\x82\xd1\x80\xd0\xbe\xd0\xbd"
     "\xd0\xbd\xd0\xb0 \xd0\xbf\xd0\xbe\xd1\x88\xd1\x82\xd0\xb0"),
    "\xd0\xbb. \xd0\xbf\xd0\xbe\xd1\x87\xd1\x82\xd0\xb0",
    "\xd0\xbc\xd0\xb5\xd0\xb9\xd0\xbb",
    "\xd0\xb5\xd0\xbb\xd0\xb5\xd1\x84\xd0\xbe\xd0\xbd",
    /* (Η|η)λεκτρονικό ταχυδρομείο, (Τ|τ)ηλέφωνο, (Τ|τ)ηλεφώνου (Greek) */
    ("\xce\xbb\xce\xb5\xce\xba\xcf\x84\xcf\x81\xce\xbf\xce\xbd\xce\xb9\xce\xba\xcf\x8c "
     "\xcf\x84\xce\xb1\xcf\x87\xcf\x85\xce\xb4\xcf\x81\xce\xbf\xce\xbc\xce\xb5\xce\xaf\xce\xbf"),
    "\xce\xb7\xce\xbb\xce\xad\xcf\x86\xcf\x89\xce\xbd\xce\xbf",
    "\xce\xb7\xce\xbb\xce\xb5\xcf\x86\xcf\x8e\xce\xbd\xce\xbf\xcf\x85",
    /* البريد الإلكتروني, البريد الالكتروني, هاتف, جوال (Arabic), ایمیل, تلفن, موبایل (Persian) */
    ("\xd8\xa7\xd9\x84\xd8\xa8\xd8\xb1\xd9\x8a\xd8\xaf \xd8\xa7\xd9"
     "\x84\xd8\xa5\xd9\x84\xd9\x83\xd8\xaa\xd8\xb1\xd9\x88\xd9\x86\xd9\x8a"),
    ("\xd8\xa7\xd9\x84\xd8\xa8\xd8\xb1\xd9\x8a\xd8\xaf \xd8\xa7\xd9"
     "\x84\xd8\xa7\xd9\x84\xd9\x83\xd8\xaa\xd8\xb1\xd9\x88\xd9\x86\xd9\x8a"),
    "\xd9\x87\xd8\xa7\xd8\xaa\xd9\x81",
    "\xd8\xac\xd9\x88\xd8\xa7\xd9\x84",
    "\xd8\xa7\xdb\x8c\xd9\x85\xdb\x8c\xd9\x84",
    "\xd8\xaa\xd9\x84\xd9\x81\xd9\x86",
    "\xd9\x85\xd9\x88\xd8\xa8\xd8\xa7\xdb\x8c\xd9\x84",
    /* דוא"ל, אימייל, טלפון (Hebrew), อีเมล, โทรศัพท์, เบอร์โทร (Thai) */
    "\xd7\x93\xd7\x95\xd7\x90\"\xd7\x9c",
    "\xd7\x90\xd7\x99\xd7\x9e\xd7\x99\xd7\x99\xd7\x9c",
    "\xd7\x98\xd7\x9c\xd7\xa4\xd7\x95\xd7\x9f",
    "\xe0\xb8\xad\xe0\xb8\xb5\xe0\xb9\x80\xe0\xb8\xa1\xe0\xb8\xa5",
    ("\xe0\xb9\x82\xe0\xb8\x97\xe0\xb8\xa3\xe0\xb8\xa8"
     "\xe0\xb8\xb1\xe0\xb8\x9e\xe0\xb8\x97\xe0\xb9\x8c"),
    ("\xe0\xb9\x80\xe0\xb8\x9a\xe0\xb8\xad\xe0\xb8\xa3"
     "\xe0\xb9\x8c\xe0\xb9\x82\xe0\xb8\x97\xe0\xb8\xa3"),
    /* ईमेल, फ़ोन, फोन, मोबाइल (Hindi), (Đ|đ)iện thoại (Vietnamese) */
    "\xe0\xa4\x88\xe0\xa4\xae\xe0\xa5\x87\xe0\xa4\xb2",
    "\xe0\xa4\xab\xe0\xa4\xbc\xe0\xa5\x8b\xe0\xa4\xa8",
    "\xe0\xa4\xab\xe0\xa5\x8b\xe0\xa4\xa8",
    "\xe0\xa4\xae\xe0\xa5\x8b\xe0\xa4\xac\xe0\xa4\xbe\xe0\xa4\x87\xe0\xa4\xb2",
    "i\xe1\xbb\x87n tho\xe1\xba\xa1i",
    /* ইমেইল (Bengali), மின்னஞ்சல் (Tamil), (Е|е)-пошта (Serbian, Macedonian), پست الکترونیک
     * (Persian) */
    "\xe0\xa6\x87\xe0\xa6\xae\xe0\xa7\x87\xe0\xa6\x87\xe0\xa6\xb2",
    ("\xe0\xae\xae\xe0\xae\xbf\xe0\xae\xa9\xe0\xaf\x8d\xe0\xae\xa9"
     "\xe0\xae\x9e\xe0\xaf\x8d\xe0\xae\x9a\xe0\xae\xb2\xe0\xaf\x8d"),
    "-\xd0\xbf\xd0\xbe\xd1\x88\xd1\x82\xd0\xb0",
    ("\xd9\xbe\xd8\xb3\xd8\xaa \xd8\xa7\xd9\x84"
     "\xda\xa9\xd8\xaa\xd8\xb1\xd9\x88\xd9\x86\xdb\x8c\xda\xa9"),
    /* ফোন, মোবাইল (Bengali), தொலைபேசி, கைபேசி (Tamil), (D|d)i động (Vietnamese: mobile),
     * มือถือ (Thai: mobile), נייד (Hebrew: mobile) */
    "\xe0\xa6\xab\xe0\xa7\x8b\xe0\xa6\xa8",
    "\xe0\xa6\xae\xe0\xa7\x8b\xe0\xa6\xac\xe0\xa6\xbe\xe0\xa6\x87\xe0\xa6\xb2",
    ("\xe0\xae\xa4\xe0\xaf\x8a\xe0\xae\xb2\xe0\xaf\x88"
     "\xe0\xae\xaa\xe0\xaf\x87\xe0\xae\x9a\xe0\xae\xbf"),
    "\xe0\xae\x95\xe0\xaf\x88\xe0\xae\xaa\xe0\xaf\x87\xe0\xae\x9a\xe0\xae\xbf",
    "di \xc4\x91\xe1\xbb\x99ng",
    "Di \xc4\x91\xe1\xbb\x99ng",
    "\xe0\xb8\xa1\xe0\xb8\xb7\xe0\xb8\xad\xe0\xb8\x96\xe0\xb8\xb7\xe0\xb8\xad",
    "\xd7\xa0\xd7\x99\xd7\x99\xd7\x93",
};

/* The length of a name without its index: trailing digits, and the '_',
 * '-' and brackets around them ("cc1", "card_no_2", "ccnum[3]"). */
static size_t stem_len(const char *v, size_t len)
{
    size_t n = len;
    while (n > 0 && strchr("_-[]", v[n - 1]) && v[n - 1])
        n--;
    size_t digits = n;
    while (n > 0 && v[n - 1] >= '0' && v[n - 1] <= '9')
        n--;
    if (n == digits)
        return len; /* no index */
    while (n > 0 && strchr("_-[", v[n - 1]) && v[n - 1])
        n--;
    return n;
}

bool indexed_name(const char *v, size_t len)
{
    return stem_len(v, len) < len;
}

bool indexed_names(const char *a, size_t an, const char *b, size_t bn)
{
    size_t stem = stem_len(a, an);
    if (stem == 0) /* indices alone, of an array spread into an object ({"0": ..., "1": ...}) */
        return an > 0 && an <= 2 && bn > 0 && bn <= 2 && stem_len(b, bn) == 0 &&
               (an != bn || memcmp(a, b, an));
    return stem < an && stem_len(b, bn) == stem && !strncasecmp(a, b, stem) &&
           (an != bn || strncasecmp(a, b, an));
}

/*
 * Abbreviations a label before a number writes: "Tel", "Tlf" (Norwegian,
 * Danish), "Telf", "Tfno" (Spanish), "Tfn" (Swedish), "Cel" (celular),
 * and "Tel"/"Mob" in Cyrillic and Greek, any case. The first
 * SPACED_PHONE_ABBREVIATIONS name a phone with a blank alone after them,
 * as addresses and footers write them ("Tlf 22 33 44 55"): they are never
 * a word of prose. The last two are too short to name a field by, and
 * need a ':' or '.': English "Ph." (a key "ph" may hold a pH) and Polish
 * "kom." (komórka; Swedish "kom" is "come").
 */
#define ABBREVIATION(word) {word, sizeof word - 1}
static const struct {
    const char *word;
    size_t len;
} PHONE_ABBREVIATIONS[] = {
    ABBREVIATION("tel"),
    ABBREVIATION("tlf"),
    ABBREVIATION("tlfn"),
    ABBREVIATION("telf"),
    ABBREVIATION("tfno"),
    ABBREVIATION("tfn"),
    ABBREVIATION("fax"),
    ABBREVIATION("mob"),
    ABBREVIATION("cel"),
    ABBREVIATION("gsm"),
    ABBREVIATION("\xd1\x82\xd0\xb5\xd0\xbb"), /* тел */
    ABBREVIATION("\xd0\xa2\xd0\xb5\xd0\xbb"), /* Тел */
    ABBREVIATION("\xd0\xa2\xd0\x95\xd0\x9b"), /* ТЕЛ */
    ABBREVIATION("\xd0\xbc\xd0\xbe\xd0\xb1"), /* моб */
    ABBREVIATION("\xd0\x9c\xd0\xbe\xd0\xb1"), /* Моб */
    ABBREVIATION("\xcf\x84\xce\xb7\xce\xbb"), /* τηλ */
    ABBREVIATION("\xce\xa4\xce\xb7\xce\xbb"), /* Τηλ */
    ABBREVIATION("\xce\xa4\xce\x97\xce\x9b"), /* ΤΗΛ */
    ABBREVIATION("ph"),
    ABBREVIATION("kom"),
};
#undef ABBREVIATION
enum { SPACED_PHONE_ABBREVIATIONS = 18 };

/* The index of the abbreviation v spells in PHONE_ABBREVIATIONS, or -1. */
static int phone_abbreviation_index(const char *v, size_t len)
{
    for (size_t k = 0; k < sizeof PHONE_ABBREVIATIONS / sizeof PHONE_ABBREVIATIONS[0]; k++)
        if (len == PHONE_ABBREVIATIONS[k].len &&
            (v[0] | 0x20) == (PHONE_ABBREVIATIONS[k].word[0] | 0x20) && /* before the call */
            !strncasecmp(v, PHONE_ABBREVIATIONS[k].word, len))
            return (int)k;
    return -1;
}

bool phone_label_word(const char *v, size_t len)
{
    return phone_abbreviation_index(v, len) >= 0 || pii_label_like(v, len);
}

bool phone_abbreviation(const char *v, size_t len)
{
    int k = phone_abbreviation_index(v, len);
    return k >= 0 && k < SPACED_PHONE_ABBREVIATIONS;
}

/* Words that name a phone in full, which a blank alone joins to its
 * number as a ':' does ("Telefon 22 33 44 55", "Phone number 555 1234"):
 * the words themselves, not words that hold one ("iPhone", "Headphone"),
 * read with their accents folded ("Teléfono", "TÉLÉPHONE", "Telemóvel"),
 * and the compounds that add "number" ("Telefonnummer", "Handynummer"). */
bool phone_word(const char *v, size_t len)
{
    static const char *const WORDS[] = {
        "phone",         "telephone",      "telefon",     "telefono",     "telefone",
        "telefoon",      "telepon",        "mobile",      "mobil",        "mobiel",
        "movil",         "mobiltelefon",   "telemovel",   "cellphone",    "celular",
        "puhelin",       "telefonnummer",  "mobilnummer", "handynummer",  "telefoonnummer",
        "mobielnummer",  "puhelinnumero",  "telefonnr",   "mobilnr"};
    unsigned char folded[WORDS_MAX];
    if (len > WORDS_MAX - 3)
        return false;
    size_t n = normalize(v, len, false, folded);
    return ascii_word_in((const char *)folded, n, WORDS, sizeof WORDS / sizeof WORDS[0]);
}

bool ip_name_like(const char *v, size_t len)
{
    static const char *const ALONE[] = {"ip",        "ips",   "ipv4", "ipaddr",
                                        "ipaddress", "ipnum", "ipint"};
    static const char *const AFTER_IP[] = {"address", "addresses", "addr", "adresse", "adres",
                                           "number",  "num",       "int",  "long",    "decimal"};
    unsigned char norm[WORDS_MAX];
    size_t n = normalize(v, len, true, norm); /* "_client_ip_" */
    if (n < 3 || norm[n - 1] != '_')
        return false;
    size_t end = n - 1, last = word_start(norm, end); /* the last word: norm[last, end) */
    const char *word = (const char *)norm + last;
    if (ascii_word_in(word, end - last, ALONE, sizeof ALONE / sizeof ALONE[0]))
        return true;
    if (last < 2) /* no word before it */
        return false;
    size_t before = word_start(norm, last - 1);
    const char *first = (const char *)norm + before;
    if (ascii_word_is(first, last - 1 - before, "remote")) /* CGI's REMOTE_ADDR */
        return ascii_word_is(word, end - last, "addr") ||
               ascii_word_is(word, end - last, "address");
    return ascii_word_is(first, last - 1 - before, "ip") &&
           ascii_word_in(word, end - last, AFTER_IP, sizeof AFTER_IP / sizeof AFTER_IP[0]);
}

bool pii_label_like(const char *v, size_t len)
{
    char buf[UNESCAPED_MAX];
    v = unescaped(v, &len, buf);
    return name_has(v, len, pii_part_at, pii_word_at, NULL) ||
           native_word(v, len, NATIVE_PII_WORDS, sizeof NATIVE_PII_WORDS / sizeof NATIVE_PII_WORDS[0]);
}
