/*
 * words.re - whether an element's name or id says it holds a card number,
 * CVC or expiry ("cardNumber", "cc-exp", "billing_cvv", "pan").
 *
 * Input contract: any bytes. They are lowercased and stripped to [a-z0-9]
 * into a NUL-terminated copy first (at most 127 bytes are kept), so the
 * scanner below sees only those bytes and stops at the NUL.
 */
#include "internal.h"

#include <string.h>

/* Does a card word start at p? (p points into a NUL-terminated [a-z0-9]* copy.) */
static bool card_word_at(const unsigned char *p)
{
    const unsigned char *YYCURSOR = p, *YYMARKER;
    /*!re2c
        re2c:define:YYCTYPE = "unsigned char";
        re2c:yyfill:enable = 0;

        "card" ("number" | "num" | "code" | "security" | "exp" | "holder")
      | "cc" ("num" | "number" | "exp")
      | "creditcard" | "debitcard"
      | "cvc" | "cvv" | "csc" | "cvn"
      | "securitycode"
      | "exp" ("iry" | "iration" | "date" | "month" | "year")
            { return true; }
        [^] { return false; }
    */
}

bool card_like(const char *v, size_t len)
{
    unsigned char norm[128];
    size_t n = 0;
    for (size_t i = 0; i < len && n < sizeof norm - 1; i++) {
        unsigned char ch = (unsigned char)v[i];
        if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'))
            norm[n++] = ch;
        else if (ch >= 'A' && ch <= 'Z')
            norm[n++] = (unsigned char)(ch | 0x20);
    }
    norm[n] = '\0';
    /* "pan" only as the whole name: "panel" and "company" are not cards */
    if (n == 3 && !memcmp(norm, "pan", 3))
        return true;
    for (size_t at = 0; at < n; at++)
        if (card_word_at(norm + at))
            return true;
    return false;
}
