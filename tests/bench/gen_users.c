/*
 * gen_users.c - deterministic user-directory generator for the benchmarks:
 * N users with a realistic mix of states, types and roles, as the CSV (or
 * JSON Lines) that `seatledger users import` reads.  Same N and seed, same
 * bytes.  Optionally writes the billable counts it expects (--summary).
 *
 * usage: gen_users N [--format csv|jsonl] [--seed S] [--summary FILE]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GEN_USERS_MAX    100000000LL  /* far above any benchmark size */
#define GEN_OUT_BUFFER   (1 << 20)
#define GEN_DEFAULT_SEED 20240101ULL
#define PER_MILLE        1000
#define GEN_DATE_SIZE    16       /* "YYYY-MM-DD" with room to spare */

/* A value and its weight per mille; each table sums to PER_MILLE. */
typedef struct weighted {
    const char *value;
    int weight;
} weighted;

/* Shares seen on large self-managed instances: mostly active humans, a tail
 * of blocked/deactivated accounts and bots of every kind. */
static const weighted states[] = {
    {"active", 860},
    {"blocked", 50},
    {"ldap_blocked", 15},
    {"blocked_pending_approval", 15},
    {"deactivated", 45},
    {"banned", 15},
};

static const weighted types[] = {
    {"human", 900},
    {"service_user", 30},
    {"project_bot", 30},
    {"bot", 10},
    {"service_account", 10},
    {"support_bot", 3},
    {"alert_bot", 3},
    {"security_bot", 3},
    {"placeholder", 5},
    {"import_user", 5},
    {"ghost", 1},
};

static const weighted roles[] = {
    {"none", 120},
    {"minimal_access", 40},
    {"guest", 200},
    {"planner", 30},
    {"reporter", 150},
    {"developer", 300},
    {"maintainer", 110},
    {"owner", 50},
};

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

/* Guests whose custom role occupies a seat, per mille of guests. */
#define GUEST_SEAT_PER_MILLE 100
/* Users with no recorded activity, per mille. */
#define NO_ACTIVITY_PER_MILLE 80
/* Activity dates fall in [2023-01-01, 2023-01-01 + span). */
#define ACTIVITY_FIRST_DAY 19358 /* 2023-01-01 as days since 1970-01-01 */
#define ACTIVITY_SPAN_DAYS 1096

/* splitmix64: tiny, fast, and the same on every platform. */
static uint64_t rng_state;

static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int rng_below(int n)
{
    return (int)(rng_next() % (uint64_t)n);
}

static const char *pick(const weighted *table, size_t n)
{
    int r = rng_below(PER_MILLE);
    for (size_t i = 0; i < n; i++) {
        if (r < table[i].weight)
            return table[i].value;
        r -= table[i].weight;
    }
    return table[n - 1].value;
}

/* Civil date from days since epoch (Howard Hinnant's algorithm). */
static void format_date(int32_t days, char out[GEN_DATE_SIZE])
{
    int64_t z = (int64_t)days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    if (m <= 2)
        y++;
    /* Dates of the activity window only: the fields are known to fit. */
    snprintf(out, GEN_DATE_SIZE, "%04d-%02d-%02d", (int)(y % 10000), (int)(m % 100),
             (int)(d % 100));
}

static int role_at_least_planner(const char *role)
{
    return strcmp(role, "planner") == 0 || strcmp(role, "reporter") == 0 ||
           strcmp(role, "developer") == 0 || strcmp(role, "maintainer") == 0 ||
           strcmp(role, "owner") == 0;
}

static void usage(void)
{
    fputs("usage: gen_users N [--format csv|jsonl] [--seed S] [--summary FILE]\n",
          stderr);
}

int main(int argc, char **argv)
{
    long long n;
    int jsonl = 0;
    uint64_t seed = GEN_DEFAULT_SEED;
    const char *summary_path = NULL;
    int64_t total = 0, billable_ultimate = 0, billable_other = 0;
    char *end = NULL;
    static char outbuf[GEN_OUT_BUFFER];

    if (argc < 2) {
        usage();
        return 2;
    }
    n = strtoll(argv[1], &end, 10);
    if (*argv[1] == '\0' || *end != '\0' || n < 0 || n > GEN_USERS_MAX) {
        fprintf(stderr, "gen_users: bad count '%s'\n", argv[1]);
        return 2;
    }
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
            i++;
            if (strcmp(argv[i], "jsonl") == 0) {
                jsonl = 1;
            } else if (strcmp(argv[i], "csv") != 0) {
                fprintf(stderr, "gen_users: unknown format '%s'\n", argv[i]);
                return 2;
            }
        } else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
            seed = strtoull(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--summary") == 0 && i + 1 < argc) {
            summary_path = argv[++i];
        } else {
            usage();
            return 2;
        }
    }
    rng_state = seed;
    setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);

    if (!jsonl)
        fputs("id,username,email,state,user_type,highest_role,guest_seat,last_activity_on\n",
              stdout);
    for (long long i = 1; i <= n; i++) {
        const char *state = pick(states, COUNT_OF(states));
        const char *type = pick(types, COUNT_OF(types));
        const char *role = pick(roles, COUNT_OF(roles));
        int guest_seat = strcmp(role, "guest") == 0 &&
                         rng_below(PER_MILLE) < GUEST_SEAT_PER_MILLE;
        int has_activity = rng_below(PER_MILLE) >= NO_ACTIVITY_PER_MILLE;
        char date[GEN_DATE_SIZE] = "";
        int eligible = strcmp(state, "active") == 0 &&
                       (strcmp(type, "human") == 0 || strcmp(type, "service_user") == 0);

        if (has_activity)
            format_date(ACTIVITY_FIRST_DAY + rng_below(ACTIVITY_SPAN_DAYS), date);
        total++;
        if (eligible && (role_at_least_planner(role) || guest_seat))
            billable_ultimate++;
        if (eligible && strcmp(role, "minimal_access") != 0)
            billable_other++;

        if (jsonl) {
            printf("{\"id\":\"%lld\",\"username\":\"user%07lld\",\"email\":\"user%07lld@example.com\","
                   "\"state\":\"%s\",\"user_type\":\"%s\",\"highest_role\":\"%s\","
                   "\"guest_seat\":%s,\"last_activity_on\":",
                   i, i, i, state, type, role, guest_seat ? "true" : "false");
            if (has_activity)
                printf("\"%s\"}\n", date);
            else
                fputs("null}\n", stdout);
        } else {
            printf("%lld,user%07lld,user%07lld@example.com,%s,%s,%s,%s,%s\n",
                   i, i, i, state, type, role, guest_seat ? "true" : "false", date);
        }
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        perror("gen_users: write");
        return 1;
    }
    if (summary_path) {
        FILE *f = fopen(summary_path, "w");
        if (!f) {
            perror("gen_users: summary");
            return 1;
        }
        fprintf(f, "{\"total\":%" PRId64 ",\"billable_ultimate\":%" PRId64
                   ",\"billable_other\":%" PRId64 "}\n",
                total, billable_ultimate, billable_other);
        if (fclose(f) != 0) {
            perror("gen_users: summary");
            return 1;
        }
    }
    return 0;
}
