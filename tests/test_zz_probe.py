from tests.conftest import Tenant
from tests.test_fuzz_tracking import client  # noqa: F401

async def test_probe(client, alice: Tenant):
    for url in ["/api/visitors/a%00b", "/api/visitors/a%00b/events", "/api/visitors/x/events?name=a%00",
                "/api/sites/a%00b", "/api/lookups/abc/rows/a%00", "/api/visitors/" + "x"*300,
                "/api/visitors?since=1e400", "/api/visitors?since=nan", "/api/visitors/x/events?before=99999999999999999999", "/api/sites/" + "s"*50]:
        r = await client.get(url, headers=alice.bearer())
        print(url[:60], r.status_code, r.text[:150])
    r = await client.patch("/api/workspace/settings", json={"sensitive_attributes": ["a\x00"]}, headers=alice.bearer())
    print("patch", r.status_code, r.text[:150])
    r = await client.post("/api/sites", json={"name": "a\x00"}, headers=alice.bearer())
    print("site", r.status_code, r.text[:150])
    r = await client.post("/api/tokens", json={"name": "a\x00"}, headers=alice.bearer())
    print("token", r.status_code, r.text[:150])
    r = await client.put("/api/lookups/abc", json={"key_field": "k", "rows": [{"k": "a\x00"}]}, headers=alice.bearer())
    print("lookup", r.status_code, r.text[:150])
    r = await client.put("/api/lookups/abc", content=b"k\x00,v\na\x00,1\n", headers={**alice.bearer(), "content-type": "text/csv"})
    print("lookup csv", r.status_code, r.text[:150])
    r = await client.put("/api/lookups/abc", content=b'"k\n', headers={**alice.bearer(), "content-type": "text/csv"})
    print("lookup csv2", r.status_code, r.text[:150])
    r = await client.put("/api/lookups/abc", json={"key_field": "k"*100, "rows": [{"k"*100: "a"}]}, headers=alice.bearer())
    print("lookup longkey", r.status_code, r.text[:150])
