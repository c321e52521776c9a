"""gitlab_client.py - drives a running seatledger server with python-gitlab,
the way an existing GitLab admin script would, and asserts what it parses.

usage: gitlab_client.py URL ADMIN_TOKEN READER_TOKEN NEW_KEY_FILE EXPIRED_KEY_FILE
Prints "N passed, M failed" and exits non-zero on any failure.
"""
import sys

import gitlab
from gitlab import exceptions as glexc

url, admin, reader, new_key_file, expired_key_file = sys.argv[1:6]
with open(new_key_file) as f:
    new_key = f.read()
with open(expired_key_file) as f:
    expired_key = f.read()

passed = 0
failed = 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print(f"FAIL: {name} {detail}", file=sys.stderr)


def raises(name, exc_type, fn, code, message):
    try:
        fn()
    except exc_type as e:
        check(name + " code", e.response_code == code, f"got {e.response_code}")
        check(name + " message", e.error_message == message, f"got {e.error_message!r}")
        return
    except Exception as e:  # noqa: BLE001 - any other exception is the failure
        check(name, False, f"raised {type(e).__name__}: {e}")
        return
    check(name, False, "did not raise")


gl = gitlab.Gitlab(url, private_token=admin)

# get_license() parses the body only for Content-Type exactly application/json
before = gl.get_license()
check("get_license dict", isinstance(before, dict) and before.get("id") is not None,
      repr(before))
check("get_license active_users", "active_users" in before, repr(before))

# set_license() posts {"license": ...} as JSON
added = gl.set_license(new_key)
check("set_license id", isinstance(added, dict) and added["id"] > before["id"], repr(added))
check("set_license fields",
      added.get("plan") == "ultimate" and added.get("user_limit") == 25
      and added.get("active_users") == 0 and added.get("expired") is False
      and added.get("starts_at") == "2026-03-01" and added.get("expires_at") == "2098-03-01"
      and added.get("licensee") == {"Name": "Grace Hopper", "Email": "grace@example.com",
                                    "Company": "Navy"}
      and added.get("add_ons") == {"GitLab_FileLocks": 1}
      and added.get("created_at") == "2026-11-22T12:00:00.000Z", repr(added))
check("new license is current", gl.get_license() == added)

lst = gl.http_list("/licenses")
check("licenses list", isinstance(lst, list) and len(lst) >= 2, repr(lst))
ids = [x["id"] for x in lst]
check("licenses newest first", ids == sorted(ids, reverse=True) and ids[0] == added["id"],
      repr(ids))
check("licenses without active_users", all("active_users" not in x for x in lst))

one = gl.http_get(f"/license/{added['id']}")
check("get by id", one == added, repr(one))

ok = gl.http_put(f"/license/{added['id']}/refresh_billable_users")
check("refresh", ok == {"success": True}, repr(ok))

csv = gl.http_get("/license/usage_export.csv")
check("usage export is raw text", hasattr(csv, "text") and
      csv.headers.get("Content-Type") == "text/csv", repr(csv))
check("usage export body", csv.text.startswith("License Key,\"")
      and "\nDate,Billable User Count\n2026-11-22 12:00:00,0\n" in csv.text, csv.text[-200:])

resp = gl.http_delete(f"/license/{added['id']}")
check("delete 204", resp.status_code == 204 and resp.content == b"", repr(resp))
raises("get deleted", glexc.GitlabHttpError,
       lambda: gl.http_get(f"/license/{added['id']}"), 404, "404 Not found")
raises("delete deleted", glexc.GitlabHttpError,
       lambda: gl.http_delete(f"/license/{added['id']}"), 404, "404 Not found")
check("previous license current again", gl.get_license()["id"] == before["id"])

# errors come back as the exceptions python-gitlab documents
raises("expired key", glexc.GitlabLicenseError, lambda: gl.set_license(expired_key), 400,
       "This license has already expired.")
raises("bad token", glexc.GitlabAuthenticationError,
       lambda: gitlab.Gitlab(url, private_token="slt_wrong").get_license(), 401,
       "401 Unauthorized")
raises("no token", glexc.GitlabAuthenticationError,
       lambda: gitlab.Gitlab(url).get_license(), 401, "401 Unauthorized")
raises("non-admin", glexc.GitlabError,
       lambda: gitlab.Gitlab(url, private_token=reader).get_license(), 403, "403 Forbidden")
raises("unknown path", glexc.GitlabHttpError, lambda: gl.http_get("/nothing/here"), 404,
       "404 Not Found")

print(f"python-gitlab {gitlab.__version__}: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
