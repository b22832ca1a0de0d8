#!/usr/bin/env python3
"""Writes synthetic B2B contact profiles for examples/b2b_lead.persona.

    python3 examples/gen_profiles.py [-n N] [--seed S] [--history] [-o FILE]

N profiles (default 3000) as JSON Lines, to FILE or stdout. Python 3
standard library only. The bytes written depend only on N and the seed:
every draw comes from one random.Random(seed), times are built by integer
arithmetic from a fixed epoch (no clock, time zone or locale), and every
object's keys are inserted in a fixed order.

The data is shaped to exercise the model and the language:
  - company sizes skewed towards small firms, a long tail of large ones;
  - some fields absent (industry, region, title, unsubscribed, phone) and
    `unsubscribed` sometimes an explicit null;
  - fields the model does not declare ("company", "source"): they must be
    skipped;
  - 0..120 events over the year before 2026-02-01, a few after it (so an
    evaluation "as of" 2026-02-01 must not see them), in three activity
    patterns (steady, dormant, recently hot); a few profiles list their
    events out of time order;
  - times mostly as "YYYY-MM-DDTHH:MM:SSZ", some with a "+08:00" offset,
    a few as Unix seconds.

--history writes the same profiles with a planted history of won deals,
for `persona backtest` (scripts/example.sh): the random deals are removed,
and at each origin of HISTORY_ORIGINS a profile wins a deal within the
next 60 days with the probability PLANTED gives it from what it showed up
to that origin — so a backtest can tell which of the model's signals
really drive conversion (budget and pricing interest much more than the
model's weights say, company size much less, the region not at all). The
planting draws from a second random.Random(seed + 1): the profiles are
the same as without --history.
"""
import argparse
import datetime
import json
import math
import random
import sys

DAY = 86400
NOW = 1769904000                 # 2026-02-01T00:00:00Z, the example's --now
START = NOW - 365 * DAY          # history starts one year earlier
AFTER = 3 * DAY                  # events may lie up to 3 days after NOW
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
CST = datetime.timezone(datetime.timedelta(hours=8))

INDUSTRIES = [("manufacturing", 22), ("software", 18), ("finance", 11),
              ("retail", 12), ("healthcare", 9), ("logistics", 10),
              ("education", 8), ("energy", 8)]

REGIONS = [("上海", 9), ("江苏", 8), ("浙江", 8), ("安徽", 3), ("山东", 4),
           ("福建", 3), ("江西", 2), ("北京", 8), ("天津", 2), ("河北", 2),
           ("广东", 9), ("四川", 4), ("重庆", 2), ("湖北", 3), ("湖南", 2),
           ("河南", 2), ("陕西", 2), ("辽宁", 2), ("云南", 1), ("新疆", 1)]

# Titles include near misses for the decision-maker test ("Vice President",
# lower-case "cto") and Chinese titles with the rank at the end ("技术总监").
TITLES = [("CEO", 3), ("CTO", 4), ("CIO", 3), ("CFO", 1), ("VP Sales", 4),
          ("VP Engineering", 3), ("Director of IT", 5),
          ("Director of Operations", 3), ("Engineer", 12),
          ("Senior Engineer", 8), ("Analyst", 7), ("IT Manager", 6),
          ("Procurement Manager", 4), ("Vice President", 2), ("cto", 1),
          ("Consultant", 3), ("总经理", 2), ("技术总监", 3), ("市场经理", 4),
          ("采购经理", 3), ("工程师", 5), (" ", 1)]

# (lower bound, upper bound, weight): most companies are small.
SIZES = [(1, 49, 34), (50, 99, 14), (100, 499, 24), (500, 1999, 15),
         (2000, 9999, 9), (10000, 60000, 4)]

SOURCES = ["website", "trade_show", "referral", "partner", "cold_call",
           "webinar"]
COMPANY_HEAD = ["华东", "申江", "恒信", "远航", "星辰", "中科", "宏达",
                "博创", "金桥", "润泽", "天工", "启明"]
COMPANY_TAIL = ["精密制造", "软件", "科技", "物流", "能源", "医疗器械",
                "零售", "教育科技", "金融服务", "智能装备"]

EVENT_TYPES = [("page_view", 44), ("email_open", 20), ("email_click", 8),
               ("download", 7), ("visit", 7), ("webinar", 5),
               ("offline_event", 5), ("deal_won", 0.3)]

# "/docs/pricing-api" contains "/pricing"; "/compare-pricing" does not.
URLS = [("/pricing", 14), ("/pricing/enterprise", 4),
        ("/docs/pricing-api", 3), ("/compare-pricing", 2), ("/", 12),
        ("/product", 10), ("/product/mes", 5), ("/docs/getting-started", 7),
        ("/docs/api", 6), ("/docs/connectors", 3), ("/blog/smart-factory", 5),
        ("/blog/ai-quality-inspection", 3), ("/case-studies", 5),
        ("/contact", 3), ("/zh/首页", 1)]

EMAIL_CAMPAIGNS = ["welcome-1", "welcome-2", "nurture-mfg-1", "nurture-mfg-2",
                   "product-launch-mes", "case-study-suzhou"]
WHITEPAPERS = ["/whitepapers/smart-factory.pdf", "/whitepapers/mes-roi.pdf",
               "/whitepapers/iot-security.pdf", "/datasheets/edge-gateway.pdf"]
OFFLINE = ["trade-show-shanghai", "cimt-beijing", "roadshow-hangzhou",
           "customer-day-suzhou"]


def pick(rng, table):
    """One value from a [(value, weight), ...] table."""
    values = [v for v, _ in table]
    weights = [w for _, w in table]
    return rng.choices(values, weights)[0]


def format_time(rng, t):
    """The time t (Unix seconds) in one of the three accepted JSON forms."""
    r = rng.random()
    if r < 0.03:
        return t                                   # Unix seconds
    moment = EPOCH + datetime.timedelta(seconds=t)
    if r < 0.15:
        return moment.astimezone(CST).strftime("%Y-%m-%dT%H:%M:%S+08:00")
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def employees(rng):
    lo, hi, _ = pick(rng, [((lo, hi, w), w) for lo, hi, w in SIZES])
    return rng.randint(lo, hi)


def phone(rng):
    r = rng.random()
    digits = "".join(str(rng.randint(0, 9)) for _ in range(8))
    mobile = "1" + str(rng.randint(3, 9)) + str(rng.randint(0, 9)) + digits
    if r < 0.45:
        return mobile
    if r < 0.75:
        return "+86" + mobile
    return "0" + str(rng.choice([21, 10, 571, 25, 755])) + "-" + digits


def event_times(rng, n):
    """n event times in [START, NOW + AFTER), by activity pattern."""
    kind = rng.random()
    out = []
    for _ in range(n):
        if kind < 0.55:        # steady: spread over the whole year
            t = START + int(rng.random() * (365 * DAY + AFTER))
        elif kind < 0.75:      # dormant: nothing in the last 200 days
            t = START + int(rng.random() * 165 * DAY)
        else:                  # hot: bunched before NOW, some after it
            t = NOW + 2 * DAY - int(min(360 * DAY, rng.expovariate(1.0 / (10 * DAY))))
        out.append(t)
    out.sort()
    return out


def event(rng, typ, t):
    e = {"type": typ, "at": format_time(rng, t)}
    day = EPOCH + datetime.timedelta(seconds=t)
    if typ == "page_view":
        e["url"] = pick(rng, URLS)
    elif typ == "download":
        e["url"] = rng.choice(WHITEPAPERS)
    elif typ.startswith("email_"):
        # Newsletters go out monthly; the other campaigns run all year.
        if rng.random() < 0.4:
            e["campaign"] = "newsletter-%04d-%02d" % (day.year, day.month)
        else:
            e["campaign"] = rng.choice(EMAIL_CAMPAIGNS)
    elif typ == "webinar":
        e["campaign"] = "webinar-%04dq%d" % (day.year, (day.month + 2) // 3)
    elif typ == "offline_event":
        e["campaign"] = rng.choice(OFFLINE)
    elif typ == "deal_won":
        e["amount"] = rng.randint(6, 400) * 5000
    return e


def profile(rng, i):
    p = {"id": "p%05d" % i}
    p["company"] = rng.choice(COMPANY_HEAD) + rng.choice(COMPANY_TAIL) + "有限公司"
    if rng.random() < 0.97:
        p["industry"] = pick(rng, INDUSTRIES)
    if rng.random() < 0.95:
        p["region"] = pick(rng, REGIONS)
    if rng.random() < 0.96:
        p["employees"] = employees(rng)
    if rng.random() < 0.95:
        p["title"] = pick(rng, TITLES)
    p["budget_confirmed"] = rng.random() < 0.25
    r = rng.random()
    if r < 0.60:
        p["unsubscribed"] = rng.random() < 0.12
    elif r < 0.63:
        p["unsubscribed"] = None
    if rng.random() < 0.65:
        p["phone"] = phone(rng)
    p["source"] = rng.choice(SOURCES)

    n = min(120, int(rng.expovariate(1.0 / 22.0)))
    types = [pick(rng, EVENT_TYPES) for _ in range(n)]
    events = [event(rng, typ, t) for typ, t in zip(types, event_times(rng, n))]
    if n > 1 and rng.random() < 0.05:
        rng.shuffle(events)    # the language must not rely on event order
    p["events"] = events
    return p


# --history: the origins and the log-odds of a deal within 60 days of one.
HISTORY_ORIGINS = [NOW - 92 * DAY, NOW - 62 * DAY]   # 2025-11-01, 2025-12-01
HORIZON = 60 * DAY
PLANTED = {"base": -4.4, "budget_confirmed": 1.6, "pricing_view_30d": 0.35, "offline_90d": 0.5,
           "decision_maker": 0.9, "enterprise": 0.4, "unsubscribed": -0.8}
DECISION_PREFIXES = ("CEO", "CTO", "CIO", "CFO", "VP", "Director", "总经理", "总裁")


def seconds(at):
    """An event time of this file (Unix seconds or RFC 3339) in seconds."""
    if isinstance(at, int):
        return at
    return int(datetime.datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp())


def deal_odds(p, origin):
    """The planted log-odds of a deal within HORIZON of `origin`, from
    what the profile showed up to it."""
    seen = [(e["type"], seconds(e["at"]), e.get("url") or "") for e in p["events"]]
    seen = [(t, s, u) for t, s, u in seen if s <= origin]
    pricing = sum(1 for t, s, u in seen if t == "page_view" and "/pricing" in u and s > origin - 30 * DAY)
    offline = sum(1 for t, s, _ in seen if t == "offline_event" and s > origin - 90 * DAY)
    title = p.get("title", "")
    x = PLANTED["base"] + PLANTED["budget_confirmed"] * p["budget_confirmed"]
    x += PLANTED["pricing_view_30d"] * min(pricing, 5) + PLANTED["offline_90d"] * min(offline, 3)
    x += PLANTED["decision_maker"] * (title.startswith(DECISION_PREFIXES) or "总监" in title)
    x += PLANTED["enterprise"] * (p.get("employees", 0) >= 500)
    x += PLANTED["unsubscribed"] * bool(p.get("unsubscribed"))
    return x


def plant_deals(rng, p):
    """Replaces the profile's deals with planted ones: at most one, at the
    first origin whose draw wins, 1 to 60 days after it."""
    p["events"] = [e for e in p["events"] if e["type"] != "deal_won"]
    for origin in HISTORY_ORIGINS:
        if rng.random() < 1 / (1 + math.exp(-deal_odds(p, origin))):
            at = origin + DAY + rng.randrange(HORIZON - DAY)
            p["events"].append({"type": "deal_won", "at": format_time(rng, at), "amount": rng.randint(6, 400) * 5000})
            break
    return p


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=3000, help="number of profiles (default 3000)")
    ap.add_argument("--seed", type=int, default=20260201, help="random seed (default 20260201)")
    ap.add_argument("--history", action="store_true", help="plant the won deals a backtest finds (see above)")
    ap.add_argument("-o", metavar="FILE", help="output file (default stdout)")
    args = ap.parse_args()
    if args.n < 0:
        ap.error("-n must be >= 0")

    rng = random.Random(args.seed)
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    planter = random.Random(args.seed + 1)
    lines = [encode(plant_deals(planter, profile(rng, i)) if args.history else profile(rng, i)) + "\n"
             for i in range(1, args.n + 1)]
    data = "".join(lines).encode("utf-8")
    if args.o:
        with open(args.o, "wb") as f:
            f.write(data)
    else:
        sys.stdout.buffer.write(data)


if __name__ == "__main__":
    main()
