#!/usr/bin/env python3
"""Writes the four sources of examples/b2b_sources.persona: a CRM export,
web events, WeChat events and offline events of the same synthetic people.

    python3 examples/gen_sources.py [-n N] [--seed S] [-o DIR] [--records R]

N people (default 1200) become DIR/crm.jsonl, DIR/web.jsonl,
DIR/wechat.jsonl and DIR/offline.jsonl (DIR defaults to examples/sources).
Python 3 standard library only. The bytes written depend only on N, the
seed and R: every draw comes from one random.Random(seed), times are built
by integer arithmetic from a fixed epoch, and every object's keys are
inserted in a fixed order.

With --records R the people are drawn until the four files hold about R
records together, at about three identifiers each (for the speed
measurement in docs/performance.md).

The data is shaped to exercise persona unify:
  - each person has some of: a CRM id, a WeChat UnionID, a mobile number,
    an e-mail address, one or two web cookies; each source sees only some;
  - phone numbers written as people write them ("138 1234 5678",
    "+86-139…", "0086…"), e-mail addresses in mixed case with blanks;
  - shared mailboxes (sales@…, info@…) that the model blocks;
  - CRM contacts updated twice (the later record wins, or keeps a field
    the earlier one had when the model says non_empty);
  - a few bad records: malformed JSON, a phone number with letters, a
    record without any identifier (persona unify reports them, exit 3).
"""
import argparse
import datetime
import json
import os
import random

DAY = 86400
NOW = 1769904000                 # 2026-02-01T00:00:00Z, the example's --now
START = NOW - 365 * DAY
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)

INDUSTRIES = ["manufacturing", "software", "finance", "retail", "healthcare", "logistics", "education", "energy"]
REGIONS = ["上海", "江苏", "浙江", "安徽", "山东", "北京", "广东", "四川", "湖北"]
TITLES = ["CEO", "CTO", "CIO", "VP Sales", "Director of IT", "Engineer", "Senior Engineer", "Analyst",
          "IT Manager", "Procurement Manager", "总经理", "技术总监", "采购经理", "工程师"]
DOMAINS = ["tiangong.cn", "runze-energy.com", "haina.com.cn", "example.cn", "zhida.cn", "lanhai.net"]
PAGES = ["/", "/product", "/product/mes", "/pricing", "/docs/getting-started", "/docs/api", "/blog"]
CAMPAIGNS = ["nurture-mfg-2", "newsletter-2026-01", "webinar-2026q1", "expo-shanghai-2026", "product-launch-mes"]


def iso(t):
    return (EPOCH + datetime.timedelta(seconds=t)).strftime("%Y-%m-%dT%H:%M:%SZ")


def dump(obj):
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def written_phone(rng, digits):
    """A mainland mobile number as a person might type it."""
    form = rng.randrange(6)
    if form == 0:
        return digits
    if form == 1:
        return "+86" + digits
    if form == 2:
        return digits[:3] + " " + digits[3:7] + " " + digits[7:]
    if form == 3:
        return "+86-" + digits[:3] + "-" + digits[3:7] + "-" + digits[7:]
    if form == 4:
        return "0086" + digits
    return "(+86) " + digits


def written_email(rng, email):
    form = rng.randrange(4)
    if form == 0:
        return email.upper()
    if form == 1:
        return " " + email + " "
    return email


def person(rng, i, last):
    p = {"i": i}
    p["crm_id"] = "C%06d" % i if rng.random() < 0.7 else None
    p["unionid"] = "oU%010x" % rng.getrandbits(40) if rng.random() < 0.45 else None
    p["mobile"] = "1" + rng.choice("3456789") + "".join(rng.choice("0123456789") for _ in range(9)) \
        if rng.random() < 0.8 else None
    if last and last["mobile"] and rng.random() < 0.03:
        p["mobile"] = last["mobile"]  # a company switchboard: two contacts, one number
    domain = rng.choice(DOMAINS)
    p["email"] = "user%05d@%s" % (i, domain) if rng.random() < 0.75 else None
    p["shared"] = rng.choice(["sales@", "info@"]) + domain
    p["cookies"] = ["ck%012x" % rng.getrandbits(48) for _ in range(1 + (rng.random() < 0.3))]
    p["industry"] = rng.choice(INDUSTRIES)
    p["region"] = rng.choice(REGIONS)
    p["employees"] = rng.choice([10, 45, 120, 300, 800, 2500, 12000])
    p["title"] = rng.choice(TITLES)
    p["activity"] = rng.choice([0.2, 1, 3])  # dormant, steady, hot
    return p


def when(rng, p):
    # Hot people were active lately; the others over the whole year.
    span = 30 * DAY if p["activity"] == 3 else 365 * DAY
    return NOW - rng.randrange(span)


def crm_records(rng, p):
    if not p["crm_id"]:
        return []
    out = []
    t = START + rng.randrange(200 * DAY)
    rec = {"crm_id": p["crm_id"], "mobile": written_phone(rng, p["mobile"]) if p["mobile"] else None,
           "email": written_email(rng, p["email"]) if p["email"] else p["shared"],
           "industry": p["industry"], "region": p["region"], "employees": p["employees"],
           "title": p["title"], "budget_confirmed": rng.random() < 0.3, "updated_at": iso(t)}
    out.append({k: v for k, v in rec.items() if v is not None})
    if rng.random() < 0.25:  # a later update: bigger company, title cleared
        t2 = t + rng.randrange(1, 120) * DAY
        upd = {"crm_id": p["crm_id"], "employees": p["employees"] * 2, "title": "",
               "unsubscribed": rng.random() < 0.2, "updated_at": iso(t2)}
        out.append(upd)
    return out


def web_records(rng, p):
    out = []
    for _ in range(int(rng.random() * 12 * p["activity"])):
        t = when(rng, p)
        typ = rng.choice(["page_view"] * 6 + ["email_open", "email_click", "download"])
        rec = {"cookie": rng.choice(p["cookies"]), "type": typ, "at": iso(t)}
        if typ == "page_view":
            rec["url"] = rng.choice(PAGES)
        elif typ == "download":
            rec["url"] = "/whitepapers/smart-factory.pdf"
            if p["email"]:
                rec["email"] = written_email(rng, p["email"])  # the download form asks for it
        else:
            rec["campaign"] = rng.choice(CAMPAIGNS)
        out.append(rec)
    if p["mobile"] and rng.random() < 0.3:  # a trial sign-up with a phone number
        out.append({"cookie": p["cookies"][0], "phone": written_phone(rng, p["mobile"]), "type": "page_view",
                    "at": iso(when(rng, p)), "url": "/signup"})
    return out


def wechat_records(rng, p):
    if not p["unionid"]:
        return []
    out = [{"unionid": p["unionid"], "event": "email_open", "time": iso(when(rng, p)), "campaign": "wechat-follow"}]
    for _ in range(int(rng.random() * 3 * p["activity"])):
        rec = {"unionid": p["unionid"], "event": "webinar", "time": iso(when(rng, p)), "campaign": "webinar-2026q1"}
        if p["mobile"] and rng.random() < 0.5:
            rec["phone"] = written_phone(rng, p["mobile"])
        out.append(rec)
    return out


def offline_records(rng, p):
    out = []
    if not (p["mobile"] or p["email"]):
        return out
    for _ in range(int(rng.random() * 2 * p["activity"])):
        typ = rng.choice(["offline_event", "offline_event", "visit", "deal_won"])
        rec = {}
        if p["mobile"] and (not p["email"] or rng.random() < 0.6):
            rec["phone"] = written_phone(rng, p["mobile"])
        else:
            rec["email"] = written_email(rng, p["email"])
        rec["type"] = typ
        rec["at"] = iso(when(rng, p))
        if typ == "offline_event":
            rec["campaign"] = "expo-shanghai-2026"
        if typ == "deal_won":
            rec["amount"] = rng.choice([80000, 250000, 600000])
        out.append(rec)
    return out


BAD = {
    "crm": ['{"crm_id":"C999999","mobile":"138-CALL-ME","updated_at":"2026-01-05T00:00:00Z"}'],
    "web": ['{"type":"page_view","at":"2026-01-20T08:00:00Z","url":"/pricing"}'],
    "offline": ['{"phone":"139 1234 ', ],
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=1200)
    ap.add_argument("--seed", type=int, default=23)
    ap.add_argument("-o", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "sources"))
    ap.add_argument("--records", type=int, default=0)
    ap.add_argument("--no-bad", action="store_true", help="leave out the bad records")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    os.makedirs(args.o, exist_ok=True)
    files = {name: open(os.path.join(args.o, name + ".jsonl"), "w", encoding="utf-8", newline="\n")
             for name in ("crm", "web", "wechat", "offline")}
    makers = {"crm": crm_records, "web": web_records, "wechat": wechat_records, "offline": offline_records}
    total, i, p = 0, 0, None
    while (args.records and total < args.records) or (not args.records and i < args.n):
        i += 1
        p = person(rng, i, p)
        for name, make in makers.items():
            for rec in make(rng, p):
                files[name].write(dump(rec) + "\n")
                total += 1
    if not args.no_bad:
        for name, lines in BAD.items():
            for line in lines:
                files[name].write(line + "\n")
    for f in files.values():
        f.close()


if __name__ == "__main__":
    main()
