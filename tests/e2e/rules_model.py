"""rules_model.py - an independent model of the ledger rules, written from
/work/shared/spec/ledger-rules.md and rest-api.md alone (never from the
engine's C code), so that seatledger's figures can be cross-checked.

Python 3 standard library only.  Instants are integer seconds since the
epoch (UTC), dates are datetime.date.
"""

import datetime as _dt
import re as _re

# ---------------------------------------------------------------- users ----

STATES = ["active", "blocked", "ldap_blocked", "blocked_pending_approval",
          "deactivated", "banned"]
BILLABLE_TYPES = ["human", "service_user"]
OTHER_TYPES = ["ghost", "bot", "support_bot", "alert_bot", "visual_review_bot",
               "security_bot", "automation_bot", "admin_bot",
               "security_policy_bot", "project_bot", "duo_code_review_bot",
               "llm_bot", "suggested_reviewers_bot", "service_account",
               "placeholder", "import_user"]
USER_TYPES = BILLABLE_TYPES + OTHER_TYPES
ROLES = ["none", "minimal_access", "guest", "planner", "reporter", "developer",
         "maintainer", "owner"]

# Index-stable reason codes (seatledger.h, SL_REASON_COUNT comment): the
# first that applies wins.
REASONS = ["billable", "blocked", "pending_approval", "deactivated", "banned",
           "bot", "minimal_access", "no_membership_on_ultimate",
           "guest_on_ultimate"]
_STATE_REASON = {
    "blocked": "blocked",
    "ldap_blocked": "blocked",
    "blocked_pending_approval": "pending_approval",
    "deactivated": "deactivated",
    "banned": "banned",
}


def is_ultimate(plan):
    return plan == "ultimate"


def user_reason(user, plan):
    """Billable verdict of one user under `plan` (None: no license)."""
    state = user["state"]
    if state != "active":
        return _STATE_REASON[state]
    if user["user_type"] not in BILLABLE_TYPES:
        return "bot"
    role = user["highest_role"]
    if role == "minimal_access":
        return "minimal_access"
    if is_ultimate(plan):
        if role == "none":
            return "no_membership_on_ultimate"
        if role == "guest" and not user["guest_seat"]:
            return "guest_on_ultimate"
    return "billable"


def count_users(users, plan):
    """The figures of `users count`: plan, billable, total, excluded."""
    by = {r: 0 for r in REASONS}
    for u in users.values():
        by[user_reason(u, plan)] += 1
    excluded = {r: by[r] for r in REASONS[1:] if by[r] > 0}
    return {"plan": plan if plan is not None else "none",
            "billable": by["billable"], "total": len(users),
            "excluded": excluded}


def billable_count(users, plan):
    return sum(1 for u in users.values() if user_reason(u, plan) == "billable")


# ------------------------------------------------------------ time & text ----

DAY = 86400


def day_start(d):
    """Instant of d at 00:00:00 UTC."""
    return int(_dt.datetime(d.year, d.month, d.day,
                            tzinfo=_dt.timezone.utc).timestamp())


def day_end(d):
    """Instant of d at 23:59:59 UTC (snapshots have whole seconds)."""
    return day_start(d) + DAY - 1


def date_of(t):
    return _dt.datetime.fromtimestamp(t, _dt.timezone.utc).date()


def parse_date(s):
    """A license date (license-format.md): YYYY-MM-DD, an ISO 8601 date-time
    (its calendar date as written, no time-zone shift) or compact YYYYMMDD.
    None when absent, unparseable or impossible."""
    if not isinstance(s, str):
        return None
    try:
        if len(s) == 8 and s.isdigit():
            return _dt.date(int(s[:4]), int(s[4:6]), int(s[6:]))
        if len(s) == 10:
            return _dt.date.fromisoformat(s)
        if len(s) > 10 and s[10] == "T":
            _dt.datetime.fromisoformat(s.replace("Z", "+00:00"))
            return _dt.date.fromisoformat(s[:10])
    except ValueError:
        return None
    return None


def add_years(d, n):
    """Shift by whole years; Feb 29 becomes Feb 28 (Ruby's Date#<<)."""
    y = d.year + n
    try:
        return d.replace(year=y)
    except ValueError:
        return d.replace(year=y, day=28)


def fmt_csv_time(t):
    """GitLab's usage CSV time: %Y-%m-%d %H:%M:%S in UTC, no zone suffix."""
    return _dt.datetime.fromtimestamp(t, _dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def fmt_rfc3339(t):
    return _dt.datetime.fromtimestamp(t, _dt.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.000Z")


def fmt_now_env(t):
    """The SEATLEDGER_NOW form of an instant."""
    return _dt.datetime.fromtimestamp(t, _dt.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def thousands(n):
    return "{:,}".format(n)


def users_word(n):
    """'1 user', '1,234 users'."""
    return "%s user%s" % (thousands(n), "" if n == 1 else "s")


# -------------------------------------------------------------- licenses ----

class License:
    """A stored (or candidate) license, from its payload dictionary."""

    def __init__(self, payload, lid=None, created_at=None, text=None):
        self.payload = payload
        self.id = lid
        self.created_at = created_at
        self.text = text
        r = payload.get("restrictions")
        self.r = r if isinstance(r, dict) else {}
        plan = self.r.get("plan")
        self.plan = plan if isinstance(plan, str) and plan.strip() else "starter"
        self.starts = parse_date(payload.get("issued_at"))
        self.expires = parse_date(payload.get("expires_at"))
        self.seats = self._int("active_user_count")
        self.previous_user_count = self._int("previous_user_count")
        self.trueup_quantity = self._int("trueup_quantity")
        self.trueup_period_seat_count = self._int("trueup_period_seat_count")
        # present = the member is there and not null (Ruby's nil)
        self.trueup_present = all(self.r.get(k) is not None for k in
                                  ("trueup_quantity", "trueup_from", "trueup_to"))
        self.trueup_from = parse_date(self.r.get("trueup_from"))
        self.trueup_to = parse_date(self.r.get("trueup_to"))
        self.reconciliation_completed = self.r.get("reconciliation_completed") is True
        self.cloud = payload.get("cloud_licensing_enabled") is True
        self.cancellation = payload.get("generated_from_cancellation") is True
        sub = self.r.get("subscription_name")
        self.subscription_name = sub if isinstance(sub, str) else None
        lic = payload.get("licensee")
        self.licensee = lic if isinstance(lic, dict) else {}
        add_ons = self.r.get("add_ons")
        self.add_ons = add_ons if isinstance(add_ons, dict) else {}

    DATE_MEMBERS = ("issued_at", "expires_at", "notify_admins_at", "notify_users_at",
                    "block_changes_at", "activated_at", "next_sync_at", "last_synced_at")

    def valid(self):
        """Validity after a successful decode (license-format.md)."""
        lic = self.payload.get("licensee")
        if not isinstance(lic, dict) or not lic:
            return False
        if self.starts is None:
            return False
        if self.expires is None:
            company, email = lic.get("Company"), lic.get("Email")
            internal = (isinstance(company, str) and _re.search("gitlab", company, _re.I)
                        and isinstance(email, str)
                        and email.endswith(("@gitlab.com", "@jihulab.com")))
            if not internal:
                return False
        for k in self.DATE_MEMBERS:
            if k in self.payload and not isinstance(self.payload[k], str):
                return False
        if (self.payload.get("offline_cloud_licensing_enabled") is True
                and not self.cloud):
            return False
        return True

    def _int(self, key):
        v = self.r.get(key)
        return v if isinstance(v, int) and not isinstance(v, bool) else None

    def expired(self, today):
        return self.expires is not None and today >= self.expires

    def started(self, today):
        return self.starts <= today


def overage(n, seats):
    return 0 if seats is None else max(n - seats, 0)


# ---------------------------------------------------------------- ledger ----

class Ledger:
    """State of one seatledger ledger: users, licenses, snapshots."""

    CURRENT_WINDOW = 100

    def __init__(self):
        self.users = {}        # id -> user dict
        self.licenses = []     # License, ascending id
        self.snapshots = []    # (recorded_at, count), oldest first
        self.next_id = 1

    # -- users
    def import_users(self, rows, prune):
        if prune:
            self.users = {}
        for u in rows:
            self.users[u["id"]] = dict(u)

    # -- clock
    def today(self, now):
        """Today for expiry checks: never before the newest snapshot's date."""
        d = date_of(now)
        if self.snapshots:
            d = max(d, date_of(self.snapshots[-1][0]))
        return d

    # -- current license
    def current(self, now):
        today = self.today(now)
        window = sorted(self.licenses, key=lambda l: -l.id)[:self.CURRENT_WINDOW]
        cancelled = {l.subscription_name for l in window
                     if l.cancellation and l.cloud and l.subscription_name is not None}
        for l in window:
            if (l.started(today) and not l.expired(today)
                    and l.subscription_name not in cancelled):
                return l
        for l in window:
            if l.started(today):
                return l
        return None

    def plan(self, now):
        cur = self.current(now)
        return cur.plan if cur else None

    def live_count(self, now):
        return billable_count(self.users, self.plan(now))

    def daily(self, now):
        if self.snapshots:
            return self.snapshots[-1][1]
        return self.live_count(now)

    def historical_max(self, frm, to):
        return max([c for t, c in self.snapshots if frm <= t <= to], default=0)

    def refresh(self, now):
        n = self.live_count(now)
        self.snapshots.append((now, n))
        return n

    # -- figures of a license
    def hm_from(self, lic, now):
        return day_start(lic.starts) if lic.starts else now - 365 * DAY

    def safe_now(self, now):
        """"now" as the end of a window without expiry.  The spec says "now";
        with the clock set back that would drop the newest snapshots from
        the historical max and the usage CSV, which the clock-safety rule
        ("cannot ... rewrite history") forbids, so now is never earlier than
        the newest snapshot."""
        if self.snapshots:
            return max(now, self.snapshots[-1][0])
        return now

    def hm_to(self, lic, now):
        return day_end(lic.expires) if lic.expires else self.safe_now(now)

    def entity(self, lic, now, with_active_users):
        today = self.today(now)
        hmax = self.historical_max(self.hm_from(lic, now), self.hm_to(lic, now))
        daily = self.daily(now)
        mx = max(hmax, daily)
        expired = lic.expired(today)
        e = {
            "id": lic.id,
            "plan": lic.plan,
            "created_at": fmt_rfc3339(lic.created_at),
            "starts_at": lic.starts.isoformat(),
            "expires_at": lic.expires.isoformat() if lic.expires else None,
            "historical_max": hmax,
            "maximum_user_count": mx,
            "expired": expired,
            "overage": overage(mx if expired else daily, lic.seats),
            "user_limit": lic.seats if lic.seats is not None else 0,
        }
        if with_active_users:
            # Not defined by rest-api.md.  ledger-rules.md calls the daily
            # billable count "N active users" (message A), so the same figure
            # is used here (GitLab itself has used User.active.count and
            # License.current_active_users.count in different versions).
            e["active_users"] = daily
        e["licensee"] = dict(lic.licensee)
        e["add_ons"] = dict(lic.add_ons)
        return e

    def cli_entity(self, lic, now):
        """`license show --json` / `license add --json`: the API entity with
        active_users plus the key's add_on_products as signed (add-ons.md)."""
        e = self.entity(lic, now, True)
        p = lic.r.get("add_on_products")
        e["add_on_products"] = p if p is not None else {}
        return e

    def entities(self, now):
        return [self.entity(l, now, False)
                for l in sorted(self.licenses, key=lambda l: -l.id)]

    # -- add-time validation
    def add_check(self, lic, now):
        """The message of the first failing check of ledger-rules.md, or
        None.  For an invalid key only the fixed sentence: the layer detail
        in parentheses belongs to the format spec."""
        if not lic.valid():
            return KEY_INVALID
        msg = self._user_count_check(lic, now)
        if msg:
            return msg
        if lic.expired(self.today(now)):
            return "This license has already expired."
        return None

    def prior_period(self, lic, now):
        cur = self.current(now)
        p0 = cur.starts if cur else add_years(lic.starts, -1)
        if cur and cur.expires:
            p1 = cur.expires
        elif lic.expires:
            p1 = add_years(lic.expires, -1)
        else:
            p1 = lic.starts
        return p0, p1

    def _user_count_check(self, lic, now):
        if lic.cloud or lic.seats is None:
            return None
        seats = lic.seats
        threshold = seats * 11 // 10
        daily = self.daily(now)
        p0, p1 = self.prior_period(lic, now)
        prior_max = self.historical_max(day_start(p0), day_end(p1))

        def msg_a():
            if threshold < daily:
                return ("This installation currently has %s active %s, exceeding "
                        "this license's limit of %s by %s. Please add a license "
                        "for at least %s." % (
                            thousands(daily), "user" if daily == 1 else "users",
                            thousands(seats), users_word(overage(daily, seats)),
                            users_word(daily)))
            return None

        def available_seats():
            return msg_a()

        if lic.reconciliation_completed:
            return available_seats()
        if lic.trueup_present and not lic.cloud:
            period_seats = lic.trueup_period_seat_count
            if period_seats is None:
                period_seats = lic.previous_user_count
            if period_seats is None:
                return available_seats()
            frm = lic.trueup_from if lic.trueup_from else p0
            to = lic.trueup_to if lic.trueup_to else p1
            expected = self.historical_max(day_start(frm), day_end(to)) - period_seats
            q = lic.trueup_quantity if lic.trueup_quantity is not None else 0
            if q * 11 // 10 < expected:
                return ("You have applied a True-up for %s but you need one for %s."
                        % (users_word(q), users_word(expected)))
            return available_seats()
        # users limit
        puc = lic.previous_user_count
        if puc is not None and prior_max <= puc:
            return msg_a()
        if threshold < prior_max:
            n = prior_max
            return ("During the year before this license started, this "
                    "installation had %s active %s, exceeding this license's "
                    "limit of %s by %s. Please add a license for at least %s." % (
                        thousands(n), "user" if n == 1 else "users",
                        thousands(seats), users_word(overage(n, seats)),
                        users_word(n)))
        return None

    def add(self, lic, now, text):
        lic.id = self.next_id
        self.next_id += 1
        lic.created_at = now
        lic.text = text
        self.licenses.append(lic)
        return lic

    def delete(self, lid):
        self.licenses = [l for l in self.licenses if l.id != lid]

    # -- usage CSV
    def usage_csv(self, now):
        """Bytes of `usage export`, or None when there is no current license
        (seatledger.h: SL_ENOTFOUND "no current license")."""
        lic = self.current(now)
        if lic is None:
            return None
        frm = day_start(lic.starts)
        to = self.hm_to(lic, now)
        key = lic.text.replace("\r\n", "\n").rstrip("\n") + "\n"
        rows = [
            ["License Key", key],
            ["Email", lic.licensee.get("Email", "")],
            ["License Start Date", lic.starts.isoformat()],
            ["License End Date", lic.expires.isoformat() if lic.expires else ""],
            ["Company", lic.licensee.get("Company", "")],
            ["Generated At", fmt_csv_time(now)],
        ]
        out = [",".join(csv_cell(c) for c in row) for row in rows]
        out.append('"",""')
        out.append("Date,Billable User Count")
        for t, c in self.snapshots:
            if frm <= t <= to:
                out.append("%s,%d" % (csv_cell(fmt_csv_time(t)), c))
        return ("\n".join(out) + "\n").encode("utf-8")


KEY_INVALID = ("The license key is invalid. Make sure it is exactly as you "
               "received it.")

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value):
    """Formula guard, then RFC 4180 quoting when needed."""
    s = str(value)
    if s.startswith(FORMULA_START):
        s = "'" + s
    if any(ch in s for ch in ',"\r\n'):
        s = '"' + s.replace('"', '""') + '"'
    return s


# ------------------------------------------------------------- add-ons ----
# Written from /work/shared/spec/add-ons.md and the CLI contract of issue 11
# alone.  Instants are integer seconds, dates datetime.date.

ADDONS = ["duo_pro", "duo_enterprise", "duo_amazon_q", "duo_core"]
SEAT_ASSIGNABLE = ("duo_pro", "duo_enterprise")
DUO_PRECEDENCE = ["duo_amazon_q", "duo_enterprise", "duo_pro"]   # first wins
GRACE_DAYS = 14
BULK_MAX = 100
NOT_FOUND = ("The resource that you are attempting to access does not exist "
             "or you don't have permission to perform this action")


def eligible(user):
    """add-ons.md: active, and human or service_user; role does not matter."""
    return user is not None and user["state"] == "active" and \
        user["user_type"] in ("human", "service_user")


def addon_grant(lic, name, day):
    """(quantity, started, expires, xid, trial) of the active entries of
    restrictions.add_on_products[name] on `day`; quantity 0 when none."""
    products = lic.r.get("add_on_products") if lic else None
    entries = products.get(name) if isinstance(products, dict) else None
    q, s, e, xid, trials = 0, None, None, None, []
    for ent in entries if isinstance(entries, list) else []:
        a, b = parse_date(ent.get("started_on")), parse_date(ent.get("expires_on"))
        if a is None or b is None or not (a <= day < b):
            continue
        q += ent["quantity"]
        s = a if s is None else min(s, a)
        e = b if e is None else max(e, b)
        if xid is None and isinstance(ent.get("purchase_xid"), str):
            xid = ent["purchase_xid"]
        trials.append(ent.get("trial") is True)
    return q, s, e, xid, bool(trials) and all(trials)


class Seats:
    """The add-on purchases, assignments and seat history of one ledger."""

    def __init__(self):
        self.purchases = {}    # tier -> dict(id, add_on, quantity, started, expires, xid, trial)
        self.assigned = {}     # purchase id -> list of [user_id, username, order], oldest first
        self.history = []      # (at, add_on, purchase_id, user_id, username, event, reason, actor)
        self.next_id = 1
        self.order = 0

    # -- provisioning (on license add/delete and at every refresh)
    def provision(self, lic, today):
        cloud = lic is not None and lic.cloud
        for tier, names in (("duo", DUO_PRECEDENCE), ("duo_core", ["duo_core"])):
            grant, name = (0, None, None, None, False), names[-1]
            for n in names if cloud else []:
                g = addon_grant(lic, n, today)
                if g[0] > 0:
                    grant, name = g, n
                    break
            rec = self.purchases.get(tier)
            if grant[0] > 0:
                fields = dict(add_on=name, quantity=grant[0], started=grant[1],
                              expires=grant[2], xid=grant[3], trial=grant[4])
                if rec is None:
                    rec = dict(id=self.next_id, **fields)
                    self.next_id += 1
                    self.purchases[tier] = rec
                    self.assigned[rec["id"]] = []
                else:
                    rec.update(fields)
            elif rec is not None and rec["expires"] > today:
                # seatledger's choice (docs/add-ons.md): a record already off
                # keeps its date
                rec["expires"] = today - _dt.timedelta(days=1)

    def active(self, rec, today):
        return rec["started"] <= today < rec["expires"]

    def by_add_on(self, name):
        for rec in self.purchases.values():
            if rec["add_on"] == name:
                return rec
        return None

    def holds(self, rec, uid):
        return any(a[0] == uid for a in self.assigned[rec["id"]])

    def _give(self, rec, uid, users, at, actor):
        self.order += 1
        self.assigned[rec["id"]].append([uid, users[uid]["username"], self.order])
        self.history.append((at, rec["add_on"], rec["id"], uid, users[uid]["username"],
                             "assigned", None, actor))

    def _take(self, rec, uid, at, actor, event="unassigned", reason=None):
        lst = self.assigned[rec["id"]]
        a = next(a for a in lst if a[0] == uid)
        lst.remove(a)
        self.history.append((at, rec["add_on"], rec["id"], uid, a[1], event, reason, actor))

    # -- assignment; returns (error, outcomes): error None, a code, or a
    # message (not found / too many); outcomes user -> assigned|unchanged|skipped
    def assign(self, name, uids, bulk, users, today, at, actor="cli"):
        if bulk and len(uids) > BULK_MAX:
            return "The number of users to be assigned in a single API call should be less than 100.", {}
        rec = self.by_add_on(name)
        if rec is None or not self.active(rec, today) or any(u not in users for u in uids):
            return NOT_FOUND, {}
        free = rec["quantity"] - len(self.assigned[rec["id"]])
        if not bulk:
            uid = uids[0]
            if self.holds(rec, uid):
                return None, {uid: "unchanged"}
            if free <= 0:
                return "NO_SEATS_AVAILABLE", {}
            if name not in SEAT_ASSIGNABLE:
                return "SEAT_ASSIGNMENT_NOT_SUPPORTED", {}
            if not eligible(users[uid]):
                return "INVALID_USER_MEMBERSHIP", {}
            self._give(rec, uid, users, at, actor)
            return None, {uid: "assigned"}
        if name not in SEAT_ASSIGNABLE:
            return "INCOMPATIBLE_ADD_ON", {}
        ok = [u for u in uids if eligible(users[u])]
        if not ok:
            return "INVALID_USER_ID_PRESENT", {}
        new = [u for u in ok if not self.holds(rec, u)]
        if free < len(new):
            return "NOT_ENOUGH_SEATS", {}
        out = {}
        for u in uids:
            if not eligible(users[u]):
                out[u] = "skipped"
            elif self.holds(rec, u):
                out[u] = "unchanged"
            else:
                self._give(rec, u, users, at, actor)
                out[u] = "assigned"
        return None, out

    def unassign(self, name, uids, bulk, users, today, at, actor="cli"):
        if bulk and len(uids) > BULK_MAX:
            return "The number of users to be unassigned in a single API call should be less than 100.", {}
        rec = self.by_add_on(name)
        if rec is None or not self.active(rec, today):
            return NOT_FOUND, {}
        if any(u not in users and not self.holds(rec, u) for u in uids):
            return NOT_FOUND, {}
        held = [u for u in uids if self.holds(rec, u)]
        if bulk and not held:
            return "NO_ASSIGNMENTS_FOUND", {}
        out = {}
        for u in uids:
            if u in held:
                self._take(rec, u, at, actor)
                out[u] = "unassigned"
            else:
                out[u] = "unchanged"
        return None, out

    # -- clean-up at refresh, in the spec's order
    def cleanup(self, users, today, at):
        for rec in sorted(self.purchases.values(), key=lambda r: r["id"]):
            for a in sorted(self.assigned[rec["id"]], key=lambda a: a[2]):
                if not eligible(users.get(a[0])):
                    self._take(rec, a[0], at, "system", "removed", "ineligible")
        for rec in sorted(self.purchases.values(), key=lambda r: r["id"]):
            lst = self.assigned[rec["id"]]
            surplus = len(lst) - rec["quantity"]
            if surplus <= 0:
                continue
            never = sorted([a for a in lst if users[a[0]].get("last_duo_activity_on") is None],
                           key=lambda a: -a[2])
            used = sorted([a for a in lst if users[a[0]].get("last_duo_activity_on")],
                          key=lambda a: (users[a[0]]["last_duo_activity_on"], -a[2]))
            for a in (never + used)[:surplus]:
                self._take(rec, a[0], at, "system", "removed", "overage")
        for rec in sorted(self.purchases.values(), key=lambda r: r["id"]):
            if rec["expires"] < today - _dt.timedelta(days=GRACE_DAYS):
                for a in sorted(self.assigned[rec["id"]], key=lambda a: a[2]):
                    self._take(rec, a[0], at, "system", "removed", "expired")

    def metrics(self, today):
        return [{"add_on": r["add_on"], "purchased_seats": r["quantity"],
                 "assigned_seats": len(self.assigned[r["id"]])}
                for r in sorted(self.purchases.values(), key=lambda r: r["id"])
                if self.active(r, today)]

    def addons_list(self, today):
        return [{"id": r["id"], "add_on": r["add_on"], "quantity": r["quantity"],
                 "assigned": len(self.assigned[r["id"]]),
                 "started_on": r["started"].isoformat(), "expires_on": r["expires"].isoformat(),
                 "trial": r["trial"], "active": self.active(r, today), "purchase_xid": r["xid"]}
                for r in sorted(self.purchases.values(), key=lambda r: r["id"])]
