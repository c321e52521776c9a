#!/usr/bin/env python3
"""rules_crosscheck.py - drives seatledger through synthetic user
directories, snapshot histories and license terms, and compares every figure
with the independent model of rules_model.py.

Usage: rules_crosscheck.py SEATLEDGER_BINARY [--seed N] [--keep DIR] [--only NAME]
Exit 0 when every figure matches, 1 on any discrepancy (each printed as
scenario, step, field, model value, seatledger value), 77 when the binary
lacks a command this check needs.
"""

import argparse
import datetime as dt
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rules_model as M  # noqa: E402

SKIP = 77
# under -DSL_SANITIZE=ON a report on stderr is a failure even with exit 0
SANITIZER_MARKS = (b"runtime error:", b"AddressSanitizer", b"LeakSanitizer")


def d(s):
    return dt.date.fromisoformat(s)


def at(day, hh=12, mm=0, ss=0):
    """Instant of `day` (a date) at hh:mm:ss UTC.  The driver computes its
    instants itself so that a wrong bound in the model cannot move them."""
    return int(dt.datetime(day.year, day.month, day.day, hh, mm, ss,
                           tzinfo=dt.timezone.utc).timestamp())


def first_second(day):
    return at(day, 0, 0, 0)


def last_second(day):
    return at(day, 23, 59, 59)


# ------------------------------------------------------------ generators ----

def gen_user(rng, uid, profile):
    """One random user; profile tilts the mix towards billable users."""
    p_active, p_human = profile
    state = "active" if rng.random() < p_active else rng.choice(M.STATES[1:])
    r = rng.random()
    if r < p_human:
        utype = "human"
    elif r < p_human + (1 - p_human) * 0.4:
        utype = "service_user"
    else:
        utype = rng.choice(M.OTHER_TYPES)
    role = rng.choice(M.ROLES + ["guest", "developer"])
    return {"id": str(uid), "username": "user%d" % uid,
            "email": "user%d@example.com" % uid, "state": state,
            "user_type": utype, "highest_role": role,
            "guest_seat": rng.random() < 0.35,
            "last_activity_on": "2023-%02d-%02d" % (rng.randint(1, 12), rng.randint(1, 28))}


def every_combination(first_id):
    """One user for every (state, user_type, role, guest_seat)."""
    out, uid = [], first_id
    for s in M.STATES:
        for t in M.USER_TYPES:
            for r in M.ROLES:
                for g in (False, True):
                    out.append({"id": str(uid), "username": "combo%d" % uid,
                                "email": "combo%d@example.com" % uid, "state": s,
                                "user_type": t, "highest_role": r, "guest_seat": g,
                                "last_activity_on": "2024-01-02"})
                    uid += 1
    return out


def gen_directory(rng, n, first_id=1, profile=(0.75, 0.7)):
    return [gen_user(rng, first_id + i, profile) for i in range(n)]


def mutate(rng, rows, next_id, profile=(0.75, 0.7), churn=0.12, grow=0.08):
    """A later version of a directory: some users change, leave, join."""
    out = []
    for u in rows:
        r = rng.random()
        if r < churn / 3:
            continue  # left
        u = dict(u)
        if r < churn:
            field = rng.choice(["state", "highest_role", "guest_seat", "user_type"])
            if field == "state":
                u["state"] = rng.choice(M.STATES)
            elif field == "highest_role":
                u["highest_role"] = rng.choice(M.ROLES)
            elif field == "guest_seat":
                u["guest_seat"] = not u["guest_seat"]
            else:
                u["user_type"] = rng.choice(M.USER_TYPES)
        out.append(u)
    for _ in range(int(len(rows) * grow) + 1):
        out.append(gen_user(rng, next_id, profile))
        next_id += 1
    return out, next_id


def users_csv(rows):
    lines = ["id,username,email,state,user_type,highest_role,guest_seat,last_activity_on"]
    for u in rows:
        lines.append(",".join([u["id"], u["username"], u["email"], u["state"],
                               u["user_type"], u["highest_role"],
                               "true" if u["guest_seat"] else "false",
                               u["last_activity_on"]]))
    return ("\n".join(lines) + "\n").encode()


def users_jsonl(rows):
    return "".join(json.dumps(dict(u, id=int(u["id"]))) + "\n" for u in rows).encode()


def payload(plan, starts, expires, seats=None, licensee=None, **restr):
    r = {"plan": plan}
    if seats is not None:
        r["active_user_count"] = seats
    top = {}
    for k in ("cloud_licensing_enabled", "generated_from_cancellation",
              "offline_cloud_licensing_enabled"):
        if k in restr:
            top[k] = restr.pop(k)
    r.update(restr)
    p = {"version": 1,
         "licensee": licensee or {"Name": "Ada Lovelace", "Email": "ada@example.com",
                                  "Company": "Example Corp"},
         "issued_at": starts.isoformat() if isinstance(starts, dt.date) else starts}
    if expires is not None:
        p["expires_at"] = expires.isoformat() if isinstance(expires, dt.date) else expires
    p.update(top)
    p["restrictions"] = r
    return p


def seats_edge(n, fail):
    """Seats whose threshold (seats*11//10) is just below n (fail) or just
    reaches n (pass)."""
    s = max(0, n * 10 // 11 - 2)
    if fail:
        while (s + 1) * 11 // 10 < n:
            s += 1
        return s if s * 11 // 10 < n else None
    while s * 11 // 10 < n:
        s += 1
    return s


# ---------------------------------------------------------------- runner ----

class Discrepancy(Exception):
    pass


# commands that record an event in the ledger, and how far after its latest
# one the clock may be without the admin's confirmation (docs/security.md)
RECORDS = {"refresh", "import", "add", "delete", "trust", "untrust", "create", "revoke"}
CLOCK_AHEAD_MAX_S = 31 * 86400


class Run:
    """One scenario: a fresh ledger, the model beside it, and comparisons."""

    def __init__(self, ctx, name):
        self.ctx = ctx
        self.name = name
        self.dir = os.path.join(ctx.tmp, name)
        os.makedirs(self.dir)
        self.db = os.path.join(self.dir, "ledger.db")
        self.m = M.Ledger()
        self.step = "setup"
        self.nfile = 0
        self.latest = None    # the ledger's latest event time, as far as we know
        ctx.runs.append(self)
        self.cli(["keys", "trust", ctx.pub, "--name", "vendor"], at(d("2000-01-01")))

    # -- plumbing
    def cli(self, args, now, want_rc=0, stdin=None, check=True):
        env = dict(os.environ)
        env["SEATLEDGER_DB"] = self.db
        env["SEATLEDGER_NOW"] = M.fmt_now_env(now)
        records = bool(RECORDS.intersection(args[:3]))
        if records and self.latest is not None and now - self.latest > CLOCK_AHEAD_MAX_S:
            # scenarios jump months between events; the admin confirms each
            # jump past the clock-safety bound
            subprocess.run([self.ctx.bin, "clock", "confirm"], env=env, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self.latest = now
        p = subprocess.run([self.ctx.bin] + args, env=env, input=stdin,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if records and p.returncode == 0:
            self.latest = now if self.latest is None else max(self.latest, now)
        self.ctx.invocations += 1
        if any(m in p.stderr for m in SANITIZER_MARKS):
            self.fail("sanitizer report from '%s'" % " ".join(args), "", "",
                      extra=p.stderr.decode(errors="replace")[:2000])
        if check and p.returncode != want_rc:
            self.fail("exit code of '%s'" % " ".join(args), want_rc, p.returncode,
                      extra=p.stderr.decode(errors="replace").strip())
        return p.returncode, p.stdout, p.stderr

    def fail(self, field, model, actual, extra=None):
        self.ctx.report(self.name, self.step, field, model, actual, extra)

    def same(self, field, model, actual):
        self.ctx.checks += 1
        if model != actual:
            self.fail(field, model, actual)
            return False
        return True

    def file(self, data, suffix):
        self.nfile += 1
        path = os.path.join(self.dir, "f%03d%s" % (self.nfile, suffix))
        with open(path, "wb") as f:
            f.write(data)
        return path

    # -- operations
    def import_users(self, now, rows, prune=True, fmt="csv", users=True):
        self.step = "users import %s%s at %s" % (fmt, " --prune" if prune else "",
                                                M.fmt_now_env(now))
        data = users_csv(rows) if fmt == "csv" else users_jsonl(rows)
        path = self.file(data, "." + ("csv" if fmt == "csv" else "jsonl"))
        args = ["users", "import", path] + (["--prune"] if prune else [])
        rc, _, _ = self.cli(args, now)
        if rc == 0:
            self.m.import_users(rows, prune)
        if users:
            self.check_users(now)

    def refresh(self, now, want_ok=True):
        self.step = "refresh at %s" % M.fmt_now_env(now)
        if not want_ok:
            rc, out, err = self.cli(["--json", "refresh"], now, want_rc=1)
            self.ctx.checks += 1
            return
        rc, out, _ = self.cli(["--json", "refresh"], now)
        if rc != 0:
            return
        got = json.loads(out)
        self.same(COMPACT_REFRESH,
                  json.dumps(got, separators=(",", ":")) + "\n", out.decode())
        want = self.m.refresh(now)
        self.same("refresh recorded_at", M.fmt_rfc3339(now), got.get("recorded_at"))
        if not self.same("refresh billable_user_count (plan %s)" % self.m.plan(now),
                         want, got.get("billable_user_count")):
            # follow seatledger so that one wrong count does not cascade
            self.m.snapshots[-1] = (now, got.get("billable_user_count"))
        self.ctx.snapshots += 1

    def issue(self, pl, boundary=False, crlf=False):
        path = self.file(json.dumps(pl, ensure_ascii=False).encode(), ".json")
        key = os.path.join(self.dir, "k%03d.gitlab-license" % self.nfile)
        args = ["license", "issue", "--private-key", self.ctx.priv, "--payload", path,
                "--out", key]
        if boundary:
            args += ["--boundary", "GitLab"]
        rc, _, err = self.cli(args, at(d("2000-01-01")))
        if rc != 0:
            raise Discrepancy("license issue failed: %s" % err.decode())
        with open(key, "rb") as f:
            text = f.read()
        if crlf:
            # stored exactly as received; the CSV normalises it
            text = text.replace(b"\n", b"\r\n") + b"\r\n\n\r\n"
            with open(key, "wb") as f:
                f.write(text)
        return key, text.decode()

    def add(self, now, pl, boundary=False, crlf=False, expect=None):
        """Add a key; the model decides the outcome.  `expect` (optional) is
        what the scenario meant to provoke: 'ok', 'A', 'B', 'C', 'expired',
        'invalid';
        a mismatch there is a generator bug, reported as such."""
        lic = M.License(pl)
        self.step = "license add (%s, %s..%s, seats %s) at %s" % (
            lic.plan, lic.starts, lic.expires, lic.seats, M.fmt_now_env(now))
        msg = self.m.add_check(lic, now)
        kind = classify(msg)
        self.ctx.outcomes[kind] = self.ctx.outcomes.get(kind, 0) + 1
        if expect is not None and expect != kind:
            self.fail("scenario intent (generator)", expect, kind, extra=msg)
        key, text = self.issue(pl, boundary, crlf)
        rc, out, err = self.cli(["--json", "license", "add", key], now, check=False)
        self.ctx.checks += 1
        if msg is None:
            if rc != 0:
                self.fail("license add exit code", 0, rc,
                          extra=err.decode(errors="replace").strip())
                return None
            self.m.add(lic, now, text)
            got = json.loads(out)
            self.compare_entity("license add --json", self.m.cli_entity(lic, now), got)
            return lic
        self.same("license add exit code", 1, rc)
        got = err.decode(errors="replace")
        if msg == M.KEY_INVALID:
            # "<sentence> (<layer detail>)": the detail is the format spec's
            want = "seatledger: %s (" % msg
            self.same("license add stderr (invalid key)", want,
                      got[:len(want)] if got.endswith(")\n") else got)
        else:
            self.same("license add stderr", "seatledger: %s\n" % msg, got)
        self.same("license add stdout", "", out.decode(errors="replace"))
        if rc == 0:
            # seatledger stored a key the model refuses: delete it again so
            # that one refusal does not turn every later figure into noise
            self.m.add(lic, now, text)
            self.delete(now, lic.id)
        return None

    def delete(self, now, lid):
        self.step = "license delete %d at %s" % (lid, M.fmt_now_env(now))
        rc, _, _ = self.cli(["license", "delete", str(lid)], now)
        if rc == 0:
            self.m.delete(lid)

    # -- comparisons
    def compare_entity(self, what, want, got):
        if not isinstance(got, dict):
            self.same(what, want, got)
            return
        keys = list(want.keys()) + [k for k in got if k not in want]
        for k in keys:
            self.same("%s id %s field %s" % (what, want.get("id"), k),
                      want.get(k, "<absent>"), got.get(k, "<absent>"))

    def check_users(self, now):
        rc, out, _ = self.cli(["--json", "users", "count"], now)
        if rc == 0:
            got = json.loads(out)
            want = M.count_users(self.m.users, self.m.plan(now))
            for k in ("plan", "billable", "total", "excluded"):
                self.same("users count %s" % k, want[k], got.get(k))
        rc, out, _ = self.cli(["--json", "users", "list", "--explain"], now)
        if rc == 0:
            got = json.loads(out)
            plan = self.m.plan(now)
            seen = {}
            for row in got:
                seen[row["id"]] = row.get("reason")
            self.same("users list rows (one per user)", len(self.m.users), len(got))
            self.same("users list ids", sorted(self.m.users), sorted(seen))
            bad = []
            for uid, u in sorted(self.m.users.items(), key=lambda kv: int(kv[0])):
                self.ctx.checks += 1
                want = M.user_reason(u, plan)
                if uid in seen and seen[uid] != want:
                    bad.append(uid)
                    if len(bad) <= 5:
                        self.fail("users list reason of user %s (%s/%s/%s/guest_seat=%s, plan %s)"
                                  % (uid, u["state"], u["user_type"], u["highest_role"],
                                     u["guest_seat"], plan), want, seen[uid])
            if len(bad) > 5:
                self.fail("users list reasons (more users)", 0, len(bad) - 5)
        rc, out, _ = self.cli(["--json", "users", "list", "--billable"], now)
        if rc == 0:
            want = sorted(uid for uid, u in self.m.users.items()
                          if M.user_reason(u, self.m.plan(now)) == "billable")
            self.same("users list --billable ids", want, sorted(u["id"] for u in json.loads(out)))

    def history(self, now):
        self.step = "history at %s" % M.fmt_now_env(now)
        rc, out, _ = self.cli(["--json", "history"], now)
        if rc == 0:
            got = [(row["recorded_at"], row["billable_user_count"]) for row in json.loads(out)]
            want = [(M.fmt_rfc3339(t), c) for t, c in self.m.snapshots]
            self.same("history --json (recorded_at, billable_user_count)", want, got)

    def check(self, now, users=True):
        self.step = "check at %s" % M.fmt_now_env(now)
        m = self.m
        if users:
            self.check_users(now)
        # license list
        rc, out, _ = self.cli(["--json", "license", "list"], now)
        if rc == 0:
            got = json.loads(out)
            want = m.entities(now)
            self.same("license list ids", [e["id"] for e in want], [e.get("id") for e in got])
            for w, g in zip(want, got):
                self.compare_entity("license list", w, g)
        # current license
        cur = m.current(now)
        rc, out, _ = self.cli(["--json", "license", "show"], now,
                              want_rc=0 if cur else 3)
        if cur is None:
            self.same("license show (no current)", "null", out.decode().strip())
        elif rc == 0:
            self.compare_entity("license show (current)", m.cli_entity(cur, now),
                                json.loads(out))
        # each license by id, with active_users (license list has all the
        # other fields; with many licenses a sample keeps the run short)
        shown = m.licenses if len(m.licenses) <= 8 else (
            m.licenses[:3] + m.licenses[-3:] + ([cur] if cur else []))
        for lic in shown:
            rc, out, _ = self.cli(["--json", "license", "show", str(lic.id)], now)
            if rc == 0:
                self.compare_entity("license show %d" % lic.id,
                                    m.cli_entity(lic, now), json.loads(out))
        # usage CSV
        want = m.usage_csv(now)
        rc, out, err = self.cli(["usage", "export"], now, want_rc=0 if want else 3)
        if want is None:
            self.same("usage export without a current license", "seatledger: no current license\n",
                      err.decode(errors="replace"))
        elif rc == 0:
            self.ctx.checks += 1
            if want != out:
                wl, gl = want.decode().split("\n"), out.decode(errors="replace").split("\n")
                i = next((i for i in range(min(len(wl), len(gl))) if wl[i] != gl[i]),
                         min(len(wl), len(gl)))
                self.fail("usage export bytes, first differing line %d (model %d lines, "
                          "seatledger %d lines)" % (i + 1, len(wl), len(gl)),
                          wl[i] if i < len(wl) else "<end>",
                          gl[i] if i < len(gl) else "<end>")


def classify(msg):
    if msg is None:
        return "ok"
    if msg == M.KEY_INVALID:
        return "invalid"
    if msg.startswith("This installation currently"):
        return "A"
    if msg.startswith("During the year"):
        return "B"
    if msg.startswith("You have applied a True-up"):
        return "C"
    if msg == "This license has already expired.":
        return "expired"
    return "other"


# ------------------------------------------------------------- scenarios ----

def refresh_series(rng, start, end, every=(15, 30)):
    """Refresh instants from start to end (dates), a random hour each."""
    out, day = [], start
    while day <= end:
        out.append(at(day, rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59)))
        day += dt.timedelta(days=rng.randint(*every))
    return out


def boundary_instants(day):
    """The edges of a term boundary: the day before at 23:59:59, the day at
    00:00:00 and 23:59:59, the day after at 00:00:00."""
    return [last_second(day - dt.timedelta(days=1)), first_second(day), last_second(day),
            first_second(day + dt.timedelta(days=1))]


class Timeline:
    """Events in time order; refreshes and actions interleave."""

    def __init__(self):
        self.events = []

    def on(self, t, fn, *a, **k):
        self.events.append((t, len(self.events), fn, a, k))

    def play(self):
        for t, _, fn, a, k in sorted(self.events, key=lambda e: (e[0], e[1])):
            fn(t, *a, **k)


def prior_n(r, now, pl):
    lic = M.License(pl)
    p0, p1 = r.m.prior_period(lic, now)
    return r.m.historical_max(first_second(p0), last_second(p1))


def sc_terms(ctx, rng):
    """Three consecutive terms (premium, premium renewal, ultimate renewal),
    a changing directory, refreshes at every term boundary, add attempts that
    fail each way at the exact threshold and then pass."""
    r = Run(ctx, "terms")
    s1 = d("2021-03-01") + dt.timedelta(days=rng.randint(0, 400))
    e1 = M.add_years(s1, 1)
    e2 = M.add_years(e1, 1)
    e3 = M.add_years(e2, 1)
    tl = Timeline()
    rows = gen_directory(rng, 260) + every_combination(900000)
    next_id = 261
    t0 = at(s1 - dt.timedelta(days=400), 9)
    tl.on(t0, lambda t: r.import_users(t, rows))
    # directory changes every ~2 months, alternating prune/upsert, csv/jsonl
    state = {"rows": rows, "next": next_id}
    day, i = s1 - dt.timedelta(days=380), 0
    while day < e3 + dt.timedelta(days=40):
        def change(t, i=i):
            state["rows"], state["next"] = mutate(rng, state["rows"], state["next"])
            r.import_users(t, state["rows"], prune=(i % 2 == 0),
                           fmt="csv" if i % 3 else "jsonl")
        tl.on(at(day, rng.randint(1, 22), rng.randint(0, 59)), change)
        day += dt.timedelta(days=rng.randint(45, 75))
        i += 1
    for t in refresh_series(rng, s1 - dt.timedelta(days=390), e3 + dt.timedelta(days=45)):
        tl.on(t, r.refresh)
    for b in (s1, e1, e2, e3):
        for t in boundary_instants(b):
            tl.on(t, r.refresh)
    lic_licensee = {"Name": "Grace Hopper", "Email": "=cmd@example.com",
                    "Company": "Hopper, \"Navy\" & Co"}

    # term 1: users limit without previous_user_count (message B), added
    # before it starts (future-dated)
    def add_t1(t):
        pl = payload("premium", s1, e1, 0, lic_licensee)
        n = prior_n(r, t, pl)
        pl["restrictions"]["active_user_count"] = seats_edge(n, True)
        r.add(t, pl, expect="B")
        pl["restrictions"]["active_user_count"] = seats_edge(n, False)
        r.add(t, pl, crlf=True, expect="ok")
        r.check(t)
    tl.on(at(s1 - dt.timedelta(days=12), 10), add_t1)

    # term 2: renewal with previous_user_count; A when the prior max fits
    # within previous_user_count, B when it does not; then a true-up
    def add_t2(t):
        base = payload("premium", e1, e2, 0,
                       {"Name": "Grace Hopper", "Email": "grace@example.com",
                        "Company": "+Renewal Ltd"})
        n_prior = prior_n(r, t, base)
        daily = r.m.daily(t)
        pl = json.loads(json.dumps(base))
        pl["restrictions"]["previous_user_count"] = n_prior + 3
        pl["restrictions"]["active_user_count"] = seats_edge(daily, True)
        r.add(t, pl, expect="A")
        pl["restrictions"]["previous_user_count"] = max(0, n_prior - 1)
        pl["restrictions"]["active_user_count"] = seats_edge(n_prior, True)
        r.add(t, pl, expect="B")
        # true-up over term 1: expected = hmax(term1) - period seats
        tu = json.loads(json.dumps(base))
        tu["restrictions"].update({"previous_user_count": 20, "trueup_from": s1.isoformat(),
                                   "trueup_to": (e1 - dt.timedelta(days=1)).isoformat(),
                                   "trueup_period_seat_count": 15})
        expected = r.m.historical_max(first_second(s1), last_second(e1 - dt.timedelta(days=1))) - 15
        tu["restrictions"]["trueup_quantity"] = seats_edge(expected, True)
        tu["restrictions"]["active_user_count"] = seats_edge(max(daily, n_prior), False) + 5
        r.add(t, tu, expect="C")
        tu["restrictions"]["trueup_quantity"] = seats_edge(expected, False)
        tu["restrictions"]["active_user_count"] = seats_edge(daily, True)
        r.add(t, tu, expect="A")
        tu["restrictions"]["active_user_count"] = seats_edge(daily, False)
        r.add(t, tu, expect="ok")
        r.check(t)
    tl.on(at(e1 - dt.timedelta(days=20), 15, 30), add_t2)

    # term 3: ultimate with reconciliation_completed (available seats only);
    # an expired key that also fails the user count reports the count
    def add_t3(t):
        daily = r.m.daily(t)
        pl = payload("ultimate", e2, e3, seats_edge(daily, True),
                     {"Name": "Grace Hopper", "Email": "@ops@example.com",
                      "Company": "Ultimate\tCorp"}, reconciliation_completed=True,
                     previous_user_count=0)
        r.add(t, pl, expect="A")
        old = payload("premium", s1 - dt.timedelta(days=800), s1 - dt.timedelta(days=400),
                      0, previous_user_count=10 ** 6)
        if daily > 0:
            r.add(t, old, expect="A")
        old["restrictions"].pop("active_user_count")
        r.add(t, old, expect="expired")
        pl["restrictions"]["active_user_count"] = seats_edge(daily, False)
        r.add(t, pl, boundary=False, expect="ok")
        r.check(t)
    tl.on(at(e2 - dt.timedelta(days=5), 8), add_t3)

    # checks at the term edges and in between
    for b in (s1, e1, e2, e3):
        for t in boundary_instants(b):
            tl.on(t, r.check, users=False)
    tl.on(at(e3 + dt.timedelta(days=50)), r.check)
    tl.play()
    # clock set back: refresh refused, expiry judged by the newest snapshot
    last = r.m.snapshots[-1][0]
    r.refresh(last - 1, want_ok=False)
    r.check(at(M.date_of(last) - dt.timedelta(days=3), 6))
    r.check(last)


def sc_large(ctx, rng):
    """Over a thousand billable users: thousands separators in every message."""
    r = Run(ctx, "large")
    s1 = d("2023-07-15")
    rows = gen_directory(rng, 1400, profile=(0.93, 0.9))
    t = at(s1 - dt.timedelta(days=200), 8)
    r.import_users(t, rows, fmt="jsonl")
    for k in range(6):
        r.refresh(t + k * 21 * M.DAY)
    rows2, _ = mutate(rng, rows, 2000, profile=(0.95, 0.95), churn=0.02, grow=0.05)
    t2 = at(s1 - dt.timedelta(days=30), 10)
    r.import_users(t2, rows2, prune=False)
    r.refresh(t2 + 3600)
    now = at(s1 - dt.timedelta(days=10))
    base = payload("premium", s1, M.add_years(s1, 1), 0,
                   {"Name": "Big", "Email": "big@example.com", "Company": "Big, Inc."})
    n = prior_n(r, now, base)
    assert n >= 1000, n
    for seats in (seats_edge(n, True), 7, 999):
        base["restrictions"]["active_user_count"] = seats
        r.add(now, base, expect="B")
    daily = r.m.daily(now)
    base["restrictions"]["previous_user_count"] = 12345
    base["restrictions"]["active_user_count"] = seats_edge(daily, True)
    r.add(now, base, expect="A")
    tu = json.loads(json.dumps(base))
    tu["restrictions"].update({"trueup_quantity": 1000, "trueup_from": (s1 - dt.timedelta(days=365)).isoformat(),
                               "trueup_to": (s1 - dt.timedelta(days=1)).isoformat(),
                               "active_user_count": 12345})
    tu["restrictions"]["previous_user_count"] = 10
    r.add(now, tu, expect="C")
    tu["restrictions"]["trueup_quantity"] = 1234567
    tu["restrictions"]["active_user_count"] = 1234567
    r.add(now, tu, expect="ok")
    r.check(now)
    r.refresh(at(s1))
    r.check(at(s1 + dt.timedelta(days=1)))


def sc_tiny(ctx, rng):
    """One billable user among many free ones: '1 user' in every message,
    seats 0, an unrestricted key, a cloud key, a start on Feb 29, adds before
    the first snapshot (live count)."""
    r = Run(ctx, "tiny")
    free = [u for u in every_combination(100)
            if M.user_reason(u, "premium") != "billable"]
    one = {"id": "1", "username": "solo", "email": "solo@example.com", "state": "active",
           "user_type": "service_user", "highest_role": "guest", "guest_seat": False,
           "last_activity_on": "2024-02-01"}
    t = at(d("2023-02-20"), 7)
    r.import_users(t, [one] + free)
    # no snapshot yet: the daily count is the live count (1)
    s0, e0 = d("2023-03-01"), d("2024-03-01")
    r.add(t, payload("premium", s0, e0, 0, previous_user_count=0), expect="A")
    # no snapshot in the true-up period: expected is 0 - 1, the true-up
    # passes and available seats fail on the live count
    r.add(t, payload("premium", s0, e0, 0, previous_user_count=1, trueup_quantity=0,
                     trueup_from="2022-03-01", trueup_to="2023-02-28"), expect="A")
    r.add(t, payload("premium", s0, e0, 1, previous_user_count=1, trueup_quantity=0,
                     trueup_from="2022-03-01", trueup_to="2023-02-28"), expect="ok")
    r.check(t)
    r.delete(t, r.m.licenses[-1].id)
    three = [dict(one, id=str(i), username="trio%d" % i, email="trio%d@example.com" % i)
             for i in range(50, 52)]
    r.import_users(at(d("2023-02-27")), [one] + three + free)
    r.refresh(at(d("2023-02-28"), 0, 0, 0))            # 3: Feb 29 - 1 year
    r.import_users(at(d("2023-02-28"), 0, 0, 1), [one] + free)
    r.refresh(at(d("2023-03-01"), 0, 0, 0))
    r.refresh(at(d("2024-02-20"), 7))
    r.refresh(at(d("2024-02-28"), 23, 59, 59))
    start = d("2024-02-29")
    end = d("2025-02-28")
    six = [dict(one, id=str(i), username="solo%d" % i, email="solo%d@example.com" % i,
                user_type="human", highest_role="developer") for i in range(2, 8)]
    t = at(d("2024-02-29"), 0, 0, 0)
    r.import_users(t, [one] + six + free)   # 7 billable from now on
    r.refresh(t)
    t += 3600
    # no current license: the prior period starts on Feb 29 minus one year,
    # Feb 28, whose snapshot (3) exceeds 2 seats by one user
    r.add(t, payload("premium", start, end, 2), expect="B")
    # true-up for 0 users needing 1, then for 1 needing 2 (period seats absorb the rest)
    tu = payload("premium", start, end, 100, previous_user_count=6, trueup_quantity=0,
                 trueup_from="2024-02-29", trueup_to="2024-02-29")
    r.add(t, tu, expect="C")     # hmax 7 - 6 = 1 > 0
    tu["restrictions"]["previous_user_count"] = 5
    tu["restrictions"]["trueup_quantity"] = 1
    r.add(t, tu, expect="C")     # hmax 7 - 5 = 2 > 1
    # floor, not truncation: floor(-1 x 1.1) = -2 < 7 - 8 = -1
    tu["restrictions"].update({"trueup_quantity": -1, "previous_user_count": 8})
    r.add(t, tu, expect="C")
    # a negative true-up is a quantity below zero, not "absent"
    tu["restrictions"].update({"trueup_quantity": -5})
    r.add(t, tu, expect="C")
    # millions: period seats below zero raise the true-up needed
    tu["restrictions"].update({"trueup_quantity": 1234567,
                               "trueup_period_seat_count": -5000000})
    r.add(t, tu, expect="C")
    # seats x 11 and true-up x 11 beyond int64 must not wrap around
    for seats in (2 ** 63 - 1, 922337203685477581):
        for extra in ({"reconciliation_completed": True}, {},
                      {"previous_user_count": 0, "trueup_quantity": 2 ** 63 - 1,
                       "trueup_from": "2024-02-29", "trueup_to": "2024-02-29"}):
            big = r.add(t, payload("premium", start, end, seats, **extra), expect="ok")
            if big:
                r.delete(t, big.id)
    # a negative seat count is a limit below zero, not "unrestricted"
    r.add(t, payload("premium", start, end, -1, reconciliation_completed=True), expect="A")
    # overage of exactly one user: seats 6, 7 billable (threshold 6)
    r.add(t, payload("premium", start, end, 6, reconciliation_completed=True), expect="A")
    # cloud and unrestricted keys skip the user count
    cloud = payload("ultimate", start, end, 0, cloud_licensing_enabled=True,
                    subscription_name="A-S0001")
    r.add(t, cloud, expect="ok")
    r.check(t)
    r.add(t, payload("starter", start, end, None), expect="ok")
    r.check(t)
    # validity comes first, before the user count (seats 0 would fail it)
    inval = [payload("premium", start, None, 0),                       # no expiry
             payload("premium", start, "2025-02-30", 0),               # impossible = absent
             payload("premium", start, end, 0, {}),                    # empty licensee
             payload("premium", "2024-13-01", end, 0),                 # no start date
             payload("premium", start, None, 0, {"Name": "N", "Email": "a@gitlab.com.evil.org",
                                                 "Company": "GitLab"}),
             payload("premium", start, None, 0, {"Name": "N", "Email": "a@example.com",
                                                 "Company": "GitLab"}),
             payload("premium", start, end, 0, offline_cloud_licensing_enabled=True)]
    inval[2]["licensee"] = {}
    inval.append(payload("premium", 20240229, end, 0))                # not a string
    inval.append(payload("premium", start, end, 0))
    inval[-1]["block_changes_at"] = 20250301
    for pl in inval:
        r.add(t, pl, expect="invalid")
    # vendor-internal keys may run without an (or with an unparseable) expiry
    for who in ({"Name": "N", "Email": "ops@jihulab.com", "Company": "JiHu (GITLAB) Ltd"},
                {"Name": "N", "Email": "ops@gitlab.com", "Company": "mygitlabcorp"}):
        for exp in (None, "2025-02-30"):
            ok = r.add(t, payload("premium", start, exp, None, who), expect="ok")
            if ok:
                r.check(t, users=False)
                r.delete(t, ok.id)
    # an unparseable true-up date falls back to the prior-period bound
    bad = payload("premium", start, end, 100, previous_user_count=0, trueup_quantity=1,
                  trueup_from="2024-02-30", trueup_to="not a date")
    r.add(t, bad)
    r.refresh(at(d("2024-03-01"), 12))
    r.check(at(d("2025-02-27"), 23, 59, 59))
    r.check(at(d("2025-02-28"), 0, 0, 0))


def sc_live(ctx, rng):
    """No snapshot at all: every daily figure is a live count under the
    current license's plan, also for the licenses that are not current."""
    r = Run(ctx, "live")
    rows = every_combination(1) + gen_directory(rng, 150, first_id=5000)
    t = at(d("2025-05-05"), 9)
    r.import_users(t, rows)
    prem = payload("premium", d("2025-01-01"), d("2026-01-01"), 10 ** 6)
    r.add(t, prem, expect="ok")
    ult = payload("ultimate", d("2025-08-01"), d("2026-08-01"), 100,
                  {"Name": "U", "Email": "u@example.com", "Company": "Future Ultimate"})
    r.add(t, ult, expect="ok")          # future-dated, not current
    r.check(t)
    t = at(d("2025-08-01"), 0, 0, 0)    # the ultimate key is current now
    r.check(t)
    r.refresh(t)
    r.check(t + 1)


def sc_window(ctx, rng):
    """Current-license selection: a vendor-internal key without expiry, the
    100-newest window, a cancelled subscription, deletions, a boundary-
    wrapped key in the usage CSV."""
    r = Run(ctx, "window")
    rows = gen_directory(rng, 220, profile=(0.8, 0.8))
    t = at(d("2022-01-10"), 9)
    for k in range(8):   # a growing directory, refreshed every 6 days
        r.import_users(t + k * 6 * M.DAY + k * 37, rows[:120 + 12 * k], users=k % 3 == 0)
        r.refresh(t + k * 6 * M.DAY + k * 37)
    t = at(d("2022-03-01"), 12)
    # no current license and no expiry: the prior period ends on the new
    # key's start date, before the first snapshot, so 5 seats pass
    internal = payload("ultimate", d("2022-01-01"), None, 5,
                       {"Name": "Staff", "Email": "ops@gitlab.com", "Company": "GitLab Inc."})
    first = r.add(t, internal, expect="ok")
    r.check(t)
    # the current key has no expiry: the prior period ends on the new key's
    # expiry minus one year (2022-02-01), so the later, larger counts are out
    renew = payload("premium", d("2022-02-01"), d("2023-02-01"), 0,
                    {"Name": "Staff", "Email": "ops@gitlab.com", "Company": "GitLab Inc."})
    n = prior_n(r, t, renew)
    assert n < r.m.daily(t), (n, r.m.daily(t))
    renew["restrictions"]["active_user_count"] = seats_edge(n, True)
    r.add(t, renew, expect="B")
    renew["restrictions"]["active_user_count"] = seats_edge(n, False)
    added = r.add(t, renew, expect="ok")
    r.check(t, users=False)
    r.delete(t, added.id)
    # subscription A-1 and its cancellation
    sub = payload("premium", d("2022-02-01"), d("2023-02-01"), None,
                  {"Name": "Sub", "Email": "sub@example.com", "Company": "-Minus"},
                  subscription_name="A-1")
    r.add(t, sub, boundary=True, expect="ok")
    r.check(t)
    r.refresh(t + 60)
    # the clock set back five days: the key without expiry still counts the
    # snapshots recorded "after now"
    r.check(t - 5 * M.DAY, users=False)
    cancel = payload("premium", d("2022-02-15"), d("2023-02-01"), None,
                     {"Name": "Sub", "Email": "sub@example.com", "Company": "Cancel Co"},
                     subscription_name="A-1", cloud_licensing_enabled=True,
                     generated_from_cancellation=True)
    # generated_from_cancellation without cloud licensing cancels nothing
    not_cloud = json.loads(json.dumps(cancel))
    not_cloud.pop("cloud_licensing_enabled")
    not_cloud["licensee"]["Company"] = "Not Cloud"
    r.add(t + 100, not_cloud, expect="ok")
    r.check(t + 100, users=False)
    cancelled = r.add(t + 120, cancel, expect="ok")
    r.check(t + 120)   # back to the internal key
    r.refresh(t + 180)
    # 100 future-dated keys push the others out of the window
    fut = payload("premium", d("2030-01-01"), d("2031-01-01"), None,
                  {"Name": "Future", "Email": "f@example.com", "Company": "Later"})
    key, text = r.issue(fut)
    t2 = t + 600
    for i in range(99):
        lic = M.License(fut)
        r.ctx.checks += 1
        rc, _, err = r.cli(["license", "add", key], t2 + i, check=False)
        if rc == 0:
            r.m.add(lic, t2 + i, text)
        else:
            r.fail("license add of future key %d" % i, 0, rc, extra=err.decode())
    r.step = "window of 100 at %s" % M.fmt_now_env(t2 + 100)
    r.check(t2 + 100, users=True)      # the internal key (id 1) is the 100th newest... or not
    r.add(t2 + 200, fut, expect="ok")
    r.check(t2 + 200, users=True)
    r.refresh(t2 + 300)
    # delete the cancellation key and one future key: the subscription is no
    # longer cancelled and its key is back in the window
    r.delete(t2 + 400, cancelled.id)
    r.delete(t2 + 401, cancelled.id + 1)
    r.check(t2 + 402)
    r.refresh(at(d("2023-02-01"), 0, 0, 0))
    r.check(at(d("2023-02-01"), 0, 0, 1))


def sc_edges(ctx, rng):
    """Snapshots on the exact edges of a term, each with its own count, so
    that every inclusive/exclusive bound decides a figure: A = [S, E],
    B = [S, S+100] (ends before E's spikes), C starts the day after E."""
    r = Run(ctx, "edges")
    s = d("2023-05-10") + dt.timedelta(days=rng.randint(0, 60))
    e = M.add_years(s, 1)
    noise = [u for u in every_combination(900000)
             if M.user_reason(u, "premium") != "billable"]

    def directory(n):
        return noise + [{"id": str(i), "username": "dev%d" % i, "email": "dev%d@example.com" % i,
                         "state": "active", "user_type": "human", "highest_role": "developer",
                         "guest_seat": False, "last_activity_on": "2023-01-01"}
                        for i in range(1, n + 1)]

    def snap(t, n):
        r.import_users(t, directory(n))
        r.refresh(t)

    snap(at(s - dt.timedelta(days=30)), 40)
    snap(last_second(s - dt.timedelta(days=1)), 100)    # excluded from A and B
    snap(first_second(s), 90)                          # the max of B
    t = first_second(s) + 3600
    lic_a = payload("premium", s, e, None, {"Name": "A", "Email": "a@example.com",
                                            "Company": "\rEdge A"})
    lic_b = payload("ultimate", s, s + dt.timedelta(days=100), None,
                    {"Name": "B", "Email": "b@example.com", "Company": "Edge B"})
    r.add(t, lic_a, expect="ok")
    r.check(t)
    snap(at(s + dt.timedelta(days=40)), 50)
    r.add(at(s + dt.timedelta(days=41)), lic_b, expect="ok")
    snap(at(s + dt.timedelta(days=60)), 55)
    # B expires on its expiry day, not the day after
    r.check(last_second(s + dt.timedelta(days=99)))
    r.check(first_second(s + dt.timedelta(days=100)))
    snap(at(e - dt.timedelta(days=10)), 60)
    snap(last_second(e - dt.timedelta(days=1)), 70)
    r.check(last_second(e - dt.timedelta(days=1)))       # A not yet expired
    snap(first_second(e), 80)
    r.check(first_second(e))                            # A expired on its expiry day
    snap(last_second(e), 95)                             # the max of A
    lic_c = payload("premium", e + dt.timedelta(days=1), M.add_years(e, 1), None,
                    {"Name": "C", "Email": "c@example.com", "Company": "Edge C"})
    r.add(last_second(e), lic_c, expect="ok")
    r.check(last_second(e))
    snap(first_second(e + dt.timedelta(days=1)), 110)   # excluded from A, C's first
    r.check(first_second(e + dt.timedelta(days=1)))
    # prior-period edges of a renewal of C: [C.start 00:00:00, C.expiry 23:59:59]
    # and a true-up over exactly [S, E]: the max is 95, the spike at E+1 is out
    t = at(e + dt.timedelta(days=2))
    snap(t, 20)
    ren = payload("premium", M.add_years(e, 1), M.add_years(e, 2), seats_edge(110, True),
                  {"Name": "C", "Email": "c@example.com", "Company": "Edge C"})
    r.add(t, ren, expect="B")
    ren["restrictions"]["active_user_count"] = 100
    ren["restrictions"].update({"trueup_quantity": seats_edge(95 - 5, True),
                                "trueup_from": s.isoformat(), "trueup_to": e.isoformat(),
                                "trueup_period_seat_count": 5})
    r.add(t, ren, expect="C")
    ren["restrictions"]["trueup_quantity"] = seats_edge(95 - 5, False)
    r.add(t, ren, expect="ok")
    r.check(t)
    # the clock set back before E: expiry is judged by the newest snapshot
    r.refresh(last_second(e - dt.timedelta(days=3)), want_ok=False)
    r.check(last_second(e - dt.timedelta(days=3)))


def sc_random(ctx, rng, name):
    """Random licenses at random times over random histories; the model
    decides every outcome."""
    r = Run(ctx, name)
    base = d("2020-01-01") + dt.timedelta(days=rng.randint(0, 1500))
    end = base + dt.timedelta(days=rng.randint(700, 1100))
    tl = Timeline()
    state = {"rows": gen_directory(rng, rng.randint(150, 400)), "next": 1000}
    tl.on(at(base, 1), lambda t: r.import_users(t, state["rows"]))
    day = base + dt.timedelta(days=30)
    i = 0
    while day < end:
        def change(t, i=i):
            state["rows"], state["next"] = mutate(rng, state["rows"], state["next"],
                                                  churn=0.2, grow=0.1)
            r.import_users(t, state["rows"], prune=rng.random() < 0.6,
                           fmt=rng.choice(["csv", "jsonl"]))
        tl.on(at(day, rng.randint(0, 23)), change)
        day += dt.timedelta(days=rng.randint(40, 120))
        i += 1
    for t in refresh_series(rng, base + dt.timedelta(days=1), end, (5, 25)):
        tl.on(t, r.refresh)
    plans = ["starter", "premium", "ultimate"]
    day = base + dt.timedelta(days=rng.randint(20, 60))
    companies = ["Acme", "=SUM(A1)", "+1 Corp", "-dash", "@at", "\tTab", "Comma, Inc",
                 "Quote \"Q\" Ltd", "Ünïcødé GmbH", "Line\nBreak", "\rCR", "CR\rinside"]

    def spelled(day):
        """A license date in one of the spellings of license-format.md."""
        k = rng.random()
        if k < 0.8:
            return day.isoformat()
        if k < 0.9:
            return day.strftime("%Y%m%d")
        return day.isoformat() + rng.choice(["T23:00:00-05:00", "T00:30:00+09:00",
                                             "T12:00:00Z", "T07:15:00.123Z"])

    def attempt(t):
        m = r.m
        starts = M.date_of(t) + dt.timedelta(days=rng.randint(-200, 60))
        expires = None if rng.random() < 0.05 else M.add_years(starts, rng.choice([1, 1, 1, 2]))
        if rng.random() < 0.1 and expires:
            expires = M.date_of(t) - dt.timedelta(days=rng.randint(0, 30))
            starts = M.add_years(expires, -1)
        lic_email = "x@gitlab.com" if expires is None else "buyer%d@example.com" % rng.randint(1, 99)
        company = "GitLab" if expires is None else rng.choice(companies)
        pl = payload(rng.choice(plans), spelled(starts),
                     spelled(expires) if expires else None, 0,
                     {"Name": "N", "Email": lic_email, "Company": company})
        rs = pl["restrictions"]
        plan_roll = rng.random()
        if plan_roll < 0.04:
            rs.pop("plan")            # missing: starter
        elif plan_roll < 0.08:
            rs["plan"] = rng.choice(["", " "])   # blank: starter
        daily = m.daily(t)
        n = max(prior_n(r, t, pl), daily)
        roll = rng.random()
        if roll < 0.08:
            rs.pop("active_user_count")
        elif roll < 0.12:
            # seats x 11 must not overflow
            rs["active_user_count"] = rng.choice([2 ** 63 - 1, 922337203685477581, 10 ** 15])
        else:
            rs["active_user_count"] = max(0, seats_edge(n, rng.random() < 0.4) + rng.choice([-1, 0, 0, 0, 1, 5]))
        if rng.random() < 0.4:
            rs["previous_user_count"] = max(0, n + rng.randint(-15, 15))
        if rng.random() < 0.3:
            tf = starts - dt.timedelta(days=rng.randint(200, 400))
            tt = tf + dt.timedelta(days=rng.randint(30, 365))
            rs["trueup_from"] = spelled(tf) if rng.random() < 0.9 else "garbage"
            rs["trueup_to"] = spelled(tt) if rng.random() < 0.95 else "2023-02-30"
            rs["trueup_quantity"] = rng.randint(0, max(1, n))
            if rng.random() < 0.5:
                rs["trueup_period_seat_count"] = rng.randint(0, max(1, n))
            if rng.random() < 0.15:
                rs.pop(rng.choice(["trueup_from", "trueup_to", "trueup_quantity"]))
        if rng.random() < 0.1:
            rs["reconciliation_completed"] = True
        if rng.random() < 0.05:
            pl["cloud_licensing_enabled"] = True
        if rng.random() < 0.3:
            rs["add_ons"] = {"GitLab_FileLocks": rng.randint(1, 9), "GitLab_Auditor_User": 1}
        r.add(t, pl, boundary=rng.random() < 0.1, crlf=rng.random() < 0.2)
        if rng.random() < 0.1 and len(m.licenses) > 1:
            r.delete(t + 1, rng.choice(m.licenses).id)
        if rng.random() < 0.5:
            r.check(t + 2, users=rng.random() < 0.3)

    while day < end:
        tl.on(at(day, rng.randint(0, 23), rng.randint(0, 59)), attempt)
        day += dt.timedelta(days=rng.randint(20, 70))
    tl.on(at(end + dt.timedelta(days=1)), r.check)
    tl.play()


# --------------------------------------------------------------- add-ons ----

ADDON_TYPES = ["human"] * 7 + ["service_user", "bot", "service_account", "project_bot"]


def addon_user(rng, uid, day):
    used = rng.random() < 0.5
    return {"id": str(uid), "username": "user%d" % uid,
            "email": "user%d@%s" % (uid, rng.choice(["example.com", "corp.test"])),
            "state": "active" if rng.random() < 0.8 else rng.choice(M.STATES[1:]),
            "user_type": rng.choice(ADDON_TYPES),
            "highest_role": rng.choice(M.ROLES), "guest_seat": False,
            "last_activity_on": None,
            "last_duo_activity_on": (day - dt.timedelta(days=rng.randint(0, 60))) if used else None}


def addon_csv(rows):
    out = ["id,username,email,state,user_type,highest_role,last_duo_activity_on"]
    for u in rows:
        out.append("%s,%s,%s,%s,%s,%s,%s" % (
            u["id"], u["username"], u["email"], u["state"], u["user_type"],
            u["highest_role"], u["last_duo_activity_on"].isoformat()
            if u["last_duo_activity_on"] else ""))
    return ("\n".join(out) + "\n").encode()


def addon_products(rng, day):
    """Random restrictions.add_on_products around `day`."""
    out = {}
    for name in M.ADDONS:
        if rng.random() < (0.7 if name in M.SEAT_ASSIGNABLE else 0.3):
            entries = []
            for _ in range(rng.choice([1, 1, 1, 2])):
                a = day + dt.timedelta(days=rng.randint(-60, 5))
                b = a + dt.timedelta(days=rng.randint(3, 120))
                e = {"quantity": rng.randint(1, 8), "started_on": a.isoformat(),
                     "expires_on": b.isoformat()}
                if rng.random() < 0.5:
                    e["purchase_xid"] = "A-S%05d" % rng.randint(1, 99999)
                if rng.random() < 0.4:
                    e["trial"] = rng.random() < 0.5
                entries.append(e)
            out[name] = entries
    return out


def sc_addons(ctx, rng, name):
    """Add-on seats over a few months: cloud and legacy keys with random
    add-on products, directory changes, single and bulk (un)assignments by
    id and username, refreshes with their clean-up; every answer, the
    purchases after each step, add_on_metrics and the seat history compared
    with the model (rules_model.Seats)."""
    r = Run(ctx, name)
    m, S = r.m, M.Seats()
    day = d("2026-01-05") + dt.timedelta(days=rng.randint(0, 300))
    end = day + dt.timedelta(days=rng.randint(70, 110))
    state = {"rows": [addon_user(rng, i, day) for i in range(1, rng.randint(15, 45))],
             "next": 100}

    def users_import(t):
        r.step = "users import at %s" % M.fmt_now_env(t)
        path = r.file(addon_csv(state["rows"]), ".csv")
        rc, _, _ = r.cli(["users", "import", path, "--prune"], t)
        if rc == 0:
            # the ledger keeps the later Duo activity of what it had and the file
            old = {u: dict(v) for u, v in m.users.items()}
            m.import_users(state["rows"], True)
            for uid, u in m.users.items():
                prev = old.get(uid, {}).get("last_duo_activity_on")
                if prev and (u["last_duo_activity_on"] is None or prev > u["last_duo_activity_on"]):
                    u["last_duo_activity_on"] = prev

    def compare_purchases(t):
        rc, out, _ = r.cli(["--json", "addons", "list"], t)
        if rc == 0:
            r.same("addons list --json", S.addons_list(m.today(t)), json.loads(out))
            ctx.addon_checks += 1

    def change_users(t):
        rows = state["rows"]
        for u in rows:
            if rng.random() < 0.15:
                u["state"] = "active" if rng.random() < 0.6 else rng.choice(M.STATES[1:])
            if rng.random() < 0.05:
                u["user_type"] = rng.choice(ADDON_TYPES)
            if rng.random() < 0.2:
                u["last_duo_activity_on"] = M.date_of(t) - dt.timedelta(days=rng.randint(0, 3))
        rows[:] = [u for u in rows if rng.random() > 0.06]
        for _ in range(rng.randint(0, 4)):
            rows.append(addon_user(rng, state["next"], M.date_of(t)))
            state["next"] += 1
        users_import(t)

    def license_add(t):
        today = M.date_of(t)
        pl = payload(rng.choice(["premium", "ultimate"]), (today - dt.timedelta(days=30)).isoformat(),
                     (today + dt.timedelta(days=rng.randint(60, 400))).isoformat(), 100000,
                     add_on_products=addon_products(rng, today),
                     cloud_licensing_enabled=rng.random() < 0.75)
        if r.add(t, pl) is not None:
            S.provision(m.current(t), m.today(t))
            ctx.addon_keys += 1
        compare_purchases(t)

    def license_delete(t):
        cur = m.current(t)
        if cur is None:
            return
        r.delete(t, cur.id)
        S.provision(m.current(t), m.today(t))
        compare_purchases(t)

    def seats_op(t):
        assign = rng.random() < 0.65
        names = [rec["add_on"] for rec in S.purchases.values()] + [rng.choice(M.ADDONS)]
        addon = rng.choice(names)
        pool = [u["id"] for u in state["rows"]] or ["1"]
        k = rng.choice([1, 1, 1, 2, 3, 5])
        uids = rng.sample(pool, min(k, len(pool)))
        if rng.random() < 0.05:
            uids.append("nobody%d" % rng.randint(1, 9))
        refs = [("user" + u if u.isdigit() and rng.random() < 0.5 and u in m.users else u)
                for u in uids]
        as_file = len(uids) == 1 and rng.random() < 0.2
        bulk = len(uids) > 1 or as_file
        args = ["--json", "seats", "assign" if assign else "unassign", addon]
        if as_file:
            args += ["--file", r.file(("\n".join(refs) + "\n").encode(), ".txt")]
        else:
            args += refs
        r.step = "seats %s %s %s at %s" % (args[2], addon, refs, M.fmt_now_env(t))
        today = m.today(t)
        rec = S.by_add_on(addon)
        rc, out, err = r.cli(args, t, check=False)
        ctx.checks += 1
        ctx.addon_ops += 1
        if rec is None:
            r.same("exit code (no purchase)", 3, rc)
            return
        unknown = [ref for ref, u in zip(refs, uids) if u not in m.users]
        if assign and unknown:
            r.same("exit code (unknown user)", 1, rc)
            r.same("stderr (unknown user)", "seatledger: unknown user '%s'\n" % unknown[0],
                   err.decode())
            return
        fn = S.assign if assign else S.unassign
        code, outcomes = fn(addon, uids, bulk, m.users, today, t)
        if code == M.NOT_FOUND:
            r.same("exit code (not found)", 3, rc)
            return
        want_keys = ["assigned", "unchanged", "skipped"] if assign else ["unassigned", "unchanged"]
        want = {"errors": [code] if code else [], "add_on": addon, "purchase_id": rec["id"]}
        for key in want_keys:
            want[key] = [u for u in uids if outcomes.get(u) == key]
        r.same("exit code", 1 if code else 0, rc)
        try:
            got = json.loads(out)
        except ValueError:
            got = out.decode(errors="replace")
        r.same("seats %s --json" % args[2], want, got)
        ctx.addon_outcomes[code or "ok"] = ctx.addon_outcomes.get(code or "ok", 0) + 1

    def refresh(t):
        r.step = "refresh at %s" % M.fmt_now_env(t)
        rc, out, _ = r.cli(["--json", "refresh"], t)
        if rc != 0:
            return
        got = json.loads(out)
        r.same("refresh billable_user_count", m.refresh(t), got["billable_user_count"])
        today = M.date_of(t)
        S.provision(m.current(t), today)
        S.cleanup(m.users, today, t)
        r.same("refresh add_on_metrics", S.metrics(today), got.get("add_on_metrics"))
        ctx.snapshots += 1
        compare_purchases(t)

    tl = Timeline()
    tl.on(at(day, 0, 5), users_import)
    tl.on(at(day, 0, 10), license_add)
    d_ = day
    while d_ < end:
        if rng.random() < 0.08:
            tl.on(at(d_, 2), license_add)
        if rng.random() < 0.05:
            tl.on(at(d_, 3), license_delete)
        if rng.random() < 0.15:
            tl.on(at(d_, 4), change_users)
        for k in range(rng.randint(0, 4)):
            tl.on(at(d_, 8 + k), seats_op)
        if rng.random() < 0.7:
            tl.on(at(d_, 23), refresh)
        d_ += dt.timedelta(days=1)
    tl.play()
    r.step = "seats history at the end"
    rc, out, _ = r.cli(["--json", "seats", "history"], at(end, 23, 30))
    if rc == 0:
        want = [{"at": M.fmt_rfc3339(h[0]), "add_on": h[1], "purchase_id": h[2],
                 "user_id": h[3], "username": h[4], "event": h[5], "reason": h[6],
                 "actor": h[7]} for h in S.history]
        got = json.loads(out)
        r.same("seats history rows", len(want), len(got))
        for i, (w, g) in enumerate(zip(want, got)):
            if not r.same("seats history row %d" % i, w, g):
                break
        ctx.addon_history += len(got)
    for h in S.history:
        if h[6]:
            ctx.addon_removals[h[6]] = ctx.addon_removals.get(h[6], 0) + 1


# ------------------------------------------------------------------ main ----

COMPACT_REFRESH = "refresh --json is compact JSON on one line"
# add-on seat scenarios (sc_addons), each a few months of daily operations
ADDON_SCENARIOS = int(os.environ.get("SL_CROSSCHECK_ADDON_SCENARIOS", "6"))
ONCE = {COMPACT_REFRESH}


class Ctx:
    def __init__(self, binary, tmp):
        self.bin = binary
        self.tmp = tmp
        self.checks = 0
        self.invocations = 0
        self.snapshots = 0
        self.problems = []
        self.outcomes = {}
        self.runs = []
        self.reported_once = set()
        self.addon_ops = 0
        self.addon_checks = 0
        self.addon_keys = 0
        self.addon_history = 0
        self.addon_outcomes = {}
        self.addon_removals = {}

    def report(self, scenario, step, field, model, actual, extra=None):
        self.problems.append((scenario, step, field, model, actual, extra))
        if field in ONCE:
            # a property of the command, not of the figures: print it once
            if field in self.reported_once:
                return
            self.reported_once.add(field)
        line = "DISCREPANCY [%s] %s: %s\n    model:      %r\n    seatledger: %r" % (
            scenario, step, field, model, actual)
        if extra:
            line += "\n    (%s)" % extra
        print(line, flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--seed", type=int, default=20240229)
    ap.add_argument("--keep", help="keep the scenario files in this directory")
    ap.add_argument("--only", help="run only this scenario")
    a = ap.parse_args()
    tmp = a.keep or tempfile.mkdtemp(prefix="seatledger-crosscheck-")
    os.makedirs(tmp, exist_ok=True)
    ctx = Ctx(os.path.abspath(a.binary), tmp)
    started = time.time()
    try:
        probe = subprocess.run([ctx.bin, "--db", os.path.join(tmp, "probe.db"),
                                "--json", "users", "count"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if probe.returncode != 0:
            print("SKIP: '%s users count' is not available (exit %d: %s)" % (
                a.binary, probe.returncode, probe.stderr.decode().strip()))
            return SKIP
        ctx.priv = os.path.join(tmp, "vendor.pem")
        ctx.pub = os.path.join(tmp, "vendor.pub.pem")
        subprocess.run([ctx.bin, "keys", "generate", "--private", ctx.priv, "--public",
                        ctx.pub], check=True, stdout=subprocess.DEVNULL)
        scenarios = [("terms", sc_terms), ("large", sc_large), ("tiny", sc_tiny),
                     ("window", sc_window), ("edges", sc_edges), ("live", sc_live),
                     ] + [("random%d" % k, lambda c, g, k=k: sc_random(c, g, "random%d" % k))
                          for k in range(1, 5)] + \
                    [("addons%d" % k, lambda c, g, k=k: sc_addons(c, g, "addons%d" % k))
                     for k in range(1, ADDON_SCENARIOS + 1)]
        for i, (name, fn) in enumerate(scenarios):
            if a.only and a.only != name:
                continue
            t = time.time()
            fn(ctx, random.Random(a.seed * 100 + i))
            ctx.runs[-1].history(at(d("2099-01-01")))
            print("scenario %-8s done in %.1f s" % (name, time.time() - t), flush=True)
    finally:
        if not a.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    print("%d comparisons, %d seatledger runs, %d snapshots, add outcomes %s, %.1f s" % (
        ctx.checks, ctx.invocations, ctx.snapshots,
        json.dumps(ctx.outcomes, sort_keys=True), time.time() - started))
    print("add-on seats: %d cloud/legacy keys added, %d seat calls, outcomes %s, "
          "%d purchase lists compared, %d history rows compared, clean-up removals %s" % (
              ctx.addon_keys, ctx.addon_ops, json.dumps(ctx.addon_outcomes, sort_keys=True),
              ctx.addon_checks, ctx.addon_history,
              json.dumps(ctx.addon_removals, sort_keys=True)))
    # the scenarios exist to provoke every outcome; a generator change that
    # loses one would silently weaken the check
    missing = [k for k in ("ok", "A", "B", "C", "expired", "invalid")
               if not ctx.outcomes.get(k) and not a.only]
    if missing:
        print("COVERAGE: no add attempt had the outcome %s" % ", ".join(missing))
        return 1
    seat_missing = [k for k in ("ok", "NO_SEATS_AVAILABLE", "SEAT_ASSIGNMENT_NOT_SUPPORTED",
                                "INVALID_USER_MEMBERSHIP", "INCOMPATIBLE_ADD_ON",
                                "INVALID_USER_ID_PRESENT", "NOT_ENOUGH_SEATS",
                                "NO_ASSIGNMENTS_FOUND")
                    if not ctx.addon_outcomes.get(k) and not a.only and ADDON_SCENARIOS >= 6]
    seat_missing += ["removal " + k for k in ("ineligible", "overage", "expired")
                     if not ctx.addon_removals.get(k) and not a.only and ADDON_SCENARIOS >= 6]
    if seat_missing:
        print("COVERAGE: no seat call had the outcome %s" % ", ".join(seat_missing))
        return 1
    if ctx.problems:
        repeats = len(ctx.problems) - len([p for p in ctx.problems if p[2] not in ONCE]) \
            - len(ctx.reported_once)
        print("%d discrepancies%s" % (len(ctx.problems) - repeats,
                                      " (and %d repeats of: %s)" % (repeats, ", ".join(sorted(ctx.reported_once)))
                                      if repeats else ""))
        return 1
    print("no discrepancies")
    return 0


if __name__ == "__main__":
    sys.exit(main())
