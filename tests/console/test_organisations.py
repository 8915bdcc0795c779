"""The organisation tree's use cases and every access rule of them."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select

from gridpos.adapters.db.tables import audit_log, organisations
from gridpos.application.console import (
    AccessDeniedError,
    ConsoleServices,
    InvalidFormError,
    NotFoundError,
)
from gridpos.application.console.organisations import (
    create_organisation,
    move_organisation,
    organisation_detail,
    organisation_tree,
    rename_organisation,
    set_organisation_disabled,
)

from .helpers import signed_in, token
from .seed import Tree


def _paths(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return {
            row.code: row.path
            for row in conn.execute(select(organisations.c.code, organisations.c.path))
        }


def _invalid_fields(error: InvalidFormError) -> dict[str, str]:
    return {str(e.field): e.code for e in error.errors}


def test_the_tree_page_lists_the_subtree_in_tree_order(
    services: ConsoleServices, tree: Tree
) -> None:
    admin = signed_in(services, "admin@340828").actor
    page = organisation_tree(services, admin)
    assert [n.code for n in page.nodes.items] == [
        "340828",
        "34082801",
        "3408280101",
        "34082802",
        "3408280201",
    ]
    assert page.nodes.total == 5
    assert page.root_depth == 2
    assert [n.depth - page.root_depth for n in page.nodes.items] == [0, 1, 2, 1, 2]

    head = signed_in(services, "head@34082801").actor
    assert [n.code for n in organisation_tree(services, head).nodes.items] == [
        "34082801",
        "3408280101",
    ]
    found = organisation_tree(services, admin, search="店前").nodes
    assert [n.code for n in found.items] == ["34082802", "3408280201"]
    stations = organisation_tree(services, admin, level="station").nodes
    assert [n.code for n in stations.items] == ["34082801", "34082802"]
    # a search never reaches outside the subtree
    assert organisation_tree(services, admin, search="宿松").nodes.total == 0
    # "%" is a character, not a wildcard
    assert organisation_tree(services, admin, search="%").nodes.total == 0


def test_the_tree_pages_fifty_at_a_time(services: ConsoleServices, tree: Tree) -> None:
    admin = signed_in(services, "admin@340828").actor
    for n in range(60):
        create_organisation(
            services,
            admin,
            form_token=token(),
            parent_code="34082801",
            code=f"P{n:03d}",
            name=f"代收点{n}",
            level="collection_point",
        )
    first = organisation_tree(services, admin).nodes
    second = organisation_tree(services, admin, page=2).nodes
    assert (first.total, first.pages, len(first.items), len(second.items)) == (65, 2, 50, 15)
    assert {n.code for n in first.items}.isdisjoint({n.code for n in second.items})


def test_create_rename_move_and_disable(
    services: ConsoleServices, tree: Tree, engine: Engine
) -> None:
    admin = signed_in(services, "admin@340828").actor
    done = create_organisation(
        services,
        admin,
        form_token=token(),
        parent_code="34082801",
        code="3408280102",
        name="黄尾代收点",
        level="collection_point",
    )
    new_id = int(done.subject.split(":")[1])
    assert _paths(engine)["3408280102"] == f"/{tree.org['3400']}/{tree.org['3408']}/" + (
        f"{tree.org['340828']}/{tree.org['34082801']}/{new_id}/"
    )

    rename_organisation(services, admin, form_token=token(), org_id=new_id, name="黄尾村代收点")
    assert organisation_detail(services, admin, new_id).name == "黄尾村代收点"

    # move the whole 天堂 station (with its two points) under ... itself? refused; then fine
    station = tree.org["34082801"]
    with pytest.raises(InvalidFormError) as caught:
        move_organisation(
            services, admin, form_token=token(), org_id=station, parent_code="3408280101"
        )
    assert _invalid_fields(caught.value) == {"parent_code": "organisation_move_into_own_subtree"}
    with pytest.raises(InvalidFormError) as caught:
        move_organisation(
            services, admin, form_token=token(), org_id=station, parent_code="34082802"
        )
    assert _invalid_fields(caught.value) == {"parent_code": "organisation_level_invalid"}

    point = tree.org["3408280101"]
    move_organisation(services, admin, form_token=token(), org_id=point, parent_code="34082802")
    paths = _paths(engine)
    assert paths["3408280101"] == f"{paths['34082802']}{point}/"
    assert paths["3408280102"].startswith(paths["34082801"])  # the sibling stayed

    # disabling needs the children disabled first
    with pytest.raises(InvalidFormError) as caught:
        set_organisation_disabled(
            services, admin, form_token=token(), org_id=station, disabled=True
        )
    assert _invalid_fields(caught.value) == {"disabled": "organisation_has_enabled_children"}
    set_organisation_disabled(services, admin, form_token=token(), org_id=new_id, disabled=True)
    set_organisation_disabled(services, admin, form_token=token(), org_id=station, disabled=True)
    assert organisation_detail(services, admin, station).disabled
    # enabling a child under a disabled parent is refused
    with pytest.raises(InvalidFormError) as caught:
        set_organisation_disabled(
            services, admin, form_token=token(), org_id=new_id, disabled=False
        )
    assert _invalid_fields(caught.value) == {"disabled": "organisation_parent_disabled"}

    with engine.connect() as conn:
        actions = list(
            conn.execute(
                select(audit_log.c.action)
                .where(audit_log.c.action.like("organisation.%"))
                .order_by(audit_log.c.id)
            ).scalars()
        )
    assert actions == [
        "organisation.create",
        "organisation.rename",
        "organisation.move",
        "organisation.disable",
        "organisation.disable",
    ]


def test_a_moved_subtree_moves_with_its_children(
    services: ConsoleServices, tree: Tree, engine: Engine
) -> None:
    admin = signed_in(services, "admin@340828").actor
    # a second county under the city is outside the admin's scope; move within scope instead:
    create_organisation(
        services,
        admin,
        form_token=token(),
        parent_code="340828",
        code="34082803",
        name="主簿供电所",
        level="station",
    )
    with engine.connect() as conn:
        target = conn.execute(
            select(organisations.c.id).where(organisations.c.code == "34082803")
        ).scalar_one()
    # a collection point with a child cannot exist; move a station's point and check its path
    move_organisation(
        services, admin, form_token=token(), org_id=tree.org["3408280201"], parent_code="34082803"
    )
    assert _paths(engine)["3408280201"].endswith(f"/{target}/{tree.org['3408280201']}/")


def test_bad_create_forms_name_every_field_and_save_nothing(
    services: ConsoleServices, tree: Tree, engine: Engine
) -> None:
    admin = signed_in(services, "admin@340828").actor
    before = _paths(engine)
    with pytest.raises(InvalidFormError) as caught:
        create_organisation(
            services, admin, form_token=token(), parent_code="", code="a b", name="", level="x"
        )
    assert _invalid_fields(caught.value) == {
        "parent_code": "field_required",
        "code": "code_malformed",
        "name": "field_required",
        "level": "choice_invalid",
    }
    with pytest.raises(InvalidFormError) as caught:
        create_organisation(
            services,
            admin,
            form_token=token(),
            parent_code="34082801",
            code="34082802",  # taken
            name="重复",
            level="county",  # not below a station
        )
    assert _invalid_fields(caught.value) == {
        "code": "organisation_code_taken",
        "level": "organisation_level_invalid",
    }
    with pytest.raises(InvalidFormError) as caught:
        create_organisation(
            services,
            admin,
            form_token=token(),
            parent_code="34082601",  # another county's station
            code="NEW1",
            name="越界",
            level="collection_point",
        )
    assert _invalid_fields(caught.value) == {"parent_code": "parent_unknown"}
    assert _paths(engine) == before


def test_a_form_sent_twice_acts_once(services: ConsoleServices, tree: Tree, engine: Engine) -> None:
    admin = signed_in(services, "admin@340828").actor
    form = token()
    fields = {
        "parent_code": "34082801",
        "code": "TWICE",
        "name": "双击代收点",
        "level": "collection_point",
    }
    first = create_organisation(services, admin, form_token=form, **fields)
    again = create_organisation(services, admin, form_token=form, **fields)
    assert not first.repeated
    assert again.repeated
    assert again.subject == first.subject
    assert list(_paths(engine)).count("TWICE") == 1

    # a refused form keeps its token free: corrected, it goes through
    refused = token()
    with pytest.raises(InvalidFormError):
        create_organisation(services, admin, form_token=refused, **{**fields, "code": "TWICE"})
    done = create_organisation(services, admin, form_token=refused, **{**fields, "code": "ONCE"})
    assert not done.repeated
    with pytest.raises(InvalidFormError) as caught:
        create_organisation(services, admin, form_token="short", **{**fields, "code": "X1"})
    assert _invalid_fields(caught.value) == {"form_token": "form_token_missing"}


@pytest.mark.parametrize(
    "who", ["finance@340828", "auditor@340828", "head@34082801", "staff@34082801"]
)
def test_only_the_admin_changes_the_tree(services: ConsoleServices, tree: Tree, who: str) -> None:
    actor = signed_in(services, who).actor
    point = tree.org["3408280101"]
    organisation_tree(services, actor)  # they may look
    attempts = [
        lambda: create_organisation(
            services,
            actor,
            form_token=token(),
            parent_code="34082801",
            code="NOPE",
            name="不行",
            level="collection_point",
        ),
        lambda: rename_organisation(services, actor, form_token=token(), org_id=point, name="x"),
        lambda: move_organisation(
            services, actor, form_token=token(), org_id=point, parent_code="34082802"
        ),
        lambda: set_organisation_disabled(
            services, actor, form_token=token(), org_id=point, disabled=True
        ),
    ]
    for attempt in attempts:
        with pytest.raises(AccessDeniedError):
            attempt()


def test_an_agent_sees_no_tree(services: ConsoleServices, tree: Tree) -> None:
    agent = signed_in(services, "agent01@3408280101").actor
    with pytest.raises(AccessDeniedError):
        organisation_tree(services, agent)
    with pytest.raises(AccessDeniedError):
        organisation_detail(services, agent, tree.org["3408280101"])


def test_nothing_outside_the_subtree_is_seen_or_changed(
    services: ConsoleServices, tree: Tree, engine: Engine
) -> None:
    admin = signed_in(services, "admin@340828").actor
    other_county = tree.org["340826"]
    other_station = tree.org["34082601"]
    with pytest.raises(AccessDeniedError):
        organisation_detail(services, admin, other_station)
    with pytest.raises(AccessDeniedError):
        organisation_detail(services, admin, tree.org["3408"])  # above the admin
    with pytest.raises(AccessDeniedError):
        rename_organisation(services, admin, form_token=token(), org_id=other_county, name="x")
    with pytest.raises(AccessDeniedError):
        move_organisation(
            services, admin, form_token=token(), org_id=other_station, parent_code="340828"
        )
    with pytest.raises(AccessDeniedError):
        set_organisation_disabled(
            services, admin, form_token=token(), org_id=other_station, disabled=True
        )
    # moving one's own node away, or out of the subtree, is refused too
    with pytest.raises(AccessDeniedError):
        move_organisation(
            services, admin, form_token=token(), org_id=tree.org["340828"], parent_code="3408"
        )
    with pytest.raises(InvalidFormError):
        move_organisation(
            services, admin, form_token=token(), org_id=tree.org["34082801"], parent_code="340826"
        )
    with pytest.raises(AccessDeniedError):
        set_organisation_disabled(
            services, admin, form_token=token(), org_id=tree.org["340828"], disabled=True
        )
    with pytest.raises(NotFoundError):
        organisation_detail(services, admin, 999_999)
    # the station head's subtree is their station only
    head = signed_in(services, "head@34082801").actor
    with pytest.raises(AccessDeniedError):
        organisation_detail(services, head, tree.org["34082802"])
