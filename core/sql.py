"""Reads of a fixed shape that run on every request, as SQL written or compiled once per process.

The ORM builds and compiles a query on every call: for the member's session and their user with
profile, read on every page a member opens, that was ~1.6 ms of CPU a request (~0.15 ms each
once the SQL is ready), more than the rest of the middleware together. These helpers write the
SQL from the models' own metadata and turn rows into model instances with the database
backend's own converters, so the result is what the ORM would have returned.
"""

from collections.abc import Callable, Sequence

from django.core.exceptions import EmptyResultSet
from django.db import connections, models, router
from django.db.models import QuerySet
from django.db.models.sql.compiler import SQLCompiler

from core.generation import KeptUnderGeneration


class ModelColumns:
    """A model's concrete columns in a SELECT, and rows of them back into instances."""

    def __init__(self, model: type[models.Model], alias: str, using: str) -> None:
        connection = connections[using]
        quote = connection.ops.quote_name
        self.model = model
        self.using = using
        self.fields = list(model._meta.concrete_fields)
        self.attnames = [field.attname for field in self.fields]
        self.pk_index = self.fields.index(model._meta.pk)
        self.select = ", ".join(f"{quote(alias)}.{quote(field.column)}" for field in self.fields)
        compiler = SQLCompiler(model.objects.none().query, connection, using)
        self._compiler = compiler
        self._converters = compiler.get_converters(
            [field.get_col(model._meta.db_table) for field in self.fields]
        )

    def __len__(self) -> int:
        return len(self.fields)

    def instance(self, values: Sequence) -> models.Model:
        if self._converters:
            values = next(iter(self._compiler.apply_converters([list(values)], self._converters)))
        return self.model.from_db(self.using, self.attnames, values)


class Prepared:
    """A values_list() QuerySet built and compiled once per process and shape, then run with
    new parameters: what a prepared statement is to a database.

    Building and compiling a QuerySet costs ~0.5–1 ms of CPU a query, several times what running
    it costs; the hot reads of a page (a question's answers, its comments, the page's cards)
    have a fixed shape. `build(*params, *shape)` makes the QuerySet: `params` are integers
    (ids) or lists of them, bound on every call; `shape` is what changes the SQL itself (a
    slice's bounds). The first call for a shape builds it with marker values, finds where the
    markers went among the SQL's parameters, and keeps the SQL, those places and the backend's
    converters; later calls only run the SQL. Rows come back converted as the ORM converts them.
    """

    _MARKER = -(10**15)  # far below any id; marker n is _MARKER - n

    def __init__(self, build: Callable[..., QuerySet], *, shapes: int = 256) -> None:
        self.build = build
        self.shapes = shapes
        self._compiled: dict[tuple, tuple | None] = {}

    def rows(self, *params: int | Sequence[int], shape: tuple = ()) -> list[tuple]:
        lengths = tuple(len(p) if isinstance(p, (list, tuple)) else None for p in params)
        key = (lengths, shape)
        if key not in self._compiled:
            if len(self._compiled) >= self.shapes:
                self._compiled.clear()
            self._compiled[key] = self._compile(lengths, shape)
        compiled = self._compiled[key]
        if compiled is None:  # the query can match nothing (e.g. pk__in=[])
            return []
        using, sql, slots, compiler, converters = compiled
        values = [v for p in params for v in (p if isinstance(p, (list, tuple)) else (p,))]
        bound = [values[slot] if slot >= 0 else literal for slot, literal in slots]
        with connections[using].cursor() as cursor:
            cursor.execute(sql, bound)
            rows = cursor.fetchall()
        if converters:
            rows = compiler.apply_converters(rows, converters)
        return [tuple(row) for row in rows]

    def _compile(self, lengths: tuple, shape: tuple) -> tuple | None:
        markers, args, n = {}, [], 0
        for length in lengths:
            if length is None:
                markers[self._MARKER - n] = n
                args.append(self._MARKER - n)
                n += 1
            else:
                group = [self._MARKER - n - i for i in range(length)]
                markers.update({m: n + i for i, m in enumerate(group)})
                args.append(group)
                n += length
        queryset = self.build(*args, *shape)
        compiler = queryset.query.get_compiler(queryset.db)
        try:
            sql, sql_params = compiler.as_sql()
        except EmptyResultSet:
            return None
        # (index into the call's values, or -1 and the literal the SQL always takes)
        slots = [(markers[p], None) if p in markers else (-1, p) for p in sql_params]
        found = {slot for slot, _ in slots if slot >= 0}
        if found != set(range(n)):
            raise ValueError(f"Prepared: not every parameter reached the SQL: {sql}")
        fields = [s[0] for s in compiler.select[0 : compiler.col_count]]
        return queryset.db, sql, slots, compiler, compiler.get_converters(fields)


class JoinedGet:
    """`model` by one column with the relations of `path` ("author__profile") joined: what
    `Model.objects.select_related(path).filter(by=value).first()` returns, from one statement
    written once per process. Forward foreign keys and one-to-ones, and reverse one-to-ones (a
    user's profile), each LEFT JOINed; a missing related row leaves that relation unloaded.
    The model's default manager is not applied: callers filter what they must (deleted rows).

    `kept` (core.generation.KeptUnderGeneration): rows read are kept by this process until
    the site generation moves, and read from there until then; the objects are made afresh from
    them on every call (nothing one caller changes on them reaches the next).
    """

    def __init__(
        self,
        model: type[models.Model],
        path: str = "",
        by: str = "pk",
        kept: KeptUnderGeneration | None = None,
    ) -> None:
        self.model = model
        self.path = [name for name in path.split("__") if name]
        self.by = by
        self.kept = kept
        self._compiled: dict[str, tuple] = {}
        self._combined: dict[tuple, str] = {}  # get_along()'s statements, by their other SELECT

    def get(self, value) -> models.Model | None:
        using, (select, tail, steps, bounds) = self._compiled_for_read()
        if bounds is not None and not (bounds[0] <= value <= bounds[1]):
            return None  # as the ORM: an integer the column cannot hold matches nothing
        rows = self._rows(using, f"SELECT {select} {tail}", [value])
        return self._objects(steps, rows[0]) if rows else None

    def get_along(
        self, value, along_sql: str, along_params: Sequence, width: int
    ) -> tuple[models.Model | None, list[tuple]]:
        """get(value), and the rows of another SELECT of `width` columns, in the same
        statement (UNION ALL): one round trip for two reads that do not depend on each other's
        results. The other rows come back as the database returns them (no converters)."""
        using, (select, tail, steps, bounds) = self._compiled_for_read()
        if bounds is not None and not (bounds[0] <= value <= bounds[1]):
            value = None  # matches nothing; the other rows are still read
        own = sum(len(columns) for columns, _ in steps)
        combined = self._combined.get((using, along_sql, width))
        if combined is None:
            along = connections[using].ops.quote_name("along")
            # This model's row has its pk; the other SELECT's rows have NULL in all its columns.
            combined = (
                f"SELECT {select}, {', '.join(['NULL'] * width)} {tail} UNION ALL "
                f"SELECT {', '.join(['NULL'] * own)}, {along}.* FROM ({along_sql}) {along}"
            )
            if len(self._combined) >= 64:  # a few shapes (a page's answer count) in practice
                self._combined.clear()
            self._combined[(using, along_sql, width)] = combined
        rows = self._rows(using, combined, [value, *along_params])
        pk_index = steps[0][0].pk_index
        found, others = None, []
        for row in rows:
            if row[pk_index] is not None:
                found = self._objects(steps, row[:own])
            else:
                others.append(tuple(row[own:]))
        return found, others

    def _rows(self, using: str, sql: str, params: list) -> tuple[tuple, ...]:
        kept, key, generation = self.kept, None, None
        if kept is not None:
            key = (using, sql, *params)
            rows, generation = kept.lookup(key)
            if rows is not None:
                return rows
        with connections[using].cursor() as cursor:
            cursor.execute(sql, params)
            rows = tuple(tuple(row) for row in cursor.fetchall())
        if kept is not None:
            kept.keep(key, rows, generation, connections[using])
        return rows

    def _compiled_for_read(self) -> tuple[str, tuple]:
        """(the database read from, its compiled shape: see _compile)"""
        using = router.db_for_read(self.model)
        if using not in self._compiled:
            self._compiled[using] = self._compile(using)
        return using, self._compiled[using]

    @staticmethod
    def _objects(steps: list, row: Sequence) -> models.Model:
        start, objects = 0, []
        for columns, link in steps:
            values = row[start : start + len(columns)]
            start += len(columns)
            parent = objects[-1] if objects else None
            # No related row (its pk is NULL), or the chain stopped at one before.
            if values[columns.pk_index] is None or (parent is None and link is not None):
                objects.append(None)
                continue
            instance = columns.instance(values)
            if link is not None:
                relation, one_back = link
                relation.set_cached_value(parent, instance)
                if one_back:  # the other side holds one object too: cache it there
                    relation.remote_field.set_cached_value(instance, parent)
            objects.append(instance)
        return objects[0]

    def _compile(self, using: str) -> tuple[str, str, list, tuple[int, int] | None]:
        """(the SELECT list, FROM … WHERE …, how a row becomes objects, the bounds of an
        integer `by`)

        On PostgreSQL each related row is joined LATERAL: with plain joins the planner may
        pick a merge join that walks a whole table's index (all the members, up to the one a
        session belongs to) when the statistics of the row before end below its key, as they
        do for every member who signed up since the last ANALYZE: 3.7 ms for the join at
        10,000 members instead of 0.05 ms by index (tests/test_sql_prepared.py)."""
        quote = connections[using].ops.quote_name
        lateral = connections[using].vendor == "postgresql"
        model, alias = self.model, "t0"
        first = ModelColumns(model, alias, using)
        steps: list[tuple[ModelColumns, tuple | None]] = [(first, None)]
        joins = []
        for n, name in enumerate(self.path, start=1):
            field = model._meta.get_field(name)
            related, related_alias = field.related_model, f"t{n}"
            if field.concrete:  # a foreign key / one-to-one on this model
                # (the related row's column, this row's column)
                columns = (field.target_field.column, field.column)
                link = (field, field.one_to_one)
            else:  # a reverse one-to-one (user → profile)
                if not field.one_to_one:
                    raise ValueError(f"JoinedGet: {name} is not a to-one relation")
                columns = (field.remote_field.column, field.remote_field.target_field.column)
                link = (field, True)
            table, theirs, ours = quote(related._meta.db_table), *map(quote, columns)
            if lateral:
                # The related row looked up by its key for the one row before it: a nested loop
                # of index lookups, whatever the statistics say (LIMIT keeps PostgreSQL from
                # turning the subquery back into a join it may plan as a merge join).
                joins.append(
                    f"LEFT OUTER JOIN LATERAL (SELECT * FROM {table} "
                    f"WHERE {table}.{theirs} = {quote(alias)}.{ours} LIMIT 1) "
                    f"{quote(related_alias)} ON TRUE"
                )
            else:
                joins.append(
                    f"LEFT OUTER JOIN {table} {quote(related_alias)} "
                    f"ON {quote(related_alias)}.{theirs} = {quote(alias)}.{ours}"
                )
            steps.append((ModelColumns(related, related_alias, using), link))
            model, alias = related, related_alias
        by = self.model._meta.pk if self.by == "pk" else self.model._meta.get_field(self.by)
        column = by.column
        bounds = None
        if isinstance(by, models.IntegerField):
            low, high = connections[using].ops.integer_field_range(by.get_internal_type())
            bounds = (-(2**63) if low is None else low, 2**63 - 1 if high is None else high)
        select = ", ".join(columns.select for columns, _ in steps)
        tail = (
            f"FROM {quote(self.model._meta.db_table)} {quote('t0')} {' '.join(joins)} "
            f"WHERE {quote('t0')}.{quote(column)} = %s"
        )
        return select, tail, steps, bounds
