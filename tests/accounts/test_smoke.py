from tests.personas import login


def test_home_and_login(client, world):
    assert client.get("/").status_code in (200, 404)
    login(client, world.emails["operator"])
    r = client.get("/console")
    assert r.status_code == 200, r.text[:2000]
    assert client.get("/console/organisations").status_code == 200
    assert client.get("/console/audit").status_code == 200
    assert client.get("/console/jobs").status_code == 200
    assert client.get("/me").status_code == 200
