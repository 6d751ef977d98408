import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error


def test_planning_schema(web_app, site) -> None:
    headers = {"Authorization": f"Bearer {site.token}"}
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", web_app, headers=headers)
    operations = [r.ok() for r in schema.get_all_operations()]
    operations = [o for o in operations if any(k in o.label for k in ("staffing", "forecast", "explain"))]
    assert len(operations) == 3
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=12, deadline=None, phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck), derandomize=True, database=None)
        def call(case) -> None:
            response = case.call(headers=headers, timeout=300)
            case.validate_response(response, checks=[not_a_server_error])
        call()
