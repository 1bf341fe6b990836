/*
 * command_line.c - the passwords a command line passes.
 *
 * Web terminals, runbooks, CI logs and support chats show commands such as
 * "mysql -uroot -pKestrel9vQ2 shop", "curl -u admin:Kestrel9vQ2 ...",
 * "sshpass -p Kestrel9vQ2 ssh ..." or "sqlplus scott/Kestrel9vQ2@orcl".
 * No word names the secret there: the option does, and what an option
 * means depends on its command ("-p" is mysql's password and ssh's port,
 * "-P" zip's password and mysql's port). So a shell word is read back to
 * the option it is the value of, and the option back to its command. A
 * database console's statements are read so too: SQL's "IDENTIFIED BY"
 * and "PASSWORD('...')".
 *
 * Input: normalized text (text_view), and the start of a word the scan
 * found a digit in. Output: where the password is; the caller masks it.
 */
#include "internal.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/*
 * How commands take a password: the options that carry it, written as on
 * the command line and then how the value follows:
 *   "-p"    in the next word, or glued to the option as getopt allows;
 *   "-p+"   glued only: mysql's "-p" alone asks for the password, and the
 *           word after it is the database;
 *   "-u:"   a user's name and the password after ':' (also '%' and ',');
 *   "/p:"   glued after a Windows-style option's ':';
 *   "@/"    the first argument, a user's name and the password after '/'
 *           (before an '@' and a database);
 *   "@"     the first argument;
 *   "@|"    the first argument, when the command it is piped into reads a
 *           password from its input (stdin_reads_password()).
 * A command with no options takes none: the search for a command stops at
 * it. `after`: only after that word ("docker login -p ...", while "docker
 * run -p 8080:80" publishes a port; "gh secret set -b ...", while "gh issue
 * create -b ..." writes an issue).
 */
enum password_how {
    HOW_GLUED_P,
    HOW_GETOPT_P,
    HOW_REDIS,
    HOW_LDAP,
    HOW_LDAPPASSWD,
    HOW_CAPITAL_P,
    HOW_SSH_KEYGEN,
    HOW_SNMP,
    HOW_CURL,
    HOW_HTTPIE,
    HOW_LFTP,
    HOW_SMB,
    HOW_KEYTOOL,
    HOW_FREERDP,
    HOW_LOGIN,
    HOW_ORACLE,
    HOW_POWERSHELL,
    HOW_ECHO,
    HOW_GH,
    HOW_OPENSSL,
    HOW_PORT,
};

static const struct password_options {
    const char *options;
    const char *after;
} HOW[] = {
    [HOW_GLUED_P] = {"-p+", NULL},            /* mysql, MariaDB, 7-Zip, RAR */
    [HOW_GETOPT_P] = {"-p --password", NULL}, /* sshpass, PsExec, MongoDB's tools */
    [HOW_REDIS] = {"-a --pass", NULL},
    [HOW_LDAP] = {"-w", NULL}, /* OpenLDAP's clients */
    [HOW_LDAPPASSWD] = {"-w -s -a", NULL},
    [HOW_CAPITAL_P] = {"-P", NULL}, /* zip, SQL Server's tools, ipmitool, Mosquitto */
    [HOW_SSH_KEYGEN] = {"-N -P", NULL},
    [HOW_SNMP] = {"-A -X", NULL}, /* SNMPv3's passphrases */
    [HOW_CURL] = {"-u: -U: --user: --proxy-user:", NULL},
    [HOW_HTTPIE] = {"-a: --auth:", NULL}, /* HTTPie, xh */
    [HOW_LFTP] = {"-u,", NULL},
    [HOW_SMB] = {"-U% --user%", NULL}, /* Samba's clients */
    [HOW_KEYTOOL] =
        {"-storepass -keypass -srcstorepass -deststorepass -srckeypass -destkeypass -new",
         NULL}, /* Java's key stores */
    [HOW_FREERDP] = {"/p:", NULL},
    [HOW_LOGIN] = {"-p --password", "login"}, /* registries' and clouds' logins */
    [HOW_ORACLE] = {"@/", NULL},              /* Oracle's tools */
    [HOW_POWERSHELL] = {"@ -String", NULL},
    [HOW_ECHO] = {"@|", NULL},
    [HOW_GH] = {"-b --body", "secret"},
    [HOW_OPENSSL] = {"-k -K", NULL}, /* enc's password and key */
    [HOW_PORT] = {"", NULL},         /* none: what sshpass runs, whose "-p" is a port */
};

/* The commands (lowercase), in strcmp() order for bsearch() (LC_ALL=C sort). */
static const struct command {
    const char *name;
    enum password_how how;
} COMMANDS[] = {
    {"7z", HOW_GLUED_P},
    {"7za", HOW_GLUED_P},
    {"7zr", HOW_GLUED_P},
    {"az", HOW_LOGIN},
    {"bcp", HOW_CAPITAL_P},
    {"buildah", HOW_LOGIN},
    {"cf", HOW_LOGIN},
    {"convertto-securestring", HOW_POWERSHELL},
    {"crane", HOW_LOGIN},
    {"curl", HOW_CURL},
    {"dgmgrl", HOW_ORACLE},
    {"docker", HOW_LOGIN},
    {"echo", HOW_ECHO},
    {"expdp", HOW_ORACLE},
    {"gh", HOW_GH},
    {"helm", HOW_LOGIN},
    {"http", HOW_HTTPIE},
    {"https", HOW_HTTPIE},
    {"impdp", HOW_ORACLE},
    {"ipmitool", HOW_CAPITAL_P},
    {"isql", HOW_CAPITAL_P},
    {"jarsigner", HOW_KEYTOOL},
    {"keytool", HOW_KEYTOOL},
    {"ldapadd", HOW_LDAP},
    {"ldapcompare", HOW_LDAP},
    {"ldapdelete", HOW_LDAP},
    {"ldapexop", HOW_LDAP},
    {"ldapmodify", HOW_LDAP},
    {"ldapmodrdn", HOW_LDAP},
    {"ldappasswd", HOW_LDAPPASSWD},
    {"ldapsearch", HOW_LDAP},
    {"ldapwhoami", HOW_LDAP},
    {"lftp", HOW_LFTP},
    {"mariadb", HOW_GLUED_P},
    {"mariadb-admin", HOW_GLUED_P},
    {"mariadb-dump", HOW_GLUED_P},
    {"mariadb-import", HOW_GLUED_P},
    {"mongo", HOW_GETOPT_P},
    {"mongodump", HOW_GETOPT_P},
    {"mongoexport", HOW_GETOPT_P},
    {"mongofiles", HOW_GETOPT_P},
    {"mongoimport", HOW_GETOPT_P},
    {"mongorestore", HOW_GETOPT_P},
    {"mongosh", HOW_GETOPT_P},
    {"mongostat", HOW_GETOPT_P},
    {"mongotop", HOW_GETOPT_P},
    {"mosquitto_pub", HOW_CAPITAL_P},
    {"mosquitto_rr", HOW_CAPITAL_P},
    {"mosquitto_sub", HOW_CAPITAL_P},
    {"mysql", HOW_GLUED_P},
    {"mysqladmin", HOW_GLUED_P},
    {"mysqlcheck", HOW_GLUED_P},
    {"mysqldump", HOW_GLUED_P},
    {"mysqlimport", HOW_GLUED_P},
    {"mysqlpump", HOW_GLUED_P},
    {"mysqlshow", HOW_GLUED_P},
    {"nerdctl", HOW_LOGIN},
    {"oc", HOW_LOGIN},
    {"openssl", HOW_OPENSSL},
    {"oras", HOW_LOGIN},
    {"osql", HOW_CAPITAL_P},
    {"podman", HOW_LOGIN},
    {"psexec", HOW_GETOPT_P},
    {"rar", HOW_GLUED_P},
    {"redis-cli", HOW_REDIS},
    {"rpcclient", HOW_SMB},
    {"rsync", HOW_PORT},
    {"scp", HOW_PORT},
    {"sdl-freerdp", HOW_FREERDP},
    {"sftp", HOW_PORT},
    {"skopeo", HOW_LOGIN},
    {"smbcacls", HOW_SMB},
    {"smbclient", HOW_SMB},
    {"smbget", HOW_SMB},
    {"snmpbulkget", HOW_SNMP},
    {"snmpbulkwalk", HOW_SNMP},
    {"snmpget", HOW_SNMP},
    {"snmpset", HOW_SNMP},
    {"snmptrap", HOW_SNMP},
    {"snmpwalk", HOW_SNMP},
    {"sqlcmd", HOW_CAPITAL_P},
    {"sqlplus", HOW_ORACLE},
    {"ssh", HOW_PORT},
    {"ssh-keygen", HOW_SSH_KEYGEN},
    {"sshpass", HOW_GETOPT_P},
    {"unrar", HOW_GLUED_P},
    {"unzip", HOW_CAPITAL_P},
    {"wlfreerdp", HOW_FREERDP},
    {"xfreerdp", HOW_FREERDP},
    {"xh", HOW_HTTPIE},
    {"xhs", HOW_HTTPIE},
    {"zip", HOW_CAPITAL_P},
};

enum {
    COMMAND_NONE = -1,
    COMMAND_NAME_MOST = 24,
    WORD_MOST = 96,
    LINE_WORDS_MOST = 16,
    LINE_BYTES_MOST = 256
};

static bool letter(uint8_t ch)
{
    return (ch | 0x20) >= 'a' && (ch | 0x20) <= 'z';
}

static bool blank(uint8_t ch)
{
    return ch == ' ' || ch == '\t';
}

/* Whether ch is in a shell word: neither a blank, a line break or another
 * control character, nor one of the shell's operators and grouping that
 * end a command (or start one after them): ; & ( ) | ` { } */
static bool word_char(uint8_t ch)
{
    static const bool WORD[256] = {['!' ... '%'] = true, ['\''] = true,
                                   ['*' ... ':'] = true, ['<' ... '_'] = true,
                                   ['a' ... 'z'] = true, ['~' ... 0xff] = true};
    return WORD[ch];
}

/* The start of the word that holds k, at most WORD_MOST bytes back; k itself
 * when no word ends there. */
static size_t word_start(const text_view *v, size_t k)
{
    size_t w = k;
    while (w > 0 && k - w < WORD_MOST && word_char(v->s[w - 1]))
        w--;
    return w;
}

/* Where the blanks before w start, when they follow a word: the end of the
 * word before the one at w; 0 for none. A line continuation ("\\\n") is
 * a blank. */
static size_t previous_word_end(const text_view *v, size_t w)
{
    size_t k = w;
    for (;;) {
        while (k > 0 && blank(v->s[k - 1]))
            k--;
        if (k >= 2 && v->s[k - 1] == '\n' && v->s[k - 2] == '\\')
            k -= 2;
        else if (k >= 3 && v->s[k - 1] == '\n' && v->s[k - 2] == '\r' && v->s[k - 3] == '\\')
            k -= 3;
        else
            break;
    }
    return k < w && k > 0 && word_char(v->s[k - 1]) ? k : 0;
}

/* The start of the word before the one at w; SIZE_MAX for none. */
static size_t previous_word(const text_view *v, size_t w)
{
    size_t e = previous_word_end(v, w);
    return e ? word_start(v, e - 1) : SIZE_MAX;
}

/* The end of the word that starts at w. */
static size_t word_end(const text_view *v, size_t w)
{
    while (w < v->n && word_char(v->s[w]))
        w++;
    return w;
}

/* How many backslashes stand right before k. */
static size_t backslashes_before(const text_view *v, size_t k)
{
    size_t n = 0;
    while (n < k && v->s[k - 1 - n] == '\\')
        n++;
    return n;
}

/* Whether a quote starts at w, maybe escaped (backslashes_at()). */
static bool quoted(const text_view *v, size_t w)
{
    w += backslashes_at(v, w);
    return w < v->n && (v->s[w] == '"' || v->s[w] == '\'');
}

bool command_line_table_sorted(void)
{
    for (size_t k = 1; k < sizeof COMMANDS / sizeof COMMANDS[0]; k++)
        if (strcmp(COMMANDS[k - 1].name, COMMANDS[k].name) >= 0)
            return false;
    return true;
}

static int command_cmp(const void *name, const void *command)
{
    return strcmp(name, ((const struct command *)command)->name);
}

static bool name_char(uint8_t ch)
{
    static const bool NAME[256] = {['0' ... '9'] = true, ['a' ... 'z'] = true, ['A' ... 'Z'] = true,
                                   ['-'] = true,         ['_'] = true,         ['.'] = true};
    return NAME[ch];
}

/* Where the name that ends the word [w, e) starts: past a path
 * (/usr/bin/, C:\Tools\) or whatever holds the command line (a query's
 * "q=", markup's "<pre>", a JSON string's quote). */
static size_t name_start(const text_view *v, size_t w, size_t e)
{
    size_t k = e;
    while (k > w && name_char(v->s[k - 1]))
        k--;
    return k;
}

/* How the command whose name (name_start()) ends the word [w, e) takes a
 * password, without a ".exe"; COMMAND_NONE when it is none of COMMANDS. */
static int command_how(const text_view *v, size_t w, size_t e)
{
    size_t k = name_start(v, w, e);
    if (e - k > 4 && ascii_word_is((const char *)v->s + e - 4, 4, ".exe"))
        e -= 4;
    char name[COMMAND_NAME_MOST + 1];
    if (e - k < 2 || e - k > COMMAND_NAME_MOST)
        return COMMAND_NONE;
    for (size_t i = 0; i < e - k; i++)
        name[i] =
            (char)(v->s[k + i] >= 'A' && v->s[k + i] <= 'Z' ? v->s[k + i] | 0x20 : v->s[k + i]);
    name[e - k] = '\0';
    const void *found = bsearch(name, COMMANDS, sizeof COMMANDS / sizeof COMMANDS[0],
                                sizeof COMMANDS[0], command_cmp);
    return found ? (int)((const struct command *)found)->how : COMMAND_NONE;
}

/* Whether `word` is one of the words in [k, to). */
static bool word_between(const text_view *v, size_t k, size_t to, const char *word)
{
    while (k < to) {
        while (k < to && !word_char(v->s[k]))
            k++;
        size_t e = word_end(v, k);
        if (ascii_word_is((const char *)v->s + k, e - k, word))
            return true;
        k = e;
    }
    return false;
}

/* How the command the option word at w belongs to takes a password: the
 * nearest command of COMMANDS before it on its command line, with the
 * subcommand after it where HOW asks for one; COMMAND_NONE for none. */
static int command_before(const text_view *v, size_t w)
{
    size_t from = w;
    for (int words = 0; words < LINE_WORDS_MOST; words++) {
        if ((w = previous_word(v, w)) == SIZE_MAX || from - w > LINE_BYTES_MOST)
            return COMMAND_NONE;
        size_t e = word_end(v, w);
        int how = command_how(v, w, e);
        if (how != COMMAND_NONE)
            return !HOW[how].after || word_between(v, e, from, HOW[how].after) ? how : COMMAND_NONE;
    }
    return COMMAND_NONE;
}

/* Where a password option's value starts in the word [w, e) that starts
 * with the option (glued: "-pKestrel9vQ2", "/p:Kestrel9vQ2"), or, when w
 * is the value's word, after the option word [o, oe) ("-p Kestrel9vQ2");
 * SIZE_MAX when `how` takes no password so. *sep: what parts the user's
 * name from the password in the value, or 0. */
static size_t option_value(int how, const text_view *v, size_t o, size_t oe, size_t w, bool glued,
                           char *sep)
{
    for (const char *t = HOW[how].options; *t;) {
        size_t len = strcspn(t, " "), name = len;
        char last = t[len - 1];
        bool windows = t[0] == '/', glued_only = last == '+';
        if (!windows && (last == '+' || last == ':' || last == '%' || last == ','))
            name--;
        *sep = !windows && name < len && !glued_only ? last : 0;
        if (t[0] != '@' && glued && (name == 2 || windows) && oe - o > name &&
            memcmp(v->s + o, t, name) == 0)
            return o + name;
        if (t[0] != '@' && !glued && !windows && !glued_only && oe - o == name &&
            memcmp(v->s + o, t, name) == 0)
            return w;
        t += len + (t[len] == ' ');
    }
    return SIZE_MAX;
}

/* Whether the command the line after k pipes into reads a password from
 * its input: "| docker login -u ci --password-stdin", "| sudo -S ...",
 * "| passwd --stdin ops", "| chpasswd". */
static bool stdin_reads_password(const text_view *v, size_t k)
{
    static const char *const READERS[] = {"--password-stdin", "--passwd-on-stdin", "sudo -s",
                                          "passwd --stdin", "chpasswd"};
    size_t end = v->n - k > LINE_BYTES_MOST ? k + LINE_BYTES_MOST : v->n;
    while (k < end && v->s[k] != '|' && v->s[k] != '\n' && v->s[k] != ';')
        k++;
    if (k == end || v->s[k] != '|')
        return false;
    for (size_t e = k + 1; e < end && v->s[e] != '\n'; e++) {
        if (!blank(v->s[e - 1]) && v->s[e - 1] != '|') /* not a word's start */
            continue;
        for (size_t r = 0; r < sizeof READERS / sizeof READERS[0]; r++)
            if (end - e >= strlen(READERS[r]) &&
                ascii_word_is((const char *)v->s + e, strlen(READERS[r]), READERS[r]))
                return true;
    }
    return false;
}

/* Whether `how` takes a password as the first argument, the word at w:
 * "@" (*sep 0), "@/" (*sep '/'), "@|". */
static bool takes_argument(int how, const text_view *v, size_t w, char *sep)
{
    const char *at = strchr(HOW[how].options, '@');
    if (!at || (at[1] == '|' && !stdin_reads_password(v, w)))
        return false;
    *sep = at[1] == '/' ? '/' : 0;
    return true;
}

/* The password in the value that starts at k: the whole value, or what
 * follows sep in it (and, after '/', what comes before an '@'). Quoted, the
 * value may hold blanks. Its end, and its start in *start; 0 for none (a
 * value with no sep asks for the password; "$VAR" names one elsewhere). */
static size_t password_in_value(const text_view *v, size_t k, char sep, size_t *start)
{
    size_t e;
    if (k < v->n && quoted(v, k)) { /* to the same quote, escaped the same way */
        size_t depth = backslashes_at(v, k);
        uint8_t quote = v->s[k + depth];
        k += depth + 1;
        for (e = k; e < v->n && e - k < WORD_MOST && v->s[e] != '\n'; e++)
            if (v->s[e] == quote && e - k >= depth && backslashes_before(v, e) == depth)
                break;
        if (e >= v->n || v->s[e] != quote)
            return 0;
        e -= depth;
    } else { /* to a blank, or a redirection's or markup's '<' */
        for (e = k; e < v->n && word_char(v->s[e]) && v->s[e] != '<';)
            e++;
    }
    if (sep) {
        const uint8_t *at = memchr(v->s + k, sep, e - k);
        if (!at)
            return 0;
        k = (size_t)(at - v->s) + 1;
        const uint8_t *db = sep == '/' ? memchr(v->s + k, '@', e - k) : NULL;
        if (db)
            e = (size_t)(db - v->s);
    }
    if (k >= e || v->s[k] == '$')
        return 0;
    *start = k;
    return e;
}

static bool user_char(uint8_t ch)
{
    static const bool USER[256] = {['0' ... '9'] = true, ['a' ... 'z'] = true, ['A' ... 'Z'] = true,
                                   ['@'] = true,         ['.'] = true,         ['_'] = true,
                                   ['-'] = true,         ['+'] = true,         ['*'] = true};
    return USER[ch];
}

/* Where the user's name (letters, digits, "@._-+", and '*' where the scan
 * masked an email in place) that ends at e starts, a word's first:
 * "scott/", "ops%", "deploy,", "admin:", "-uadmin:", or the quote before
 * it; SIZE_MAX for none (a URL's path segment or a list's number has
 * another byte before it). */
static size_t user_start(const text_view *v, size_t e)
{
    size_t k = e;
    while (k > 0 && e - k < 64 && user_char(v->s[k - 1]))
        k--;
    if (k == e || (k > 0 && !blank(v->s[k - 1]) && v->s[k - 1] != '"' && v->s[k - 1] != '\''))
        return SIZE_MAX;
    return k > 0 && !blank(v->s[k - 1]) ? k - 1 : k; /* from its quote: "'admin:...'" */
}

/*
 * The start of the word that may hold a password a command line passes,
 * around the word at s; SIZE_MAX when the bytes before s rule it out (for
 * nearly every word the scan finds a digit in): s itself after a blank; a
 * quote that follows one ("-p 'Kestrel9vQ2'") or the option glued to it
 * ("-p'...'"); a Windows option ("/p:..."); a user's name ("admin:...",
 * "scott/...", "-uadmin:...").
 */
static size_t value_word_start(const text_view *v, size_t s)
{
    uint8_t before = s > 0 ? v->s[s - 1] : 0;
    if (blank(before))
        return s;
    if (before == '"' || before == '\'') {
        size_t q = s - 1; /* the quote, from its escapes */
        while (q > 0 && v->s[q - 1] == '\\')
            q--;
        if (q >= 1 && (blank(v->s[q - 1]) || v->s[q - 1] == '(')) /* SQL's PASSWORD('...') */
            return q;
        return q >= 2 && v->s[q - 2] == '-' && letter(v->s[q - 1]) ? q - 2 : SIZE_MAX;
    }
    if (before == ':' && s >= 3 && v->s[s - 3] == '/')
        return s - 3;
    if (before == ':' || before == '/' || before == '%' || before == ',')
        return user_start(v, s - 1);
    return SIZE_MAX;
}

/* Whether the word at w may be a password that a command of "@" options,
 * its name `command` bytes long, takes as its first argument: quoted
 * (ConvertTo-SecureString, echo), after a name of echo's length, or with a
 * '/' after a name of the length of Oracle's tools'. Read for nearly every
 * number after a word in prose: keep it in step with HOW_ORACLE,
 * HOW_POWERSHELL and HOW_ECHO. */
static bool may_be_argument(const text_view *v, size_t w, size_t command)
{
    if (quoted(v, w) || command == 4)
        return true;
    if (command < 5 || command > 7)
        return false;
    for (size_t k = w; k < v->n && k - w < WORD_MOST && word_char(v->s[k]); k++)
        if (v->s[k] == '/')
            return true;
    return false;
}

/* Whether the word at w holds a letter and a digit. */
static bool letters_and_digits(const text_view *v, size_t w)
{
    bool letters = false, digits = false;
    for (size_t k = w; k < v->n && k - w < WORD_MOST && word_char(v->s[k]); k++) {
        letters |= letter(v->s[k]);
        digits |= v->s[k] >= '0' && v->s[k] <= '9';
    }
    return letters && digits;
}

/* Whether the word at p and the one before it are SQL's "IDENTIFIED BY",
 * which gives a database user's password (MySQL, Oracle). */
static bool identified_by(const text_view *v, size_t p)
{
    if (!ascii_word_is((const char *)v->s + p, 2, "by"))
        return false;
    size_t e = previous_word_end(v, p);
    return e >= 10 && ascii_word_is((const char *)v->s + e - 10, 10, "identified") &&
           (e == 10 || !word_char(v->s[e - 11]));
}

/* ---- SQL's INSERT ... (columns) VALUES (values) ------------------------- */

enum { SQL_BYTES_MOST = 512 };

static bool sql_blank(uint8_t ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* The '(' that opens the first tuple after the keyword VALUES before w, at
 * most SQL_BYTES_MOST back, and where the keyword starts in *keyword;
 * SIZE_MAX for none. */
static size_t sql_values_open(const text_view *v, size_t w, size_t *keyword)
{
    size_t from = w > SQL_BYTES_MOST ? w - SQL_BYTES_MOST : 0;
    for (size_t k = w; k-- > from;) {
        if (v->s[k] != '(')
            continue;
        size_t e = k;
        while (e > from && sql_blank(v->s[e - 1]))
            e--;
        if (e >= 6 && ascii_word_is((const char *)v->s + e - 6, 6, "values") &&
            (e == 6 || !letter(v->s[e - 7]))) {
            *keyword = e - 6;
            return k;
        }
    }
    return SIZE_MAX;
}

/* Whether an SQL string literal's quote starts at k, maybe escaped a level
 * down or more (\"...\" in JSON held in a string). */
static bool sql_literal_at(const text_view *v, size_t k)
{
    k += backslashes_at(v, k);
    return k < v->n && (v->s[k] == '\'' || v->s[k] == '"');
}

/* Past the SQL string literal that starts at k (sql_literal_at()): past the
 * same quote escaped the same way; at the top level, past a quote doubled
 * ('it''s') and one a backslash escapes. */
static size_t sql_literal_end(const text_view *v, size_t k)
{
    size_t depth = backslashes_at(v, k);
    uint8_t quote = v->s[k + depth];
    for (k += depth + 1; k < v->n;) {
        size_t run = backslashes_at(v, k);
        if (run == depth && k + run < v->n && v->s[k + run] == quote) {
            if (depth || k + 1 >= v->n || v->s[k + 1] != quote)
                return k + run + 1;
            k += 2; /* '' */
        } else {
            k += run ? run + (depth == 0 && run % 2) : 1;
        }
    }
    return k;
}

/* Which value of its tuple starts at w, in the tuples after the '(' at open
 * ("VALUES (a, b), (c, d)"), from 0; -1 when w starts none. */
static int sql_value_index(const text_view *v, size_t open, size_t w)
{
    int index = 0, depth = 1;
    bool at_start = true; /* only blanks since the tuple's '(' or a ',' */
    for (size_t k = open + 1; k < w;) {
        uint8_t ch = v->s[k];
        if (sql_blank(ch)) {
            k++;
            continue;
        }
        if (depth == 0) { /* between tuples: ", (" */
            if (ch != ',' && ch != '(')
                return -1;
            depth = ch == '(';
            index = 0;
            at_start = true;
            k++;
            continue;
        }
        at_start = ch == ',' && depth == 1;
        index += at_start;
        depth += (ch == '(') - (ch == ')');
        k = sql_literal_at(v, k) ? sql_literal_end(v, k) : k + 1;
    }
    return at_start && depth == 1 ? index : -1;
}

/* Whether column `index` of the list that closes right before the keyword
 * at kw ("(email, password) VALUES") names a secret, a card field or an
 * identity number (value_name_like()), written bare or quoted as SQL's
 * dialects quote a name: `password`, "password", [password]. */
static bool sql_column_secret(const text_view *v, size_t kw, int index)
{
    size_t close = kw;
    while (close > 0 && sql_blank(v->s[close - 1]))
        close--;
    if (close == 0 || v->s[--close] != ')')
        return false;
    size_t c = close;
    while (c > 0 && close - c < SQL_BYTES_MOST && v->s[c - 1] != '(' && v->s[c - 1] != ')')
        c--;
    if (c == 0 || v->s[c - 1] != '(')
        return false;
    for (int i = 0; i < index; i++) {
        const uint8_t *comma = memchr(v->s + c, ',', close - c);
        if (!comma)
            return false;
        c = (size_t)(comma - v->s) + 1;
    }
    size_t e = c;
    while (e < close && v->s[e] != ',')
        e++;
    while (c < e && (sql_blank(v->s[c]) || v->s[c] == '`' || v->s[c] == '"' || v->s[c] == '['))
        c++;
    while (e > c && (sql_blank(v->s[e - 1]) || v->s[e - 1] == '`' || v->s[e - 1] == '"' ||
                     v->s[e - 1] == ']'))
        e--;
    return e > c && value_name_like((const char *)v->s + c, e - c);
}

/* Whether the quoted value at w is one an INSERT gives a column named like
 * a secret: "INSERT INTO users (email, password) VALUES ('...', '...')",
 * a SQL console's history or a framework's error page. */
static bool sql_inserted_secret(const text_view *v, size_t w)
{
    size_t keyword, open = sql_values_open(v, w, &keyword);
    int index = open == SIZE_MAX ? -1 : sql_value_index(v, open, w);
    return index >= 0 && sql_column_secret(v, keyword, index);
}

/*
 * Commands that take a password as a plain argument, told by its place
 * alone: after the command and, where `after` is set, one of its
 * subcommands, the password is the argument `nth` (from 0; options, which
 * start with `option`, are not counted) or one of the `optional` ones
 * before it ("AUTH [user] PASSWORD"), or the one right after a share
 * (NTH_AFTER_SHARE: "net use [Z:] \\srv\share PASSWORD"). `flag`: a short
 * option that must be given for the command to take one (without "-b",
 * htpasswd asks), and `fewer`, one that takes an argument away ("htpasswd
 * -nb USER PASSWORD" writes no file). A name in capitals is read only so
 * written (Redis's AUTH): "auth" in prose is a word.
 */
enum { NTH_AFTER_SHARE = 0xff, POSITIONAL_WORDS_MOST = 8 };

static const struct positional {
    const char *name;
    const char *after;
    char option, flag, fewer;
    uint8_t nth, optional;
} POSITIONAL[] = {
    {"AUTH", NULL, '-', 0, 0, 1, 1}, /* Redis, in a web console */
    {"htpasswd", NULL, '-', 'b', 'n', 2, 0},
    {"mosquitto_passwd", NULL, '-', 'b', 0, 2, 0},
    {"net", "use", '/', 0, 0, NTH_AFTER_SHARE, 0},
    {"net", "user", '/', 0, 0, 1, 0},
    {"rabbitmqctl", "add_user change_password authenticate_user", '-', 0, 0, 1, 0},
    {"rclone", "obscure", '-', 0, 0, 0, 0},
    {"wpa_passphrase", NULL, '-', 0, 0, 1, 0},
};
#define POSITIONAL_END (POSITIONAL + sizeof POSITIONAL / sizeof POSITIONAL[0])

/* The first entry of POSITIONAL for the command word [w, e) (past a path,
 * without a ".exe"), or NULL. */
static const struct positional *positional_command(const text_view *v, size_t w, size_t e)
{
    size_t k = name_start(v, w, e);
    if (e - k > 4 && ascii_word_is((const char *)v->s + e - 4, 4, ".exe"))
        e -= 4;
    for (const struct positional *c = POSITIONAL; c < POSITIONAL_END; c++) {
        bool as_written = c->name[0] >= 'A' && c->name[0] <= 'Z'; /* "AUTH" */
        if ((v->s[k] | 0x20) != (c->name[0] | 0x20))              /* most words: one byte read */
            continue;
        if (as_written ? strlen(c->name) == e - k && memcmp(v->s + k, c->name, e - k) == 0
                       : ascii_word_is((const char *)v->s + k, e - k, c->name))
            return c;
    }
    return NULL;
}

/* Whether the word [k, e) is one of the blank-separated words of `list`. */
static bool word_listed(const text_view *v, size_t k, size_t e, const char *list)
{
    for (const char *t = list; *t;) {
        size_t len = strcspn(t, " ");
        if (len == e - k && strncasecmp((const char *)v->s + k, t, len) == 0)
            return true;
        t += len + (t[len] == ' ');
    }
    return false;
}

/* Whether the word [k, e) is a cluster of short options that holds
 * `letter` ("-b", "-nb", "-cbB"). */
static bool short_option_has(const text_view *v, size_t k, size_t e, char letter)
{
    return letter && e - k >= 2 && v->s[k] == '-' && v->s[k + 1] != '-' &&
           memchr(v->s + k + 1, letter, e - k - 1);
}

/* Whether a word right after before[n - 1] (the first word after command
 * c), ..., before[0] stands where c takes its password. */
static bool at_password_place(const text_view *v, const struct positional *c, const size_t *before,
                              size_t n)
{
    bool flag = !c->flag, fewer = false, after = !c->after, share = false;
    size_t args = 0;
    for (size_t i = n; i-- > 0;) {
        size_t k = before[i], e = word_end(v, k);
        if (v->s[k] == c->option) {
            flag |= short_option_has(v, k, e, c->flag);
            fewer |= short_option_has(v, k, e, c->fewer);
        } else if (!after) {
            if (!word_listed(v, k, e, c->after))
                return false;
            after = true;
        } else {
            share = e - k > 2 && v->s[k] == '\\' && v->s[k + 1] == '\\';
            args++;
        }
    }
    if (!after || !flag)
        return false;
    if (c->nth == NTH_AFTER_SHARE)
        return share;
    args += fewer;
    return args <= c->nth && args + c->optional >= c->nth;
}

/* Whether the word at w is a password a command of POSITIONAL takes by its
 * place: the words before it on its line, back to the command, are the
 * command's options and arguments. Out of line: its frame would cost every
 * number command_line_password() turns down (0.1 % of a generated
 * session's instructions). */
static __attribute__((noinline)) bool positional_password(const text_view *v, size_t w)
{
    size_t before[POSITIONAL_WORDS_MOST], n = 0, k = w;
    while (n < POSITIONAL_WORDS_MOST && (k = previous_word(v, k)) != SIZE_MAX &&
           w - k <= LINE_BYTES_MOST) {
        const struct positional *c = positional_command(v, k, word_end(v, k));
        if (c) {
            for (const struct positional *same = c;
                 same < POSITIONAL_END && !strcmp(same->name, c->name); same++)
                if (v->s[w] != same->option && at_password_place(v, same, before, n))
                    return true;
            return false;
        }
        before[n++] = k;
    }
    return false;
}

size_t command_line_password(const text_view *v, size_t s, size_t *start)
{
    size_t w = value_word_start(v, s), value = SIZE_MAX, p, pe;
    int how;
    char sep = 0;
    if (w == SIZE_MAX)
        return 0;
    if (w > 0 && v->s[w - 1] == '(') /* only after SQL's PASSWORD, or VALUES */
        return (w >= 9 && ascii_word_is((const char *)v->s + w - 9, 8, "password") &&
                (w == 9 || !letter(v->s[w - 10]))) ||
                       (quoted(v, w) && sql_inserted_secret(v, w))
                   ? password_in_value(v, w, 0, start)
                   : 0;
    if (w + 2 < v->n &&
        ((v->s[w] == '-' && letter(v->s[w + 1])) ||
         (v->s[w] == '/' && letter(v->s[w + 1]) && v->s[w + 2] == ':')) &&
        (how = command_before(v, w)) != COMMAND_NONE)
        value = option_value(how, v, w, word_end(v, w), w, true, &sep);
    /* an option's name and a command's end in a letter: most words before
     * a number do too, but few numbers follow a word straight after a blank */
    for (pe = w; pe > 0 && blank(v->s[pe - 1]);)
        pe--;
    if (value == SIZE_MAX && pe > 0 && v->s[pe - 1] == ',' && quoted(v, w) &&
        sql_inserted_secret(v, w)) /* "VALUES ('jroe', '...')" */
        return password_in_value(v, w, 0, start);
    if (value != SIZE_MAX || pe == w || pe == 0 || !letter(v->s[pe - 1]))
        return value == SIZE_MAX ? 0 : password_in_value(v, value, sep, start);
    p = word_start(v, pe - 1);
    size_t name = name_start(v, p, pe);
    if (v->s[p] == '-') { /* not before another option: "-p --auth..." asks for it */
        if (v->s[w] != '-' && (how = command_before(v, p)) != COMMAND_NONE)
            value = option_value(how, v, p, pe, w, false, &sep);
    } else if (may_be_argument(v, w, pe - name) && (how = command_how(v, p, pe)) != COMMAND_NONE &&
               takes_argument(how, v, w, &sep)) {
        value = w; /* "sqlplus scott/...@orcl", what echo pipes */
    } else if (pe - p == 2 && identified_by(v, p) && (quoted(v, w) || letters_and_digits(v, w))) {
        value = w; /* unquoted, a password has a letter: "identified by 2 teams" is prose */
    } else if ((letter(v->s[w]) || v->s[w] == '"' || v->s[w] == '\'' || v->s[w] == '\\') &&
               positional_password(v, w)) {
        value = w; /* "htpasswd -nb admin ...": a letter or a quote first ("on 2026-11-05" not) */
    }
    return value == SIZE_MAX ? 0 : password_in_value(v, value, sep, start);
}

/* Whether an option follows a '+' as written (form encoding's blank; the
 * visitor's own '+' is "%2B") on the line that ends at s: "+-u". */
static bool option_after_plus_before(const text_view *v, size_t s)
{
    const uint8_t *p = v->s + (s > LINE_BYTES_MOST ? s - LINE_BYTES_MOST : 0), *end = v->s + s;
    for (; p + 1 < end && (p = memchr(p, '+', (size_t)(end - p - 1))); p++)
        if (p[1] == '-' && text_byte_is_raw(v, (size_t)(p - v->s)))
            return true;
    return false;
}

/* Whether the word at s may be in a command line a site search's query
 * or a form body holds ("?q=mysql+-u+root+-p..."): a '+' as written
 * stands before it, and before an option on the line before it or at its
 * start; or before its quote (a statement's value: "VALUES+('a',+'...')"). */
static bool in_query_command(const text_view *v, size_t s)
{
    if (s >= 3 && (v->s[s - 1] == '\'' || v->s[s - 1] == '"') && v->s[s - 2] == '+')
        return text_byte_is_raw(v, s - 2);
    return s >= 2 && v->s[s - 1] == '+' && text_byte_is_raw(v, s - 1) &&
           option_after_plus_before(v, s + 1); /* "+-pKestrel..." */
}

/* command_line_password() of the line around s read in a copy with each
 * '+' as written as a blank, wiped after: it is unmasked input. Out of
 * line: its frame costs every word in_query_command() turns down. */
static __attribute__((noinline)) size_t password_on_blanked_line(const text_view *v, size_t s,
                                                                 size_t *start)
{
    uint8_t line[2 * LINE_BYTES_MOST];
    size_t from = s > LINE_BYTES_MOST ? s - LINE_BYTES_MOST : 0;
    size_t to = v->n - s > LINE_BYTES_MOST ? s + LINE_BYTES_MOST : v->n;
    for (size_t k = from; k < to; k++)
        line[k - from] = v->s[k] == '+' && text_byte_is_raw(v, k) ? ' ' : v->s[k];
    text_view blanked = {.s = line, .n = to - from};
    size_t end = command_line_password(&blanked, s - from, start);
    sodium_memzero(line, to - from);
    if (!end)
        return 0;
    *start += from;
    return end + from;
}

size_t command_line_password_in_query(const text_view *v, size_t s, size_t *start)
{
    return in_query_command(v, s) ? password_on_blanked_line(v, s, start) : 0;
}
