/* main.c - `veil`: one program, one subcommand per job; the command table,
 * --help, one-line errors and the process set-up every command shares. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"

static int cmd_version(int argc, char **argv);

static const veil_command COMMANDS[] = {
    {"serve", "run the ingest and console servers",
     "usage: veil serve [--config FILE]\n"
     "\n"
     "Runs the WebSocket ingest endpoint and the HTTPS console in the foreground.\n"
     "Without --config, ./veil.conf is read when it exists, else built-in defaults\n"
     "are used: both servers on 127.0.0.1 (ingest 8443, console 8444), state under\n"
     "./var/, and a self-signed certificate created on first start.\n"
     "\n"
     "  --config FILE   configuration file (docs/configuration.md)\n"
     "\n"
     "SIGTERM or SIGINT stops it gracefully: no new connections, every batch received\n"
     "is stored and acknowledged, then connections close (1001) and it exits 0.\n",
     cmd_serve},
    {"snippet", "print the <script> tag that records a site",
     "usage: veil snippet [--config FILE] [--site NAME] [--host HOST[:PORT]]\n"
     "\n"
     "Prints the tag to put on every page of a site: the snippet's address on the\n"
     "ingest listener, its Subresource Integrity hash and the site key. The hash\n"
     "changes when the snippet is rebuilt (scripts/build-web.sh): print the tag\n"
     "again then.\n"
     "\n"
     "  --site NAME       the site (default: the only one, or 'demo')\n"
     "  --host HOST       the name browsers reach the ingest listener by (default:\n"
     "                    the listen address and ingest_port)\n",
     cmd_snippet},
    {"mask", "mask a recorded session from stdin to stdout",
     "usage: veil mask [options] < events.json > masked.json\n"
     "\n"
     "Reads one session's rrweb events (a JSON array, or JSON Lines with one event\n"
     "per line or pretty-printed over several) and writes the same form with card\n"
     "numbers, passwords, marked fields, IP octets and PII masked. It reads and\n"
     "writes as it goes, in constant memory, so a recording of any size fits.\n"
     "Malformed input exits 1 with the byte offset of the problem; the events\n"
     "before it are written, masked, and nothing of the batch that failed.\n"
     "\n"
     "  --config FILE     configuration file with site policies\n"
     "  --site NAME       site whose policy applies (default: the first site)\n"
     "  --ip-octets N     IPv4 octets to zero, 0-4 (IPv6: 0/64/80/104/128 bits)\n"
     "  --record-inputs   keep ordinary input values (card, password and\n"
     "                    sensitive fields stay masked)\n"
     "  --record-pii      keep emails and phone numbers\n"
     "  --report FILE     write what was masked, counted by kind, as JSON\n",
     cmd_mask},
    {"import", "mask and store recorded sessions",
     "usage: veil import [--config FILE] [--site NAME] [--session ID] FILE...\n"
     "\n"
     "Each FILE (a JSON array of rrweb events, or JSON Lines; - for stdin) becomes\n"
     "one session: masked with the site's policy, compressed, sealed under a new\n"
     "data key and stored. Prints each session's id and what was masked. The\n"
     "session's time, from which retention counts, is when it is imported (the\n"
     "recording's own timestamps are not trusted for that). While 'veil serve'\n"
     "holds the store, each file goes through its ingest listener instead, as a\n"
     "browser's session would (the server names the session).\n"
     "\n"
     "  --site NAME    site whose policy applies (default: the first site)\n"
     "  --session ID   id for the session (one FILE only; default: random; not\n"
     "                 while the server runs)\n",
     cmd_import},
    {"export", "write a stored session's masked events",
     "usage: veil export [--config FILE] [--format array|jsonl] SESSION\n"
     "\n"
     "Decrypts the session chunk by chunk, each only after its tag verified, and\n"
     "writes its masked events to stdout as a JSON array (default) or JSON Lines.\n"
     "A damaged, moved or missing chunk stops the export with exit status 1.\n"
     "Works beside a running server.\n",
     cmd_export},
    {"sessions", "list stored sessions",
     "usage: veil sessions [--config FILE] [--site NAME] [--json]\n"
     "\n"
     "Lists sessions with their site, start time, chunks, masked and stored sizes\n"
     "and the master-key version wrapping their data key ('missing' when the keys\n"
     "database lacks it, 'shredded' when a delete was interrupted).\n",
     cmd_sessions},
    {"delete", "delete sessions (crypto-shredding)",
     "usage: veil delete [--config FILE] SESSION...\n"
     "\n"
     "Deletes each session's data key first (one synced write: from then on the\n"
     "session cannot be read, even from a copy of the data database), then its\n"
     "chunks, then compacts the keys database.\n",
     cmd_delete},
    {"keys", "manage master keys (rotate, rewrap, status, retire, change-root)",
     "usage: veil keys [--config FILE] rotate [--no-rewrap]|rewrap|status|retire V\n"
     "       veil keys [--config FILE] change-root --key-file NEW | --passphrase-file NEW\n"
     "\n"
     "  rotate       add a master-key version and make it current, then move every\n"
     "               data key to it (a running server does that in the background);\n"
     "               re-escrow the keyring file afterwards; --no-rewrap leaves the\n"
     "               data keys where they are (rewrap later, or let the server)\n"
     "  rewrap       finish moving data keys to the current version (after a crash)\n"
     "  status       versions, their age, wraps and the data keys each still wraps\n"
     "  retire V     wipe version V from the keyring; refused while anything uses it\n"
     "  change-root  seal the keyring by a new root key file (created when missing)\n"
     "               or passphrase file; needs the server stopped\n",
     cmd_keys},
    {"user", "manage console users",
     "usage: veil user [--config FILE] COMMAND ...\n"
     "\n"
     "  add NAME ROLE [SITE...]  a new user (roles: alerts, standard, analytics,\n"
     "                           admin) with a one-time password, printed once\n"
     "  passwd NAME              a new one-time password (and unlock)\n"
     "  role NAME ROLE           change the role\n"
     "  grant NAME SITE...       let the user see these sites\n"
     "  revoke NAME SITE...      no longer\n"
     "  disable NAME, enable NAME, unlock NAME\n"
     "  list                     users, roles, sites, state\n"
     "\n"
     "A one-time password must be changed at the next login; admins also enrol an\n"
     "authenticator app there. Every change is in the audit log. The console\n"
     "database is the server's while it runs: stop it, or use the console's Users\n"
     "page.\n",
     cmd_user},
    {"backup", "back up or restore the data and keys databases",
     "usage: veil backup [--config FILE] data|keys DIR\n"
     "       veil backup [--config FILE] restore data|keys DIR [--with-keyring]\n"
     "       veil backup [--config FILE] purge data|keys DIR --keep N | --before DATE\n"
     "\n"
     "Backs up one database into DIR (RocksDB BackupEngine, incremental, verified;\n"
     "works while the server runs); a keys backup carries a copy of the keyring.\n"
     "Keep the two backups apart, and the root key apart from both. Restore needs\n"
     "the server stopped; after it, the two databases are compared and every data\n"
     "key is checked against the keyring: a keys backup older than the data backup,\n"
     "or a keyring that cannot open the keys, is reported (exit status 1).\n"
     "--with-keyring also puts back the keyring the keys backup carries (the file\n"
     "there is kept as keyring.before-restore). purge removes all but the newest N\n"
     "backups, or those taken before DATE (YYYY-MM-DD). See docs/operations.md.\n",
     cmd_backup},
    {"store", "check the store's consistency, or move it to another backend",
     "usage: veil store [--config FILE] verify [--deep]\n"
     "       veil store [--config FILE] migrate --to rados|rocksdb\n"
     "\n"
     "verify counts sessions without a data key (restore mismatch), shredded sessions\n"
     "whose chunks remain, data keys without a session, and data keys the keyring\n"
     "cannot open (naming their master versions). --deep also reads every session\n"
     "back. Exit status 1 when anything is wrong.\n"
     "\n"
     "migrate copies the keys and the data, records as they are sealed, from the\n"
     "backend [store] does not name to the one --to names (rados: the [store] rados_*\n"
     "options; rocksdb: data_dir and keys_dir), with progress; an interrupted run\n"
     "resumes where it stopped. It ends by reading every session of the copy back.\n"
     "Stop the servers first; then set [store] backend. See docs/scale-out.md.\n",
     cmd_store},
    {"audit", "verify or list the console's hash-chained audit log",
     "usage: veil audit [--config FILE] verify [--expect SEQ:HASH] | list [--from SEQ]\n"
     "\n"
     "verify recomputes every record's hash and its link to the one before, and\n"
     "reports the first record that was edited, deleted or moved; it prints the\n"
     "head (SEQ:HASH) to keep apart from the server: --expect with a head kept\n"
     "earlier also catches a log cut short. list writes the records as JSON Lines.\n"
     "Exit status 1 when the chain is broken. Needs the server stopped (the\n"
     "console's Audit page does the same while it runs).\n",
     cmd_audit},
    {"version", "print the version", "usage: veil version\n", cmd_version},
};

#define N_COMMANDS (sizeof COMMANDS / sizeof COMMANDS[0])

static const veil_command *current;

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "veil%s%s: ", current ? " " : "", current ? current->name : "");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

bool cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
            return true;
    return false;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: veil COMMAND [options]\n\n"
               "Veil records browser sessions with everything sensitive masked on the server.\n\n"
               "commands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-8s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
    fprintf(f, "\nRun 'veil COMMAND --help' for a command's options.\n");
}

static int cmd_version(int argc, char **argv)
{
    (void)argv;
    if (argc > 1) {
        cli_error("takes no arguments; run 'veil version'");
        return EXIT_USAGE;
    }
    printf("veil %s\n", VEIL_VERSION);
    return EXIT_OK;
}

/* Key material must never reach a core file. */
static void refuse_core_dumps(void)
{
    struct rlimit none = {0, 0};
    setrlimit(RLIMIT_CORE, &none);
    prctl(PR_SET_DUMPABLE, 0); /* nor to ptrace by other users, nor /proc/PID/mem */
}

int main(int argc, char **argv)
{
    refuse_core_dumps();
    if (sodium_init() < 0) {
        fprintf(stderr, "veil: libsodium failed to initialise\n");
        return EXIT_FAIL;
    }
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return EXIT_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("veil %s\n", VEIL_VERSION);
        return EXIT_OK;
    }
    for (size_t i = 0; i < N_COMMANDS; i++) {
        if (strcmp(argv[1], COMMANDS[i].name))
            continue;
        current = &COMMANDS[i];
        if (cli_wants_help(argc - 1, argv + 1)) {
            fputs(current->usage, stdout);
            return EXIT_OK;
        }
        return current->run(argc - 1, argv + 1);
    }
    fprintf(stderr, "veil: unknown command '%s'; run 'veil --help' for the list\n", argv[1]);
    return EXIT_USAGE;
}
