"""The organisation tree: materialised paths and the subtree an operator may see."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, insert, select

from gridpos.adapters.db.organisations import OrganisationError
from gridpos.adapters.db.tables import customers, organisations
from gridpos.adapters.db.unit_of_work import SqlUnitOfWork


def _tree(engine: Engine) -> dict[str, int]:
    """安徽 → 安庆 → 岳西 → {天堂所 → {便民超市, 农家店}, 店前所}, and 桐城 under 安庆."""
    with SqlUnitOfWork(engine, write=True) as uow:
        orgs = uow.organisations
        ids: dict[str, int] = {}
        ids["anhui"] = orgs.add(
            code="34", name="安徽省电力公司", level="province", parent_id=None
        ).id
        ids["anqing"] = orgs.add(
            code="3408", name="安庆供电公司", level="city", parent_id=ids["anhui"]
        ).id
        ids["yuexi"] = orgs.add(
            code="340828", name="岳西县供电公司", level="county", parent_id=ids["anqing"]
        ).id
        ids["tongcheng"] = orgs.add(
            code="340881", name="桐城市供电公司", level="county", parent_id=ids["anqing"]
        ).id
        ids["tiantang"] = orgs.add(
            code="34082801", name="天堂供电所", level="station", parent_id=ids["yuexi"]
        ).id
        ids["dianqian"] = orgs.add(
            code="34082802", name="店前供电所", level="station", parent_id=ids["yuexi"]
        ).id
        ids["shop"] = orgs.add(
            code="3408280101", name="便民超市", level="collection_point", parent_id=ids["tiantang"]
        ).id
        ids["farm"] = orgs.add(
            code="3408280102", name="农家店", level="collection_point", parent_id=ids["tiantang"]
        ).id
        uow.commit()
    return ids


def test_each_node_keeps_the_path_of_ids_from_the_root(engine: Engine) -> None:
    ids = _tree(engine)
    with SqlUnitOfWork(engine, write=False) as uow:
        shop = uow.organisations.get(ids["shop"])
    assert shop.path == (
        f"/{ids['anhui']}/{ids['anqing']}/{ids['yuexi']}/{ids['tiantang']}/{ids['shop']}/"
    )
    assert shop.parent_id == ids["tiantang"]
    assert shop.level == "collection_point"


def test_the_subtree_of_a_node_is_itself_and_everything_below(engine: Engine) -> None:
    ids = _tree(engine)
    with SqlUnitOfWork(engine, write=False) as uow:
        orgs = uow.organisations
        assert orgs.subtree_ids(ids["tiantang"]) == sorted(
            [ids["tiantang"], ids["shop"], ids["farm"]]
        )
        assert orgs.subtree_ids(ids["yuexi"]) == sorted(
            [ids["yuexi"], ids["tiantang"], ids["dianqian"], ids["shop"], ids["farm"]]
        )
        assert orgs.subtree_ids(ids["shop"]) == [ids["shop"]]
        assert len(orgs.subtree_ids(ids["anhui"])) == 8


def test_ids_that_share_leading_digits_stay_apart(engine: Engine) -> None:
    """/1/ must not match /12/: the path ends every id with a slash."""
    with SqlUnitOfWork(engine, write=True) as uow:
        orgs = uow.organisations
        root = orgs.add(code="R", name="root", level="province", parent_id=None)
        made = [
            orgs.add(code=f"C{n}", name=f"city {n}", level="city", parent_id=root.id)
            for n in range(12)
        ]
        first = made[0]
        child = orgs.add(code="X", name="county", level="county", parent_id=first.id)
        uow.commit()
    with SqlUnitOfWork(engine, write=False) as uow:
        assert uow.organisations.subtree_ids(first.id) == [first.id, child.id]


def test_scoping_another_table_to_a_subtree(engine: Engine) -> None:
    ids = _tree(engine)
    with SqlUnitOfWork(engine, write=True) as uow:
        for n, station in enumerate(["tiantang", "tiantang", "dianqian"]):
            uow.connection.execute(
                insert(customers).values(
                    account_no=f"01000000{n}",
                    name=f"customer {n}",
                    category="residential",
                    station_org_id=ids[station],
                )
            )
        uow.commit()
    with SqlUnitOfWork(engine, write=False) as uow:
        orgs = uow.organisations

        def count(root: str) -> int:
            condition = orgs.in_subtree(customers.c.station_org_id, ids[root])
            query = select(func.count()).select_from(customers).where(condition)
            return int(uow.connection.execute(query).scalar_one())

        assert count("tiantang") == 2
        assert count("dianqian") == 1
        assert count("yuexi") == 3
        assert count("tongcheng") == 0


@pytest.mark.parametrize(
    ("level", "parent", "code", "error_code"),
    [
        ("county", "tiantang", "999", "organisation_level_invalid"),  # above its parent
        ("station", "dianqian", "999", "organisation_level_invalid"),  # beside its parent
        ("village", "tiantang", "999", "organisation_level_invalid"),  # no such level
        ("station", "yuexi", "34082801", "organisation_code_taken"),
    ],
)
def test_a_node_that_does_not_fit_is_refused_and_nothing_written(
    engine: Engine, level: str, parent: str, code: str, error_code: str
) -> None:
    ids = _tree(engine)
    with SqlUnitOfWork(engine, write=True) as uow:
        with pytest.raises(OrganisationError) as refused:
            uow.organisations.add(code=code, name="new", level=level, parent_id=ids[parent])
        assert refused.value.code == error_code
        uow.commit()  # the unit of work is still usable after the refusal
    with SqlUnitOfWork(engine, write=False) as uow:
        total = uow.connection.execute(select(func.count()).select_from(organisations))
        assert total.scalar_one() == 8


def test_an_unknown_organisation_is_named(engine: Engine) -> None:
    with SqlUnitOfWork(engine, write=True) as uow:
        with pytest.raises(OrganisationError) as refused:
            uow.organisations.add(code="1", name="orphan", level="station", parent_id=4242)
        assert refused.value.code == "organisation_unknown"
        assert refused.value.field == "org_id"
        with pytest.raises(OrganisationError):
            uow.organisations.subtree_ids(4242)
