"""Every process of the platform, in one place (issue 17): `make run` starts them from here, the
local Prometheus scrapes them from here, and the tests check the manifests and the dashboard
against it. A new service adds one line.

``python -m svckit.services`` prints ``name config module:Class`` a line (for scripts/run.sh);
``python -m svckit.services prometheus`` prints a Prometheus configuration scraping them.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "deploy" / "prometheus" / "rules"


@dataclass(frozen=True)
class Service:
    name: str
    config: str  # its nameko config file, from the repository root
    entry: str  # module:Class for `nameko run`
    address_env: str  # the variable naming its HTTP address (metrics, health)
    address: str  # its default HTTP address

    @property
    def http_address(self) -> str:
        return os.environ.get(self.address_env) or self.address

    @property
    def job(self) -> str:
        """Its Prometheus scrape job (the alerts select ``job=~"csc-.+"``)."""
        return f"csc-{self.name}"


SERVICES: tuple[Service, ...] = (
    Service("staffing", "services/staffing/config.yaml",
            "services.staffing.service:StaffingService", "STAFFING_HTTP_ADDRESS", "127.0.0.1:9102"),
    Service("calls", "services/calls/config.yaml",
            "services.calls.service:CallsService", "CALLS_HTTP_ADDRESS", "127.0.0.1:9101"),
    Service("assets", "services/assets/config.yaml",
            "services.assets.service:AssetsService", "ASSETS_HTTP_ADDRESS", "127.0.0.1:9103"),
    Service("visits", "services/visits/config.yaml",
            "services.visits.service:VisitsService", "VISITS_HTTP_ADDRESS", "127.0.0.1:9104"),
    Service("inbox", "services/inbox/config.yaml",
            "services.inbox.service:InboxService", "INBOX_HTTP_ADDRESS", "127.0.0.1:9105"),
    Service("gateway", "gateway/config.yaml",
            "gateway.service:GatewayService", "GATEWAY_ADDRESS", "127.0.0.1:8000"),
)


def prometheus_config(
    targets: dict[str, str] | None = None, interval: str = "15s", rules: Path = RULES
) -> dict:
    """A Prometheus configuration scraping every service (``targets``: name -> host:port, the
    services' own addresses by default), with the platform's rules."""
    targets = targets or {service.name: service.http_address for service in SERVICES}
    return {
        "global": {"scrape_interval": interval, "evaluation_interval": interval},
        "rule_files": [str(path) for path in sorted(rules.glob("*.yml"))],
        "scrape_configs": [
            {
                "job_name": service.job,
                "metrics_path": "/metrics",
                "static_configs": [{"targets": [targets[service.name]]}],
            }
            for service in SERVICES
            if service.name in targets
        ],
    }


def main(argv: list[str]) -> int:
    if argv[:1] == ["prometheus"]:
        print(yaml.safe_dump(prometheus_config(), sort_keys=False), end="")
        return 0
    for service in SERVICES:
        print(service.name, service.config, service.entry)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
