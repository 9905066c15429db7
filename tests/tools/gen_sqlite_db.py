#!/usr/bin/python3
"""Generates a large, deterministic SQLite database for the extractor tests.

    gen_sqlite_db.py OUT.db [--tables N] [--manifest OUT.json]

Every table, column, key, index, view and trigger follows from N alone (no
randomness), so two runs give the same schema. The database has foreign keys
(actions, composite keys, omitted referenced columns, DEFERRABLE INITIALLY
DEFERRED), unique / partial / expression indexes, CHECK constraints, generated
columns (virtual and stored), WITHOUT ROWID and STRICT tables, fts5 virtual
tables, views on views and triggers.

The manifest records what SQLite cannot report back by itself (CHECK
constraints, deferrable foreign keys, the view dependencies), so that a test
can compare the extractor with the generator's intent; everything else a test
should count through SQLite's own pragmas.
"""

import argparse
import json
import os
import sqlite3
import sys


def table_name(i):
    return "t%04d" % i


def build(n_tables):
    """Returns (statements, manifest)."""
    stmts = []
    checks = 0
    deferrable = 0
    edges = set()  # (from, to) relation names

    for i in range(n_tables):
        name = table_name(i)
        without_rowid = i % 10 == 9
        strict = i % 8 == 7 and not without_rowid
        cols = []
        cons = []
        if without_rowid:
            cols.append("code TEXT NOT NULL")
            cols.append("seq INTEGER NOT NULL")
            cons.append("PRIMARY KEY (code, seq)")
        else:
            cols.append("id INTEGER PRIMARY KEY" + (" AUTOINCREMENT" if i % 11 == 0 else ""))
            # Referenced by composite foreign keys below: a unique (id, kind).
            cols.append("kind TEXT NOT NULL DEFAULT 'a'")
            cons.append("UNIQUE (id, kind)")
        cols.append("name TEXT NOT NULL" + (" COLLATE NOCASE" if i % 4 == 1 else ""))
        cols.append("amount REAL" + (" DEFAULT 0" if i % 2 else ""))
        cols.append("note %s" % ("TEXT" if strict else "VARCHAR(%d)" % (10 + i % 90)))
        if strict:
            cols.append("payload ANY")
        if i % 6 == 0:
            cols.append("amount_x2 REAL GENERATED ALWAYS AS (amount * 2) VIRTUAL")
        if i % 9 == 0:
            cols.append("name_len INTEGER AS (length(name)) STORED")
        if i % 2 == 0:
            checks += 1
            if i % 4 == 0:
                cons.append("CONSTRAINT %s_amount_positive CHECK (amount >= 0)" % name)
            else:
                cons.append("CHECK (amount >= 0 AND note <> '')")
        if i % 5 == 3:
            checks += 1
            cols[-1] += " CHECK (length(%s) < 1000)" % cols[-1].split()[0]

        # Foreign keys to earlier rowid tables.
        parents = [p for p in (i - 1, i - 7, i // 2) if 0 <= p < i and p % 10 != 9]
        parents = sorted(set(parents))
        for k, p in enumerate(parents):
            col = "ref_%s" % table_name(p)
            cols.append("%s INTEGER" % col)
            action = ["", " ON DELETE CASCADE", " ON DELETE SET NULL ON UPDATE CASCADE", " ON DELETE RESTRICT"][
                (i + k) % 4
            ]
            defer = ""
            if (i + k) % 13 == 0:
                defer = " DEFERRABLE INITIALLY DEFERRED"
                deferrable += 1
            target = table_name(p) if (i + k) % 3 else "%s (id)" % table_name(p)
            cons.append("FOREIGN KEY (%s) REFERENCES %s%s%s" % (col, target, action, defer))
        if i % 17 == 5 and parents and not without_rowid:
            p = parents[0]
            cols.append("ref_kind TEXT")
            cons.append(
                "CONSTRAINT %s_composite_fk FOREIGN KEY (ref_%s, ref_kind) REFERENCES %s (id, kind)"
                % (name, table_name(p), table_name(p))
            )

        sql = "CREATE TABLE %s (\n  %s\n)" % (name, ",\n  ".join(cols + cons))
        options = []
        if without_rowid:
            options.append("WITHOUT ROWID")
        if strict:
            options.append("STRICT")
        stmts.append(sql + (" " + ", ".join(options) if options else ""))

        # Indexes.
        if parents:
            stmts.append("CREATE INDEX %s_ref ON %s (ref_%s)" % (name, name, table_name(parents[0])))
        if i % 4 == 2:
            stmts.append("CREATE INDEX %s_partial ON %s (name) WHERE amount > 100" % (name, name))
        if i % 5 == 1:
            stmts.append("CREATE INDEX %s_lower ON %s (lower(name), amount DESC)" % (name, name))
        if i % 7 == 3:
            stmts.append("CREATE UNIQUE INDEX %s_name ON %s (name COLLATE NOCASE, note)" % (name, name))

        # Triggers.
        if i % 20 == 4 and not without_rowid:
            stmts.append(
                "CREATE TRIGGER %s_touch AFTER UPDATE OF amount ON %s BEGIN "
                "UPDATE %s SET note = 'changed' WHERE id = NEW.id; END" % (name, name, name)
            )
        if i % 50 == 10:
            stmts.append(
                "CREATE TRIGGER %s_guard BEFORE DELETE ON %s BEGIN SELECT RAISE(ABORT, 'kept'); END" % (name, name)
            )

    # fts5 tables: listed, their shadow tables not.
    for k in range(4):
        stmts.append("CREATE VIRTUAL TABLE search_%d USING fts5(title, body)" % k)

    # Views: on a table, on two tables joined, and chains of views on views
    # (a view on the join view, and a view on that one: three levels).
    n_views = max(1, n_tables // 7)
    view_names = []

    def rowid_table(k):
        k = k % n_tables
        return table_name(k - 1 if k % 10 == 9 else k)

    for j in range(n_views):
        v = "v%04d" % j
        shape = j % 4 if view_names else 0
        if shape == 0:
            a = rowid_table(j * 7)
            stmts.append(
                "CREATE VIEW %s AS SELECT id, name, amount * 2 AS double_amount FROM %s WHERE amount > 0" % (v, a)
            )
            edges.add((a, v))
        elif shape == 1:
            a = rowid_table(j * 7)
            b = rowid_table(j * 7 + 3)
            stmts.append(
                "CREATE VIEW %s AS SELECT x.id, x.name, y.amount FROM %s AS x JOIN %s AS y ON y.id = x.id"
                % (v, a, b)
            )
            edges.add((a, v))
            edges.add((b, v))
        else:
            base = view_names[-1]
            stmts.append("CREATE VIEW %s AS SELECT id, name, upper(name) AS loud FROM %s" % (v, base))
            edges.add((base, v))
        view_names.append(v)
    manifest = {
        "tables": n_tables,
        "virtual_tables": 4,
        "views": n_views,
        "check_constraints": checks,
        "deferrable_foreign_keys": deferrable,
        "lineage_edges": len(edges),
    }
    return stmts, manifest


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--tables", type=int, default=2000)
    parser.add_argument("--manifest")
    args = parser.parse_args()
    if os.path.exists(args.out):
        os.remove(args.out)
    stmts, manifest = build(args.tables)
    con = sqlite3.connect(args.out)
    con.execute("PRAGMA journal_mode = DELETE")
    with con:
        for s in stmts:
            con.execute(s)
        for i in range(0, args.tables, 100):
            if i % 10 != 9:
                con.execute("INSERT INTO %s (name, amount, note) VALUES ('x', 150, 'n')" % table_name(i))
    con.close()
    if args.manifest:
        with open(args.manifest, "w") as f:
            json.dump(manifest, f, indent=2, sort_keys=True)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
