"""The demo county generator: a county modelled on 岳西, its bills and realistic arrears.

``load_county(engine, CountySpec(...), schedule=..., rules=...)`` fills an empty MIS database and
returns a :class:`CountySummary`; ``CountyRows`` produces the same rows without a database.
"""

from gridpos.refmis.generator.load import load_county
from gridpos.refmis.generator.rows import CountyChunk, CountyRows, split_by_weight
from gridpos.refmis.generator.spec import BEHAVIOUR_PER_MILLE, CountySpec, CountySummary

__all__ = [
    "BEHAVIOUR_PER_MILLE",
    "CountyChunk",
    "CountyRows",
    "CountySpec",
    "CountySummary",
    "load_county",
    "split_by_weight",
]
