from tests.support.server import Org


def test_organization_query_answers_the_callers_org(org: Org) -> None:
    data = org.client().data("{ organization { id name signingKeys { kid status } } }")
    assert data["organization"]["id"] == org.id
    assert [k["status"] for k in data["organization"]["signingKeys"]] == ["ACTIVE"]
