#!/usr/bin/env python3
# A copy of ../shared/bench/gen_schema.py (the benchmark generator the team shares), kept here so
# that the tests driven by its --mutate scripts run on a clean clone; tests/cli/test_sync_generated.py
# checks that the two agree when ../shared is present.
"""Deterministic DDL generator for a synthetic warehouse-like database (SQL to stdout).

  gen_schema.py --dialect postgres --schemas 8 --tables 1000 --views 50 > base.sql
  gen_schema.py <same flags> --mutate 25 [--round R] > alter.sql

Same flags + --seed => byte-identical SQL. Random choices do not depend on the dialect,
so one seed gives the same logical schema in postgres, mysql (MariaDB/MySQL 8) and sqlite
(sqlite has no schemas: tables are named <schema>_<table>; it has no COMMENT either, so
comments become /* */ inside the CREATE TABLE text). --partitioned only partitions in
postgres; elsewhere those tables are plain tables with a (id, event_date) key.
--mutate K emits an ALTER script of K changes (add/drop/rename column, change type,
comment, drop table, create table) on top of the database built by the same flags;
round R expects rounds 1..R-1 to have been applied first. Mutation scripts are
dialect-specific (sqlite cannot change a type or set a comment: those become ADD COLUMN).
"""
import argparse
import random

SCHEMAS = "sales finance hr inventory marketing crm logistics ops billing support product analytics".split()
PREFIX = "fact dim stg ref agg raw hist".split()
NOUN = ("orders customer invoice payment shipment product supplier employee account ledger "
        "campaign ticket store region contract session event refund warehouse vehicle").split()
KINDS = {  # kind: (weight, candidate column names)
    "int": (10, "quantity line_no units age_days priority_level score visits retries version_no"),
    "bigint": (5, "external_ref account_no txn_count bytes_total"),
    "smallint": (2, "month_no day_of_week rating"),
    "numeric": (10, "amount unit_price discount_pct tax_amount balance cost_basis margin weight_kg fx_rate"),
    "varchar": (18, "code sku email first_name last_name city country_code region_name phone postal_code title currency source_system"),
    "text": (5, "description notes address_line remarks"),
    "ts": (8, "created_at updated_at loaded_at event_ts shipped_at valid_from valid_to"),
    "date": (6, "order_date birth_date due_date report_date effective_date"),
    "bool": (6, "is_active is_deleted is_primary has_discount is_test"),
    "json": (3, "attributes metadata payload settings"),
    "uuid": (3, "guid external_uuid session_uuid trace_id"),
    "float": (3, "latitude longitude ratio score_f"),
    "enum": (4, "status priority channel"),
    "tarr": (2, "tags labels"),
    "iarr": (1, "bucket_ids"),
    "bytes": (1, "thumbnail checksum_bin"),
    "time": (1, "open_time cutoff_time"),
}
KLIST, KW = list(KINDS), [w for w, _ in KINDS.values()]
ENUMS = {"status": ("new", "active", "suspended", "closed"), "priority": ("low", "medium", "high", "urgent"),
         "channel": ("web", "store", "phone", "partner")}
INDEXABLE = {"int", "bigint", "smallint", "numeric", "varchar", "ts", "date", "bool", "uuid", "enum", "float"}
WORDS = ("customer's order line amount in account currency synthetic field loaded nightly from the "
         "source système données 注文 deprecated see ticket value flag").split()
TYPES = {
    "postgres": dict(int="integer", bigint="bigint", smallint="smallint", text="text", ts="timestamptz",
                     date="date", bool="boolean", json="jsonb", uuid="uuid", float="double precision",
                     tarr="text[]", iarr="integer[]", bytes="bytea", time="time"),
    "mysql": dict(int="int", bigint="bigint", smallint="smallint", text="text", ts="datetime(6)", date="date",
                  bool="boolean", json="json", uuid="char(36)", float="double", tarr="json", iarr="json",
                  bytes="blob", time="time"),
    "sqlite": dict(int="INTEGER", bigint="BIGINT", smallint="SMALLINT", text="TEXT", ts="TIMESTAMP", date="DATE",
                   bool="BOOLEAN", json="JSON", uuid="CHAR(36)", float="REAL", tarr="JSON", iarr="JSON",
                   bytes="BLOB", time="TIME"),
}


class Col:
    def __init__(s, name, kind, p=None):
        s.name, s.kind, s.p = name, kind, p
        s.notnull, s.default, s.comment, s.check, s.unique = False, None, None, False, False


class Table:
    def __init__(s, schema, name):
        s.schema, s.name, s.cols, s.names, s.pk, s.fks, s.idx = schema, name, [], set(), ["id"], [], []
        s.comment, s.part, s.serial, s.locked, s.refs = None, False, False, {"id"}, 0


class Model:
    def __init__(s, a, rng):
        s.a, s.rng, s.tables, s.fk_targets, s.views, s.next = a, rng, [], [], [], 1
        s.schemas = [SCHEMAS[i % 12] + (f"_{i // 12 + 1}" if i >= 12 else "") for i in range(a.schemas)]
        s.sweights = [rng.paretovariate(1.2) for _ in s.schemas]  # uneven schema sizes


def sentence(rng):
    w = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 9)))
    return w[0].upper() + w[1:] + "."


def uniq(t, base):
    name, n = base, 1
    while name in t.names:
        n += 1
        name = f"{base}_{n}"
    t.names.add(name)
    return name


def rand_col(m, t, kind=None):
    rng = m.rng
    kind = kind or rng.choices(KLIST, KW)[0]
    if kind == "enum":
        p = rng.choice(list(ENUMS))
        c = Col(uniq(t, p), kind, p)
    else:
        c = Col(uniq(t, rng.choice(KINDS[kind][1].split())), kind)
    if kind == "numeric":
        c.p = rng.choice(((12, 2), (18, 4), (10, 0), (8, 3), (28, 10)))
    elif kind == "varchar":
        c.p = rng.choice((16, 32, 50, 64, 100, 128, 255, 255, 500, 1000))
    r = rng.random()
    c.notnull = r < 0.35
    if kind == "ts" and r < 0.5:
        c.default = "now"
    elif kind in ("int", "bigint", "smallint", "numeric") and r < 0.2:
        c.default = "0"
    elif kind == "bool" and r < 0.6:
        c.default = "false"
    elif kind == "enum" and r < 0.5:
        c.default = f"'{ENUMS[c.p][0]}'"
    elif kind == "uuid" and r < 0.3:
        c.default = "uuid"
    c.check = kind == "numeric" and rng.random() < 0.2
    c.unique = kind == "varchar" and c.p <= 255 and rng.random() < 0.05 and not t.part
    if c.check or c.unique:
        t.locked.add(c.name)
    if rng.random() < m.a.comments:
        c.comment = sentence(rng)
    return c


def new_table(m, schema=None, part=False):
    rng, a = m.rng, m.a
    schema = schema or rng.choices(m.schemas, m.sweights)[0]
    t = Table(schema, f"{rng.choice(PREFIX)}_{rng.choice(NOUN)}_{m.next:05d}")
    m.next += 1
    t.names.add("id")
    t.cols.append(Col("id", "bigint"))
    t.cols[0].notnull, t.serial, t.part = True, rng.random() < 0.3, part
    if part:
        c = Col(uniq(t, "event_date"), "date")
        c.notnull = True
        t.cols.append(c)
        t.pk = ["id", "event_date"]
        t.locked.add("event_date")
    n = max(3, int(rng.gauss(a.columns_per_table, a.columns_per_table * 0.3)))
    if rng.random() < 0.02:
        n *= 3  # occasional wide table
    if m.fk_targets and rng.random() < a.fk_ratio:
        for _ in range(rng.choice((1, 1, 2))):
            ref = rng.choice(m.fk_targets)
            c = Col(uniq(t, ref.name.split("_")[1] + "_id"), "bigint")
            c.notnull = rng.random() < 0.5
            t.cols.append(c)
            t.fks.append((c.name, ref))
            t.locked.add(c.name)
            ref.refs += 1
    while len(t.cols) < n:
        t.cols.append(rand_col(m, t))
    # secondary indexes: FK columns half the time, then ~--indexes random ones
    for cn, _ in t.fks:
        if rng.random() < 0.5:
            t.idx.append(([cn], False, None))
    cand = [c for c in t.cols[1:] if c.kind in INDEXABLE and not (c.kind == "varchar" and c.p > 255)]
    for _ in range(rng.randint(0, int(2 * a.indexes)) if cand else 0):
        cols = sorted({c.name for c in rng.sample(cand, min(len(cand), rng.choice((1, 1, 2))))})
        special = rng.random()
        t.idx.append((cols, special < 0.1 and not part, "partial" if special > 0.93 else None))
    for c in t.cols[1:]:
        if c.kind in ("json", "tarr", "iarr") and rng.random() < 0.15:
            t.idx.append(([c.name], False, "gin"))
    for cols, _, _ in t.idx:
        t.locked.update(cols)
    if rng.random() < a.comments:
        t.comment = sentence(rng)
    m.tables.append(t)
    if not part:
        m.fk_targets.append(t)
    return t


def q(d, schema, name):
    return f"{schema}_{name}" if d == "sqlite" else f"{schema}.{name}"


def esc(s):
    return s.replace("'", "''")


def sqltype(d, c, schema):
    if c.kind == "numeric":
        s = f"{'decimal' if d == 'mysql' else 'numeric'}({c.p[0]},{c.p[1]})"
        return s.upper() if d == "sqlite" else s
    if c.kind == "varchar":
        return f"VARCHAR({c.p})" if d == "sqlite" else f"varchar({c.p})"
    if c.kind == "enum":
        if d == "postgres":
            return f"{schema}.{c.p}_t"
        return "enum(" + ",".join(f"'{v}'" for v in ENUMS[c.p]) + ")" if d == "mysql" else "TEXT"
    return TYPES[d][c.kind]


def coldef(d, t, c):
    if c.name == "id" and not t.part:
        return {"postgres": "id bigserial" if t.serial else "id bigint GENERATED BY DEFAULT AS IDENTITY",
                "mysql": "id bigint NOT NULL AUTO_INCREMENT", "sqlite": "id INTEGER PRIMARY KEY"}[d]
    s = f"{c.name} {sqltype(d, c, t.schema)}"
    if c.notnull:
        s += " NOT NULL"
    dv = {"now": {"postgres": "now()", "mysql": "CURRENT_TIMESTAMP(6)", "sqlite": "CURRENT_TIMESTAMP"}[d],
          "uuid": "gen_random_uuid()" if d == "postgres" else None}.get(c.default, c.default)
    if dv:
        s += f" DEFAULT {dv}"
    if c.unique:
        s += " UNIQUE"
    if c.comment and d == "mysql":
        s += f" COMMENT '{esc(c.comment)}'"
    if c.check:
        s += f" CHECK ({c.name} >= 0)"
    if d == "sqlite" and c.kind == "enum":
        s += f" CHECK ({c.name} IN (" + ",".join(f"'{v}'" for v in ENUMS[c.p]) + "))"
    if c.comment and d == "sqlite":
        s += f" /* {c.comment} */"
    return s


def ixname(t, k):
    return f"ix_{t.name}_{k}"


def create_table(d, t):
    out, lines = [], [coldef(d, t, c) for c in t.cols]
    if not (d == "sqlite" and not t.part):
        lines.append(f"PRIMARY KEY ({', '.join(t.pk)})")
    for k, (cn, ref) in enumerate(t.fks):
        lines.append(f"CONSTRAINT fk_{t.name}_{k} FOREIGN KEY ({cn}) REFERENCES {q(d, ref.schema, ref.name)} (id)")
    if d == "mysql":
        for k, (cols, uq, kind) in enumerate(t.idx):
            if kind != "gin":  # no plain index on json/text in MySQL
                lines.append(f"{'UNIQUE ' if uq else ''}INDEX {ixname(t, k)} ({', '.join(cols)})")
    sql = f"CREATE TABLE {q(d, t.schema, t.name)} (\n  " + ",\n  ".join(lines) + "\n)"
    if d == "postgres" and t.part:
        sql += " PARTITION BY RANGE (event_date)"
    if d == "mysql" and t.comment:
        sql += f" COMMENT='{esc(t.comment)}'"
    out.append(sql + ";")
    if d == "postgres" and t.part:
        for qn in range(4):
            out.append(f"CREATE TABLE {t.schema}.{t.name}_2024q{qn + 1} PARTITION OF {t.schema}.{t.name} "
                       f"FOR VALUES FROM ('2024-{3 * qn + 1:02d}-01') TO "
                       f"('{'2025-01' if qn == 3 else f'2024-{3 * qn + 4:02d}'}-01');")
        out.append(f"CREATE TABLE {t.schema}.{t.name}_default PARTITION OF {t.schema}.{t.name} DEFAULT;")
    return out


def create_indexes(d, t):
    out = []
    for k, (cols, uq, kind) in enumerate(t.idx if d != "mysql" else []):
        tn = q(d, t.schema, t.name)
        cl = ", ".join(cols)
        if kind == "gin" and d == "postgres":
            out.append(f"CREATE INDEX {ixname(t, k)} ON {tn} USING gin ({cl});")
        elif kind == "gin":
            continue
        elif kind == "partial" and d == "postgres":
            out.append(f"CREATE INDEX {ixname(t, k)} ON {tn} ({cl}) WHERE {cols[0]} IS NOT NULL;")
        else:
            out.append(f"CREATE {'UNIQUE ' if uq else ''}INDEX {ixname(t, k)} ON {tn} ({cl});")
    return out


def comments(d, t):
    if d != "postgres":
        return []
    out = [f"COMMENT ON TABLE {t.schema}.{t.name} IS '{esc(t.comment)}';"] if t.comment else []
    return out + [f"COMMENT ON COLUMN {t.schema}.{t.name}.{c.name} IS '{esc(c.comment)}';" for c in t.cols if c.comment]


def new_view(m, d, i):
    """A view over 1-3 tables (joined on FK or id), sometimes aggregated, sometimes over a view."""
    rng = m.rng
    schema = rng.choice(m.schemas)
    name = f"v_{rng.choice(NOUN)}_{i:05d}"
    used, sel = set(), []

    def out(expr, col):
        nm = col if col not in used else f"{expr.split('.')[0]}_{col}"
        while nm in used:
            nm += "_x"
        used.add(nm)
        sel.append(f"{expr} AS {nm}")

    bases = [v for v in m.views if "id" in v[2]]
    if bases and rng.random() < 0.25:  # view on a view
        vs, vn, vcols = rng.choice(bases)
        frm = f"{q(d, vs, vn)} a"
        for c in ["id"] + rng.sample(vcols[1:], min(len(vcols) - 1, rng.randint(1, 3))):
            out(f"a.{c}", c)
        if rng.random() < 0.5:
            t = rng.choice(m.tables)
            frm += f" JOIN {q(d, t.schema, t.name)} b ON b.id = a.id"
            for c in rng.sample(t.cols[1:], min(len(t.cols) - 1, 2)):
                out(f"b.{c.name}", c.name)
                t.locked.add(c.name)
            t.refs += 1
        sql = f"SELECT {', '.join(sel)} FROM {frm}"
    else:
        a = rng.choice(m.tables)
        a.refs += 1
        groupable = [c for c in a.cols[1:] if c.kind in INDEXABLE]
        if groupable and rng.random() < 0.15:  # aggregate view
            g = rng.choice(groupable)
            a.locked.add(g.name)
            num = [c for c in a.cols if c.kind == "numeric"]
            sel = [f"a.{g.name} AS {g.name}", "count(*) AS n_rows"]
            if num:
                sel.append(f"sum(a.{num[0].name}) AS total_{num[0].name}")
                a.locked.add(num[0].name)
            sql = f"SELECT {', '.join(sel)} FROM {q(d, a.schema, a.name)} a GROUP BY a.{g.name}"
        else:
            srcs, frm = [a], f"{q(d, a.schema, a.name)} a"
            for alias in "bc"[:rng.choice((0, 0, 1, 1, 2))]:
                prev = srcs[-1]
                if prev.fks and rng.random() < 0.8:
                    fk, t = rng.choice(prev.fks)
                    on = f"{alias}.id = {'ab'[len(srcs) - 1]}.{fk}"
                else:
                    t, on = rng.choice(m.tables), f"{alias}.id = a.id"
                frm += f" JOIN {q(d, t.schema, t.name)} {alias} ON {on}"
                srcs.append(t)
                t.refs += 1
            out("a.id", "id")
            for alias, t in zip("abc", srcs):
                for c in rng.sample(t.cols[1:], min(len(t.cols) - 1, rng.randint(1, 4))):
                    out(f"{alias}.{c.name}", c.name)
                    t.locked.add(c.name)
            sql = f"SELECT {', '.join(sel)} FROM {frm}"
    cols = [s.rsplit(" AS ", 1)[1] for s in sel]
    m.views.append((schema, name, cols))
    res = [f"CREATE VIEW {q(d, schema, name)} AS {sql};"]
    text = sentence(rng) if rng.random() < m.a.comments else None
    if d == "postgres" and text:
        res.append(f"COMMENT ON VIEW {schema}.{name} IS '{esc(text)}';")
    return res


def base_script(m, d):
    a, rng, out = m.a, m.rng, []
    for s in m.schemas:
        if d == "postgres":
            out.append(f"CREATE SCHEMA {s};")
            out += [f"CREATE TYPE {s}.{e}_t AS ENUM ({', '.join(repr(v) for v in vals)});" for e, vals in ENUMS.items()]
        elif d == "mysql":
            out.append(f"CREATE DATABASE IF NOT EXISTS {s} DEFAULT CHARACTER SET utf8mb4;")
    part = set(rng.sample(range(a.tables), min(a.partitioned, a.tables)))
    tables = [new_table(m, part=i in part) for i in range(a.tables)]
    for t in tables:
        out += create_table(d, t)
    for t in tables:
        out += create_indexes(d, t)
    for t in tables:
        out += comments(d, t)
    for i in range(a.views if tables else 0):
        out += new_view(m, d, i + 1)
    return out


def mutate(m, d, k):
    """K random changes, applied to the model and returned as SQL."""
    rng, out = m.rng, []
    ops = ["add_column", "drop_column", "rename_column", "change_type", "add_comment", "drop_table", "create_table"]
    for _ in range(k):
        op = rng.choices(ops, (3, 2, 2, 2, 2, 1, 1))[0]
        t = rng.choice(m.tables)
        tn = q(d, t.schema, t.name)
        free = [c for c in t.cols if c.name not in t.locked]
        widen = [c for c in free if c.kind in ("int", "smallint")
                 or (c.kind == "varchar" and c.p <= 255) or (c.kind == "numeric" and c.p[0] <= 30)]
        if op == "drop_table":
            x = next((x for x in rng.sample(m.tables, min(20, len(m.tables))) if x.refs == 0 and not x.part), None)
            if x:
                m.tables.remove(x)
                if x in m.fk_targets:
                    m.fk_targets.remove(x)
                for _, ref in x.fks:
                    ref.refs -= 1
                out.append(f"DROP TABLE {q(d, x.schema, x.name)};")
                continue
        elif op == "create_table":
            x = new_table(m)
            out += create_table(d, x) + create_indexes(d, x) + comments(d, x)
            continue
        elif op in ("drop_column", "rename_column") and free:
            c = rng.choice(free)
            if op == "drop_column":
                t.cols.remove(c)
                out.append(f"ALTER TABLE {tn} DROP COLUMN {c.name};")
            else:
                old, c.name = c.name, uniq(t, c.name + "_v2")
                # MariaDB 10.11 RENAME COLUMN on a JSON column of a just-created table fails
                # ("Unknown column .. in 'CHECK'"); CHANGE COLUMN works everywhere in MySQL
                out.append(f"ALTER TABLE {tn} CHANGE COLUMN {old} {coldef(d, t, c)};" if d == "mysql"
                           else f"ALTER TABLE {tn} RENAME COLUMN {old} TO {c.name};")
            continue
        elif op == "change_type" and widen and d != "sqlite":
            c = rng.choice(widen)
            if c.kind in ("int", "smallint"):
                c.kind = {"int": "bigint", "smallint": "int"}[c.kind]
            else:
                c.p = (c.p[0] + 4, c.p[1]) if c.kind == "numeric" else c.p * 2
            out.append(f"ALTER TABLE {tn} ALTER COLUMN {c.name} TYPE {sqltype(d, c, t.schema)};" if d == "postgres"
                       else f"ALTER TABLE {tn} MODIFY COLUMN {coldef(d, t, c)};")
            continue
        elif op == "add_comment" and d != "sqlite":
            text = sentence(rng)
            c = rng.choice(t.cols[1:] + [None])
            if c is None:
                t.comment = text
                out.append(f"COMMENT ON TABLE {tn} IS '{esc(text)}';" if d == "postgres"
                           else f"ALTER TABLE {tn} COMMENT = '{esc(text)}';")
            else:
                c.comment = text
                out.append(f"COMMENT ON COLUMN {tn}.{c.name} IS '{esc(text)}';" if d == "postgres"
                           else f"ALTER TABLE {tn} MODIFY COLUMN {coldef(d, t, c)};")
            continue
        # add_column, and the fallback when the chosen change is impossible here
        c = rand_col(m, t, rng.choice(KLIST))
        c.notnull, c.unique, c.check = False, False, False
        if d == "sqlite" and c.default == "now":
            c.default = None  # sqlite: ADD COLUMN needs a constant default
        t.locked.discard(c.name)
        t.cols.append(c)
        if d == "sqlite":
            c.comment = None
        out.append(f"ALTER TABLE {tn} ADD COLUMN {coldef(d, t, c)};")
        if d == "postgres" and c.comment:
            out.append(f"COMMENT ON COLUMN {tn}.{c.name} IS '{esc(c.comment)}';")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dialect", choices=("postgres", "mysql", "sqlite"), default="postgres")
    ap.add_argument("--schemas", type=int, default=8)
    ap.add_argument("--tables", type=int, default=1000, help="total tables (partitioned parents included)")
    ap.add_argument("--columns-per-table", type=int, default=20, help="mean; gaussian +-30%%, 2%% are 3x wide")
    ap.add_argument("--views", type=int, default=50)
    ap.add_argument("--fk-ratio", type=float, default=0.3, help="share of tables with 1-2 FKs")
    ap.add_argument("--indexes", type=float, nargs="?", const=1.0, default=1.0, help="mean secondary indexes/table")
    ap.add_argument("--comments", type=float, nargs="?", const=0.5, default=0.5, help="share of tables/columns commented")
    ap.add_argument("--partitioned", type=int, default=0, help="range-partitioned tables (4 quarters + default)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--mutate", type=int, default=0, metavar="K", help="emit an ALTER script of K changes instead")
    ap.add_argument("--round", type=int, default=1, help="which mutation round (rounds apply in order)")
    a = ap.parse_args()
    m = Model(a, random.Random(a.seed))
    d = a.dialect
    sql = base_script(m, d)
    hdr = ["-- gen_schema.py " + " ".join(f"{k}={v}" for k, v in sorted(vars(a).items()))]
    if d == "mysql":
        hdr.append("SET NAMES utf8mb4;")
    if a.mutate:
        for r in range(1, a.round + 1):  # replay earlier rounds so the model matches the database
            m.rng = random.Random(f"{a.seed}/mutate/{r}")
            sql = mutate(m, d, a.mutate)
    if d == "sqlite":
        hdr.append("PRAGMA foreign_keys = ON;")
    print("\n".join(hdr + sql))


if __name__ == "__main__":
    main()
