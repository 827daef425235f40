"""The analyst's script the side-by-side bench compares telco-kpi with (issue 14).

`python3 bench/pandas_peer.py SCHEMA.json EXTRACTS_DIR WEEK_START WEEK_END`: reads every extract CSV
of the folder with pandas, checks what an analyst would check (required cells present, codes in
their lists, dates/timestamps/numbers parse, numbers in range, the row's day is the file's day, keys
unique within a file), then computes the week's KPIs: revenue and its shares by segment and channel,
ARPU, adds (new sales events) and CSAT (mean satisfaction), per province. SCHEMA.json is written by
bench/run.ts from lambdas/core/extracts/schema.ts, so the peer checks the same columns and codes.
Prints one JSON line: seconds, rows, files, problems, a few KPI figures.
"""
import glob
import json
import os
import sys
import time

try:
    import pandas as pd
except ImportError:
    print(json.dumps({"unavailable": "pandas is not installed for " + sys.executable + " (pip install pandas)"}))
    sys.exit(0)


def check(df, table, file_day):
    problems = 0
    for col in table["columns"]:
        if col.get("derived"):
            continue
        name = col["name"]
        if name not in df.columns:
            problems += len(df) if col["required"] else 0
            continue
        s = df[name]
        empty = s.isna() | (s == "")
        if col["required"]:
            problems += int(empty.sum())
        present = s[~empty]
        kind = col["kind"]
        if kind == "code":
            problems += int((~present.isin(col["accepted"])).sum())
        elif kind == "date":
            problems += int(pd.to_datetime(present, format="%Y-%m-%d", errors="coerce").isna().sum())
        elif kind == "month":
            problems += int(pd.to_datetime(present, format="%Y-%m", errors="coerce").isna().sum())
        elif kind == "timestamp":
            problems += int(pd.to_datetime(present, format="ISO8601", errors="coerce").isna().sum())
        elif kind in ("money", "integer"):
            n = pd.to_numeric(present, errors="coerce")
            problems += int(n.isna().sum())
            low = col.get("min", None if col.get("signed") else 0)
            if low is not None:
                problems += int((n < low).sum())
            if col.get("max") is not None:
                problems += int((n > col["max"]).sum())
            if kind == "integer":
                problems += int((n.dropna() % 1 != 0).sum())
        elif kind == "string" and col.get("maxLength"):
            problems += int((present.str.len() > col["maxLength"]).sum())
    day_column = table.get("dayColumn")
    if day_column and file_day and day_column in df.columns:
        problems += int((df[day_column] != file_day).sum())
    key = [k for k in table["key"] if k in df.columns]
    if key:
        problems += int(df.duplicated(subset=key).sum())
    return problems


def main():
    schema_path, folder, week_start, week_end = sys.argv[1:5]
    started = time.perf_counter()
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    frames = {}
    rows = files = problems = 0
    for path in sorted(glob.glob(os.path.join(folder, "*.csv"))):
        name = os.path.basename(path)[:-4]
        kind, _province, period = name.split("_")[:3]
        table = schema[kind]
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
        file_day = f"{period[:4]}-{period[4:6]}-{period[6:8]}" if len(period) == 8 else None
        problems += check(df, table, file_day)
        rows += len(df)
        files += 1
        frames.setdefault(kind, []).append(df)
    data = {k: pd.concat(v, ignore_index=True) for k, v in frames.items()}

    revenue = data["revenue"]
    revenue = revenue[(revenue["date"] >= week_start) & (revenue["date"] <= week_end)].copy()
    revenue["revenue"] = pd.to_numeric(revenue["revenue"])
    revenue["active_users"] = pd.to_numeric(revenue["active_users"])
    by_province = revenue.groupby("province").agg(revenue=("revenue", "sum"), users=("active_users", "sum"))
    days = revenue["date"].nunique() or 1
    arpu = (by_province["revenue"] / (by_province["users"] / days)).round(2)
    total = revenue["revenue"].sum()
    segment_share = (revenue.groupby("segment")["revenue"].sum() / total).round(4)
    channel_share = (revenue.groupby("channel")["revenue"].sum() / total).round(4)

    sales = data["sales"]
    sales = sales[(sales["event_date"] >= week_start) & (sales["event_date"] <= week_end)]
    adds = sales[sales["event_type"] == "new"].groupby(["province", "product"]).size()

    service = data["service"]
    opened = service["opened_at"].str.slice(0, 10)
    service = service[(opened >= week_start) & (opened <= week_end) & (service["satisfaction"] != "")]
    csat = pd.to_numeric(service["satisfaction"]).groupby(service["province"]).mean().round(3)

    seconds = time.perf_counter() - started
    print(json.dumps({
        "seconds": seconds, "files": files, "rows": rows, "problems": problems,
        "revenue": round(float(total), 2), "provinces": len(by_province), "adds": int(adds.sum()),
        "arpu": {k: float(v) for k, v in arpu.items()}, "csat": {k: float(v) for k, v in csat.items()},
        "segmentShare": {k: float(v) for k, v in segment_share.items()}, "channelShare": {k: float(v) for k, v in channel_share.items()},
    }))


main()
