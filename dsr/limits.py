"""Bounds shared by the schemas and the columns they fill (issue 12, defect 6): input the schema
accepts must fit where it is stored. tests/unit/test_schema_limits.py checks every field."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

# An Integer column is a 32-bit int4 on PostgreSQL: a larger id or count is a 422, not a 500.
INT_COLUMN_MAX = 2**31 - 1

IntId = Annotated[int, Field(ge=1, le=INT_COLUMN_MAX)]
Version = Annotated[int, Field(ge=1, le=INT_COLUMN_MAX)]
Count = Annotated[int, Field(ge=0, le=INT_COLUMN_MAX)]
