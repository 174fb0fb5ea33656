"""Django's ModelBackend, with the signed-in user read by one plain SELECT.

Every signed-in request reads its user right after its session. `ModelBackend.get_user` builds
that query with the ORM each time: under `wrk` on a signed-in lesson page that read took 13.9% of
a gunicorn worker's time, the SELECT itself 1.6% of it (py-spy, bench/README.md). Only the
read changes: the row is converted with the same converters the ORM's compiler applies, the
instance comes from `Model.from_db` as a queryset's would, and inactive users are refused as
ModelBackend refuses them. Logging in, permissions and the session hash check are Django's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import connections, router

PATH = "accounts.backends.AccountBackend"

Converter = Callable[[Any, Any, Any], Any]
# A column's position, its expression and the converters its values go through.
Conversion = tuple[int, Any, list[Converter]]


class AccountBackend(ModelBackend):
    _reads: dict[str, tuple[str, list[str], list[Conversion]]] = {}

    def get_user(self, user_id: Any) -> AbstractBaseUser | None:
        model = get_user_model()
        alias = router.db_for_read(model)
        connection = connections[alias]
        sql, names, converters = self._read(alias)
        try:
            pk = model._meta.pk.to_python(user_id)
        except ValidationError:  # a session naming no possible user id: nobody
            return None
        with connection.cursor() as cursor:
            cursor.execute(sql, [pk])
            row = cursor.fetchone()
        if row is None:
            return None
        values = list(row)
        for index, column, chain in converters:
            for convert in chain:
                values[index] = convert(values[index], column, connection)
        user = model.from_db(alias, names, values)
        return user if self.user_can_authenticate(user) else None

    @classmethod
    def _read(cls, alias: str) -> tuple[str, list[str], list[Conversion]]:
        """The SELECT and its converters for one database, built once per process."""
        if alias not in cls._reads:
            model = get_user_model()
            connection = connections[alias]
            quote = connection.ops.quote_name
            fields = model._meta.concrete_fields
            columns = ", ".join(quote(field.column) for field in fields)
            table = quote(model._meta.db_table)
            sql = f"SELECT {columns} FROM {table} WHERE {quote(model._meta.pk.column)} = %s"  # noqa: S608 - the model's own table
            # As the compiler gathers them (SQLCompiler.get_converters): the backend's, then the column's.
            converters = []
            for index, field in enumerate(fields):
                column = field.get_col(model._meta.db_table)
                chain = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
                if chain:
                    converters.append((index, column, chain))
            cls._reads[alias] = (sql, [field.attname for field in fields], converters)
        return cls._reads[alias]
