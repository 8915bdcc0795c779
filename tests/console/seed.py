"""A small two-county tree with an operator per role, for the console's tests.

安徽省电力公司 3400 (province)
└ 安庆供电公司 3408 (city)
  ├ 岳西县供电公司 340828 (county)      admin, finance, auditor
  │ ├ 天堂供电所 34082801 (station)     head, staff
  │ │ └ 天堂镇代收点 3408280101         agent01 (agent A0101)
  │ └ 店前供电所 34082802 (station)     head2
  │   └ 店前代收点 3408280201           (agent A0201)
  └ 宿松县供电公司 340826 (county)      admin (another county's admin, same account)
    └ 复兴供电所 34082601 (station)
"""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher
from sqlalchemy import Engine, insert

from gridpos.adapters.db.tables import agents, operators
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork

PASSWORD = "Passw0rd2024"
# cheap parameters: a hash verifies with any hasher, and the tests stay fast
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@dataclass(frozen=True)
class Tree:
    """Ids of the seeded nodes, agents and operators (operators by ``account@org_code``)."""

    org: dict[str, int]
    agent: dict[str, int]
    operator: dict[str, int]


ORGANISATIONS = (
    ("3400", "安徽省电力公司", "province", None),
    ("3408", "安庆供电公司", "city", "3400"),
    ("340828", "岳西县供电公司", "county", "3408"),
    ("34082801", "天堂供电所", "station", "340828"),
    ("3408280101", "天堂镇代收点", "collection_point", "34082801"),
    ("34082802", "店前供电所", "station", "340828"),
    ("3408280201", "店前代收点", "collection_point", "34082802"),
    ("340826", "宿松县供电公司", "county", "3408"),
    ("34082601", "复兴供电所", "station", "340826"),
)
AGENTS = (("A0101", "天堂镇便民超市", "3408280101"), ("A0201", "店前小卖部", "3408280201"))
OPERATORS = (
    ("admin", "王管理", "admin", "340828", None),
    ("finance", "李账务", "finance", "340828", None),
    ("auditor", "赵稽查", "auditor", "340828", None),
    ("head", "刘所长", "station_head", "34082801", None),
    ("staff", "陈员工", "station_staff", "34082801", None),
    ("head2", "周所长", "station_head", "34082802", None),
    ("agent01", "孙代收", "agent", "3408280101", "A0101"),
    ("admin", "钱管理", "admin", "340826", None),
)


def seed_tree(engine: Engine, *, password: str = PASSWORD) -> Tree:
    """Write the tree, agents and operators above; their ids."""
    password_hash = FAST_HASHER.hash(password)
    org: dict[str, int] = {}
    agent: dict[str, int] = {}
    operator: dict[str, int] = {}
    with SqlUnitOfWork(engine, write=True) as uow:
        for code, name, level, parent in ORGANISATIONS:
            node = uow.organisations.add(
                code=code, name=name, level=level, parent_id=org[parent] if parent else None
            )
            org[code] = node.id
        for code, name, org_code in AGENTS:
            agent[code] = int(
                uow.connection.execute(
                    insert(agents)
                    .values(org_id=org[org_code], code=code, name=name)
                    .returning(agents.c.id)
                ).scalar_one()
            )
        for account, name, role, org_code, agent_code in OPERATORS:
            operator[f"{account}@{org_code}"] = int(
                uow.connection.execute(
                    insert(operators)
                    .values(
                        org_id=org[org_code],
                        account=account,
                        name=name,
                        password_hash=password_hash,
                        role=role,
                        agent_id=agent[agent_code] if agent_code else None,
                    )
                    .returning(operators.c.id)
                ).scalar_one()
            )
        uow.commit()
    return Tree(org=org, agent=agent, operator=operator)


def add_operator(engine: Engine, *, org_id: int, account: str, name: str, role: str) -> None:
    """One more operator (signing in with :data:`PASSWORD`) at the node ``org_id``."""
    with engine.begin() as conn:
        conn.execute(
            insert(operators).values(
                org_id=org_id,
                account=account,
                name=name,
                role=role,
                password_hash=FAST_HASHER.hash(PASSWORD),
            )
        )
